#!/usr/bin/env bash
# bench/move_folder.sh: MoveFolder of a folder with 100 000 descendant
# folders (and 100 000 items) against MoveFolder of an empty folder, both
# against the plain-SQL baseline (one UPDATE of the folder row), in one run
# in a throwaway cluster; then CopyFolder of a 1 000-folder subtree.  Each
# move is its own transaction (COMMIT included) and goes back and forth
# between the inbox and junkemail; the table shows medians.  The SQL is in
# bench/move_folder.sql.
#
#   bash bench/move_folder.sh            # 2 x 51 moves per case
#   BENCH_N=201 bash bench/move_folder.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
make -s 2>&1
export BENCH_N=${BENCH_N:-51}
ews_in_cluster bash -c \
	'createdb ews_bench && psql -X -v ON_ERROR_STOP=1 -v n="$BENCH_N" -d ews_bench -f bench/move_folder.sql'
