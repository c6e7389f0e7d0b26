-- bench/find_folder.sql: run by bench/find_folder.sh in a throwaway cluster
-- (psql -v runs=N).  Prints the FindFolder paging and depth tables.
\set QUIET on
\pset footer off
CREATE EXTENSION ews;
-- no autovacuum here: the first measurement is of tables the planner knows nothing about
ALTER TABLE ews.folder SET (autovacuum_enabled = false);
ALTER TABLE ews.item SET (autovacuum_enabled = false);
SELECT ews_create_mailbox('bench@example.com') IS NOT NULL AS created \gset
SELECT ews_folder_id('bench@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('bench@example.com', 'root') AS root \gset
SELECT mailbox_id AS mb FROM ews.mailbox \gset
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql AS
  $$SELECT ('x' || encode(substring(decode(id, 'base64') from 45 for 8), 'hex'))::bit(64)::bigint$$;

-- 20 000 folders under the inbox, set-based: 100 with 199 subfolders each;
-- heights as the update script computes them
CREATE TEMP TABLE l1 AS SELECT nextval('ews.local_id_seq') AS id, g FROM generate_series(1, 100) g;
INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, change_number, height)
SELECT :'mb', id, pg_temp.local_id(:'inbox'), 'L1-' || lpad(g::text, 3, '0'), nextval('ews.change_seq'), 1 FROM l1;
INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, change_number)
SELECT :'mb', nextval('ews.local_id_seq'), l1.id, 'L2-' || lpad(h::text, 3, '0'), nextval('ews.change_seq')
  FROM l1, generate_series(1, 199) h;
UPDATE ews.folder SET height = 2 WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox');
SELECT count(*) AS folders FROM ews.folder \gset

CREATE FUNCTION pg_temp.find_req(parent text, off int) RETURNS text LANGUAGE sql AS $$
  SELECT '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
      || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
      || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body>'
      || '<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
      || '<m:IndexedPageFolderView MaxEntriesReturned="100" Offset="' || off || '" BasePoint="Beginning"/>'
      || '<m:ParentFolderIds><t:FolderId Id="' || parent || '"/></m:ParentFolderIds></m:FindFolder>'
      || '</soap:Body></soap:Envelope>'
$$;
-- one timed call of each offset per round, alternating, so that drift hits both alike
CREATE PROCEDURE pg_temp.pages(parent text, n int, INOUT first_ms float8[], INOUT later_ms float8[])
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; r record; req0 text := pg_temp.find_req(parent, 0); req1 text := pg_temp.find_req(parent, 10000);
BEGIN
  first_ms := ARRAY[]::float8[]; later_ms := ARRAY[]::float8[];
  FOR i IN 1..n LOOP
    t0 := clock_timestamp();
    SELECT (x).status, length((x).response) AS len INTO r FROM (SELECT ews_soap(req0, 'bench@example.com') x OFFSET 0) s;
    first_ms := first_ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
    IF r.status <> 200 THEN RAISE EXCEPTION 'first page: %', r.status; END IF;
    t0 := clock_timestamp();
    SELECT (x).status, (x).response AS resp INTO r FROM (SELECT ews_soap(req1, 'bench@example.com') x OFFSET 0) s;
    later_ms := later_ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
    IF r.status <> 200 OR position('IndexedPagingOffset="10100"' IN r.resp) = 0 THEN
      RAISE EXCEPTION 'page at 10 000: %', left(r.resp, 500);
    END IF;
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.median(float8[]) RETURNS float8 LANGUAGE sql AS
  $$SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest($1) x$$;

CALL pg_temp.pages(:'root', 3, NULL, NULL) \gset w_
CALL pg_temp.pages(:'root', :runs, NULL, NULL) \gset cold_
ANALYZE ews.folder;
ANALYZE ews.item;
CALL pg_temp.pages(:'root', 3, NULL, NULL) \gset w2_
CALL pg_temp.pages(:'root', :runs, NULL, NULL) \gset warm_

\echo
\echo FindFolder Deep from the root of a mailbox of :folders folders, Default shape, pages of 100: median ms of :runs calls each
WITH m AS (
  SELECT 'before ANALYZE' AS "statistics", pg_temp.median(:'cold_first_ms'::float8[]) AS f,
         pg_temp.median(:'cold_later_ms'::float8[]) AS l
  UNION ALL
  SELECT 'after ANALYZE', pg_temp.median(:'warm_first_ms'::float8[]), pg_temp.median(:'warm_later_ms'::float8[])
)
SELECT "statistics", round(f::numeric, 2) AS "first page ms", round(l::numeric, 2) AS "page at 10 000 ms",
       round((l / f)::numeric, 2) AS "ratio",
       CASE WHEN l <= 2 * f THEN 'PASS (within 2x)' ELSE 'FAIL (more than 2x)' END AS "DESIGN.md"
  FROM m;

-- depth
\echo
\echo Depth: what a 3 000-deep request costs
CREATE TABLE depth_rows (what text, ms numeric, outcome text);
DO $$
DECLARE t0 timestamptz; r record; req text;
BEGIN
  req := '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
         || repeat('<a>', 3000) || repeat('</a>', 3000) || '</soap:Body></soap:Envelope>';
  t0 := clock_timestamp();
  SELECT (x).status AS status, (x).response AS resp INTO r FROM (SELECT ews_soap(req, 'bench@example.com') x OFFSET 0) s;
  INSERT INTO depth_rows VALUES ('SOAP request nesting 3 000 elements',
    round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 2),
    r.status || ' ' || substring(r.resp FROM '<e:ResponseCode[^>]*>([A-Za-z]+)<') || ': '
      || substring(r.resp FROM 'deeper than [0-9]+ levels \(ews.max_xml_depth\)'));
END $$;
-- each create its own transaction, as clients make them
CREATE PROCEDURE pg_temp.chain(n int) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); r record; p text := ews_folder_id('bench@example.com', 'junkemail');
        made int := 0;
BEGIN
  FOR i IN 1..n LOOP
    SELECT folder_id, response_code INTO r FROM ews_create_folder(p, 'C' || i);
    COMMIT;
    EXIT WHEN r.response_code <> 'NoError';
    made := made + 1;
    p := r.folder_id;
  END LOOP;
  INSERT INTO depth_rows VALUES ('ews_create_folder, a chain of 3 000 under junkemail (depth 2), one transaction each',
    round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 0),
    made || ' created (the deepest at depth 300), then ' || r.response_code);
  COMMIT;
END $$;
CALL pg_temp.chain(3000);
-- a chain of 3 000 as 0.1 allowed it, written straight into the table
CREATE TEMP TABLE chain AS SELECT g, nextval('ews.local_id_seq') AS id FROM generate_series(1, 3000) g;
INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, change_number, height)
SELECT :'mb', c.id, COALESCE(p.id, pg_temp.local_id(:'inbox')), 'Legacy ' || c.g, nextval('ews.change_seq'), 3000 - c.g
  FROM chain c LEFT JOIN chain p ON p.g = c.g - 1;
SELECT set_config('bench.top', folder_id, false) FROM ews_find_folder(:'inbox') WHERE display_name = 'Legacy 1' \gset x_
SET temp_file_limit = '1MB';
DO $$
DECLARE t0 timestamptz := clock_timestamp(); n int;
BEGIN
  SELECT count(*) INTO n FROM ews_find_folder(current_setting('bench.top'), 'Deep');
  INSERT INTO depth_rows VALUES ('ews_find_folder Deep of a 3 000-deep chain from 0.1 (temp_file_limit = 1MB)',
    round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 2), n || ' folders, in pre-order');
END $$;
RESET temp_file_limit;
SELECT what AS "request", ms AS "ms", outcome AS "outcome" FROM depth_rows;
