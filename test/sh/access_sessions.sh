#!/usr/bin/env bash
# Acting for a user across sessions and on a pooled connection, the way a web
# backend uses it: ews_act_as lasts the transaction and never leaks into the
# next request on the same connection (commit, rollback, error, autocommit);
# no setting can name the acting user; a delegate grant removed, or an
# impersonate grant revoked, by another session is refused at the next
# statement of a transaction already acting.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
db=ews_access_sessions
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_sess_web;
DROP ROLE IF EXISTS ews_sess_owner;
CREATE ROLE ews_sess_web LOGIN PASSWORD 'sess-web-pw' IN ROLE ews_user;
CREATE ROLE ews_sess_owner LOGIN PASSWORD 'sess-owner-pw' IN ROLE ews_user;
SELECT ews_create_mailbox('sess-alice@example.com', 'Alice', 'ews_sess_owner');
SELECT ews_create_mailbox('sess-bob@example.com', 'Bob', 'ews_sess_owner');
SELECT ews_grant('sess-alice@example.com', 'ews_sess_web', 'impersonate');
SELECT ews_grant('sess-bob@example.com', 'ews_sess_web', 'impersonate');
SQL
trap 'dropdb --if-exists $db >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS ews_sess_web; DROP ROLE IF EXISTS ews_sess_owner" >/dev/null 2>&1' EXIT

$PY - "$db" <<'PY'
import sys
import psycopg2
db = sys.argv[1]
passed = failed = 0
def check(cond, what, detail=""):
    global passed, failed
    n = passed + failed + 1
    if cond: passed += 1; print(f"ok {n} - {what}")
    else: failed += 1; print(f"not ok {n} - {what}"); detail and print("#   " + str(detail)[:2000])

def connect(role):
    c = psycopg2.connect(dbname=db, user=role, password=role.replace("ews_sess_", "sess-") + "-pw")
    c.autocommit = True
    return c
web = connect("ews_sess_web")           # the pool's one connection
owner = connect("ews_sess_owner")       # another session: bob's and alice's owner
def one(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0] if cur.description else None
def err(conn, sql, args=()):
    try:
        one(conn, sql, args)
        return None
    except psycopg2.Error as e:
        return e.pgcode
B_INBOX = one(owner, "SELECT ews_folder_id('sess-bob@example.com', 'inbox')")
A_INBOX = one(owner, "SELECT ews_folder_id('sess-alice@example.com', 'inbox')")
GET_B = f"SELECT response_code FROM ews_get_folder(ARRAY['{B_INBOX}'])"
GET_A = f"SELECT response_code FROM ews_get_folder(ARRAY['{A_INBOX}'])"

# one request per transaction, as a pooled backend sends them
web.autocommit = False
one(web, "SELECT ews_act_as('sess-alice@example.com')")
check(one(web, GET_B) == "ErrorNonExistentMailbox", "request 1 acts for alice: bob's inbox does not exist")
web.commit()
check(one(web, "SELECT ews_acting_mailbox()") is None and one(web, GET_B) == "NoError",
      "request 2 on the same connection, after COMMIT: no acting user, the pool's own rights")
web.commit()
one(web, "SELECT ews_act_as('sess-alice@example.com')")
web.rollback()
check(one(web, "SELECT ews_acting_mailbox()") is None, "after ROLLBACK: no acting user")
web.commit()
one(web, "SELECT ews_act_as('sess-alice@example.com')")
check(err(web, "SELECT 1/0") == "22012", "a request that fails ...")
web.rollback()
check(one(web, "SELECT ews_acting_mailbox()") is None, "... leaves no acting user behind")
web.commit()

# a setting cannot name or keep it
web.autocommit = True
check(err(web, "SET ews.act_as = 'sess-alice@example.com'") == "42602", "SET ews.act_as: no such setting, the ews prefix is reserved")
check(err(web, "SELECT set_config('ews.acting', 'sess-alice@example.com', false)") == "42602", "set_config('ews.acting', ...) likewise")
check(one(web, "SELECT ews_acting_mailbox()") is None and one(web, GET_B) == "NoError", "and nothing acts")

# autocommit: one statement
notices_before = len(web.notices)
one(web, "SELECT ews_act_as('sess-alice@example.com')")
check(any("this statement only" in n for n in web.notices[notices_before:]), "ews_act_as outside a transaction block warns", web.notices)
check(one(web, "SELECT ews_acting_mailbox()") is None, "and lasts that one statement")
# the get depends on the act_as result, so it runs after it
check(one(web, f"SELECT g.response_code FROM (SELECT ews_act_as('sess-alice@example.com')::text AS x) a,"
               f" LATERAL ews_get_folder(ARRAY['{B_INBOX}' || a.x]) g") == "ErrorNonExistentMailbox",
      "within which it acts")

# a delegate grant removed by another session: refused at the next statement
one(owner, "SELECT ews_add_delegate('sess-bob@example.com', 'sess-alice@example.com', 'reviewer')")
web.autocommit = False
one(web, "SELECT ews_act_as('sess-alice@example.com')")
check(one(web, GET_B) == "NoError", "alice, bob's reviewer, reads bob's inbox")
one(owner, "SELECT ews_remove_delegate('sess-bob@example.com', 'sess-alice@example.com')")
check(one(web, GET_B) == "ErrorNonExistentMailbox", "bob's owner removes the grant in another session: the next statement is refused")
web.rollback()

# the impersonate grant revoked by another session: the next call is refused
one(web, "SELECT ews_act_as('sess-alice@example.com')")
check(one(web, GET_A) == "NoError", "the pool acts for alice")
one(owner, "SELECT ews_revoke('sess-alice@example.com', 'ews_sess_web', 'impersonate')")
check(err(web, GET_A) == "42704", "alice's owner revokes the pool's impersonate grant: the next call is refused")
web.rollback()
check(err(web, "SELECT ews_act_as('sess-alice@example.com')") == "42704", "and the pool can no longer act for alice")
web.rollback()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
