#!/usr/bin/env bash
# CreateItem, UpdateItem, DeleteItem, MoveItem, CopyItem, UpdateFolder and
# EmptyFolder through ews_soap(): test/soap/itemwrite.py, every response
# validated with test/tools/ews-validate.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 test/soap/itemwrite.py
