#!/usr/bin/env bash
# The EWS Managed API's JavaScript port end to end: ews-javascript-api (npm,
# pinned by test/clients/ejs/package-lock.json, installed here with npm ci)
# over plain HTTP with Basic credentials against the HTTP front in pooled mode.
# Steps and assertions: test/clients/ejs/ejs_e2e.js; every response it
# received is validated.  Works with Debian 12's Node 18 and with Node 20.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/clients/lib.sh
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "not ok - node and npm are not installed (test/deps.sh installs them)"
	exit 1
fi
echo "# node $(node --version), npm $(npm --version 2>/dev/null)"
if ! (cd test/clients/ejs && npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null 2>&1); then
	echo "not ok - npm ci in test/clients/ejs failed:"
	(cd test/clients/ejs && npm ci --no-audit --no-fund --prefer-offline 2>&1 | tail -20 | sed 's/^/#   /')
	exit 1
fi
db=ews_ejs
tmp=$(mktemp -d /tmp/ews_ejs.XXXXXX)
front_pid=
cleanup() {
	ews_stop $front_pid
	ews_rm_tmp "$tmp" ejs
	dropdb --if-exists $db >/dev/null 2>&1
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_ejs_web;
DROP ROLE IF EXISTS ews_ejs_owner;
CREATE ROLE ews_ejs_web LOGIN PASSWORD 'ejs-web-pw' IN ROLE ews_user;
CREATE ROLE ews_ejs_owner NOLOGIN;
SELECT ews_create_mailbox('ejs-user@example.com', 'EJS User', 'ews_ejs_owner');
SELECT ews_grant('ejs-user@example.com', 'ews_ejs_web', 'impersonate');
SQL
ews_add_user "$tmp/users" ejsuser 'ejs-pw' ejs-user@example.com
mkdir "$tmp/trace"
ews_front_start "$tmp/front.log" --dsn "dbname=$db user=ews_ejs_web password=ejs-web-pw" \
	--users "$tmp/users" --trace "$tmp/trace" || exit 1
PGDATABASE=$db timeout 600 node test/clients/ejs/ejs_e2e.js "http://127.0.0.1:$front_port/EWS/Exchange.asmx" \
	ejsuser ejs-pw ejs-user@example.com "$tmp/trace"
