#!/usr/bin/env bash
# MoveFolder under concurrency: the deterministic A-into-B / B-into-A race
# (READ COMMITTED and REPEATABLE READ), then a storm of 8 sessions moving
# folders at random in one mailbox of 500 folders with items, with
# simultaneous A-into-B / B-into-A pairs; afterwards the tree is whole and
# every acknowledged move is visible.  See test/stress/move_storm.py.
# Long form: EWS_STORM_LONG=1 (or EWS_STORM_FOLDERS, EWS_STORM_OPS).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_move_storm
if [ -n "${EWS_STORM_LONG:-}" ]; then folders=${EWS_STORM_FOLDERS:-2000} ops=${EWS_STORM_OPS:-2000} rounds=3
else folders=${EWS_STORM_FOLDERS:-500} ops=${EWS_STORM_OPS:-300} rounds=1; fi
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/move_storm.py --db $db --folders "$folders" --ops "$ops" --rounds "$rounds" || rc=$?
dropdb $db
exit $rc
