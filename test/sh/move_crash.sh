#!/usr/bin/env bash
# MoveFolder and a server crash: the storm of test/sh/move_storm.sh, the
# postmaster killed with SIGKILL in the middle, the cluster restarted
# (pg_ctlcluster); then the tree is whole and every move whose COMMIT was
# acknowledged is visible.  See test/stress/move_storm.py.
# Long form: EWS_STORM_LONG=1 (5 crashes), or EWS_CRASH_ROUNDS=N.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_move_crash
if [ -n "${EWS_STORM_LONG:-}" ]; then folders=${EWS_STORM_FOLDERS:-2000} ops=${EWS_STORM_OPS:-2000} rounds=${EWS_CRASH_ROUNDS:-5}
else folders=${EWS_STORM_FOLDERS:-500} ops=${EWS_STORM_OPS:-300} rounds=${EWS_CRASH_ROUNDS:-1}; fi
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/move_storm.py --db $db --folders "$folders" --ops "$ops" --rounds "$rounds" --crash || rc=$?
dropdb $db
exit $rc
