#!/usr/bin/env bash
# test/in_cluster.sh: the database tests, run by test/run.sh inside
# pg_virtualenv (PGHOST, PGPORT, PGUSER point at the throwaway cluster).
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

echo "# pg_regress"
if ! make -s installcheck; then
	cat regression.diffs 2>/dev/null
	fail=1
fi

echo "# pgTAP"
dropdb --if-exists ews_tap >/dev/null 2>&1
createdb ews_tap
psql -X -q -d ews_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION ews;' >/dev/null
pg_prove -d ews_tap test/pgtap/*.sql || fail=1

for t in test/sh/*.sh; do
	[ -e "$t" ] || continue
	echo "# $t (at ${SECONDS} s of the cluster run)"
	bash "$t" || { echo "# FAILED: $t"; fail=1; }
done
exit $fail
