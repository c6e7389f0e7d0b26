-- SyncFolderItems through its SQL twin (src/sync.c): a first sync pages
-- through every item as Create, oldest first; later syncs report each
-- change once (Create, Update, ReadFlagChange, Delete), never an item the
-- client did not hold as anything but Create, nothing for an item that came
-- and went between two syncs; paging with changes between the pages loses
-- and repeats nothing; Ignore; SyncScope; every bad state refused with
-- ErrorInvalidSyncStateData; the folder errors; access.
BEGIN;
\set ECHO none
\i test/blob_helpers.sql
\i test/sync_helpers.sql
\set ECHO all
SELECT plan(46);

SELECT ews_create_mailbox('tap-sync@example.com', 'Sync') IS NOT NULL AS created \gset
SELECT ews_create_mailbox('tap-sync-other@example.com', 'Other') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-sync@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-sync@example.com', 'drafts') AS drafts \gset
SELECT ews_folder_id('tap-sync-other@example.com', 'inbox') AS other_inbox \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-sync@example.com' \gset

-- an empty folder: one row, a state, the last page
SELECT results_eq($$SELECT change_type, response_code, includes_last_item_in_range, next_sync_state IS NOT NULL
                      FROM ews_sync_folder_items('$$ || :'inbox' || $$')$$,
	$$VALUES (NULL::text, 'NoError'::text, true, true)$$,
	'an empty folder: no change, one row with the state, IncludesLastItemInRange');

-- seven items; a first sync in pages of 3
SELECT array_agg(i ORDER BY ord) AS seven FROM pg_temp.add(:'inbox', ARRAY['m1','m2','m3','m4','m5','m6','m7'])
  WITH ORDINALITY AS t(i, ord) \gset
CREATE TEMP TABLE first_sync AS SELECT * FROM pg_temp.sync_items(:'inbox', NULL, 3);
SELECT results_eq($$SELECT page, change_type, subject FROM first_sync WHERE change_type IS NOT NULL ORDER BY page, subject$$,
	$$VALUES (1, 'Create'::text, 'm1'::text), (1, 'Create', 'm2'), (1, 'Create', 'm3'),
	         (2, 'Create', 'm4'), (2, 'Create', 'm5'), (2, 'Create', 'm6'), (3, 'Create', 'm7')$$,
	'a first sync returns every item as Create, in pages of MaxChangesReturned, oldest first');
SELECT is((SELECT last FROM first_sync WHERE change_type IS NULL), true, 'it ends with IncludesLastItemInRange');
SELECT results_eq(
	$$SELECT change_type, subject, includes_last_item_in_range FROM ews_sync_folder_items('$$ || :'inbox' || $$', NULL, 3)$$,
	$$VALUES ('Create'::text, 'm1'::text, false), ('Create', 'm2', false), ('Create', 'm3', false), (NULL, NULL, false)$$,
	'a page that is not the last says so on every row');
SELECT ok((SELECT count(DISTINCT next_sync_state) = 1 FROM ews_sync_folder_items(:'inbox', NULL, 3)),
	'every row of a page carries the same next state');
SELECT sync_state AS s0 FROM first_sync WHERE change_type IS NULL \gset

-- no change: nothing, the same state back (where exchangelib stops), the last page
SELECT results_eq($$SELECT change_type, next_sync_state = '$$ || :'s0' || $$', includes_last_item_in_range
                      FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'s0' || $$')$$,
	$$VALUES (NULL::text, true, true)$$, 'nothing changed: no change and the same state');
-- changes in other folders and mailboxes are not this folder's
SELECT count(*) FROM pg_temp.add(:'drafts', ARRAY['elsewhere']);
SELECT count(*) FROM pg_temp.add(:'other_inbox', ARRAY['other mailbox']);
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox', :'s0') WHERE change_type IS NOT NULL), 0::bigint,
	'items of other folders and mailboxes are no change here');

-- every kind of change, once
SELECT pg_temp.edit(:'inbox', (:'seven'::text[])[2], 'm2 edited') = 'NoError' AS edited;
SELECT pg_temp.set_read((:'seven'::text[])[3], true);
SELECT pg_temp.remove((:'seven'::text[])[4]);
SELECT array_agg(i) AS fresh FROM pg_temp.add(:'inbox', ARRAY['new one', 'new then edited', 'new then gone']) i \gset
SELECT pg_temp.edit(:'inbox', (:'fresh'::text[])[2], 'new, edited') = 'NoError' AS edited;
SELECT pg_temp.set_read((:'fresh'::text[])[2], true);
SELECT pg_temp.remove((:'fresh'::text[])[3]);
SELECT pg_temp.set_read((:'seven'::text[])[5], true);
SELECT pg_temp.edit(:'inbox', (:'seven'::text[])[5], 'm5 edited, then read') = 'NoError' AS edited;
CREATE TEMP TABLE inc AS SELECT * FROM pg_temp.sync_items(:'inbox', :'s0', 100);
SELECT results_eq($$SELECT change_type, item_id, subject, is_read FROM inc WHERE change_type IS NOT NULL ORDER BY item_id$$,
	format($$SELECT * FROM (VALUES ('Update'::text, %L::text, 'm2 edited'::text, false),
	        ('ReadFlagChange', %L, NULL, true), ('Delete', %L, NULL, NULL),
	        ('Update', %L, 'm5 edited, then read', false),
	        ('Create', %L, 'new one', false), ('Create', %L, 'new, edited', true)) v ORDER BY 2$$,
	       (:'seven'::text[])[2], (:'seven'::text[])[3], (:'seven'::text[])[4], (:'seven'::text[])[5],
	       (:'fresh'::text[])[1], (:'fresh'::text[])[2]),
	'each change once: Update, ReadFlagChange with IsRead, Delete, Create (also of an item changed after it came); nothing for an item that came and went');
SELECT is((SELECT count(*) FROM inc WHERE change_type IS NOT NULL AND item_id = (:'fresh'::text[])[3]), 0::bigint,
	'an item that arrived and left between two syncs is never reported');
SELECT is((SELECT string_agg(change_type, ',' ORDER BY ord) FROM (
	SELECT change_type, row_number() OVER () AS ord FROM ews_sync_folder_items(:'inbox', :'s0', 100)) x
	WHERE change_type IS NOT NULL),
	'Update,ReadFlagChange,Delete,Create,Create,Update',
	'changes come oldest first, in the order they were made');
SELECT sync_state AS s1 FROM inc WHERE change_type IS NULL \gset
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox', :'s1') WHERE change_type IS NOT NULL), 0::bigint,
	'after applying them, nothing is left');

-- a read flag set and cleared again is one ReadFlagChange with the value now
SELECT pg_temp.set_read((:'seven'::text[])[6], true);
SELECT pg_temp.set_read((:'seven'::text[])[6], false);
SELECT results_eq($$SELECT change_type, is_read FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'s1' || $$')
                     WHERE change_type IS NOT NULL$$,
	$$VALUES ('ReadFlagChange'::text, false)$$, 'two read-flag changes: one ReadFlagChange with the flag as it is');
SELECT pg_temp.edit(:'inbox', (:'seven'::text[])[6], 'm6 edited') = 'NoError' AS edited;
SELECT results_eq($$SELECT change_type, subject FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'s1' || $$')
                     WHERE change_type IS NOT NULL$$,
	$$VALUES ('Update'::text, 'm6 edited'::text)$$, 'a read flag change and then an edit: one Update');
SELECT next_sync_state AS s2 FROM ews_sync_folder_items(:'inbox', :'s1') WHERE change_type IS NULL \gset

-- paging while the folder changes between pages: nothing lost, nothing repeated
SELECT array_agg(i ORDER BY o) AS many FROM pg_temp.add(:'inbox', ARRAY(SELECT 'p' || g FROM generate_series(1, 12) g))
  WITH ORDINALITY t(i, o) \gset
CREATE TEMP TABLE paged (n serial, page int, change_type text, item_id text, subject text, is_read boolean);
CREATE TEMP TABLE cursor_state (st text, done boolean);
INSERT INTO cursor_state VALUES (:'s2', false);
CREATE FUNCTION pg_temp.page(folder text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	r record;
	st text := (SELECT cs.st FROM cursor_state cs);
	p int := (SELECT coalesce(max(page), 0) + 1 FROM paged);
BEGIN
	FOR r IN SELECT * FROM ews_sync_folder_items(folder, st, n) LOOP
		IF r.change_type IS NOT NULL THEN
			INSERT INTO paged (page, change_type, item_id, subject, is_read)
			VALUES (p, r.change_type, r.item_id, r.subject, r.is_read);
		ELSE
			UPDATE cursor_state SET st = r.next_sync_state, done = r.includes_last_item_in_range;
		END IF;
	END LOOP;
END $$;
SELECT pg_temp.page(:'inbox', 4);
-- between pages: an edit of an item reported and of one not yet reported, a
-- removal of each kind, a new item; then read flags of each kind
SELECT pg_temp.edit(:'inbox', (:'many'::text[])[1], 'p1 again') = 'NoError' AS edited;
SELECT pg_temp.edit(:'inbox', (:'many'::text[])[9], 'p9 again') = 'NoError' AS edited;
SELECT pg_temp.remove((:'many'::text[])[2]);
SELECT pg_temp.remove((:'many'::text[])[10]);
SELECT count(*) FROM pg_temp.add(:'inbox', ARRAY['during']);
SELECT pg_temp.page(:'inbox', 4);
SELECT pg_temp.set_read((:'many'::text[])[3], true);
SELECT pg_temp.set_read((:'many'::text[])[11], true);
SELECT pg_temp.page(:'inbox', 4);
SELECT pg_temp.page(:'inbox', 4);
SELECT is((SELECT done FROM cursor_state), true, 'the paged sync ended after four pages');
SELECT results_eq($$SELECT page, change_type, coalesce(subject, item_id), is_read FROM paged ORDER BY n$$,
	format($$VALUES (1, 'Create'::text, 'p1'::text, false), (1, 'Create', 'p2', false), (1, 'Create', 'p3', false),
	        (1, 'Create', 'p4', false),
	        (2, 'Create', 'p5', false), (2, 'Create', 'p6', false), (2, 'Create', 'p7', false), (2, 'Create', 'p8', false),
	        (3, 'Update', 'p1 again', false), (3, 'Create', 'p9 again', false), (3, 'Delete', %L, NULL),
	        (3, 'ReadFlagChange', %L, true),
	        (4, 'Create', 'p11', true), (4, 'Create', 'p12', false), (4, 'Create', 'during', false)$$,
	       (:'many'::text[])[2], (:'many'::text[])[3]),
	'pages of four, oldest first: an arrival waits until the changes before its current version fit; each change once');
SELECT is((SELECT count(*) FROM paged WHERE item_id = (:'many'::text[])[10]), 0::bigint,
	'an item removed before it was reported is never reported');
SELECT results_eq($$SELECT change_type, is_read FROM ews_sync_folder_items('$$ || :'inbox' || $$', (SELECT st FROM cursor_state))$$,
	$$VALUES (NULL::text, NULL::boolean)$$, 'after the last page nothing is left');
-- the client's copy, replayed from the changes, equals the folder
SELECT results_eq($$
	SELECT DISTINCT ON (item_id) item_id, change_type <> 'Delete', CASE WHEN change_type <> 'Delete' THEN subject END
	  FROM (SELECT p.item_id, p.change_type, p.n,
	               (SELECT p2.subject FROM paged p2 WHERE p2.item_id = p.item_id AND p2.subject IS NOT NULL
	                 ORDER BY p2.n DESC LIMIT 1) AS subject FROM paged p) x
	 ORDER BY item_id, n DESC$$,
	$$SELECT id, i.item_id IS NOT NULL, i.subject
	    FROM (SELECT DISTINCT item_id AS id FROM paged) p
	    LEFT JOIN ews.item i ON i.item_id = pg_temp.local_id(p.id) ORDER BY id$$,
	'replaying the changes gives exactly the folder''s items, with their subjects');

-- Ignore: the items a client already has (it made them) are not reported, and count for nothing
SELECT array_agg(i) AS ign FROM pg_temp.add(:'drafts', ARRAY['d1', 'mine', 'd3']) i \gset
SELECT results_eq($$SELECT change_type, subject, includes_last_item_in_range FROM ews_sync_folder_items('$$ || :'drafts' || $$', NULL, 2,
                      'NormalItems', ARRAY['$$ || (:'ign'::text[])[2] || $$'])$$,
	$$VALUES ('Create'::text, 'elsewhere'::text, false), ('Create', 'd1', false), (NULL, NULL, false)$$,
	'a first page of 2 with one ignored item: two Creates');
SELECT next_sync_state AS ds FROM ews_sync_folder_items(:'drafts', NULL, 2, 'NormalItems', ARRAY[(:'ign'::text[])[2]])
 WHERE change_type IS NULL \gset
SELECT results_eq($$SELECT change_type, subject FROM ews_sync_folder_items('$$ || :'drafts' || $$', '$$ || :'ds' || $$', 2,
                      'NormalItems', ARRAY['$$ || (:'ign'::text[])[2] || $$'])$$,
	$$VALUES ('Create'::text, 'd3'::text), (NULL, NULL)$$, 'the ignored item is passed over');
SELECT next_sync_state AS ds2 FROM ews_sync_folder_items(:'drafts', :'ds', 2, 'NormalItems', ARRAY[(:'ign'::text[])[2]])
 WHERE change_type IS NULL \gset
SELECT pg_temp.edit(:'drafts', (:'ign'::text[])[2], 'mine, edited') = 'NoError' AS edited;
SELECT results_eq($$SELECT change_type, subject FROM ews_sync_folder_items('$$ || :'drafts' || $$', '$$ || :'ds2' || $$')$$,
	$$VALUES ('Update'::text, 'mine, edited'::text), (NULL, NULL)$$,
	'an ignored item counts as held: its later change is an Update');
SELECT results_eq($$SELECT response_code, message_text FROM ews_sync_folder_items('$$ || :'drafts' || $$', NULL, 2,
                      'NormalItems', ARRAY['not an id'])$$,
	$$VALUES ('ErrorInvalidIdMalformed'::text, 'Id is malformed: the id is not base64.'::text)$$,
	'a malformed Ignore id: ErrorInvalidIdMalformed');
SELECT results_eq($$SELECT response_code FROM ews_sync_folder_items('$$ || :'drafts' || $$', NULL, 2,
                      'NormalItems', ARRAY['$$ || :'inbox' || $$'])$$,
	$$VALUES ('ErrorCannotUseFolderIdForItemId'::text)$$, 'a folder id in Ignore: ErrorCannotUseFolderIdForItemId');

-- SyncScope: associated items only with NormalAndAssociatedItems
SELECT count(*) FROM pg_temp.add(:'inbox', ARRAY['hidden view'], true);
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox', :'s2', 512) WHERE subject = 'hidden view'), 0::bigint,
	'NormalItems: an associated item is not reported');
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox', NULL, 512, 'NormalAndAssociatedItems')
            WHERE subject = 'hidden view' AND is_associated), 1::bigint,
	'NormalAndAssociatedItems: it is, as associated');
SELECT results_eq($$SELECT response_code, message_text FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'s2' || $$',
                      10, 'NormalAndAssociatedItems')$$,
	$$VALUES ('ErrorInvalidSyncStateData'::text, 'The sync state is not valid: it was made for another SyncScope. Synchronize again without a SyncState.'::text)$$,
	'a state of NormalItems with NormalAndAssociatedItems: ErrorInvalidSyncStateData');

-- bad states: every one refused with ErrorInvalidSyncStateData, one error row, no state
CREATE TEMP TABLE bad (what text, st text, why text);
INSERT INTO bad VALUES
	('garbage', 'not a state', 'it is not base64 as this server writes it'),
	('Exchange''s example', 'H4sIA=', 'it is not base64 as this server writes it'),
	('truncated', left(:'s2', 100), 'it has the wrong length'),
	('one quantum more', :'s2' || 'AAAA', 'it has the wrong length'),
	('with a line break', left(:'s2', 50) || E'\n' || substr(:'s2', 51), 'it is not base64 as this server writes it'),
	('a byte changed', pg_temp.b64(set_byte(decode(:'s2', 'base64'), 40, get_byte(decode(:'s2', 'base64'), 40) # 1)),
	 'its checksum does not match'),
	('another magic', pg_temp.b64(set_byte(decode(:'s2', 'base64'), 0, 88)), 'it was not made by this server'),
	('version 2', pg_temp.state_make(1, 0, :'mb', pg_temp.local_id(:'inbox'), 1, 0, 0, 0, 0, 2), 'it has an unknown version'),
	('another folder''s', pg_temp.state_make(1, 0, :'mb', pg_temp.local_id(:'drafts'), 1), 'it was made for another folder'),
	('another mailbox''s', pg_temp.state_make(1, 0, (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'tap-sync-other@example.com'),
	 pg_temp.local_id(:'inbox'), 1), 'it was made for another folder'),
	('a hierarchy state', pg_temp.state_make(2, 0, :'mb', pg_temp.local_id(:'inbox'), 1), 'it was made by SyncFolderHierarchy, not SyncFolderItems'),
	('reserved flags', pg_temp.state_make(1, 4, :'mb', pg_temp.local_id(:'inbox'), 1), 'it has reserved flags set'),
	('C beyond W', pg_temp.state_make(1, 0, :'mb', pg_temp.local_id(:'inbox'), 5, 0, 6, 0, 0), 'its positions are out of range'),
	('from the future', pg_temp.state_make(1, 0, :'mb', pg_temp.local_id(:'inbox'), 9223372036854775806),
	 'it is newer than the folder (made in a transaction that rolled back, or before the database was restored)');
SELECT results_eq(
	$$SELECT b.what, s.response_code, s.message_text, s.next_sync_state, s.includes_last_item_in_range, s.change_type
	    FROM bad b, ews_sync_folder_items('$$ || :'inbox' || $$', b.st) s ORDER BY b.what$$,
	$$SELECT what, 'ErrorInvalidSyncStateData'::text,
	         'The sync state is not valid: ' || why || '. Synchronize again without a SyncState.',
	         NULL::text, true, NULL::text FROM bad ORDER BY what$$,
	'every bad state: one row, ErrorInvalidSyncStateData saying why, no state, IncludesLastItemInRange true');
SELECT is((SELECT count(*) FROM bad), 14::bigint, 'fourteen bad states tried');
-- a state made in a transaction that rolled back
SAVEPOINT before_rollback;
SELECT count(*) FROM pg_temp.add(:'inbox', ARRAY['rolled back']);
SELECT next_sync_state AS gone_state FROM ews_sync_folder_items(:'inbox', :'s2', 512) WHERE change_type IS NULL \gset
ROLLBACK TO SAVEPOINT before_rollback;
SELECT results_eq($$SELECT response_code FROM ews_sync_folder_items('$$ || :'inbox' || $$', '$$ || :'gone_state' || $$')$$,
	$$VALUES ('ErrorInvalidSyncStateData'::text)$$, 'a state that saw changes that rolled back is refused');
-- an empty SyncState is a first sync
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'drafts', '', 512) WHERE change_type = 'Create'), 4::bigint,
	'an empty sync state: a first sync');

-- the folder: errors, access
SELECT results_eq($$SELECT response_code, next_sync_state, includes_last_item_in_range FROM ews_sync_folder_items('nope')$$,
	$$VALUES ('ErrorInvalidIdMalformed'::text, NULL::text, true)$$, 'a malformed folder id: ErrorInvalidIdMalformed');
SELECT folder_id AS doomed FROM ews_create_folder(:'inbox', 'Doomed') \gset
SELECT next_sync_state AS doomed_state FROM ews_sync_folder_items(:'doomed') WHERE change_type IS NULL \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'doomed']);
SELECT results_eq($$SELECT response_code FROM ews_sync_folder_items('$$ || :'doomed' || $$', '$$ || :'doomed_state' || $$')$$,
	$$VALUES ('ErrorSyncFolderNotFound'::text)$$, 'a deleted folder: ErrorSyncFolderNotFound');
SELECT results_eq($$SELECT response_code FROM ews_sync_folder_items('$$ || (:'many'::text[])[1] || $$')$$,
	$$VALUES ('ErrorCannotUseItemIdForFolderId'::text)$$, 'an item id as the folder: ErrorCannotUseItemIdForFolderId');
-- programming errors raise
SELECT throws_ok($$SELECT * FROM ews_sync_folder_items(NULL)$$, '22004', 'sync_folder_id must not be null',
	'a NULL folder raises');
SELECT throws_ok($$SELECT * FROM ews_sync_folder_items('x', NULL, 0)$$, '22023', 'max_changes must be between 1 and 512',
	'MaxChangesReturned 0 raises');
SELECT throws_ok($$SELECT * FROM ews_sync_folder_items('x', NULL, 513)$$, '22023', 'max_changes must be between 1 and 512',
	'MaxChangesReturned 513 raises');
SELECT throws_ok($$SELECT * FROM ews_sync_folder_items('x', NULL, 10, 'AllItems')$$, '22023', 'invalid sync scope "AllItems"',
	'an unknown scope raises');
SELECT lives_ok($$SELECT * FROM ews_sync_folder_items('$$ || :'inbox' || $$', NULL, 512)$$, '512 is allowed');

SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox', NULL, 1) WHERE change_type IS NOT NULL), 1::bigint,
	'a page of one is one change');

-- a batch that removes many items with one change number, paged through its middle
SELECT array_agg(i) AS batch FROM pg_temp.add(:'drafts', ARRAY(SELECT 'b' || g FROM generate_series(1, 6) g)) i \gset
SELECT next_sync_state AS before_batch FROM pg_temp.sync_items(:'drafts', NULL) s(page, change_type, item_id, subject,
	is_read, next_sync_state, last) WHERE change_type IS NULL \gset
WITH cn AS (SELECT nextval('ews.change_seq') AS cn), d AS (
	DELETE FROM ews.item WHERE item_id = ANY (SELECT pg_temp.local_id(b) FROM unnest(:'batch'::text[]) b)
	RETURNING mailbox_id, folder_id, item_id, created_cn, is_associated)
INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number, created_cn, is_associated)
SELECT d.mailbox_id, d.folder_id, d.item_id, cn.cn, d.created_cn, d.is_associated FROM d, cn;
UPDATE ews.folder SET content_cn = (SELECT max(change_number) FROM ews.item_tombstone),
       total_count = total_count - 6, unread_count = unread_count - 6
 WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'drafts');
CREATE TEMP TABLE batch_sync AS SELECT * FROM pg_temp.sync_items(:'drafts', :'before_batch', 4);
SELECT results_eq($$SELECT page, count(*) FROM batch_sync WHERE change_type = 'Delete' GROUP BY page ORDER BY page$$,
	$$VALUES (1, 4::bigint), (2, 2::bigint)$$, 'six deletes of one change number in pages of four: 4 then 2');
SELECT is((SELECT count(DISTINCT item_id) FROM batch_sync WHERE change_type = 'Delete'), 6::bigint,
	'each of the six once');

-- the states are short and opaque
SELECT is(length(:'s2'), 104, 'an items state is 104 characters of base64');
SELECT is((SELECT length(next_sync_state) FROM ews_sync_folder_items(:'inbox', NULL, 1) LIMIT 1), 104,
	'also in the middle of a first sync');

-- a role that may not use the mailbox sees it as missing; one acting for a reviewer may sync
DO $$ BEGIN CREATE ROLE tap_sync_stranger; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT ews_user TO tap_sync_stranger;
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	EXECUTE format('SELECT string_agg(x::text, %L) FROM (%s) x', ' | ', q) INTO res;
	RESET ROLE;
	RETURN res;
END $f$;
SELECT is(pg_temp.as_role('tap_sync_stranger',
	format('SELECT response_code, message_text, mailbox_guid, next_sync_state FROM ews_sync_folder_items(%L)', :'inbox')),
	format('(ErrorNonExistentMailbox,"No mailbox with such guid.",%s,)', :'mb'),
	'a stranger: ErrorNonExistentMailbox with the GUID and no state');
SELECT is(pg_temp.as_role('tap_sync_stranger',
	format('SELECT response_code, message_text, next_sync_state FROM ews_sync_folder_items(%L)',
	       pg_temp.ews_id('0e9d1c1a-8d2b-4c5e-9f6a-2b3c4d5e6f70', 1, pg_temp.local_id(:'inbox')))),
	'(ErrorNonExistentMailbox,"No mailbox with such guid.",)',
	'... exactly as for a mailbox that does not exist');
SELECT ews_add_delegate('tap-sync@example.com', 'tap-sync-other@example.com', 'reviewer');
SELECT ews_act_as('tap-sync-other@example.com');
SELECT is((SELECT count(*) FROM ews_sync_folder_items(:'inbox') WHERE change_type = 'Create'),
	(SELECT count(*) FROM ews.item WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox') AND NOT is_associated),
	'a reviewer (acting for its delegate user) may sync: every item');

SELECT * FROM finish();
ROLLBACK;
