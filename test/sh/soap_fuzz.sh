#!/usr/bin/env bash
# Mutation fuzzing of ews_soap(): EWS_SOAP_FUZZ_N (default 10000) mutated
# requests in one session, then the server and the mailbox invariants.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 test/soap/fuzz.py
