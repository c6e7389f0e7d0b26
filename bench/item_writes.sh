#!/usr/bin/env bash
# bench/item_writes.sh: what writing items costs against a plain INSERT of
# the same bytes, measured in one run, in a throwaway cluster (pg_virtualenv).
#
#   UploadItems: SELECT 1 FROM ews_upload_items(folders, blobs) with
#     100 blobs of 4 KiB, against INSERT INTO plain_item (blob) SELECT
#     unnest(blobs) into a table with the same EXTERNAL storage.  DESIGN
#     (issue 14) asks for 1.3x at most.
#   CreateItem from MIME: SELECT 1 FROM ews_create_items(drafts, NULL,
#     messages) with 100 RFC 5322 messages of about 4 KiB and of about
#     64 KiB (headers, a text/plain and a text/html part), against INSERT
#     INTO plain_item (blob) SELECT unnest(messages): items per second, MiB/s
#     and the time ratio.
# (each run checks that every item was stored).  Every run is rolled back (a subtransaction per run), so each writes into
# the same state.  Each figure is the median of BENCH_RUNS runs (default 21)
# after one warm-up run, timed inside the server with clock_timestamp(); the
# two statements of a comparison run alternately, so both see the same load.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
	. test/deps.sh
	ews_install_deps
	make -s
	ews_in_cluster bash "$0" --in-cluster
	exit
fi

runs="${BENCH_RUNS:-21}"
psql -X -q -v ON_ERROR_STOP=1 -v runs="$runs" <<'SQL'
\i test/blob_helpers.sql
CREATE EXTENSION ews;
SELECT ews_create_mailbox('bench@example.com') AS mb \gset
SELECT ews_folder_id('bench@example.com', 'drafts') AS drafts \gset
CREATE TABLE plain_item (id bigserial PRIMARY KEY, blob bytea NOT NULL);
ALTER TABLE plain_item ALTER COLUMN blob SET STORAGE EXTERNAL;

-- one run of q, in milliseconds, its writes undone
CREATE FUNCTION pg_temp.run_ms(q text, folder text, folders text[], data bytea[])
RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	t timestamptz;
	ms numeric;
	n bigint;
BEGIN
	BEGIN
		t := clock_timestamp();
		EXECUTE q USING folder, folders, data;
		GET DIAGNOSTICS n = ROW_COUNT;	-- rows inserted, items stored
		ms := extract(epoch FROM clock_timestamp() - t) * 1000;
		IF n IS DISTINCT FROM cardinality(data) THEN
			RAISE EXCEPTION 'wrote % rows of %', n, cardinality(data);
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
	EXCEPTION WHEN raise_exception THEN
		NULL;				-- variables keep their values; the writes are undone
	END;
	RETURN ms;
END $$;

-- the medians of qa and qb, run alternately
CREATE FUNCTION pg_temp.median_ms(qa text, qb text, runs int, folder text, data bytea[],
                                  OUT a_ms numeric, OUT b_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	folders text[] := array_fill(folder, ARRAY[cardinality(data)]);
	ta numeric[] := '{}';
	tb numeric[] := '{}';
	x numeric;
BEGIN
	FOR i IN 0..runs LOOP
		x := pg_temp.run_ms(qa, folder, folders, data);
		IF i > 0 THEN ta := ta || x; END IF;
		x := pg_temp.run_ms(qb, folder, folders, data);
		IF i > 0 THEN tb := tb || x; END IF;
	END LOOP;
	a_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ta) v);
	b_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(tb) v);
END $$;

-- message i of about size bytes: a multipart/alternative with the same
-- text twice, plain (7bit) and HTML, and a UTF-8 subject encoded per RFC 2047
CREATE FUNCTION pg_temp.message(i int, size int) RETURNS bytea LANGUAGE sql AS $$
	SELECT convert_to(
		'Return-Path: <sender@example.org>' || E'\r\n' ||
		'Received: from mx.example.org by mail.example.com; Tue, 2 Jan 2024 10:00:0' || (i % 10) || ' +0000' || E'\r\n' ||
		'From: "Sender ' || i || '" <sender@example.org>' || E'\r\n' ||
		'To: Bench <bench@example.com>, "Someone Else" <else@example.com>' || E'\r\n' ||
		'Cc: cc@example.com' || E'\r\n' ||
		'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_number_' || i || '?=' || E'\r\n' ||
		'Date: Tue, 2 Jan 2024 10:00:00 +0000' || E'\r\n' ||
		'Message-ID: <bench-' || i || '@example.org>' || E'\r\n' ||
		'MIME-Version: 1.0' || E'\r\n' ||
		'Content-Type: multipart/alternative; boundary="b"' || E'\r\n' || E'\r\n' ||
		'--b' || E'\r\n' || 'Content-Type: text/plain; charset=utf-8' || E'\r\n' || E'\r\n' ||
		repeat('The quick brown fox jumps over the lazy dog, line ' || i || '.' || E'\r\n', size / 2 / 60) ||
		'--b' || E'\r\n' || 'Content-Type: text/html; charset=utf-8' || E'\r\n' || E'\r\n' ||
		'<html><body>' || repeat('<p>The quick brown fox jumps over the lazy dog.</p>' || E'\r\n', size / 2 / 60) ||
		'</body></html>' || E'\r\n' || '--b--' || E'\r\n', 'UTF8')
$$;

CREATE TEMP TABLE result (what text, size int, n int, ews_ms numeric, insert_ms numeric);

CREATE FUNCTION pg_temp.bench(runs int, drafts text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	blob bytea := pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, (4096 - 40) / 8);
	blobs bytea[] := array_fill(blob, ARRAY[100]);
	msgs bytea[];
	a numeric;
	b numeric;
BEGIN
	IF length(blob) <> 4096 THEN
		RAISE EXCEPTION 'blob of % bytes, wanted 4096', length(blob);
	END IF;
	SELECT * INTO a, b FROM pg_temp.median_ms(
		'SELECT 1 FROM ews_upload_items($2, $3) WHERE response_code = ''NoError''',
		'INSERT INTO plain_item (blob) SELECT unnest($3)',
		runs, drafts, blobs);
	INSERT INTO result VALUES ('UploadItems', 4096, 100, a, b);
	FOREACH a IN ARRAY ARRAY[4096, 65536] LOOP
		SELECT array_agg(pg_temp.message(i, a::int) ORDER BY i) INTO msgs FROM generate_series(1, 100) i;
		-- every message makes an item
		IF (SELECT count(*) FROM ews_create_items(drafts, NULL, msgs) WHERE response_code = 'NoError') <> 100 THEN
			RAISE EXCEPTION 'a message did not make an item';
		END IF;
		INSERT INTO result SELECT 'CreateItem from MIME', (SELECT avg(length(m))::int FROM unnest(msgs) m), 100, *
		  FROM pg_temp.median_ms(
			'SELECT 1 FROM ews_create_items($1, NULL, $3) WHERE response_code = ''NoError''',
			'INSERT INTO plain_item (blob) SELECT unnest($3)',
			runs, drafts, msgs);
	END LOOP;
END $$;

\o /dev/null
SELECT pg_temp.bench(:runs, :'drafts');
\o

\echo
\echo 'ews item write benchmark, 100 items per call, median of' :runs 'runs'
\pset footer off
SELECT what, size AS "bytes per item",
       round(ews_ms, 2) AS "ews ms",
       round(insert_ms, 2) AS "INSERT ms",
       round(1000.0 * n / ews_ms) AS "ews items/s",
       round(n * size / 1048576.0 / (ews_ms / 1000), 1) AS "ews MiB/s",
       round(n * size / 1048576.0 / (insert_ms / 1000), 1) AS "INSERT MiB/s",
       round(ews_ms / insert_ms, 2) AS "time ratio"
  FROM result ORDER BY what DESC, size;
SELECT CASE WHEN ews_ms / insert_ms <= 1.3 THEN 'UploadItems of 4 KiB items: ' || round(ews_ms / insert_ms, 2) || 'x a plain INSERT, within 1.3x'
            ELSE 'UploadItems of 4 KiB items: ' || round(ews_ms / insert_ms, 2) || 'x a plain INSERT, NOT within 1.3x' END AS "target"
  FROM result WHERE what = 'UploadItems';
SQL
