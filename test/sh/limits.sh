#!/usr/bin/env bash
# Limits (issue 12): every row of the issue's table and every limit of
# README "Limits and settings" as a test; see test/limits/limits.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 test/limits/limits.py
