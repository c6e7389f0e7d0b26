#!/usr/bin/env bash
# bench/find_folder.sh: FindFolder paging and the depth limit, in one run, in
# a throwaway cluster (pg_virtualenv).  The SQL is bench/find_folder.sql.
#
#   FindFolder Deep through ews_soap, Default shape (counts included), pages
#   of 100 from the root of a mailbox of 20 000 folders: the page at offset
#   10 000 against the first page, interleaved, BENCH_RUNS times each
#   (default 21), medians; before ANALYZE (the planner knows nothing of the
#   tables) and after.  DESIGN.md: the page at 10 000 within 2x of the first.
#   Depth: a SOAP request nesting 3 000 elements, and a chain of 3 000
#   folders asked for through ews_create_folder, are refused (the request at
#   the pre-scan, the chain at depth 300); a 3 000-deep chain that 0.1 could
#   hold (written straight into the table) is listed by ews_find_folder Deep
#   under temp_file_limit = 1MB (116 s and 19 GB of temporary files in 0.1).
#
#   bash bench/find_folder.sh
#   BENCH_RUNS=51 bash bench/find_folder.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
make -s 2>&1
export BENCH_RUNS=${BENCH_RUNS:-21}
ews_in_cluster bash -c \
	'createdb ews_bench && psql -X -v ON_ERROR_STOP=1 -v runs="$BENCH_RUNS" -d ews_bench -f bench/find_folder.sql'
