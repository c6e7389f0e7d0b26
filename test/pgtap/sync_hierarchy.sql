-- SyncFolderHierarchy through its SQL twin (src/sync.c): a first sync
-- returns every folder below the synced one as Create, parents first; later
-- syncs report new folders as Create, moved ones as Update, folders moved
-- out of the synced subtree (with everything below them) as Delete and into
-- it as Create, removed ones as Delete, nothing for a folder that came and
-- went; counts are not changes; states bound to their root; bad states.
BEGIN;
\set ECHO none
\i test/blob_helpers.sql
\i test/sync_helpers.sql
\set ECHO all
SELECT plan(33);

SELECT ews_create_mailbox('tap-hier@example.com', 'Hier') IS NOT NULL AS created \gset
SELECT ews_create_mailbox('tap-hier-other@example.com', 'Other') IS NOT NULL AS created \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-hier@example.com' \gset
SELECT ews_folder_id('tap-hier@example.com', 'msgfolderroot') AS top \gset
SELECT ews_folder_id('tap-hier@example.com', 'root') AS root \gset
SELECT ews_folder_id('tap-hier@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-hier@example.com', 'junkemail') AS junk \gset
SELECT ews_folder_id('tap-hier@example.com', 'deleteditems') AS trash \gset
SELECT ews_folder_id('tap-hier-other@example.com', 'msgfolderroot') AS other_top \gset

-- the changes of one sync, in order, as "Kind name" (Delete by id)
CREATE FUNCTION pg_temp.hsync(root text, st text) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(change_type || ' ' || coalesce(display_name, folder_id), ', ' ORDER BY n), '')
	  FROM (SELECT *, row_number() OVER () AS n FROM ews_sync_folder_hierarchy(root, st)) s
	 WHERE change_type IS NOT NULL
$$;
CREATE FUNCTION pg_temp.hstate(root text, st text) RETURNS text LANGUAGE sql AS $$
	SELECT next_sync_state FROM ews_sync_folder_hierarchy(root, st) WHERE change_type IS NULL
$$;

-- the first sync: every folder below msgfolderroot, parents before children
CREATE TEMP TABLE first AS
SELECT row_number() OVER () AS n, * FROM ews_sync_folder_hierarchy(:'top');
SELECT is((SELECT count(*) FROM first WHERE change_type = 'Create'),
	(SELECT count(*) FROM ews_find_folder(:'top', 'Deep')),
	'a first sync: every folder below the synced folder, once, as Create');
SELECT is((SELECT count(*) FROM first WHERE change_type IS NOT NULL AND change_type <> 'Create'), 0::bigint,
	'... and nothing else');
SELECT ok(NOT EXISTS (SELECT 1 FROM first c JOIN first p ON p.folder_id = c.parent_folder_id WHERE p.n > c.n),
	'parents come before their children');
SELECT results_eq($$SELECT display_name, folder_class, distinguished_folder_id, parent_folder_id = '$$ || :'top' || $$'
                      FROM first WHERE display_name = 'Inbox'$$,
	$$VALUES ('Inbox'::text, 'IPF.Note'::text, 'inbox'::text, true)$$,
	'a folder comes with its name, class, distinguished name and parent');
SELECT results_eq($$SELECT response_code, includes_last_folder_in_range, length(next_sync_state) FROM first WHERE change_type IS NULL$$,
	$$VALUES ('NoError'::text, true, 60)$$, 'the last row: NoError, IncludesLastFolderInRange, a 60-character state');
SELECT sync_state AS s0 FROM (SELECT next_sync_state AS sync_state FROM first WHERE change_type IS NULL) x \gset

-- nothing changed; a content change of a folder is no hierarchy change
SELECT count(*) FROM pg_temp.add(:'inbox', ARRAY['a message']);
SELECT is(pg_temp.hsync(:'top', :'s0'), '', 'no hierarchy change (a new item in the inbox is none)');
SELECT is(pg_temp.hstate(:'top', :'s0'), :'s0', 'and the same state comes back');

-- new folders, a new tree
SELECT folder_id AS projects FROM ews_create_folder(:'inbox', 'Projects') \gset
SELECT folder_id AS alpha FROM ews_create_folder(:'projects', 'Alpha', 'IPF.Note') \gset
SELECT folder_id AS beta FROM ews_create_folder(:'alpha', 'Beta') \gset
SELECT folder_id AS fleeting FROM ews_create_folder(:'inbox', 'Fleeting') \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'fleeting']);
SELECT is(pg_temp.hsync(:'top', :'s0'), 'Create Projects, Create Alpha, Create Beta',
	'new folders: Create, parents first; a folder made and removed since: nothing');
SELECT pg_temp.hstate(:'top', :'s0') AS s1 \gset

-- a move inside the subtree is an Update of the moved folder only
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'alpha']);
SELECT is(pg_temp.hsync(:'top', :'s1'), 'Update Alpha', 'a move inside the synced subtree: Update');
SELECT is((SELECT parent_folder_id FROM ews_sync_folder_hierarchy(:'top', :'s1') WHERE display_name = 'Alpha'), :'junk',
	'... with its new parent');
SELECT pg_temp.hstate(:'top', :'s1') AS s2 \gset
-- a move to the parent it has is a change too (a new ChangeKey)
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'alpha']);
SELECT is(pg_temp.hsync(:'top', :'s2'), 'Update Alpha', 'a move to the same parent: Update');
SELECT pg_temp.hstate(:'top', :'s2') AS s3 \gset

-- syncing the inbox's subtree: moves out and back in
SELECT pg_temp.hstate(:'inbox', NULL) AS i0 \gset
SELECT is(pg_temp.hsync(:'inbox', NULL), 'Create Projects', 'the inbox subtree holds Projects');
SELECT response_code FROM ews_move_folder(:'projects', ARRAY[:'alpha']);
SELECT is(pg_temp.hsync(:'inbox', :'i0'), 'Create Alpha, Create Beta',
	'a folder moved into the synced subtree: Create, with everything below it');
SELECT is(pg_temp.hsync(:'top', :'s3'), 'Update Alpha', '... and for the whole mailbox just an Update');
SELECT pg_temp.hstate(:'inbox', :'i0') AS i1 \gset
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'projects']);
SELECT is(pg_temp.hsync(:'inbox', :'i1'),
	format('Delete %s, Delete %s, Delete %s', :'projects', :'alpha', :'beta'),
	'a folder moved out of the synced subtree: Delete, with everything below it');
SELECT pg_temp.hstate(:'inbox', :'i1') AS i2 \gset
SELECT response_code FROM ews_move_folder(:'inbox', ARRAY[:'projects']);
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'projects']);
SELECT is(pg_temp.hsync(:'inbox', :'i2'), '', 'moved in and out again between two syncs: nothing');
SELECT response_code FROM ews_move_folder(:'inbox', ARRAY[:'projects']);
SELECT is(pg_temp.hsync(:'inbox', :'i2'), 'Create Projects, Create Alpha, Create Beta', 'and back in: Create');
SELECT pg_temp.hstate(:'inbox', :'i2') AS i3 \gset
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'projects']);
SELECT response_code FROM ews_move_folder(:'inbox', ARRAY[:'projects']);
SELECT is(pg_temp.hsync(:'inbox', :'i3'), 'Update Projects', 'out and back in between two syncs: an Update');
SELECT pg_temp.hstate(:'inbox', :'i3') AS i4 \gset

-- deletes
SELECT pg_temp.hstate(:'top', :'s3') AS s4 \gset
SELECT folder_id AS gamma FROM ews_create_folder(:'inbox', 'Gamma') \gset
SELECT pg_temp.hstate(:'top', :'s4') AS s5 \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'alpha'], 'HardDelete');
SELECT is(pg_temp.hsync(:'top', :'s5'), format('Delete %s, Delete %s', :'alpha', :'beta'),
	'HardDelete: Delete for the folder and everything below it');
SELECT is(pg_temp.hsync(:'inbox', :'i4'), format('Delete %s, Delete %s, Create Gamma', :'alpha', :'beta'),
	'... also in a sync of a subtree that held them; Deletes come first');
SELECT response_code FROM ews_delete_folder(ARRAY[:'gamma'], 'SoftDelete');
SELECT is(pg_temp.hsync(:'inbox', :'i4'), format('Delete %s, Delete %s', :'alpha', :'beta'),
	'SoftDelete (into Recoverable Items): out of the inbox, a Delete; Gamma came and went');
SELECT is((SELECT change_type FROM ews_sync_folder_hierarchy(:'root', NULL) WHERE folder_id = :'gamma'), 'Create',
	'the whole mailbox still holds it, under Recoverable Items');
SELECT pg_temp.hstate(:'root', NULL) AS r0 \gset
SELECT folder_id AS delta FROM ews_create_folder(:'inbox', 'Delta') \gset
SELECT pg_temp.hstate(:'root', NULL) AS r1 \gset
SELECT pg_temp.hstate(:'top', :'s5') AS s6 \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'delta'], 'MoveToDeletedItems');
SELECT is(pg_temp.hsync(:'root', :'r1'), 'Update Delta', 'MoveToDeletedItems, seen from the root: an Update');
SELECT is(pg_temp.hsync(:'top', :'s6'), 'Update Delta', '... and from msgfolderroot too (Deleted Items is below it)');
SELECT response_code FROM ews_delete_folder(ARRAY[:'delta'], 'SoftDelete');
SELECT is(pg_temp.hsync(:'top', :'s6'), format('Delete %s', :'delta'), 'SoftDelete from msgfolderroot''s view: Delete');

-- CopyFolder: Creates
SELECT pg_temp.hstate(:'top', :'s6') AS s7 \gset
SELECT folder_id AS copy FROM ews_copy_folder(:'junk', ARRAY[:'projects']) \gset
SELECT is(pg_temp.hsync(:'top', :'s7'), 'Create Projects', 'a copy: Create of the new folder');

-- bad states, and states bound to their root
CREATE TEMP TABLE bad (what text, root text, st text, why text);
INSERT INTO bad VALUES
	('garbage', :'top', 'x', 'it is not base64 as this server writes it'),
	('another root''s', :'inbox', :'s7', 'it was made for another folder hierarchy'),
	('another mailbox''s', :'other_top', :'s7', 'it was made for another folder hierarchy'),
	('an items state', :'top', pg_temp.state_make(1, 0, :'mb', pg_temp.local_id(:'top'), 1), 'it was made by SyncFolderItems, not SyncFolderHierarchy'),
	('a byte changed', :'top', pg_temp.b64(set_byte(decode(:'s7', 'base64'), 33, get_byte(decode(:'s7', 'base64'), 33) # 128)),
	 'its checksum does not match'),
	('made without a SyncFolderId', :'root', pg_temp.state_make(2, 0, :'mb', pg_temp.local_id(:'root'), 1),
	 'it was made without a SyncFolderId, and this request has one'),
	('from the future', :'top', pg_temp.state_make(2, 1, :'mb', pg_temp.local_id(:'top'), 9223372036854775806),
	 'it is newer than the folder hierarchy (made in a transaction that rolled back, or before the database was restored)');
SELECT results_eq(
	$$SELECT b.what, s.response_code, s.message_text, s.next_sync_state, s.includes_last_folder_in_range
	    FROM bad b, ews_sync_folder_hierarchy(b.root, b.st) s ORDER BY b.what$$,
	$$SELECT what, 'ErrorInvalidSyncStateData'::text,
	         'The sync state is not valid: ' || why || '. Synchronize again without a SyncState.',
	         NULL::text, true FROM bad ORDER BY what$$,
	'every bad state: ErrorInvalidSyncStateData saying why, no state, IncludesLastFolderInRange true');
SELECT is((SELECT flags FROM (SELECT get_byte(decode(:'s7', 'base64'), 6) AS flags) x), 1,
	'a state made with a SyncFolderId says so');

-- without a SyncFolderId: the acting mailbox's root; its state is not the root's
SELECT ews_act_as('tap-hier@example.com');
SELECT next_sync_state AS whole FROM ews_sync_folder_hierarchy() WHERE change_type IS NULL \gset
SELECT is((SELECT count(*) FROM ews_sync_folder_hierarchy() WHERE change_type = 'Create'),
	(SELECT count(*) FROM ews_sync_folder_hierarchy(:'root') WHERE change_type = 'Create'),
	'no SyncFolderId: the whole mailbox, as its root');
SELECT is((SELECT response_code FROM ews_sync_folder_hierarchy(:'root', :'whole')), 'ErrorInvalidSyncStateData',
	'a state made without a SyncFolderId does not serve a request with the root''s');
SELECT is((SELECT count(*) FROM ews_sync_folder_hierarchy(NULL, :'whole') WHERE change_type IS NOT NULL), 0::bigint,
	'it serves the next request without one');

-- folder errors
SELECT results_eq($$SELECT response_code, next_sync_state, includes_last_folder_in_range FROM ews_sync_folder_hierarchy('nope')$$,
	$$VALUES ('ErrorInvalidIdMalformed'::text, NULL::text, true)$$, 'a malformed folder id');
SELECT is((SELECT response_code FROM ews_sync_folder_hierarchy(:'alpha')), 'ErrorSyncFolderNotFound',
	'a removed folder: ErrorSyncFolderNotFound');

SELECT * FROM finish();
ROLLBACK;
