#!/usr/bin/env bash
# bench/sync.sh: an incremental SyncFolderItems after 10 changes in a folder
# of 100 000 items against the same in a folder of 100 items, in one run in
# a throwaway cluster (pg_virtualenv).
#
# Both folders are synced to the end first (the state a client keeps).  Each
# run then makes 10 changes in one folder (3 new items and 3 content updates
# through UploadItems, 2 read-flag changes and 2 removals the way content.c
# makes them: test/sync_helpers.sql), times one SyncFolderItems from the
# kept state (MaxChangesReturned 512), checks that it reported the 10 changes,
# and rolls the changes back (a subtransaction per run), so every run starts
# from the same folder.  Timed: the SOAP operation through ews_soap (Default
# shape, what a client sends) and the SQL twin ews_sync_folder_items; the two
# folders run alternately, so both see the same load.  Each figure is the
# median of BENCH_RUNS runs (default 31) after one warm-up, timed inside the
# server with clock_timestamp().  The issue's bar: the big folder within 2x
# of the small one.
#
#   bash bench/sync.sh
#   BENCH_RUNS=101 bash bench/sync.sh
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
\o /dev/null
CREATE EXTENSION ews;
SET client_min_messages = warning;
\i test/blob_helpers.sql
\i test/sync_helpers.sql
SELECT ews_create_mailbox('bench@example.com') AS mb \gset
SELECT folder_id AS big FROM ews_create_folder(ews_folder_id('bench@example.com', 'inbox'), 'big') \gset
SELECT folder_id AS small FROM ews_create_folder(ews_folder_id('bench@example.com', 'inbox'), 'small') \gset

-- the items, through UploadItems, 10 000 a call (a superuser's batch limit)
SET ews.max_batch_size = 10000;
SELECT sum((SELECT count(*) FROM ews_upload_items(array_fill(:'big'::text, ARRAY[10000]),
                                                  ARRAY(SELECT pg_temp.msg('big ' || b || '.' || g)
                                                          FROM generate_series(1, 10000) g))))
  FROM generate_series(1, 10) b;
SELECT count(*) FROM ews_upload_items(array_fill(:'small'::text, ARRAY[100]),
                                      ARRAY(SELECT pg_temp.msg('small ' || g) FROM generate_series(1, 100) g));
VACUUM ANALYZE ews.item;

-- a client's kept state: synced to the end
CREATE FUNCTION pg_temp.synced(folder text) RETURNS text LANGUAGE sql AS $$
	SELECT sync_state FROM pg_temp.sync_items(folder, NULL, 512) WHERE change_type IS NULL
$$;
SELECT pg_temp.synced(:'big') AS big_state, pg_temp.synced(:'small') AS small_state \gset

-- one run: 10 changes, the timed sync, the changes undone; returns ms
CREATE FUNCTION pg_temp.run_ms(folder text, state text, soap boolean) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
	ids text[];
	t timestamptz;
	ms numeric;
	n int;
	req text;
BEGIN
	BEGIN
		SELECT array_agg(pg_temp.ews_id(i.mailbox_id::text, 2, i.item_id) ORDER BY i.item_id) INTO ids
		  FROM (SELECT mailbox_id, item_id FROM ews.item
		         WHERE folder_id = pg_temp.local_id(folder) ORDER BY item_id LIMIT 7) i;
		PERFORM pg_temp.add(folder, ARRAY['new 1', 'new 2', 'new 3']);
		PERFORM pg_temp.edit(folder, ids[1], 'edited 1');
		PERFORM pg_temp.edit(folder, ids[2], 'edited 2');
		PERFORM pg_temp.edit(folder, ids[3], 'edited 3');
		PERFORM pg_temp.set_read(ids[4], true);
		PERFORM pg_temp.set_read(ids[5], true);
		PERFORM pg_temp.remove(ids[6]);
		PERFORM pg_temp.remove(ids[7]);
		IF soap THEN
			req := format('<?xml version="1.0" encoding="utf-8"?><soap:Envelope'
				' xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
				' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
				' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body>'
				'<m:SyncFolderItems><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
				'<m:SyncFolderId><t:FolderId Id="%s"/></m:SyncFolderId><m:SyncState>%s</m:SyncState>'
				'<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems></soap:Body></soap:Envelope>',
				folder, state);
			t := clock_timestamp();
			SELECT (SELECT count(*) FROM regexp_matches(response, '<t:(Create|Update|Delete|ReadFlagChange)>', 'g'))
			  INTO n FROM ews_soap(req, 'bench@example.com');
		ELSE
			t := clock_timestamp();
			SELECT count(change_type) INTO n FROM ews_sync_folder_items(folder, state, 512);
		END IF;
		ms := extract(epoch FROM clock_timestamp() - t) * 1000;
		IF n <> 10 THEN
			RAISE EXCEPTION 'the sync reported % changes, not 10', n USING ERRCODE = 'P0002';
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
	EXCEPTION WHEN raise_exception THEN
		NULL;				-- ms keeps its value; the changes are undone
	END;
	RETURN ms;
END $$;

CREATE TEMP TABLE result (face text, big_ms numeric, small_ms numeric);
CREATE FUNCTION pg_temp.bench(face text, soap boolean, runs int, big text, big_state text,
                              small text, small_state text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tb numeric[] := '{}';
	ts numeric[] := '{}';
	x numeric;
BEGIN
	FOR i IN 0..runs LOOP
		x := pg_temp.run_ms(big, big_state, soap);
		IF i > 0 THEN tb := tb || x; END IF;
		x := pg_temp.run_ms(small, small_state, soap);
		IF i > 0 THEN ts := ts || x; END IF;
	END LOOP;
	INSERT INTO result VALUES (face,
		(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(tb) v),
		(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ts) v));
END $$;

SELECT pg_temp.bench('SOAP SyncFolderItems (ews_soap)', true, :runs, :'big', :'big_state', :'small', :'small_state');
SELECT pg_temp.bench('SQL ews_sync_folder_items', false, :runs, :'big', :'big_state', :'small', :'small_state');

\o
\echo
\echo 'incremental SyncFolderItems after 10 changes, median of' :runs 'runs'
\pset footer off
SELECT face AS "call",
       round(big_ms, 3) AS "100 000 items, ms",
       round(small_ms, 3) AS "100 items, ms",
       round(big_ms / small_ms, 2) AS "ratio"
  FROM result;
SQL
