#!/usr/bin/env bash
# A real EWS client end to end: exchangelib (Debian's python3-exchangelib)
# talks to the HTTP front (test/http/ews_http_front.py, login mode: the Basic
# credentials are a PostgreSQL role's), which hands each request to ews_soap().
# Steps and assertions: test/http/exchangelib_e2e.py; every response
# exchangelib received is validated (the front's trace).
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/clients/lib.sh
db=ews_exchangelib
tmp=$(mktemp -d /tmp/ews_exchangelib.XXXXXX)
front_pid=
cleanup() {
	ews_stop $front_pid
	ews_rm_tmp "$tmp" exchangelib
	dropdb --if-exists $db >/dev/null 2>&1
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_el_user;
CREATE ROLE ews_el_user LOGIN PASSWORD 'el-pw' IN ROLE ews_user;
SELECT ews_create_mailbox('el-user@example.com', 'Exchangelib User', 'ews_el_user');
SQL
# three messages in the inbox, and one item that is deleted again (for the
# per-item error of an export batch): made through SQL, as a mail
# delivery agent would
psql -X -At -v ON_ERROR_STOP=1 -d $db >"$tmp/ids" <<'SQL'
SELECT c.item_id || ' ' || c.change_key
  FROM generate_series(1, 3) n,
       ews_create_item(ews_folder_id('el-user@example.com', 'inbox'),
         convert_to(format(E'From: a@example.com\r\nTo: el-user@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= %s\r\nMessage-ID: <m%s@example.com>\r\nDate: Sat, %s Nov 2026 10:00:00 +0000\r\n\r\nBody %s\r\n', n, n, 20 + n, n), 'UTF8')) c;
SELECT folder_id AS tmp FROM ews_create_folder(ews_folder_id('el-user@example.com', 'inbox'), 'tmp') \gset
SELECT 'deleted ' || item_id || ' ' || change_key
  FROM ews_create_item(:'tmp', convert_to(E'Subject: gone\r\n\r\nx\r\n', 'UTF8'));
SELECT response_code FROM ews_delete_folder(ARRAY[:'tmp']) WHERE response_code <> 'NoError';
SQL
mkdir "$tmp/trace"
ews_front_start "$tmp/front.log" --dsn "dbname=$db" --trace "$tmp/trace" || exit 1
PGDATABASE=$db timeout 600 $PY test/http/exchangelib_e2e.py "http://127.0.0.1:$front_port/EWS/Exchange.asmx" \
	ews_el_user el-pw el-user@example.com "$tmp/ids" "$tmp/trace"
