#!/usr/bin/env bash
# bench/export_items.sh: ExportItems and UploadItems against plain SQL on the
# same bytes, measured in one run, in a throwaway cluster (pg_virtualenv).
#
# For 100 items of 4 KiB, 64 KiB and 1 MiB:
#   export, in the server: SELECT sum(length(substring(data FROM 1))) FROM
#     ews_export_items(ids) vs SELECT sum(length(substring(blob FROM 1)))
#     FROM ews.item WHERE mailbox_id = m AND item_id = ANY(local_ids)
#     (substring(... FROM 1) makes both fetch every byte of every blob once;
#     length() alone would read only the toast pointer);
#   export, whole rows to a consumer: COPY (SELECT * FROM ews_export_items(ids))
#     TO '/dev/null' (FORMAT binary) vs COPY (SELECT item_id, change_number,
#     blob FROM ews.item WHERE ...) TO '/dev/null' (FORMAT binary)
#     (binary, so that neither pays for hex text output);
#   upload: SELECT count(*) FROM ews_upload_items(folders, blobs) vs
#     INSERT INTO plain_item (blob) SELECT unnest(blobs), a table with the
#     same EXTERNAL storage; each run is rolled back, so every run writes into
#     the same state; throughput (MiB/s) = 100 x item size / time.
# Each figure is the median of BENCH_RUNS runs (default 31; uploads: half)
# after one warm-up run, timed inside the server with clock_timestamp(); the
# two queries of a comparison run alternately, so both see the same load.
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
psql -X -q -v ON_ERROR_STOP=1 -v runs="$runs" <<'SQL'
\i test/blob_helpers.sql
CREATE EXTENSION ews;
SELECT ews_create_mailbox('bench@example.com') AS mb \gset
SELECT ews_folder_id('bench@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('bench@example.com', 'drafts') AS drafts \gset
CREATE TABLE plain_item (id bigserial PRIMARY KEY, blob bytea NOT NULL);
ALTER TABLE plain_item ALTER COLUMN blob SET STORAGE EXTERNAL;

-- the median wall times (ms) of qa and qb over runs runs each, after one
-- warm-up; the two run alternately, so that both see the same load from
-- whatever else the machine does.  With rollback, each run's writes are
-- undone (a subtransaction per run).
CREATE FUNCTION pg_temp.run_ms(q text, rollback boolean,
                               ids text[], mb uuid, lids bigint[], folders text[], blobs bytea[])
RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	t timestamptz;
	ms numeric;
BEGIN
	BEGIN
		t := clock_timestamp();
		EXECUTE q USING ids, mb, lids, folders, blobs;
		ms := extract(epoch FROM clock_timestamp() - t) * 1000;
		IF rollback THEN
			RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
		END IF;
	EXCEPTION WHEN raise_exception THEN
		NULL;				-- variables keep their values; the writes are undone
	END;
	RETURN ms;
END $$;

CREATE FUNCTION pg_temp.median_ms(qa text, qb text, runs int, rollback boolean,
                                  ids text[], mb uuid, lids bigint[], folders text[], blobs bytea[],
                                  OUT a_ms numeric, OUT b_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	ta numeric[] := '{}';
	tb numeric[] := '{}';
	x numeric;
BEGIN
	FOR i IN 0..runs LOOP
		x := pg_temp.run_ms(qa, rollback, ids, mb, lids, folders, blobs);
		IF i > 0 THEN ta := ta || x; END IF;
		x := pg_temp.run_ms(qb, rollback, ids, mb, lids, folders, blobs);
		IF i > 0 THEN tb := tb || x; END IF;
	END LOOP;
	a_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ta) v);
	b_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(tb) v);
END $$;

CREATE TEMP TABLE result (size int, label text, export_ms numeric, plain_ms numeric,
                          copy_export_ms numeric, copy_plain_ms numeric,
                          upload_ms numeric, insert_ms numeric);

CREATE FUNCTION pg_temp.bench(size int, label text, runs int, mb uuid, inbox text, drafts text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	blob bytea := pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, (size - 40) / 8);
	blobs bytea[] := array_fill(blob, ARRAY[100]);
	folders text[] := array_fill(inbox, ARRAY[100]);
	ids text[];
	lids bigint[];
	r result;
BEGIN
	IF length(blob) <> size THEN
		RAISE EXCEPTION 'blob of % bytes, wanted %', length(blob), size;
	END IF;
	-- the items to export
	SELECT array_agg(item_id ORDER BY ordinality) INTO ids
	  FROM ews_upload_items(folders, blobs) WITH ORDINALITY;
	SELECT array_agg(('x' || encode(substring(decode(i, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint)
	  INTO lids FROM unnest(ids) i;
	ANALYZE ews.item;
	r.size := size;
	r.label := label;
	SELECT * INTO r.export_ms, r.plain_ms FROM pg_temp.median_ms(
		'SELECT sum(length(substring(data FROM 1))) FROM ews_export_items($1)',
		'SELECT sum(length(substring(blob FROM 1))) FROM ews.item WHERE mailbox_id = $2 AND item_id = ANY ($3)',
		runs, false, ids, mb, lids, NULL, NULL);
	SELECT * INTO r.copy_export_ms, r.copy_plain_ms FROM pg_temp.median_ms(
		format('COPY (SELECT * FROM ews_export_items(%L)) TO %L (FORMAT binary)', ids, '/dev/null'),
		format('COPY (SELECT item_id, change_number, blob FROM ews.item'
		       ' WHERE mailbox_id = %L AND item_id = ANY (%L)) TO %L (FORMAT binary)', mb, lids, '/dev/null'),
		runs, false, NULL, NULL, NULL, NULL, NULL);
	folders := array_fill(drafts, ARRAY[100]);
	SELECT * INTO r.upload_ms, r.insert_ms FROM pg_temp.median_ms(
		'SELECT count(*) FROM ews_upload_items($4, $5)',
		'INSERT INTO plain_item (blob) SELECT unnest($5)',
		greatest(runs / 2, 3), true, NULL, NULL, NULL, folders, blobs);
	INSERT INTO result SELECT r.*;
END $$;

SELECT pg_temp.bench(4096, '4 KiB', :runs, :'mb', :'inbox', :'drafts');
SELECT pg_temp.bench(65536, '64 KiB', :runs, :'mb', :'inbox', :'drafts');
SELECT pg_temp.bench(1048576, '1 MiB', :runs, :'mb', :'inbox', :'drafts');

\echo
\echo 'ews export/upload benchmark, 100 items per size, median of' :runs 'runs (uploads: half as many)'
\pset footer off
SELECT label AS "item size",
       round(export_ms, 2) AS "ews_export_items ms",
       round(plain_ms, 2) AS "plain SELECT ms",
       round(export_ms / plain_ms, 2) AS "ratio",
       round(copy_export_ms, 2) AS "COPY export ms",
       round(copy_plain_ms, 2) AS "COPY plain ms",
       round(copy_export_ms / copy_plain_ms, 2) AS "ratio ",
       round(100.0 * size / 1048576 / (upload_ms / 1000), 1) AS "upload MiB/s",
       round(100.0 * size / 1048576 / (insert_ms / 1000), 1) AS "INSERT MiB/s",
       round(upload_ms / insert_ms, 2) AS "time ratio"
  FROM result ORDER BY size;
SQL
