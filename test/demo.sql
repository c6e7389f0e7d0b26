\echo '== CREATE EXTENSION ews; a demo mailbox with Exchange''s default tree'
CREATE EXTENSION ews;
SELECT ews_create_mailbox('demo@example.com', 'Demo User') AS mailbox_guid;
SELECT ews_folder_id('demo@example.com', 'root') AS root \gset
SELECT ews_folder_id('demo@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('demo@example.com', 'junkemail') AS junk \gset

\echo '== create a folder under the inbox'
SELECT folder_id AS projects, change_key, response_code
  FROM ews_create_folder(:'inbox', 'Projects') \gset
SELECT :'projects' AS "Projects FolderId", :'change_key' AS "ChangeKey";

\echo '== the folder tree (FindFolder Deep from root)'
SELECT repeat('  ', depth) || display_name AS folder, folder_class, distinguished_folder_id
  FROM (
    WITH RECURSIVE d AS (
      SELECT folder_id, 1 AS depth FROM ews_find_folder(:'root', 'Shallow')
      UNION ALL
      SELECT c.folder_id, d.depth + 1 FROM d, ews_find_folder(d.folder_id, 'Shallow') c
    )
    SELECT f.*, d.depth FROM ews_find_folder(:'root', 'Deep') WITH ORDINALITY f JOIN d USING (folder_id)
     ORDER BY f.ordinality
  ) t;

\echo '== MoveFolder: Projects into junkemail keeps its FolderId and gets a new ChangeKey'
SELECT folder_id = :'projects' AS "same FolderId", change_key AS "new ChangeKey",
       change_key <> :'change_key' AS "ChangeKey changed", response_class, response_code
  FROM ews_move_folder(:'junk', ARRAY[:'projects']);
SELECT display_name, parent_folder_id = :'junk' AS "in Junk Email"
  FROM ews_get_folder(ARRAY[:'projects']);

\echo '== MoveFolder: a distinguished folder cannot be moved'
SELECT response_class, response_code, message_text
  FROM ews_move_folder(:'junk', ARRAY[:'inbox']);

\echo
\echo '== SOAP: ews_soap() answers EWS requests; here the seed requests, with real ids'
SELECT item_id AS item1 FROM ews_create_item(:'inbox', convert_to(E'From: alice@example.com\r\nTo: demo@example.com\r\nSubject: Hello\r\nMessage-ID: <1@example.com>\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\n\r\nFirst message.\r\n', 'UTF8')) \gset
SELECT item_id AS item2 FROM ews_create_item(:'inbox', convert_to(E'From: bob@example.com\r\nTo: demo@example.com\r\nSubject: Lunch?\r\nMessage-ID: <2@example.com>\r\nDate: Mon, 16 Nov 2026 11:30:00 +0000\r\n\r\nNoon at the usual place.\r\n', 'UTF8')) \gset
SELECT item_id AS item3 FROM ews_create_item(:'inbox', convert_to(E'From: carol@example.com\r\nTo: demo@example.com\r\nSubject: Report\r\nMessage-ID: <3@example.com>\r\nDate: Tue, 17 Nov 2026 08:15:00 +0000\r\n\r\nThe report is attached.\r\n', 'UTF8')) \gset
-- an item id of a mailbox that does not exist: the demo item's id with another GUID
SELECT encode(overlay(decode(:'item3', 'base64') PLACING convert_to('f3f6f699-2254-40ce-9994-388d9d98419e', 'UTF8') FROM 5 FOR 36), 'base64') AS foreign_item \gset
\set seed000 `cat test/soap/seed000_export_items.xml`
\set seed003 `cat test/soap/seed003_move_folder.xml`
\set QUIET on
\pset tuples_only on
\pset format unaligned
\set QUIET off

\echo
\echo '-- seed 000: ExportItems of three items (the request as published, https:// namespaces)'
SELECT status, response FROM ews_soap(replace(replace(replace(:'seed000', '${ITEM1}', :'item1'),
         '${ITEM2}', :'item2'), '${ITEM3}', :'item3'), 'demo@example.com') \gset
\echo HTTP :status
SELECT :'response' \g |xmllint --format -

\echo
\echo '-- seed 000, error example: the second id with a wrong change key, the third of another mailbox'
SELECT status, response FROM ews_soap(replace(replace(replace(:'seed000', '${ITEM1}', :'item1'),
         '${ITEM2}', :'item2' || '" ChangeKey="CQAAAA=='), '${ITEM3}', :'foreign_item'), 'demo@example.com') \gset
\echo HTTP :status
SELECT :'response' \g |xmllint --format -

\echo
\echo '-- seed 003: MoveFolder of a folder into junkemail'
SELECT folder_id AS old_projects FROM ews_create_folder(:'inbox', 'Old Projects') \gset
SELECT status, response FROM ews_soap(replace(:'seed003', '${FOLDER}', :'old_projects'), 'demo@example.com') \gset
\echo HTTP :status
SELECT :'response' \g |xmllint --format -

\echo
\echo '-- seed 003, error example: MoveFolder of a distinguished folder (the inbox)'
SELECT status, response FROM ews_soap(replace(:'seed003', '${FOLDER}', :'inbox'), 'demo@example.com') \gset
\echo HTTP :status
SELECT :'response' \g |xmllint --format -

\echo
\echo '-- a request that is not XML: a SOAP fault, HTTP 500'
SELECT status, response FROM ews_soap('<soap:Envelope', 'demo@example.com') \gset
\echo HTTP :status
SELECT :'response' \g |xmllint --format -
