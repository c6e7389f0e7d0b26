#!/usr/bin/env bash
# Item writes racing: 8 sessions create, update, move, copy and delete items
# in the same folders (and now and then empty one); then the content
# invariants hold: nothing lost, article numbers unique and in commit order,
# counters exact, a tombstone for every item that left a folder, no
# deadlock.  See test/stress/item_storm.py.  Bigger: EWS_ITEM_STORM_OPS=N.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_item_storm
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/item_storm.py --db $db --ops "${EWS_ITEM_STORM_OPS:-150}" || rc=$?
dropdb $db
exit $rc
