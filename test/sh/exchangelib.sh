#!/usr/bin/env bash
# A real EWS client end to end: exchangelib (Debian's python3-exchangelib)
# talks to the HTTP front (test/http/ews_http_front.py), which hands each
# request to ews_soap().  Steps and assertions: test/http/exchangelib_e2e.py.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
db=ews_exchangelib
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
ids=/tmp/ews_exchangelib_ids.$$
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
psql -X -At -v ON_ERROR_STOP=1 -d $db >"$ids" <<'SQL'
SELECT c.item_id || ' ' || c.change_key
  FROM generate_series(1, 3) n,
       ews_create_item(ews_folder_id('el-user@example.com', 'inbox'),
         convert_to(format(E'From: a@example.com\r\nTo: el-user@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= %s\r\nMessage-ID: <m%s@example.com>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nBody %s\r\n', n, n, n), 'UTF8')) c;
SELECT folder_id AS tmp FROM ews_create_folder(ews_folder_id('el-user@example.com', 'inbox'), 'tmp') \gset
SELECT 'deleted ' || item_id || ' ' || change_key
  FROM ews_create_item(:'tmp', convert_to(E'Subject: gone\r\n\r\nx\r\n', 'UTF8'));
SELECT response_code FROM ews_delete_folder(ARRAY[:'tmp']) WHERE response_code <> 'NoError';
SQL
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY test/http/ews_http_front.py --port "$port" --dsn "dbname=$db" ${EWS_FRONT_TRACE:+--trace $EWS_FRONT_TRACE} >/tmp/ews_front_el.$$ 2>&1 &
front=$!
trap 'kill $front 2>/dev/null; wait $front 2>/dev/null; rm -f /tmp/ews_front_el.$$ "$ids"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
for _ in $(seq 50); do grep -q listening /tmp/ews_front_el.$$ && break; sleep 0.1; done
timeout 300 $PY test/http/exchangelib_e2e.py "http://127.0.0.1:$port/EWS/Exchange.asmx" \
	ews_el_user el-pw el-user@example.com "$ids"
