#!/usr/bin/env bash
# The demo's steps, run inside the throwaway cluster by test/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
createdb ews_demo
psql -X -v ON_ERROR_STOP=1 -d ews_demo -f test/demo.sql
