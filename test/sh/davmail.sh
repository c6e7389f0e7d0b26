#!/usr/bin/env bash
# A real IMAP gateway end to end: DavMail (Debian's davmail-server, headless,
# EWS mode, plain HTTP + Basic) in front of the HTTP front in pooled mode,
# driven by Python's imaplib.  Steps and assertions:
# test/clients/davmail_e2e.py; every response DavMail received is validated.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/clients/lib.sh
if ! command -v davmail-server >/dev/null; then
	echo "not ok - davmail-server is not installed (test/deps.sh installs it)"
	exit 1
fi
db=ews_davmail
tmp=$(mktemp -d /tmp/ews_davmail.XXXXXX)
front_pid= dm_pid=
cleanup() {
	ews_stop $dm_pid $front_pid
	ews_rm_tmp "$tmp" davmail
	dropdb --if-exists $db >/dev/null 2>&1
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
# the deployment of README "Deploying behind a web backend": a pooled login
# role with impersonate on the mailbox, which a NOLOGIN role owns
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_dm_web;
DROP ROLE IF EXISTS ews_dm_owner;
CREATE ROLE ews_dm_web LOGIN PASSWORD 'dm-web-pw' IN ROLE ews_user;
CREATE ROLE ews_dm_owner NOLOGIN;
SELECT ews_create_mailbox('dm-user@example.com', 'DavMail User', 'ews_dm_owner');
SELECT ews_grant('dm-user@example.com', 'ews_dm_web', 'impersonate');
SQL
ews_add_user "$tmp/users" dmuser 'dm-pw' dm-user@example.com
mkdir "$tmp/trace"
ews_front_start "$tmp/front.log" --dsn "dbname=$db user=ews_dm_web password=dm-web-pw" \
	--users "$tmp/users" --trace "$tmp/trace" || exit 1
imap_port=$(ews_free_port)
sed -e "s|@EWS_URL@|http://127.0.0.1:$front_port/ews/exchange.asmx|" -e "s|@IMAP_PORT@|$imap_port|" \
	-e "s|@LOG@|$tmp/davmail.log|" test/clients/davmail.properties.in >"$tmp/davmail.properties"
davmail-server "$tmp/davmail.properties" >"$tmp/davmail.out" 2>&1 &
dm_pid=$!
for _ in $(seq 300); do
	grep -q "listening on IMAP port $imap_port" "$tmp/davmail.out" 2>/dev/null && break
	kill -0 $dm_pid 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "listening on IMAP port" "$tmp/davmail.out"; then
	echo "not ok - DavMail did not start:"; sed 's/^/#   /' "$tmp/davmail.out"
	exit 1
fi
PGDATABASE=$db timeout 600 $PY test/clients/davmail_e2e.py "$imap_port" dmuser dm-pw dm-user@example.com "$tmp/trace"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# DavMail's log (last 60 lines):"
	tail -60 "$tmp/davmail.log" | sed 's/^/#   /'
fi
exit $rc
