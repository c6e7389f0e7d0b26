-- folders: CreateFolder, GetFolder, FindFolder, DeleteFolder
SELECT ews_folder_id('alice@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('alice@example.com', 'msgfolderroot') AS top \gset
SELECT ews_folder_id('alice@example.com', 'deleteditems') AS deleted \gset
SELECT ews_folder_id('alice@example.com', 'recoverableitemsdeletions') AS dumpster \gset
SELECT ews_folder_id('bob@example.com', 'inbox') AS bob_inbox \gset

-- create: class kept as given, NULL when none
SELECT folder_id AS projects, change_key AS projects_ck FROM ews_create_folder(:'inbox', 'Projects') \gset
SELECT folder_id AS cal2 FROM ews_create_folder(:'inbox', 'Team Calendar', 'IPF.Appointment') \gset
SELECT folder_id AS odd FROM ews_create_folder(:'inbox', 'Odd', 'X-Custom.Class') \gset
SELECT display_name, folder_class, parent_folder_id = :'inbox' AS under_inbox,
       response_code
  FROM ews_get_folder(ARRAY[:'projects', :'cal2', :'odd']);
-- sibling names are unique, case-insensitively; other parents may reuse them
SELECT response_class, response_code, message_text FROM ews_create_folder(:'inbox', 'PROJECTS');
SELECT response_code FROM ews_create_folder(:'projects', 'Projects');
-- bad names and parents
SELECT response_code, message_text FROM ews_create_folder(:'inbox', '');
SELECT response_code, message_text FROM ews_create_folder(:'inbox', '   ');
SELECT response_code, message_text FROM ews_create_folder(:'inbox', NULL);
SELECT response_code, message_text FROM ews_create_folder(:'inbox', repeat('x', 1025));
SELECT response_code, message_text FROM ews_create_folder('garbage', 'X');
SELECT response_code, message_text FROM ews_create_folder(NULL, 'X');
SELECT response_code FROM ews_create_folder(
  encode(overlay(decode(:'inbox', 'base64') placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64'), 'X');
-- none of the failures wrote anything
SELECT count(*) AS inbox_children FROM ews_find_folder(:'inbox');

-- get: one row per id, in order, duplicates included, errors in place
SELECT display_name, response_code
  FROM ews_get_folder(ARRAY[:'inbox', 'bad', :'projects', :'inbox']) WITH ORDINALITY AS g
 ORDER BY ordinality;
-- parent id carries the parent's change key
SELECT g.parent_folder_id = :'top' AS parent_is_top,
       g.parent_change_key = t.change_key AS parent_ck_matches
  FROM ews_get_folder(ARRAY[:'inbox']) g, ews_get_folder(ARRAY[:'top']) t;
-- root has no parent
SELECT parent_folder_id IS NULL AS no_parent, display_name
  FROM ews_get_folder(ARRAY[ews_folder_id('alice@example.com', 'root')]);

-- find: Shallow is the children by name; Deep the subtree in pre-order
SELECT folder_id AS sub FROM ews_create_folder(:'projects', 'Alpha') \gset
SELECT folder_id AS subsub FROM ews_create_folder(:'sub', 'Deeper') \gset
SELECT display_name, child_folder_count FROM ews_find_folder(:'inbox', 'Shallow');
SELECT display_name, child_folder_count FROM ews_find_folder(:'inbox', 'Deep');
SELECT response_code FROM ews_find_folder('bad', 'Deep');
SELECT * FROM ews_find_folder(:'inbox', 'Sideways');
SELECT count(*) FROM ews_find_folder(:'subsub', 'Deep');

-- delete: distinguished folders refused, in a batch with good ones
SELECT folder_id AS tmp1 FROM ews_create_folder(:'inbox', 'Tmp') \gset
SELECT folder_id = :'inbox' AS is_inbox, response_code, message_text
  FROM ews_delete_folder(ARRAY[:'inbox', :'tmp1', 'bad']);
SELECT response_code FROM ews_get_folder(ARRAY[:'tmp1']);
-- MoveToDeletedItems keeps the id, moves the subtree, changes the change key
SELECT response_code FROM ews_delete_folder(ARRAY[:'projects'], 'MoveToDeletedItems');
SELECT parent_folder_id = :'deleted' AS in_deleted_items, change_key <> :'projects_ck' AS new_change_key,
       child_folder_count
  FROM ews_get_folder(ARRAY[:'projects']);
SELECT display_name FROM ews_find_folder(:'deleted', 'Deep');
-- a second "Projects" deleted into the same place is renamed, not refused
SELECT folder_id AS projects2 FROM ews_create_folder(:'inbox', 'Projects') \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'projects2'], 'MoveToDeletedItems');
SELECT display_name FROM ews_find_folder(:'deleted');
-- SoftDelete goes out of sight into recoverableitemsdeletions
SELECT response_code FROM ews_delete_folder(ARRAY[:'projects2'], 'SoftDelete');
SELECT display_name FROM ews_find_folder(:'dumpster');
SELECT count(*) AS visible FROM ews_find_folder(:'top', 'Deep') WHERE folder_id = :'projects2';
-- HardDelete removes the subtree
SELECT response_code FROM ews_delete_folder(ARRAY[:'projects'], 'HardDelete');
SELECT response_code FROM ews_get_folder(ARRAY[:'projects', :'sub', :'subsub']);
SELECT count(*) AS orphans FROM ews.folder f
 WHERE f.parent_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM ews.folder p WHERE p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id);
SELECT * FROM ews_delete_folder(ARRAY[:'cal2'], 'Shred');
SELECT * FROM ews_delete_folder(NULL);

-- access: a stranger gets ErrorNonExistentMailbox, exactly as for a missing mailbox
SET ROLE ews_test_dave;
SELECT response_code, message_text, mailbox_guid IS NOT NULL AS has_guid FROM ews_get_folder(ARRAY[:'inbox']);
SELECT response_code FROM ews_create_folder(:'inbox', 'Intruder');
SELECT response_code FROM ews_delete_folder(ARRAY[:'cal2']);
SELECT response_code FROM ews_find_folder(:'inbox');
RESET ROLE;
SELECT response_code FROM ews_get_folder(ARRAY[:'cal2']);
