#!/usr/bin/env bash
# FindItem, GetItem and ConvertId through ews_soap(): test/soap/items.py,
# every response validated with test/tools/ews-validate.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 test/soap/items.py
