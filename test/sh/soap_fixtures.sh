#!/usr/bin/env bash
# SOAP fixtures: requests of test/soap/ (the seeds' among them) through
# ews_soap(), their codes and shapes checked, every response validated
# against the EWS schema (test/ews-schema) with test/tools/ews-validate.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Debian's python3 (with python3-lxml), not whatever python3 comes first in PATH
exec /usr/bin/python3 test/soap/fixtures.py
