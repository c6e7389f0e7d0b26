#!/usr/bin/env bash
# Scale-out: three ews nodes (throwaway clusters started here, removed at the
# end) and a PL/Proxy router (a database in the cluster PGHOST points at);
# mailboxes spread, the SQL and SOAP faces and the seed requests through
# the router, a mailbox moved under concurrent requests.  See
# test/router/router.py.
set -uo pipefail
cd "$(dirname "$0")/../.."
# Debian's python3 (with python3-lxml and python3-psycopg2)
exec /usr/bin/python3 test/router/router.py
