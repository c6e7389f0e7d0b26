-- test/pgtap/batch.sql: inside one call, later inputs see what earlier
-- inputs of the same call did (no lost update, no stale check).
BEGIN;
SELECT plan(14);
SELECT ews_create_mailbox('batch@example.com') IS NOT NULL AS created \gset
SELECT ews_folder_id('batch@example.com', 'inbox') AS inbox \gset
SELECT folder_id AS a FROM ews_create_folder(:'inbox', 'A') \gset
SELECT folder_id AS b FROM ews_create_folder(:'inbox', 'B') \gset
SELECT folder_id AS c FROM ews_create_folder(:'inbox', 'C') \gset
SELECT folder_id AS t FROM ews_create_folder(:'inbox', 'T') \gset

-- the same folder twice in one delete
SELECT results_eq(
	format('SELECT response_code FROM ews_delete_folder(ARRAY[%L, %L])', :'a', :'a'),
	ARRAY['NoError', 'ErrorFolderNotFound'],
	'ews_delete_folder(ARRAY[a, a]): the second finds it gone');

-- the same folder twice in one move: the second moves it to its own parent
SELECT results_eq(
	format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L, %L])', :'t', :'b', :'b'),
	ARRAY['NoError', 'NoError'],
	'ews_move_folder(t, ARRAY[b, b]) moves it once and then within its parent');
SELECT results_eq(
	format('SELECT parent_folder_id FROM ews_get_folder(ARRAY[%L])', :'b'),
	ARRAY[:'t'],
	'b is under t');

-- b under c and c under b in one statement: the second would make a cycle
SELECT results_eq(
	format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])
	        UNION ALL SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'c', :'b', :'b', :'c'),
	ARRAY['NoError', 'ErrorMoveCopyFailed'],
	'moving b under c and c under b in one statement: the second is refused');
SELECT results_eq(
	format('SELECT count(*)::int FROM ews_find_folder(ews_folder_id(''batch@example.com'', ''root''), ''Deep'')
	         WHERE folder_id IN (%L, %L)', :'b', :'c'),
	ARRAY[2],
	'both are still in the tree');

-- a folder copied twice into the same parent: the second copy's name is taken
SELECT results_eq(
	format('SELECT response_code FROM ews_copy_folder(%L, ARRAY[%L, %L])', :'inbox', :'b', :'b'),
	ARRAY['NoError', 'ErrorMoveCopyFailed'],
	'ews_copy_folder(inbox, ARRAY[b, b]): the second copy finds the name taken');
SELECT is(
	(SELECT count(*)::int FROM ews_find_folder(:'inbox') WHERE display_name = 'B'),
	1, 'one copy named B in the inbox');

-- items: two updates with the same change key in one batch
SELECT item_id AS i, change_key AS ck FROM ews_create_item(:'inbox',
	convert_to(E'Subject: batch\r\n\r\nbody\r\n', 'UTF8')) \gset
SELECT data AS blob FROM ews_export_items(ARRAY[:'i']) \gset
SELECT results_eq(
	format('SELECT response_code FROM ews_upload_items(ARRAY[%L, %L], ARRAY[%L::bytea, %L::bytea],
	        ARRAY[''Update'', ''Update''], ARRAY[%L, %L], ARRAY[%L, %L])',
	       :'inbox', :'inbox', :'blob', :'blob', :'i', :'i', :'ck', :'ck'),
	ARRAY['NoError', 'ErrorIrresolvableConflict'],
	'two Updates with one change key in one batch: the second is a conflict, no lost update');
SELECT change_key AS ck2 FROM ews_export_items(ARRAY[:'i']) \gset
SELECT isnt(:'ck2'::text, :'ck'::text, 'the item has a new change key');
SELECT results_eq(
	format('SELECT response_code FROM ews_upload_items(ARRAY[%L, %L], ARRAY[%L::bytea, %L::bytea],
	        ARRAY[''UpdateOrCreate'', ''UpdateOrCreate''], ARRAY[%L, %L], ARRAY[%L, %L])',
	       :'inbox', :'inbox', :'blob', :'blob', :'i', :'i', :'ck2', :'ck2'),
	ARRAY['NoError', 'ErrorIrresolvableConflict'],
	'UpdateOrCreate twice of one id with one change key: the second is a conflict');
SELECT is((SELECT count(*)::int FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'batch@example.com'), 1,
	'UpdateOrCreate did not create a second item');
-- an update and a stale update of the same item, then a fresh one
SELECT change_key AS ck3 FROM ews_export_items(ARRAY[:'i']) \gset
SELECT results_eq(
	format('SELECT response_code FROM ews_upload_items(ARRAY[%L, %L], ARRAY[%L::bytea, %L::bytea],
	        ARRAY[''Update'', ''Update''], ARRAY[%L, %L], ARRAY[%L, %L])',
	       :'inbox', :'inbox', :'blob', :'blob', :'i', :'i', :'ck2', :'ck3'),
	ARRAY['ErrorIrresolvableConflict', 'NoError'],
	'a stale change key is a conflict, the current one in the same batch succeeds');

-- a deleted folder in the same batch is not a parent any more
SELECT results_eq(
	format('SELECT response_code FROM ews_delete_folder(ARRAY[%L]) UNION ALL
	        SELECT response_code FROM ews_create_folder(%L, ''x'')', :'c', :'c'),
	ARRAY['NoError', 'ErrorParentFolderNotFound'],
	'a folder deleted earlier in the statement is no parent');
SELECT results_eq(
	format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[%L::bytea])', :'c', :'blob'),
	ARRAY['ErrorParentFolderNotFound'],
	'nor a parent for an upload');
SELECT * FROM finish();
ROLLBACK;
