-- Invariants after many MoveFolder and CopyFolder calls in one mailbox: the
-- tree stays whole (every folder reaches root, no cycle, no orphan),
-- distinguished folders stay put, sibling names stay unique, items and
-- their blobs stay, and every acknowledged move is what the tree shows.
BEGIN;
SELECT plan(12);

SELECT ews_create_mailbox('tap-move@example.com', 'Move invariants') IS NOT NULL AS created \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-move@example.com' \gset
SELECT ews_folder_id('tap-move@example.com', 'inbox') AS inbox \gset

CREATE TEMP TABLE ids (n int PRIMARY KEY, id text);
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql AS
  $$SELECT ('x' || encode(substring(decode(id, 'base64') from 45 for 8), 'hex'))::bit(64)::bigint$$;

-- 60 folders, each under the inbox or an earlier one, 3 items each
SELECT setseed(0.25);
DO $$
DECLARE
  inbox text := ews_folder_id('tap-move@example.com', 'inbox');
  parent text;
  new_id text;
  k int;
BEGIN
  FOR i IN 1..60 LOOP
    IF i = 1 OR random() < 0.3 THEN parent := inbox;
    ELSE
      k := 1 + floor(random() * (i - 1))::int;
      SELECT id INTO parent FROM ids WHERE n = k;
    END IF;
    SELECT folder_id INTO new_id FROM ews_create_folder(parent, 'F' || i);
    INSERT INTO ids VALUES (i, new_id);
  END LOOP;
END $$;
WITH x AS (SELECT id, k, nextval('ews.change_seq') AS cn FROM ids, generate_series(1, 3) k)
INSERT INTO ews.item (mailbox_id, item_id, folder_id, item_class, change_number, size, blob,
                      article_number, created_cn, content_cn, created_at)
SELECT :'mb', nextval('ews.local_id_seq'), pg_temp.local_id(id), 'IPM.Note', cn,
       16, sha256(convert_to(id || k, 'UTF8')), k, cn, cn, now()
  FROM x;
UPDATE ews.folder f
   SET next_article = s.n + 1, total_count = s.total, unread_count = s.unread, assoc_count = s.assoc
  FROM (SELECT mailbox_id, folder_id, count(*) AS n, count(*) FILTER (WHERE NOT is_associated) AS total,
               count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,
               count(*) FILTER (WHERE is_associated) AS assoc
          FROM ews.item GROUP BY mailbox_id, folder_id) s
 WHERE s.mailbox_id = f.mailbox_id AND s.folder_id = f.folder_id;

CREATE TEMP TABLE before_items AS
SELECT count(*) AS n, md5(string_agg(md5(blob), ',' ORDER BY item_id)) AS sum
  FROM ews.item WHERE mailbox_id = :'mb';
CREATE TEMP TABLE before_distinguished AS
SELECT f.distinguished, f.parent_id, f.folder_id FROM ews.folder f
 WHERE f.mailbox_id = :'mb' AND f.distinguished IS NOT NULL;
CREATE TEMP TABLE before_cn AS
SELECT folder_id, change_number FROM ews.folder WHERE mailbox_id = :'mb';

-- 300 random moves, two sources each, among the folders, the inbox and
-- junkemail; also distinguished folders as sources.  Every answer is logged.
CREATE TEMP TABLE log (seq serial, source text, target text, code text, change_key text);
DO $$
DECLARE
  pool text[] := (SELECT array_agg(id ORDER BY n) FROM ids)
                 || ews_folder_id('tap-move@example.com', 'inbox')
                 || ews_folder_id('tap-move@example.com', 'junkemail');
  t text; s1 text; s2 text;
BEGIN
  FOR i IN 1..300 LOOP
    t := pool[1 + floor(random() * array_length(pool, 1))::int];
    s1 := pool[1 + floor(random() * array_length(pool, 1))::int];
    s2 := pool[1 + floor(random() * array_length(pool, 1))::int];
    INSERT INTO log (source, target, code, change_key)
    SELECT (ARRAY[s1, s2])[o], t, m.response_code, m.change_key
      FROM ews_move_folder(t, ARRAY[s1, s2]) WITH ORDINALITY m(folder_id, change_key, c, response_code, x, g, o)
     ORDER BY o;
  END LOOP;
END $$;

SELECT ok((SELECT count(*) FROM log WHERE code = 'NoError') > 50
          AND (SELECT count(*) FROM log WHERE code = 'ErrorMoveCopyFailed') > 20
          AND (SELECT count(*) FROM log WHERE code = 'ErrorMoveDistinguishedFolder') > 5,
          'the random moves both succeed and get refused (cycles, names, distinguished)');

CREATE TEMP VIEW reach AS
WITH RECURSIVE up(start_id, folder_id, depth, path) AS (
	SELECT folder_id, folder_id, 0, ARRAY[folder_id] FROM ews.folder WHERE mailbox_id = :'mb'
	UNION ALL
	SELECT u.start_id, f.parent_id, u.depth + 1, u.path || f.parent_id
	  FROM up u JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = u.folder_id
	 WHERE f.parent_id IS NOT NULL AND NOT f.parent_id = ANY (u.path)
)
SELECT DISTINCT ON (start_id) start_id, folder_id AS top_id, depth FROM up ORDER BY start_id, depth DESC;

SELECT is((SELECT count(*) FROM reach r JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = r.top_id
            WHERE f.distinguished IS DISTINCT FROM 'root'), 0::bigint,
          'every folder reaches root');
SELECT is((SELECT count(*) FROM ews.folder f
            WHERE f.mailbox_id = :'mb' AND f.parent_id IS NOT NULL AND f.parent_id IN (
              WITH RECURSIVE down(id) AS (
                SELECT folder_id FROM ews.folder WHERE mailbox_id = :'mb' AND folder_id = f.folder_id
                UNION SELECT c.folder_id FROM down JOIN ews.folder c ON c.mailbox_id = :'mb' AND c.parent_id = down.id)
              SELECT id FROM down)), 0::bigint,
          'no folder is its own ancestor (no cycle)');
SELECT is((SELECT count(*) FROM ews.folder f WHERE f.mailbox_id = :'mb' AND f.parent_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM ews.folder p WHERE p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id)),
          0::bigint, 'no orphans');
SELECT set_eq($$SELECT distinguished, parent_id, folder_id FROM ews.folder
                 WHERE mailbox_id = (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'tap-move@example.com')
                   AND distinguished IS NOT NULL$$,
              'SELECT * FROM before_distinguished', 'distinguished folders are where they were');
SELECT is((SELECT count(*) FROM (SELECT 1 FROM ews.folder WHERE mailbox_id = :'mb'
                                  GROUP BY parent_id, lower(display_name) HAVING count(*) > 1) x),
          0::bigint, 'sibling names unique case-insensitively');
SELECT row_eq($$SELECT count(*), md5(string_agg(md5(blob), ',' ORDER BY item_id)) FROM ews.item
                 WHERE mailbox_id = (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'tap-move@example.com')$$,
              (SELECT ROW(n, sum)::record FROM before_items), 'every item and blob is still there');
-- every folder's parent is the target of its last acknowledged move
SELECT is((SELECT count(*) FROM (
             SELECT DISTINCT ON (source) source, target FROM log WHERE code = 'NoError' ORDER BY source, seq DESC) l
             JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = pg_temp.local_id(l.source)
            WHERE f.parent_id <> pg_temp.local_id(l.target)), 0::bigint,
          'every folder sits where its last acknowledged move put it');
-- and its change key is the one the last move returned
SELECT is((SELECT count(*) FROM (
             SELECT DISTINCT ON (source) source, change_key FROM log WHERE code = 'NoError' ORDER BY source, seq DESC) l
             JOIN ews_get_folder(ARRAY(SELECT source FROM log WHERE code = 'NoError')) g ON g.folder_id = l.source
            WHERE g.change_key <> l.change_key), 0::bigint,
          'every moved folder has the change key its last move returned');
SELECT is((SELECT count(*) FROM before_cn b JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = b.folder_id
            WHERE f.change_number < b.change_number
               OR (f.change_number = b.change_number
                   AND EXISTS (SELECT 1 FROM log WHERE code = 'NoError' AND pg_temp.local_id(source) = b.folder_id))),
          0::bigint, 'a move always gives a new, larger change number');

-- a deep copy of the inbox adds its whole subtree and items, all ordinary
CREATE TEMP TABLE inbox_sub AS
WITH RECURSIVE d(id) AS (SELECT pg_temp.local_id(:'inbox')
                         UNION ALL SELECT c.folder_id FROM d JOIN ews.folder c ON c.mailbox_id = :'mb' AND c.parent_id = d.id)
SELECT id FROM d;
SELECT folder_id AS inbox_copy FROM ews_copy_folder(ews_folder_id('tap-move@example.com', 'junkemail'), ARRAY[:'inbox']) \gset
SELECT is((WITH RECURSIVE d(id) AS (SELECT pg_temp.local_id(:'inbox_copy')
                                     UNION ALL SELECT c.folder_id FROM d JOIN ews.folder c ON c.mailbox_id = :'mb' AND c.parent_id = d.id)
           SELECT ROW(count(*), count(*) FILTER (WHERE f.distinguished IS NOT NULL),
                      (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = :'mb' AND i.folder_id IN (SELECT id FROM d)))::text
             FROM d JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = d.id),
          (SELECT ROW(count(*), 0::bigint,
                      (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = :'mb' AND i.folder_id IN (SELECT id FROM inbox_sub)))::text
             FROM inbox_sub),
          'a deep copy has as many folders and items as its original, none distinguished');
SELECT is((SELECT count(*) FROM reach r JOIN ews.folder f ON f.mailbox_id = :'mb' AND f.folder_id = r.top_id
            WHERE f.distinguished IS DISTINCT FROM 'root'), 0::bigint,
          'after the copy every folder still reaches root');

SELECT * FROM finish();
ROLLBACK;
