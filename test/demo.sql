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
