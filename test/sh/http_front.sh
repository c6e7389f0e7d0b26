#!/usr/bin/env bash
# The HTTP front (test/http/ews_http_front.py) does what an EWS endpoint must
# for real clients, in both its modes: 401 + WWW-Authenticate: Basic to any
# request without valid credentials (GET included), Content-Type exactly
# text/xml; charset=utf-8 on every XML answer, the path case-insensitive, a
# SOAP fault (not a reset) for an oversized body, chunked bodies, no
# redirects, concurrent requests; in pooled mode the authenticated user is the
# acting user.  Checks: test/http/front_checks.py.  Every XML answer passes
# ews-validate.
#
# Pooled mode with two users, as a deployment runs it (README "The HTTP
# front"): a pooled login role ews_http_web with impersonate on both
# mailboxes, which a NOLOGIN role owns; the front's own user list.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/clients/lib.sh
db=ews_http_front
tmp=$(mktemp -d /tmp/ews_http_front.XXXXXX)
login_pid= pooled_pid=
cleanup() {
	ews_stop $login_pid $pooled_pid
	ews_rm_tmp "$tmp" http_front
	dropdb --if-exists $db >/dev/null 2>&1
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_http_alice;
DROP ROLE IF EXISTS ews_http_web;
DROP ROLE IF EXISTS ews_http_owners;
-- login mode: the Basic credentials are this role's
CREATE ROLE ews_http_alice LOGIN PASSWORD 'alice-pw' IN ROLE ews_user;
SELECT ews_create_mailbox('http-alice@example.com', 'Alice', 'ews_http_alice');
-- pooled mode
CREATE ROLE ews_http_web LOGIN PASSWORD 'web-pw' IN ROLE ews_user;
CREATE ROLE ews_http_owners NOLOGIN;
SELECT ews_create_mailbox('alice@example.com', 'Alice', 'ews_http_owners');
SELECT ews_create_mailbox('bob@example.com', 'Bob', 'ews_http_owners');
SELECT ews_grant('alice@example.com', 'ews_http_web', 'impersonate');
SELECT ews_grant('bob@example.com', 'ews_http_web', 'impersonate');
SELECT item_id FROM ews_create_item(ews_folder_id('bob@example.com', 'inbox'),
       convert_to(E'From: carol@example.com\r\nSubject: for bob only\r\n\r\nsecret\r\n', 'UTF8'));
SQL
ews_add_user "$tmp/users" alice alice-secret alice@example.com
ews_add_user "$tmp/users" bob bob-secret bob@example.com
mkdir "$tmp/trace"
ews_front_start "$tmp/login.log" --dsn "dbname=$db" --max-request-size 65536 --trace "$tmp/trace" || exit 1
login_pid=$front_pid login_port=$front_port
ews_front_start "$tmp/pooled.log" --dsn "dbname=$db user=ews_http_web password=web-pw" \
	--users "$tmp/users" --trace "$tmp/trace" || exit 1
pooled_pid=$front_pid pooled_port=$front_port
PGDATABASE=$db timeout 300 $PY test/http/front_checks.py "$login_port" "$pooled_port" "$tmp/users" "$tmp/trace"
