#!/usr/bin/env bash
# Article numbers and folder counters under eight concurrent writers and a
# reader: see test/stress/content_race.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=ews_content_race
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
rc=0
/usr/bin/python3 test/stress/content_race.py --db $db || rc=$?
dropdb $db
exit $rc
