#!/usr/bin/env bash
# bench/access.sh: what acting for a user costs, in one run, in a throwaway
# cluster (pg_virtualenv).  Small requests, where the access checks weigh
# most: GetFolder (IdOnly) of one folder through ews_soap, and
# ews_get_folder of one folder, each
#
#   - by the mailbox's owner role, acting for nobody (the baseline);
#   - by a pooled role acting for the owner's user (ews_soap's mailbox
#     argument; ews_act_as once per transaction for SQL): the acting user is
#     checked (mailbox row, impersonate grant) on every call;
#   - by the pooled role acting for another user that the owner made a
#     reviewer: the grant and delegate lookups on every call as well.
#
# Each variant runs BENCH_CALLS calls (default 200) per round, the variants
# alternating, BENCH_ROUNDS rounds (default 15); timed inside the server with
# clock_timestamp(); the median per call, and its ratio to the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
	. test/deps.sh
	ews_install_deps
	make -s
	ews_in_cluster bash "$0" --in-cluster
	exit
fi

calls="${BENCH_CALLS:-200}"
rounds="${BENCH_ROUNDS:-15}"
createdb ews_bench_access
trap 'dropdb --if-exists ews_bench_access >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS bench_owner; DROP ROLE IF EXISTS bench_pool" >/dev/null 2>&1' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d ews_bench_access -v calls="$calls" -v rounds="$rounds" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION ews;
DROP ROLE IF EXISTS bench_owner;
DROP ROLE IF EXISTS bench_pool;
CREATE ROLE bench_owner IN ROLE ews_user;
CREATE ROLE bench_pool IN ROLE ews_user;
SELECT ews_create_mailbox('owner@example.com', 'Owner', 'bench_owner') IS NOT NULL AS a,
       ews_create_mailbox('reader@example.com', 'Reader') IS NOT NULL AS b \gset
SELECT ews_grant('owner@example.com', 'bench_pool', 'impersonate'), ews_grant('reader@example.com', 'bench_pool', 'impersonate');
SELECT ews_add_delegate('owner@example.com', 'reader@example.com', 'reviewer');
SELECT ews_folder_id('owner@example.com', 'inbox') AS inbox \gset

CREATE TEMP TABLE timing (variant text, round int, ms numeric);
GRANT ALL ON timing TO PUBLIC;
-- the calls of one round; the milliseconds per call
CREATE FUNCTION pg_temp.run_calls(variant text, way text, u text, inbox text, calls int) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
	req text := '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
	         || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	         || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Body>'
	         || '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
	         || format('<t:FolderId Id="%s"/>', inbox) || '</m:FolderIds></m:GetFolder></s:Body></s:Envelope>';
	t timestamptz := clock_timestamp();
	d int;
BEGIN
	IF variant LIKE 'soap%' THEN
		FOR i IN 1..calls LOOP
			SELECT (x.s).status INTO d FROM (SELECT ews_soap(req, CASE WHEN way = 'argument' THEN u END) AS s OFFSET 0) x;
		END LOOP;
	ELSE
		FOR i IN 1..calls LOOP
			SELECT count(*) INTO d FROM ews_get_folder(ARRAY[inbox]);
		END LOOP;
	END IF;
	RETURN extract(epoch FROM clock_timestamp() - t) * 1000 / calls;
END $$;
-- one round of one variant, as role r, acting for u through way, in a
-- subtransaction that ends the acting user (PL/pgSQL variables outlive it)
CREATE FUNCTION pg_temp.round(variant text, rnd int, r text, way text, u text, inbox text, calls int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	ms numeric;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', r);
		IF way = 'act_as' THEN
			PERFORM ews_act_as(u);
		END IF;
		ms := pg_temp.run_calls(variant, way, u, inbox, calls);
		RAISE EXCEPTION USING ERRCODE = 'EWSTU';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	INSERT INTO timing VALUES (variant, rnd, ms);
END $$;

CREATE TEMP TABLE variant (o int, name text, r text, way text, u text);
INSERT INTO variant VALUES
	(1, 'soap: owner, acting for nobody', 'bench_owner', 'none', NULL),
	(2, 'soap: pool acting for the owner (mailbox argument)', 'bench_pool', 'argument', 'owner@example.com'),
	(3, 'soap: pool acting for a reviewer (mailbox argument)', 'bench_pool', 'argument', 'reader@example.com'),
	(4, 'sql: owner, acting for nobody', 'bench_owner', 'none', NULL),
	(5, 'sql: pool acting for the owner (ews_act_as)', 'bench_pool', 'act_as', 'owner@example.com'),
	(6, 'sql: pool acting for a reviewer (ews_act_as)', 'bench_pool', 'act_as', 'reader@example.com');
-- warm up, then the rounds
SELECT count(pg_temp.round(v.name, 0, v.r, v.way, v.u, :'inbox', 20)) AS warmed_up FROM variant v \gset
SELECT count(x) AS measured FROM (SELECT pg_temp.round(v.name, g, v.r, v.way, v.u, :'inbox', :calls) x
  FROM generate_series(1, :rounds) g, variant v ORDER BY g, v.o) s \gset

\pset footer off
\pset format aligned
SELECT v.name AS "GetFolder of one folder, median per call",
       round(m.us, 1) AS "µs",
       round(m.us / b.us, 2) AS "× acting for nobody"
  FROM variant v
  JOIN LATERAL (SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) * 1000)::numeric AS us
                  FROM timing t WHERE t.variant = v.name AND t.round > 0) m ON true
  JOIN LATERAL (SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) * 1000)::numeric AS us
                  FROM timing t WHERE t.variant = (CASE WHEN v.o <= 3 THEN 'soap: owner, acting for nobody' ELSE 'sql: owner, acting for nobody' END)
                   AND t.round > 0) b ON true
 ORDER BY v.o;
SQL
