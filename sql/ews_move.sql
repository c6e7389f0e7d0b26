-- MoveFolder and CopyFolder: the rules, their response codes, batches,
-- subtransactions, deep copies, and the caller's transaction
SELECT ews_create_mailbox('mover@example.com', 'Mover') IS NOT NULL AS created;
SELECT ews_folder_id('mover@example.com', 'root') AS root \gset
SELECT ews_folder_id('mover@example.com', 'msgfolderroot') AS top \gset
SELECT ews_folder_id('mover@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('mover@example.com', 'junkemail') AS junk \gset
SELECT ews_folder_id('mover@example.com', 'deleteditems') AS deleted \gset
SELECT ews_folder_id('mover@example.com', 'syncissues') AS syncissues \gset
SELECT ews_folder_id('bob@example.com', 'inbox') AS bob_inbox \gset

-- test helpers: the local id inside a FolderId, and items stored directly
-- (the item API is not part of this test): a blob of known bytes each, the
-- next article number of its folder, and the folder's counters
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql AS
  $$SELECT ('x' || encode(substring(decode(id, 'base64') from 45 for 8), 'hex'))::bit(64)::bigint$$;
CREATE FUNCTION pg_temp.add_item(folder text, subject text, associated boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO ews.item (mailbox_id, item_id, folder_id, item_class, change_number, subject, size,
                        is_associated, blob, article_number, created_cn, content_cn, created_at)
  SELECT m.mailbox_id, nextval('ews.local_id_seq'), pg_temp.local_id(folder), 'IPM.Note',
         cn, subject, 32, associated,
         convert_to('blob of ' || subject, 'UTF8') || '\x00ff'::bytea,
         f.next_article, cn, cn, now()
    FROM ews.mailbox m JOIN ews.folder f ON f.mailbox_id = m.mailbox_id AND f.folder_id = pg_temp.local_id(folder),
         nextval('ews.change_seq') AS cn
   WHERE m.smtp_address = 'mover@example.com';
UPDATE ews.folder f
   SET next_article = s.n + 1, total_count = s.total, unread_count = s.unread, assoc_count = s.assoc
  FROM (SELECT mailbox_id, folder_id, count(*) AS n, count(*) FILTER (WHERE NOT is_associated) AS total,
               count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,
               count(*) FILTER (WHERE is_associated) AS assoc
          FROM ews.item GROUP BY mailbox_id, folder_id) s
 WHERE s.mailbox_id = f.mailbox_id AND s.folder_id = f.folder_id;$$;
-- the whole mailbox as text: parent, name, class, distinguished, change number, items
CREATE FUNCTION pg_temp.tree() RETURNS text LANGUAGE sql AS $$
  SELECT md5(string_agg(format('%s/%s/%s/%s/%s/%s/%s', f.folder_id, f.parent_id, f.display_name,
                               f.folder_class, f.distinguished, f.change_number,
                               (SELECT string_agg(i.item_id || ':' || i.change_number || ':' || md5(i.blob), ','
                                                  ORDER BY i.item_id)
                                  FROM ews.item i WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id)),
                        ';' ORDER BY f.folder_id))
    FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id) WHERE m.smtp_address = 'mover@example.com'$$;

-- a tree with items: Projects (2 items) > Alpha (1 item, 1 associated) > Deeper (1 item)
SELECT folder_id AS projects, change_key AS projects_ck FROM ews_create_folder(:'inbox', 'Projects', 'IPF.Note') \gset
SELECT folder_id AS alpha FROM ews_create_folder(:'projects', 'Alpha') \gset
SELECT folder_id AS deeper, change_key AS deeper_ck FROM ews_create_folder(:'alpha', 'Deeper', 'IPF.Task') \gset
SELECT pg_temp.add_item(:'projects', 'p1'), pg_temp.add_item(:'projects', 'p2'),
       pg_temp.add_item(:'alpha', 'a1'), pg_temp.add_item(:'alpha', 'a-hidden', true),
       pg_temp.add_item(:'deeper', 'd1');

-- the seed: a folder moved into junkemail keeps its id and gets a new change key
SELECT folder_id = :'projects' AS same_id, change_key <> :'projects_ck' AS new_change_key,
       response_class, response_code, message_text
  FROM ews_move_folder(:'junk', ARRAY[:'projects']);
SELECT parent_folder_id = :'junk' AS in_junk, display_name, folder_class, total_count, child_folder_count
  FROM ews_get_folder(ARRAY[:'projects']);
-- the returned change key is the folder's current one
SELECT m.change_key = g.change_key AS ck_is_current
  FROM ews_move_folder(:'inbox', ARRAY[:'projects']) m, ews_get_folder(ARRAY[:'projects']) g;
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'projects']);
-- subfolders and items travel; the subtree itself is untouched (same change keys below)
SELECT display_name, total_count FROM ews_find_folder(:'junk', 'Deep');
SELECT change_key = :'deeper_ck' AS deeper_untouched FROM ews_get_folder(ARRAY[:'deeper']);
SELECT count(*) AS items_below_junk FROM ews.item i
 WHERE i.folder_id IN (pg_temp.local_id(:'projects'), pg_temp.local_id(:'alpha'), pg_temp.local_id(:'deeper'));
SELECT count(*) AS inbox_children FROM ews_find_folder(:'inbox');

-- the seed: a distinguished folder cannot be moved
SELECT response_class, response_code, message_text FROM ews_move_folder(:'junk', ARRAY[:'inbox']);
SELECT response_code FROM ews_move_folder(:'junk', ARRAY[:'root', :'top', :'deleted', :'syncissues']);
SELECT parent_folder_id = :'top' AS inbox_still_under_top FROM ews_get_folder(ARRAY[:'inbox']);

-- moving a folder to the parent it already has succeeds and changes the change key
SELECT change_key AS before_ck FROM ews_get_folder(ARRAY[:'alpha']) \gset
SELECT folder_id = :'alpha' AS same_id, change_key <> :'before_ck' AS new_change_key, response_code
  FROM ews_move_folder(:'projects', ARRAY[:'alpha']);

-- every refusal, and none of them changes anything
-- into itself, into a descendant (a cycle), over a sibling of the same name (any case)
SELECT folder_id AS clash FROM ews_create_folder(:'inbox', 'ALPHA') \gset
SELECT pg_temp.tree() AS tree_before \gset
SELECT response_code, message_text FROM ews_move_folder(:'projects', ARRAY[:'projects']);
SELECT response_code, message_text FROM ews_move_folder(:'deeper', ARRAY[:'projects']);
SELECT response_code, message_text FROM ews_move_folder(:'alpha', ARRAY[:'projects']);
SELECT response_code, message_text FROM ews_move_folder(:'inbox', ARRAY[:'alpha']);
-- the target: missing, malformed, an item id, an unknown mailbox; every source gets its error
SELECT response_code, message_text FROM ews_move_folder(
  encode(overlay(decode(:'inbox', 'base64') placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64'),
  ARRAY[:'alpha', :'deeper']);
SELECT response_code, message_text FROM ews_move_folder('not an id', ARRAY[:'alpha', :'deeper']);
SELECT response_code, message_text FROM ews_move_folder(NULL, ARRAY[:'alpha']);
SELECT response_code FROM ews_move_folder(
  encode(overlay(decode(:'inbox', 'base64') placing '\x02'::bytea from 44 for 1), 'base64'), ARRAY[:'alpha']);
SELECT response_code, mailbox_guid = '00000000-0000-0000-0000-00000000abcd' AS names_guid
  FROM ews_move_folder(
    encode(overlay(decode(:'inbox', 'base64') placing convert_to('00000000-0000-0000-0000-00000000abcd', 'UTF8')
                   from 5 for 36), 'base64'), ARRAY[:'alpha']);
-- the sources: missing, malformed, empty, NULL, an item id
SELECT response_code, message_text FROM ews_move_folder(:'inbox', ARRAY[
  encode(overlay(decode(:'alpha', 'base64') placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64'),
  'AAMk', '', NULL,
  encode(overlay(decode(:'alpha', 'base64') placing '\x02'::bytea from 44 for 1), 'base64')]) WITH ORDINALITY
 ORDER BY ordinality;
-- another mailbox, either way round
SELECT response_code, message_text FROM ews_move_folder(:'bob_inbox', ARRAY[:'alpha']);
SELECT folder_id AS bobs FROM ews_create_folder(:'bob_inbox', 'Bobs') \gset
SELECT response_code, message_text FROM ews_move_folder(:'inbox', ARRAY[:'bobs']);
SELECT response_code, message_text FROM ews_copy_folder(:'inbox', ARRAY[:'bobs']);
SELECT parent_folder_id = :'bob_inbox' AS bobs_stayed FROM ews_get_folder(ARRAY[:'bobs']);
SELECT pg_temp.tree() = :'tree_before' AS nothing_changed;

-- a batch: one row per source, in order; failures do not undo the others
SELECT folder_id AS b1 FROM ews_create_folder(:'inbox', 'Batch One') \gset
SELECT folder_id AS b2 FROM ews_create_folder(:'inbox', 'Batch Two') \gset
SELECT ordinality, folder_id = (ARRAY[:'b1', :'inbox', :'b2', 'bad', :'b1'])[ordinality] AS same_id,
       response_code
  FROM ews_move_folder(:'deleted', ARRAY[:'b1', :'inbox', :'b2', 'bad', :'b1']) WITH ORDINALITY
 ORDER BY ordinality;
SELECT display_name FROM ews_find_folder(:'deleted');
-- two sources of the same name: the second finds the first already there
SELECT folder_id AS n1 FROM ews_create_folder(:'inbox', 'Twin') \gset
SELECT folder_id AS n2 FROM ews_create_folder(:'projects', 'twin') \gset
SELECT response_code, message_text FROM ews_move_folder(:'deleted', ARRAY[:'n1', :'n2']) WITH ORDINALITY
 ORDER BY ordinality;
SELECT * FROM ews_move_folder(:'deleted', NULL);
SELECT count(*) FROM ews_move_folder(:'deleted', '{}');

-- each source in a subtransaction: an unexpected error in one (here a
-- trigger) rolls back that one completely and the batch goes on
CREATE FUNCTION pg_temp.poison_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.subject = 'poison' THEN RAISE EXCEPTION 'poisoned item'; END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION pg_temp.poison_folder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.display_name = 'Poison' THEN RAISE EXCEPTION 'poisoned folder'; END IF;
  RETURN NEW;
END $$;
SELECT folder_id AS poison FROM ews_create_folder(:'inbox', 'Poison') \gset
SELECT folder_id AS carrier FROM ews_create_folder(:'inbox', 'Carrier') \gset
SELECT folder_id AS carrier_sub FROM ews_create_folder(:'carrier', 'Sub') \gset
SELECT pg_temp.add_item(:'carrier', 'fine'), pg_temp.add_item(:'carrier_sub', 'poison');
CREATE TRIGGER poison BEFORE UPDATE ON ews.folder FOR EACH ROW EXECUTE FUNCTION pg_temp.poison_folder();
CREATE TRIGGER poison BEFORE INSERT ON ews.item FOR EACH ROW EXECUTE FUNCTION pg_temp.poison_item();
SELECT folder_id AS b3 FROM ews_create_folder(:'inbox', 'Batch Three') \gset
SELECT folder_id AS b4 FROM ews_create_folder(:'inbox', 'Batch Four') \gset
SELECT pg_temp.tree() AS tree_before \gset
SELECT response_code, message_text FROM ews_move_folder(:'junk', ARRAY[:'poison', :'b3']) WITH ORDINALITY
 ORDER BY ordinality;
SELECT display_name, parent_folder_id = :'inbox' AS still_in_inbox FROM ews_get_folder(ARRAY[:'poison']);
-- the copy of Carrier inserts its folders before the poisoned item fails: all of it goes
SELECT response_code, message_text FROM ews_copy_folder(:'junk', ARRAY[:'carrier', :'b4']) WITH ORDINALITY
 ORDER BY ordinality;
SELECT display_name FROM ews_find_folder(:'junk');
SELECT count(*) AS carrier_folders FROM ews.folder WHERE display_name IN ('Carrier', 'Sub');
SELECT count(*) AS fine_items FROM ews.item WHERE subject = 'fine';
DROP TRIGGER poison ON ews.folder;
DROP TRIGGER poison ON ews.item;

-- copy: deep, new ids and change keys, same names, classes and blobs
SELECT folder_id AS projects_copy, change_key AS projects_copy_ck, response_code
  FROM ews_copy_folder(:'inbox', ARRAY[:'projects']) \gset
SELECT :'response_code' AS response_code, :'projects_copy' <> :'projects' AS new_id;
SELECT change_key = :'projects_copy_ck' AS ck_is_current, parent_folder_id = :'inbox' AS in_inbox,
       distinguished_folder_id IS NULL AS ordinary
  FROM ews_get_folder(ARRAY[:'projects_copy']);
-- the same tree of names and classes, with new ids throughout
SELECT (SELECT array_agg(display_name || ':' || coalesce(folder_class, '-') || ':' || total_count
                         ORDER BY ordinality)
          FROM ews_find_folder(:'projects', 'Deep') WITH ORDINALITY) =
       (SELECT array_agg(display_name || ':' || coalesce(folder_class, '-') || ':' || total_count
                         ORDER BY ordinality)
          FROM ews_find_folder(:'projects_copy', 'Deep') WITH ORDINALITY) AS same_tree;
SELECT display_name, folder_class, total_count FROM ews_find_folder(:'projects_copy', 'Deep');
SELECT count(*) AS shared_ids FROM ews_find_folder(:'projects_copy', 'Deep') c
  JOIN ews_find_folder(:'projects', 'Deep') o ON o.folder_id = c.folder_id OR o.change_key = c.change_key;
-- items: the same blobs, subjects, flags; new ids and change numbers
WITH RECURSIVE sub(root, folder_id) AS (
  SELECT x, pg_temp.local_id(x) FROM unnest(ARRAY[:'projects', :'projects_copy']) x
  UNION ALL
  SELECT s.root, f.folder_id FROM sub s JOIN ews.folder f ON f.parent_id = s.folder_id
), items AS (
  SELECT s.root = :'projects' AS original, i.* FROM sub s JOIN ews.item i ON i.folder_id = s.folder_id
)
SELECT (SELECT count(*) FROM items WHERE original) AS original_items,
       (SELECT count(*) FROM items WHERE NOT original) AS copied_items,
       (SELECT array_agg(md5(blob) || subject || is_associated ORDER BY subject) FROM items WHERE original) =
       (SELECT array_agg(md5(blob) || subject || is_associated ORDER BY subject) FROM items WHERE NOT original)
         AS same_blobs,
       (SELECT count(*) FROM items o JOIN items c ON o.original AND NOT c.original
          AND (o.item_id = c.item_id OR o.change_number = c.change_number)) AS shared_item_ids;
-- the original is untouched by its copy
SELECT parent_folder_id = :'junk' AS original_in_junk, total_count FROM ews_get_folder(ARRAY[:'projects']);
-- copies follow the same rules as moves (a name in the target, itself, its subfolders, ids)
SELECT response_code, message_text FROM ews_copy_folder(:'inbox', ARRAY[:'projects']);
SELECT response_code, message_text FROM ews_copy_folder(:'projects', ARRAY[:'projects']);
SELECT response_code, message_text FROM ews_copy_folder(:'deeper', ARRAY[:'projects']);
SELECT response_code FROM ews_copy_folder('bad', ARRAY[:'projects', :'alpha']);
SELECT response_code FROM ews_copy_folder(:'inbox', ARRAY['bad']);
-- a distinguished folder can be copied: the copy and its subfolders are ordinary
SELECT folder_id AS sync_copy, response_code FROM ews_copy_folder(:'junk', ARRAY[:'syncissues']) \gset
SELECT :'response_code' AS response_code;
SELECT display_name, distinguished_folder_id FROM ews_find_folder(:'junk', 'Deep')
 WHERE display_name IN ('Sync Issues', 'Conflicts', 'Local Failures', 'Server Failures');
SELECT display_name, distinguished_folder_id FROM ews_get_folder(ARRAY[:'syncissues']);
SELECT count(*) AS conflicts_folders FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
 WHERE m.smtp_address = 'mover@example.com' AND f.distinguished = 'conflicts';
-- and the ordinary copy can be moved again
SELECT response_code FROM ews_move_folder(:'deleted', ARRAY[:'sync_copy']);

-- the call runs inside the caller's transaction: a ROLLBACK undoes it all
SELECT pg_temp.tree() AS tree_before \gset
BEGIN;
SELECT response_code FROM ews_move_folder(:'deleted', ARRAY[:'projects']);
SELECT response_code FROM ews_copy_folder(:'deleted', ARRAY[:'alpha']);
SELECT parent_folder_id = :'deleted' AS moved_inside FROM ews_get_folder(ARRAY[:'projects']);
ROLLBACK;
SELECT parent_folder_id = :'junk' AS back_in_junk FROM ews_get_folder(ARRAY[:'projects']);
SELECT pg_temp.tree() = :'tree_before' AS rollback_undid_all;

-- access: a stranger learns nothing and moves nothing
SET ROLE ews_test_dave;
SELECT response_code, mailbox_guid IS NOT NULL AS has_guid FROM ews_move_folder(:'inbox', ARRAY[:'projects']);
SELECT response_code FROM ews_copy_folder(:'inbox', ARRAY[:'projects']);
RESET ROLE;
SELECT pg_temp.tree() = :'tree_before' AS nothing_changed;

-- the tree is whole: every folder reaches root, no orphans
WITH RECURSIVE up(folder_id, top, n) AS (
  SELECT folder_id, parent_id, 0 FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
   WHERE m.smtp_address = 'mover@example.com'
  UNION ALL
  SELECT up.folder_id, f.parent_id, n + 1 FROM up JOIN ews.folder f ON f.folder_id = up.top
   WHERE n < 100
)
SELECT count(*) FILTER (WHERE top IS NULL) = count(DISTINCT folder_id) AS all_reach_root FROM up;
