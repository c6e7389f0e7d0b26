-- Hierarchy invariants of every mailbox, after a mix of hierarchy changes:
-- every folder reaches root, no cycles, distinguished folders present exactly
-- once and where Exchange puts them, sibling names unique case-insensitively.
BEGIN;
SELECT plan(9);

SELECT ews_create_mailbox('tap-inv@example.com', 'Invariants') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-inv@example.com', 'inbox') AS inbox \gset

-- build a small tree and change it
SELECT folder_id AS a FROM ews_create_folder(:'inbox', 'A') \gset
SELECT folder_id AS b FROM ews_create_folder(:'a', 'B') \gset
SELECT folder_id AS c FROM ews_create_folder(:'b', 'C') \gset
SELECT folder_id AS d FROM ews_create_folder(:'inbox', 'D') \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'b'], 'MoveToDeletedItems');
SELECT response_code FROM ews_delete_folder(ARRAY[:'d'], 'SoftDelete');
SELECT response_code FROM ews_create_folder(:'inbox', 'a');

CREATE TEMP VIEW reach AS
WITH RECURSIVE up(mailbox_id, start_id, folder_id, depth, path) AS (
	SELECT mailbox_id, folder_id, folder_id, 0, ARRAY[folder_id] FROM ews.folder
	UNION ALL
	SELECT u.mailbox_id, u.start_id, f.parent_id, u.depth + 1, u.path || f.parent_id
	  FROM up u JOIN ews.folder f ON f.mailbox_id = u.mailbox_id AND f.folder_id = u.folder_id
	 WHERE f.parent_id IS NOT NULL AND NOT f.parent_id = ANY (u.path) AND u.depth < 10000
)
SELECT DISTINCT ON (mailbox_id, start_id) mailbox_id, start_id, folder_id AS top_id
  FROM up ORDER BY mailbox_id, start_id, depth DESC;

SELECT is((SELECT count(*) FROM reach r JOIN ews.folder f
             ON f.mailbox_id = r.mailbox_id AND f.folder_id = r.top_id
            WHERE f.distinguished IS DISTINCT FROM 'root'), 0::bigint,
          'every folder reaches its mailbox''s root');

SELECT is((SELECT count(*) FROM ews.folder f
            WHERE f.parent_id IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM ews.folder p WHERE p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id)),
          0::bigint, 'no orphans');

SELECT is((SELECT count(*) FROM (
             SELECT mailbox_id FROM ews.folder WHERE parent_id IS NULL GROUP BY mailbox_id HAVING count(*) <> 1) x),
          0::bigint, 'exactly one root per mailbox');

SELECT is((SELECT count(*) FROM (
             SELECT m.mailbox_id, d.name FROM ews.mailbox m
               CROSS JOIN (VALUES ('root'), ('msgfolderroot'), ('inbox'), ('drafts'), ('sentitems'),
                                  ('deleteditems'), ('junkemail'), ('outbox'), ('calendar'), ('contacts'),
                                  ('tasks'), ('notes'), ('journal'), ('searchfolders'),
                                  ('recoverableitemsroot'), ('recoverableitemsdeletions')) d(name)
              WHERE (SELECT count(*) FROM ews.folder f
                      WHERE f.mailbox_id = m.mailbox_id AND f.distinguished = d.name) <> 1) x),
          0::bigint, 'every distinguished folder exactly once in every mailbox');

SELECT is((SELECT count(*) FROM ews.folder f JOIN ews.folder p
             ON p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id
            WHERE f.distinguished IN ('inbox', 'drafts', 'sentitems', 'deleteditems', 'junkemail', 'outbox',
                                      'calendar', 'contacts', 'tasks', 'notes', 'journal')
              AND p.distinguished IS DISTINCT FROM 'msgfolderroot'), 0::bigint,
          'the well-known mail folders sit under msgfolderroot');

SELECT is((SELECT count(*) FROM (
             SELECT 1 FROM ews.folder GROUP BY mailbox_id, parent_id, lower(display_name) HAVING count(*) > 1) x),
          0::bigint, 'sibling names unique case-insensitively');

SELECT is((SELECT response_code FROM ews_create_folder(:'inbox', 'a')), 'ErrorFolderExists',
          'a clashing sibling name is refused');

SET CONSTRAINTS ALL IMMEDIATE;
SELECT throws_ok(
  format($$INSERT INTO ews.folder VALUES (%L, 999999999, 888888888, 'x', NULL, NULL, 1)$$,
         (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'tap-inv@example.com')),
  '23503', NULL, 'the schema itself refuses an orphan');

SELECT throws_ok(
  format($$UPDATE ews.folder SET parent_id = folder_id WHERE mailbox_id = %L AND distinguished = 'inbox'$$,
         (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'tap-inv@example.com')),
  '23514', NULL, 'the schema itself refuses a folder that is its own parent');

SELECT * FROM finish();
ROLLBACK;
