-- The tombstone policy (src/sync.c): ews_trim_tombstones() removes item and
-- folder tombstones older than ews.tombstone_max_age or beyond the newest
-- ews.tombstone_max_count, remembers how far it went, and a sync state older
-- than that gets ErrorInvalidSyncStateData (a newer one still works);
-- hierarchy changes trim the mailbox's folder tombstones by age; only
-- administrators trim; the settings are a superuser's.
BEGIN;
\set ECHO none
\i test/blob_helpers.sql
\i test/sync_helpers.sql
\set ECHO all
SELECT plan(23);

SELECT ews_create_mailbox('tap-trim@example.com', 'Trim') IS NOT NULL AS created \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-trim@example.com' \gset
SELECT ews_folder_id('tap-trim@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-trim@example.com', 'msgfolderroot') AS top \gset
-- nothing else in this database may be trimmed by this test's calls
UPDATE ews.item_tombstone SET removed_at = now() WHERE mailbox_id <> :'mb';
UPDATE ews.folder_tombstone SET removed_at = now() WHERE mailbox_id <> :'mb';

SELECT is(current_setting('ews.tombstone_max_age'), '30d', 'ews.tombstone_max_age defaults to 30 days');
SELECT is(current_setting('ews.tombstone_max_count'), '100000', 'ews.tombstone_max_count defaults to 100000');

-- A: before any removal; B: after three; C: after five
SELECT array_agg(i ORDER BY o) AS its FROM pg_temp.add(:'inbox', ARRAY['t1','t2','t3','t4','t5','t6'])
  WITH ORDINALITY x(i, o) \gset
SELECT sync_state AS a FROM pg_temp.sync_items(:'inbox', NULL) WHERE change_type IS NULL \gset
SELECT pg_temp.remove((:'its'::text[])[1]), pg_temp.remove((:'its'::text[])[2]), pg_temp.remove((:'its'::text[])[3]);
SELECT sync_state AS b FROM pg_temp.sync_items(:'inbox', :'a') WHERE change_type IS NULL \gset
SELECT pg_temp.remove((:'its'::text[])[4]), pg_temp.remove((:'its'::text[])[5]);
SELECT sync_state AS c FROM pg_temp.sync_items(:'inbox', :'b') WHERE change_type IS NULL \gset

-- nothing is old: nothing goes
SELECT results_eq($$SELECT * FROM ews_trim_tombstones()$$, $$VALUES (0::bigint, 0::bigint)$$,
	'fresh tombstones are kept');
-- the first three are 40 days old
UPDATE ews.item_tombstone SET removed_at = now() - interval '40 days'
 WHERE item_id IN (SELECT pg_temp.local_id(i) FROM unnest((:'its'::text[])[1:3]) i);
SELECT results_eq($$SELECT * FROM ews_trim_tombstones()$$, $$VALUES (3::bigint, 0::bigint)$$,
	'tombstones older than ews.tombstone_max_age go');
SELECT is((SELECT tombstone_horizon FROM ews.folder WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	pg_temp.state_w(:'b'),
	'the folder remembers the last change number trimmed (that of the third removal)');
SELECT results_eq($$SELECT response_code, message_text FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'a' || $$')$$,
	format($$VALUES ('ErrorInvalidSyncStateData'::text, 'The sync state is not valid: it is older than the deletions this folder still remembers (tombstones were trimmed up to change %s, see ews.tombstone_max_age). Synchronize again without a SyncState.'::text)$$,
	       pg_temp.state_w(:'b')),
	'a state older than what was trimmed: ErrorInvalidSyncStateData, saying so');
SELECT results_eq($$SELECT change_type FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'b' || $$')$$,
	$$VALUES ('Delete'::text), ('Delete'), (NULL)$$, 'a state from after the trimmed removals still gets its two Deletes');
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox') WHERE change_type = 'Create'), 1::bigint,
	'a first sync is never refused');

-- by count: the newest one stays
SELECT results_eq($$SELECT * FROM ews_trim_tombstones(max_count => 1)$$, $$VALUES (1::bigint, 0::bigint)$$,
	'max_count 1: one of the two left goes');
SELECT is((SELECT response_code FROM ews_sync_folder_items(:'inbox', :'b')), 'ErrorInvalidSyncStateData',
	'now the second state is too old too');
SELECT is((SELECT response_code FROM ews_sync_folder_items(:'inbox', :'c')), 'NoError', 'the newest one is fine');
SELECT results_eq($$SELECT * FROM ews_trim_tombstones(max_count => 1)$$, $$VALUES (0::bigint, 0::bigint)$$,
	'again: nothing more');
SELECT results_eq($$SELECT * FROM ews_trim_tombstones(max_age => '1 hour', max_count => 0)$$, $$VALUES (0::bigint, 0::bigint)$$,
	'max_age given: the remaining fresh one stays');

-- folder tombstones
SELECT folder_id AS f1 FROM ews_create_folder(:'top', 'F1') \gset
SELECT folder_id AS f2 FROM ews_create_folder(:'top', 'F2') \gset
SELECT next_sync_state AS h0 FROM ews_sync_folder_hierarchy(:'top') WHERE change_type IS NULL \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'f1']);
SELECT next_sync_state AS h1 FROM ews_sync_folder_hierarchy(:'top', :'h0') WHERE change_type IS NULL \gset
UPDATE ews.folder_tombstone SET removed_at = now() - interval '40 days' WHERE mailbox_id = :'mb';
-- the next hierarchy change of the mailbox trims what is old
SELECT response_code FROM ews_move_folder(:'inbox', ARRAY[:'f2']);
SELECT is((SELECT count(*) FROM ews.folder_tombstone WHERE mailbox_id = :'mb'), 1::bigint,
	'a hierarchy change trims the mailbox''s old folder tombstones and keeps its own');
SELECT is((SELECT response_code FROM ews_sync_folder_hierarchy(:'top', :'h0')), 'ErrorInvalidSyncStateData',
	'a hierarchy state older than the trimmed ones: ErrorInvalidSyncStateData');
SELECT results_eq($$SELECT change_type FROM ews_sync_folder_hierarchy('$$ || :'top' || $$', '$$ || :'h1' || $$')$$,
	$$VALUES ('Update'::text), (NULL)$$, 'a newer one still sees the move');
UPDATE ews.folder_tombstone SET removed_at = now() - interval '40 days' WHERE mailbox_id = :'mb';
SELECT results_eq($$SELECT * FROM ews_trim_tombstones()$$, $$VALUES (0::bigint, 1::bigint)$$,
	'ews_trim_tombstones trims folder tombstones too');

-- settings: 0 keeps by age; only a superuser sets them
SET LOCAL ews.tombstone_max_age = 0;
UPDATE ews.item_tombstone SET removed_at = now() - interval '400 days' WHERE mailbox_id = :'mb';
SELECT results_eq($$SELECT * FROM ews_trim_tombstones(max_count => 0)$$, $$VALUES (0::bigint, 0::bigint)$$,
	'ews.tombstone_max_age 0: nothing goes by age');
RESET ews.tombstone_max_age;
DO $$ BEGIN CREATE ROLE tap_trim_user; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT ews_user TO tap_trim_user;
SET LOCAL ROLE tap_trim_user;
SELECT throws_ok($$SET ews.tombstone_max_age = 1$$, '42501', NULL, 'a user cannot change the policy');
SELECT throws_ok($$SELECT * FROM ews_trim_tombstones()$$, '42501', NULL, 'a user cannot trim (no EXECUTE)');
RESET ROLE;
GRANT EXECUTE ON FUNCTION ews_trim_tombstones(interval, integer) TO tap_trim_user;
SET LOCAL ROLE tap_trim_user;
SELECT throws_ok($$SELECT * FROM ews_trim_tombstones()$$, '42501', 'permission denied to trim tombstones',
	'... not even when granted EXECUTE: trimming is an administrator''s');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM ews_trim_tombstones(max_age => '-1 day')$$, '22023', 'max_age must be positive',
	'a negative age raises');
SELECT throws_ok($$SELECT * FROM ews_trim_tombstones(max_count => -1)$$, '22023', 'max_count must not be negative',
	'a negative count raises');

SELECT * FROM finish();
ROLLBACK;
