#!/usr/bin/env bash
# SyncFolderItems paging while six sessions write to the folder: see
# test/stress/sync_race.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_sync_race
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/sync_race.py --db $db || rc=$?
dropdb $db
exit $rc
