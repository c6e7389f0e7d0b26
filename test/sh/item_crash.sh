#!/usr/bin/env bash
# Item writes and a server crash: the storm of test/sh/item_storm.sh, the
# postmaster killed with SIGKILL in the middle, the cluster restarted
# (pg_ctlcluster: works in the pg_virtualenv cluster of test/run.sh); then
# every acknowledged write is there and the content invariants hold.  See
# test/stress/item_storm.py.  More: EWS_CRASH_ROUNDS=N.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_item_crash
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/item_storm.py --db $db --ops "${EWS_ITEM_STORM_OPS:-150}" --crash \
	--rounds "${EWS_CRASH_ROUNDS:-1}" || rc=$?
dropdb $db
exit $rc
