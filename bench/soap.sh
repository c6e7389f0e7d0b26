#!/usr/bin/env bash
# bench/soap.sh: the SOAP adapter against the SQL face, in one run, in a
# throwaway cluster (pg_virtualenv).
#
#   ExportItems of 100 items of 64 KiB: ews_soap() (parse, export, base64
#     into the response) vs ews_export_items() for the same ids (every byte
#     fetched: sum(length(substring(data FROM 1)))), vs the same with
#     PostgreSQL's encode(data, 'base64'), and vs a plain SELECT of the same
#     blobs; BENCH_RUNS runs (default 31) after a warm-up, the queries
#     taking turns: the median time of each, taken inside the server with
#     clock_timestamp(), and its CPU time per call (the backend's time on a
#     CPU from /proc/self/schedstat, summed over the runs), which a machine
#     busy with other work disturbs far less.  ews_soap() is called both
#     ways: in the select list (SELECT ews_soap(...) AS r, the way
#     test/http/ews_http_front.py does) and in FROM (SELECT ... FROM
#     ews_soap(...), the form users write), and the ratio of the two is
#     printed.
#   Throughput: pgbench -n with custom scripts, -c 1 and -c 8 (-j as many),
#     BENCH_SECONDS each (default 5): a small MoveFolder request (one folder,
#     back and forth between two parents; each client has its own mailbox,
#     as mailboxes are the unit of locking) and a small ExportItems request
#     (one item of 4 KiB), both through ews_soap().
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
	. test/deps.sh
	ews_install_deps
	make -s
	ews_in_cluster bash "$0" --in-cluster
	exit
fi

runs="${BENCH_RUNS:-31}"
secs="${BENCH_SECONDS:-5}"
createdb ews_bench
psql -X -q -v ON_ERROR_STOP=1 -d ews_bench -v runs="$runs" <<'SQL'
\i test/blob_helpers.sql
CREATE EXTENSION ews;
SELECT ews_create_mailbox('bench@example.com') AS mb \gset
SELECT ews_folder_id('bench@example.com', 'inbox') AS inbox \gset

-- the backend's own CPU time so far, in ns (/proc/self/schedstat: time on a
-- CPU, as the scheduler counts it): unlike the clock, it leaves out the time
-- the process waits for a core, so it stays put on a machine that other work
-- keeps busy
CREATE FUNCTION pg_temp.cpu_ns() RETURNS bigint LANGUAGE sql AS $$
	SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint
$$;
-- the queries run in turns (one run of each, then the next round), so that
-- all of them see the same machine load: per query the median time in ms
-- and the CPU time of all runs together, in ns
CREATE FUNCTION pg_temp.measure(qs text[], runs int, ids text[], req text, mb uuid, lids bigint[])
RETURNS TABLE (q int, median_ms numeric, cpu_ns bigint) LANGUAGE plpgsql AS $$
DECLARE
	t timestamptz;
	c bigint;
	times numeric[] := array_fill(NULL::numeric, ARRAY[array_length(qs, 1), runs]);
	cpu bigint[] := array_fill(0::bigint, ARRAY[array_length(qs, 1)]);
BEGIN
	FOR i IN 0..runs LOOP
		FOR n IN 1..array_length(qs, 1) LOOP
			c := pg_temp.cpu_ns();
			t := clock_timestamp();
			EXECUTE qs[n] USING ids, req, mb, lids;
			IF i > 0 THEN
				times[n][i] := extract(epoch FROM clock_timestamp() - t) * 1000;
				cpu[n] := cpu[n] + pg_temp.cpu_ns() - c;
			END IF;
		END LOOP;
	END LOOP;
	FOR n IN 1..array_length(qs, 1) LOOP
		q := n;
		median_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY times[n][r]) FROM generate_series(1, runs) r);
		cpu_ns := cpu[n];
		RETURN NEXT;
	END LOOP;
END $$;

-- 100 items of 64 KiB
SELECT array_agg(item_id ORDER BY o) AS ids
  FROM ews_upload_items(array_fill(:'inbox'::text, ARRAY[100]),
                        array_fill(pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, (65536 - 40) / 8), ARRAY[100]))
       WITH ORDINALITY u(item_id, change_key, a, b, c, d, o) \gset
CREATE TEMP TABLE ids AS SELECT :'ids'::text[] AS ids;
CREATE TEMP TABLE req AS SELECT
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
  ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
  ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header>'
  '<t:RequestServerVersion Version="Exchange2010_SP1"/></soap:Header><soap:Body><m:ExportItems><m:ItemIds>'
  || (SELECT string_agg(format('<t:ItemId Id="%s"/>', i), '') FROM unnest(:'ids'::text[]) i)
  || '</m:ItemIds></m:ExportItems></soap:Body></soap:Envelope>' AS req;
CREATE TEMP TABLE lids AS SELECT array_agg(item_id) AS lids FROM ews.item WHERE mailbox_id = :'mb';

-- the SOAP response must hold all 100 items before anything is timed
SELECT CASE WHEN (SELECT count(*) FROM regexp_matches((SELECT response FROM ews_soap((SELECT req FROM req))),
                  'ResponseClass="Success"', 'g')) = 100 THEN 'checked' ELSE 'WRONG' END AS soap_export_check \gset

CREATE TEMP TABLE m AS SELECT * FROM pg_temp.measure(ARRAY[
    'SELECT sum(length(substring(blob FROM 1))) FROM ews.item WHERE mailbox_id = $3 AND item_id = ANY($4)',
    'SELECT sum(length(substring(data FROM 1))) FROM ews_export_items($1)',
    'SELECT sum(octet_length(encode(data, ''base64''))) FROM ews_export_items($1)',
    'SELECT octet_length((r).response) FROM (SELECT ews_soap($2) AS r OFFSET 0) s',
    'SELECT octet_length(response) FROM ews_soap($2)'],
  :runs, (SELECT ids FROM ids), (SELECT req FROM req), :'mb', (SELECT lids FROM lids));
-- per query: median ms (wall clock), CPU ms per call
CREATE TEMP TABLE r AS SELECT
  array_agg(median_ms ORDER BY q) AS ms,
  array_agg(cpu_ns / 1e6 / :runs ORDER BY q) AS cpu
  FROM m;
\pset footer off
\echo
\echo 'ExportItems, 100 items of 64 KiB: median ms (wall clock), and in parentheses CPU ms per call'
SELECT round(ms[1], 1) || ' (' || round(cpu[1], 1) || ')' AS "plain SELECT",
       round(ms[2], 1) || ' (' || round(cpu[2], 1) || ')' AS "ews_export_items",
       round(ms[4], 1) || ' (' || round(cpu[4], 1) || ')' AS "ews_soap",
       round(ms[4] / ms[2], 2) || ' (' || round(cpu[4] / cpu[2], 2) || ')' AS "ews_soap / ews_export_items",
       round(ms[2] / ms[1], 2) || ' (' || round(cpu[2] / cpu[1], 2) || ')' AS "ews_export_items / plain",
       round(ms[3], 1) || ' (' || round(cpu[3], 1) || ')' AS "ews_export_items + encode(base64)",
       round(ms[4] / ms[3], 2) || ' (' || round(cpu[4] / cpu[3], 2) || ')' AS "ews_soap / that",
       round(ms[5], 1) || ' (' || round(cpu[5], 1) || ')' AS "ews_soap in FROM",
       round(ms[5] / ms[4], 2) || ' (' || round(cpu[5] / cpu[4], 2) || ')' AS "FROM / select list",
       pg_size_pretty((SELECT octet_length(response) FROM ews_soap((SELECT req FROM req)))::bigint) AS "response size",
       :'soap_export_check' AS checked
  FROM r;

-- pgbench: per-client mailboxes, a folder F moving between A and B, one small item
CREATE TABLE bench_req (c int, kind text, r int, req text, PRIMARY KEY (c, kind, r));
DO $$
DECLARE
	hdr text := '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	  ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	  ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Body>';
	a text; b text; f text; item text; inbox text;
BEGIN
	FOR c IN 0..7 LOOP
		PERFORM ews_create_mailbox(format('c%s@example.com', c));
		inbox := ews_folder_id(format('c%s@example.com', c), 'inbox');
		SELECT folder_id INTO a FROM ews_create_folder(inbox, 'A');
		SELECT folder_id INTO b FROM ews_create_folder(inbox, 'B');
		SELECT folder_id INTO f FROM ews_create_folder(a, 'F');
		SELECT item_id INTO item FROM ews_upload_items(ARRAY[inbox],
		       ARRAY[pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, (4096 - 40) / 8)]);
		INSERT INTO bench_req VALUES
		  (c, 'move', 0, hdr || format('<m:MoveFolder><m:ToFolderId><t:FolderId Id="%s"/></m:ToFolderId>'
		     '<m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:MoveFolder></soap:Body></soap:Envelope>', a, f)),
		  (c, 'move', 1, hdr || format('<m:MoveFolder><m:ToFolderId><t:FolderId Id="%s"/></m:ToFolderId>'
		     '<m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:MoveFolder></soap:Body></soap:Envelope>', b, f)),
		  (c, 'export', 0, hdr || format('<m:ExportItems><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds>'
		     '</m:ExportItems></soap:Body></soap:Envelope>', item));
	END LOOP;
END $$;
-- both requests succeed before they are timed
SELECT count(*) FILTER (WHERE response LIKE '%ResponseClass="Success"%') AS ok, count(*) AS of
  FROM bench_req, ews_soap(req) WHERE r = 1 OR kind = 'export' \gset
\echo
SELECT CASE WHEN :ok = :of THEN 'pgbench requests checked: all succeed' ELSE 'PGBENCH REQUESTS FAIL' END AS " ";
SQL

tmp=$(mktemp -d)
cat >"$tmp/move.sql" <<'EOF2'
\set r random(0, 1)
SELECT status FROM ews_soap((SELECT req FROM bench_req WHERE c = :client_id AND kind = 'move' AND r = :r));
EOF2
cat >"$tmp/export.sql" <<'EOF2'
SELECT status FROM ews_soap((SELECT req FROM bench_req WHERE c = :client_id AND kind = 'export' AND r = 0));
EOF2
tps() {
	pgbench -n -d ews_bench -f "$tmp/$1.sql" -c "$2" -j "$2" -T "$secs" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | cut -d. -f1
}
m1=$(tps move 1); m8=$(tps move 8); e1=$(tps export 1); e8=$(tps export 8)
echo
echo "ews_soap throughput (pgbench -n, -T $secs, requests/s on $(nproc) cores)"
printf '| request | 1 client | 8 clients |\n|---|---|---|\n'
printf '| MoveFolder, one folder | %s | %s |\n' "$m1" "$m8"
printf '| ExportItems, one 4 KiB item | %s | %s |\n' "$e1" "$e8"
rm -rf "$tmp"
dropdb ews_bench
