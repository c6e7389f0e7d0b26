-- bench/move_folder.sql: run by bench/move_folder.sh in a throwaway cluster
-- (psql -v n=N).  Prints the MoveFolder and CopyFolder tables.
\set QUIET on
\pset footer off
CREATE EXTENSION ews;
SELECT ews_create_mailbox('bench@example.com') IS NOT NULL AS created \gset
SELECT ews_folder_id('bench@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('bench@example.com', 'junkemail') AS junk \gset
SELECT folder_id AS big FROM ews_create_folder(:'inbox', 'Big') \gset
SELECT folder_id AS empty FROM ews_create_folder(:'inbox', 'Empty') \gset
SELECT folder_id AS plain FROM ews_create_folder(:'inbox', 'Plain') \gset
SELECT folder_id AS modest FROM ews_create_folder(:'inbox', 'Modest') \gset
SELECT folder_id AS copies FROM ews_create_folder(:'junk', 'Copies') \gset
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql AS
  $$SELECT ('x' || encode(substring(decode(id, 'base64') from 45 for 8), 'hex'))::bit(64)::bigint$$;
SELECT mailbox_id AS mb FROM ews.mailbox \gset

-- 100 000 descendants of Big, set-based: 100 children with 999 children each,
-- one item in each
CREATE TEMP TABLE l1 AS SELECT nextval('ews.local_id_seq') AS id, g FROM generate_series(1, 100) g;
INSERT INTO ews.folder SELECT :'mb', id, pg_temp.local_id(:'big'), 'L1-' || g, NULL, NULL,
       nextval('ews.change_seq') FROM l1;
INSERT INTO ews.folder SELECT :'mb', nextval('ews.local_id_seq'), l1.id, 'L2-' || h, NULL, NULL,
       nextval('ews.change_seq') FROM l1, generate_series(1, 999) h;
-- Modest: itself, 9 children with 110 children each (1 000 folders), one item each
CREATE TEMP TABLE m1 AS SELECT nextval('ews.local_id_seq') AS id, g FROM generate_series(1, 9) g;
INSERT INTO ews.folder SELECT :'mb', id, pg_temp.local_id(:'modest'), 'M1-' || g, NULL, NULL,
       nextval('ews.change_seq') FROM m1;
INSERT INTO ews.folder SELECT :'mb', nextval('ews.local_id_seq'), m1.id, 'M2-' || h, NULL, NULL,
       nextval('ews.change_seq') FROM m1, generate_series(1, 110) h;
WITH x AS (SELECT f.folder_id, nextval('ews.change_seq') AS cn
             FROM ews.folder f WHERE f.display_name ~ '^(L|M)[12]-' OR f.display_name = 'Modest')
INSERT INTO ews.item (mailbox_id, item_id, folder_id, item_class, change_number, size, blob,
                      article_number, created_cn, content_cn, created_at)
SELECT :'mb', nextval('ews.local_id_seq'), x.folder_id, 'IPM.Note', x.cn, 256,
       convert_to(repeat('x', 256), 'UTF8'), 1, x.cn, x.cn, now()
  FROM x;
UPDATE ews.folder f
   SET next_article = s.n + 1, total_count = s.total, unread_count = s.unread, assoc_count = s.assoc
  FROM (SELECT mailbox_id, folder_id, count(*) AS n, count(*) FILTER (WHERE NOT is_associated) AS total,
               count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,
               count(*) FILTER (WHERE is_associated) AS assoc
          FROM ews.item GROUP BY mailbox_id, folder_id) s
 WHERE s.mailbox_id = f.mailbox_id AND s.folder_id = f.folder_id;
-- the heights the functions keep (ews.folder.height): Big and Modest are 2 high
UPDATE ews.folder SET height = 1 WHERE mailbox_id = :'mb' AND display_name ~ '^(L|M)1-';
UPDATE ews.folder SET height = 2 WHERE mailbox_id = :'mb' AND display_name IN ('Big', 'Modest');
VACUUM ANALYZE ews.folder;
VACUUM ANALYZE ews.item;
\echo
SELECT (SELECT count(*) FROM ews_find_folder(:'big', 'Deep')) AS "descendants of Big",
       (SELECT count(*) FROM ews_find_folder(:'modest', 'Deep')) + 1 AS "folders in Modest",
       (SELECT count(*) FROM ews.item) AS "items in the mailbox";

-- each move its own transaction, timed with its COMMIT; back and forth
CREATE PROCEDURE pg_temp.bench(how text, folder text, n int, a text, b text, INOUT ms float8[])
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz; code text; fid bigint := pg_temp.local_id(folder);
  ta bigint := pg_temp.local_id(a); tb bigint := pg_temp.local_id(b);
  mb uuid := (SELECT mailbox_id FROM ews.mailbox);
BEGIN
  ms := ARRAY[]::float8[];
  FOR i IN 1..n LOOP
    t0 := clock_timestamp();
    IF how = 'move' THEN
      SELECT response_code INTO code FROM ews_move_folder(CASE WHEN i % 2 = 1 THEN b ELSE a END, ARRAY[folder]);
      IF code <> 'NoError' THEN RAISE EXCEPTION 'move failed: %', code; END IF;
    ELSE
      UPDATE ews.folder SET parent_id = CASE WHEN i % 2 = 1 THEN tb ELSE ta END,
                            change_number = nextval('ews.change_seq')
       WHERE mailbox_id = mb AND folder_id = fid;
    END IF;
    COMMIT;
    ms := ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
END $$;
CREATE PROCEDURE pg_temp.bench_copy(target text, src text, n int, INOUT ms float8[])
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; code text; sub text;
BEGIN
  ms := ARRAY[]::float8[];
  FOR i IN 1..n LOOP
    SELECT folder_id INTO sub FROM ews_create_folder(target, 'Copy ' || i);
    COMMIT;
    t0 := clock_timestamp();
    SELECT response_code INTO code FROM ews_copy_folder(sub, ARRAY[src]);
    COMMIT;
    IF code <> 'NoError' THEN RAISE EXCEPTION 'copy failed: %', code; END IF;
    ms := ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.median(float8[]) RETURNS float8 LANGUAGE sql AS
  $$SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest($1) x$$;

-- warm up every path, then interleave the cases so drift hits them alike
CALL pg_temp.bench('move', :'empty', 4, :'inbox', :'junk', NULL) \gset w1_
CALL pg_temp.bench('move', :'big', 4, :'inbox', :'junk', NULL) \gset w2_
CALL pg_temp.bench('plain', :'plain', 4, :'inbox', :'junk', NULL) \gset w3_
CALL pg_temp.bench('plain', :'plain', :n, :'inbox', :'junk', NULL) \gset plain_
CALL pg_temp.bench('move', :'empty', :n, :'inbox', :'junk', NULL) \gset empty_
CALL pg_temp.bench('move', :'big', :n, :'inbox', :'junk', NULL) \gset big_
CALL pg_temp.bench('plain', :'plain', :n, :'inbox', :'junk', NULL) \gset plain2_
CALL pg_temp.bench('move', :'big', :n, :'inbox', :'junk', NULL) \gset big2_
CALL pg_temp.bench('move', :'empty', :n, :'inbox', :'junk', NULL) \gset empty2_
CALL pg_temp.bench_copy(:'copies', :'modest', 5, NULL) \gset cp_

\echo
\echo MoveFolder: median ms of 2 x :n moves per case, each its own transaction (COMMIT included)
WITH m AS (
  SELECT pg_temp.median(:'plain_ms'::float8[] || :'plain2_ms'::float8[]) AS plain,
         pg_temp.median(:'empty_ms'::float8[] || :'empty2_ms'::float8[]) AS empty,
         pg_temp.median(:'big_ms'::float8[] || :'big2_ms'::float8[]) AS big
)
SELECT what AS "case", round(ms::numeric, 3) AS "median ms",
       round((ms / m.plain)::numeric, 2) AS "x plain UPDATE",
       round((ms / m.empty)::numeric, 2) AS "x empty folder"
  FROM m, LATERAL (VALUES
    ('plain SQL: UPDATE of the folder row (baseline)', m.plain),
    ('ews_move_folder: empty folder', m.empty),
    ('ews_move_folder: 100 000 descendants, 100 000 items', m.big)) t(what, ms);
SELECT CASE WHEN pg_temp.median(:'big_ms'::float8[] || :'big2_ms'::float8[])
                 <= 1.2 * pg_temp.median(:'empty_ms'::float8[] || :'empty2_ms'::float8[])
            THEN 'PASS: 100 000 descendants within 1.2x of empty'
            ELSE 'FAIL: 100 000 descendants more than 1.2x of empty' END AS "DESIGN.md target";

\echo
\echo CopyFolder: median of 5 copies, each its own transaction
SELECT 'ews_copy_folder: 1 000 folders, 1 000 items' AS "case",
       round(pg_temp.median(:'cp_ms'::float8[])::numeric, 1) AS "median ms",
       round((pg_temp.median(:'cp_ms'::float8[]) * 1000 / 2000)::numeric, 1) AS "us per folder or item";
