#!/usr/bin/env bash
# SyncFolderItems and SyncFolderHierarchy through ews_soap(): see
# test/soap/sync.py; every response validated with test/tools/ews-validate.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Debian's python3 (with python3-lxml), not whatever python3 comes first in PATH
exec /usr/bin/python3 test/soap/sync.py
