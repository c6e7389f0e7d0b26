#!/usr/bin/env bash
# test/sh/upgrade.sh: ALTER EXTENSION ews UPDATE from 0.1, as a DBA does it.
#
#   1. Builds 0.1 as released (its commit, from git history) and installs it;
#      makes a database with CREATE EXTENSION ews VERSION '0.1' and fills it
#      through 0.1's own functions: three mailboxes (two owned by a role),
#      folders created, moved, copied, soft-deleted, moved to Deleted Items
#      and hard-deleted, items of 100 B to 1 MiB (uploaded, from MIME,
#      associated, updated, read and unread), delegate and impersonate grants.
#      Then it records what the store answers: mailboxes, every folder of
#      every tree, every item's export (id, ChangeKey, md5 of the bytes),
#      ExportItems through ews_soap, and for each role (owner, delegate,
#      impersonator, stranger) what it may see and do, by SQL and by SOAP.
#   2. Installs this checkout's build (the new ews.so), which must refuse the
#      0.1 database with a clear error, runs ALTER EXTENSION ews UPDATE,
#      checks that the roles using mailboxes became members of ews_user (0.2
#      lets only its members call the functions) and the stranger did not,
#      grants it ews_user, and records the same answers: they must be equal.  Then
#      writes still work on the old data (a delegate creates, uploads,
#      updates, moves; an impersonator exports through SOAP).
#   3. Compares the extension's objects with a fresh CREATE EXTENSION ews in
#      another database: the list of member objects (pg_depend), the config
#      tables registered for pg_dump with their conditions, the initial
#      privileges (pg_init_privs), and pg_dump --binary-upgrade --schema-only
#      of both databases.  The binary-upgrade dump is what pg_upgrade uses to
#      recreate every extension member exactly (definitions, ownership,
#      privileges, comments, storage, config-dump registration), so objects
#      added to ews--0.1--0.2.sql later are compared without editing this
#      test.  Only what must differ between two databases is masked: OIDs,
#      relfilenodes, attribute versions and sequence positions.
#
# Runs inside the test cluster (PGHOST etc. set) under the install lock
# (test/run.sh holds it): it installs 0.1 over the installed build and puts
# this checkout's build back when done, whatever happens.
set -uo pipefail
cd "$(dirname "$0")/../.."

# 0.1 as released: the last commit before 0.2 began (ews.control says 0.1)
OLD_COMMIT=bd1b37f68d93d0b3410666b0e82b57e1beb2409d
OLD_VERSION=0.1

pass=0 failed=0 n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 80 | cut -c1-300 | sed 's/^/#   /'
	return 0
}
check() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected: $3"$'\n'"got: $2"; fi; }

UPG=ews_upgrade FRESH=ews_upgrade_fresh
ROLES="ews_upg_owner ews_upg_delegate ews_upg_imp ews_upg_stranger"
work=$(mktemp -d "${TMPDIR:-/tmp}/ews_upgrade.XXXXXX")
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
	# this checkout's build, as test/run.sh installed it
	make -s install >/dev/null 2>&1 || echo "# upgrade.sh: could not reinstall this build" >&2
	dropdb --if-exists "$UPG" >/dev/null 2>&1
	dropdb --if-exists "$FRESH" >/dev/null 2>&1
	for r in $ROLES; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
	# EWS_UPGRADE_KEEP=1 keeps the answers, dumps and diffs for a look
	if [ -n "${EWS_UPGRADE_KEEP:-}" ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cleanup_start() {
	dropdb --if-exists "$UPG" >/dev/null 2>&1
	dropdb --if-exists "$FRESH" >/dev/null 2>&1
	for r in $ROLES; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
cleanup_start

# ---- 1. 0.1 with data ----
old=$work/ews-$OLD_VERSION
mkdir -p "$old"
if ! git cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null; then
	nok "0.1 sources: commit $OLD_COMMIT is not in this repository's history (a git clone has it)"
	echo "$pass passed, $failed failed"
	exit 1
fi
git archive "$OLD_COMMIT" | tar -x -C "$old"
check "0.1 sources: ews.control of $OLD_COMMIT says $OLD_VERSION" \
	"$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$old/ews.control")" "$OLD_VERSION"
# built as a packager builds it (no -Werror: a newer compiler must not stop the test)
if make -s -C "$old" PG_CFLAGS= >"$work/build.log" 2>&1 && make -s -C "$old" install >>"$work/build.log" 2>&1; then
	ok "0.1 built and installed"
else
	nok "0.1 built and installed" "$(tail -n 40 "$work/build.log")"
	echo "$pass passed, $failed failed"
	exit 1
fi

for r in $ROLES; do psql -X -q -d postgres -c "CREATE ROLE $r NOLOGIN" >/dev/null; done
createdb "$UPG"
if ! q -d "$UPG" >"$work/fill.log" 2>&1 <<SQL
\\set ECHO none
\\i $old/test/blob_helpers.sql
CREATE EXTENSION ews VERSION '$OLD_VERSION';
SQL
then
	nok "CREATE EXTENSION ews VERSION '$OLD_VERSION'" "$(cat "$work/fill.log")"
fi
check "the database is at $OLD_VERSION" "$(q -d "$UPG" -c "SELECT extversion FROM pg_extension WHERE extname = 'ews'")" "$OLD_VERSION"

# The data, made by 0.1's functions.  upg_ids keeps the ids the tests use
# (dropped before the schemas are compared).
if q -d "$UPG" >"$work/fill.log" 2>&1 <<SQL
\\set ECHO none
\\i $old/test/blob_helpers.sql
CREATE TABLE upg_ids (name text PRIMARY KEY, kind text NOT NULL, id text NOT NULL, ck text);
GRANT SELECT ON upg_ids TO PUBLIC;

SELECT ews_create_mailbox('alice@example.com', 'Alice') IS NOT NULL;
SELECT ews_create_mailbox('bob@example.com', 'Bob', 'ews_upg_owner') IS NOT NULL;
SELECT ews_create_mailbox('carol@example.com', 'Carol', 'ews_upg_owner') IS NOT NULL;
SELECT ews_grant('alice@example.com', 'ews_upg_delegate', 'delegate');
SELECT ews_grant('alice@example.com', 'ews_upg_imp', 'impersonate');
SELECT ews_grant('bob@example.com', 'ews_upg_delegate', 'delegate');
SELECT ews_grant('carol@example.com', 'ews_upg_imp', 'impersonate');

INSERT INTO upg_ids SELECT m || '.' || d, 'folder', ews_folder_id(m || '@example.com', d)
  FROM unnest(ARRAY['alice', 'bob', 'carol']) m,
       unnest(ARRAY['root', 'msgfolderroot', 'inbox', 'junkemail', 'deleteditems', 'recoverableitemsdeletions']) d;
CREATE FUNCTION pg_temp.id(n text) RETURNS text LANGUAGE sql AS \$\$ SELECT id FROM upg_ids WHERE name = n \$\$;
CREATE FUNCTION pg_temp.folder(n text, parent text, display text, class text DEFAULT NULL) RETURNS text
LANGUAGE sql AS \$\$
  INSERT INTO upg_ids SELECT n, 'folder', f.folder_id FROM ews_create_folder(pg_temp.id(parent), display, class) f
  WHERE f.response_code = 'NoError' RETURNING id
\$\$;
-- an item: class, subject, delivery time, flags (1: read), body
CREATE FUNCTION pg_temp.msg(subject text, flags int, body text) RETURNS bytea LANGUAGE sql AS \$\$
  SELECT pg_temp.blob(5,
    pg_temp.prop(x'001A001F'::bigint, convert_to('IPM.Note', 'UTF8')) ||
    pg_temp.prop(x'0037001F'::bigint, convert_to(subject, 'UTF8')) ||
    pg_temp.prop(x'0E060040'::bigint, pg_temp.le(pg_temp.filetime('2024-05-01 12:00:00+00'), 8)) ||
    pg_temp.prop(x'0E070003'::bigint, pg_temp.le(flags, 4)) ||
    pg_temp.prop(x'1000001F'::bigint, convert_to(body, 'UTF8')))
\$\$;
CREATE FUNCTION pg_temp.item(n text, parent text, data bytea, assoc boolean DEFAULT false) RETURNS text
LANGUAGE sql AS \$\$
  INSERT INTO upg_ids SELECT n, 'item', u.item_id, u.change_key
    FROM ews_upload_items(ARRAY[pg_temp.id(parent)], ARRAY[data], NULL, NULL, NULL, ARRAY[assoc]) u
   WHERE u.response_code = 'NoError' RETURNING id
\$\$;

-- folders: a tree, a class, a move, a deep copy, the three deletes
SELECT pg_temp.folder('alice.projects', 'alice.inbox', 'Projects');
SELECT pg_temp.folder('alice.sub', 'alice.projects', 'Sub');
SELECT pg_temp.folder('alice.archive', 'alice.msgfolderroot', 'Archive');
SELECT pg_temp.folder('alice.people', 'alice.msgfolderroot', 'People', 'IPF.Contact');
SELECT pg_temp.folder('alice.old', 'alice.inbox', 'Old');
SELECT pg_temp.folder('alice.trash', 'alice.inbox', 'Trash me');
SELECT pg_temp.folder('alice.gone', 'alice.inbox', 'Gone');
SELECT pg_temp.folder('bob.work', 'bob.inbox', 'Work');
SELECT pg_temp.folder('carol.x', 'carol.junkemail', 'X');

-- items of several sizes, read and unread, associated, from MIME
SELECT pg_temp.item('alice.small', 'alice.inbox', pg_temp.msg('small', 0, 'hi'));
SELECT pg_temp.item('alice.read', 'alice.inbox', pg_temp.msg('read', 1, 'seen'));
SELECT pg_temp.item('alice.4k', 'alice.projects', pg_temp.msg('4 KiB', 0, repeat('four ', 820)));
SELECT pg_temp.item('alice.64k', 'alice.sub', pg_temp.big_blob('IPM.Note', '\x00112233445566778899aabbccddeeff'::bytea, 4096));
SELECT pg_temp.item('alice.1m', 'alice.sub', pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, 131072));
SELECT pg_temp.item('alice.assoc', 'alice.projects', pg_temp.msg('view settings', 0, ''), true);
SELECT pg_temp.item('alice.old.item', 'alice.old', pg_temp.msg('in old', 0, 'old'));
SELECT pg_temp.item('alice.gone.item', 'alice.gone', pg_temp.msg('in gone', 1, 'gone'));
SELECT pg_temp.item('bob.small', 'bob.work', pg_temp.msg('bob''s', 0, 'b'));
SELECT pg_temp.item('carol.64k', 'carol.inbox', pg_temp.big_blob('IPM.Note', '\xfedcba9876543210'::bytea, 8192));
INSERT INTO upg_ids SELECT 'alice.mime', 'item', item_id, change_key
  FROM ews_create_item(pg_temp.id('alice.inbox'),
       convert_to(E'From: Dora <dora@example.com>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n'
                  || E'Message-ID: <upgrade-1@example.com>\r\nDate: Wed, 01 May 2024 12:00:00 +0000\r\n\r\nHallo\r\n', 'UTF8'))
 WHERE response_code = 'NoError';
-- an update: same id, new ChangeKey (the first one is kept as an old one)
INSERT INTO upg_ids SELECT 'alice.small.v2', 'item', u.item_id, u.change_key
  FROM ews_upload_items(ARRAY[pg_temp.id('alice.inbox')], ARRAY[pg_temp.msg('small, updated', 1, 'hi again')],
                        ARRAY['Update'], ARRAY[pg_temp.id('alice.small')],
                        ARRAY[(SELECT ck FROM upg_ids WHERE name = 'alice.small')]) u
 WHERE u.response_code = 'NoError';

-- moves, a deep copy (folders and items), deletes of each kind
SELECT response_code FROM ews_move_folder(pg_temp.id('alice.archive'), ARRAY[pg_temp.id('alice.projects')]);
INSERT INTO upg_ids SELECT 'alice.archive.copy', 'folder', folder_id
  FROM ews_copy_folder(pg_temp.id('alice.inbox'), ARRAY[pg_temp.id('alice.archive')]) WHERE response_code = 'NoError';
SELECT response_code FROM ews_delete_folder(ARRAY[pg_temp.id('alice.old')], 'SoftDelete');
SELECT response_code FROM ews_delete_folder(ARRAY[pg_temp.id('alice.trash')], 'MoveToDeletedItems');
SELECT response_code FROM ews_delete_folder(ARRAY[pg_temp.id('alice.gone')], 'HardDelete');
SQL
then
	ok "0.1: mailboxes, folders, items and grants made"
else
	nok "0.1: mailboxes, folders, items and grants made" "$(tail -n 40 "$work/fill.log")"
fi
check "0.1: every object the test names was made" \
	"$(q -d "$UPG" -c "SELECT count(*) FILTER (WHERE kind = 'folder') || ' folders, ' || count(*) FILTER (WHERE kind = 'item') || ' items' FROM upg_ids")" \
	"28 folders, 12 items"

# What the store answers, as text.  Every column of 0.1's functions is
# listed by name, so columns 0.2 adds do not count.
facts() {
	q -d "$UPG" <<'SQL'
CREATE FUNCTION pg_temp.env(impersonate text, body text) RETURNS text LANGUAGE sql AS $f$
	SELECT '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	    || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
	    || '<soap:Header><t:RequestServerVersion Version="Exchange2016"/>'
	    || coalesce('<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>' || impersonate
	                || '</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>', '')
	    || '</soap:Header><soap:Body>' || body || '</soap:Body></soap:Envelope>'
$f$;
-- per response message of an ews_soap answer: class, code, id, ChangeKey and
-- the md5 of the decoded Data; a fault as its code
CREATE FUNCTION pg_temp.soap_facts(status int, response text) RETURNS SETOF text LANGUAGE sql AS $f$
	WITH ns AS (SELECT ARRAY[ARRAY['s', 'http://schemas.xmlsoap.org/soap/envelope/'],
	                         ARRAY['m', 'http://schemas.microsoft.com/exchange/services/2006/messages'],
	                         ARRAY['t', 'http://schemas.microsoft.com/exchange/services/2006/types'],
	                         ARRAY['e', 'http://schemas.microsoft.com/exchange/services/2006/errors']] AS n)
	SELECT status || ' fault ' || (xpath('//e:ResponseCode/text()', response::xml, n))[1]::text
	  FROM ns WHERE status <> 200
	UNION ALL
	SELECT * FROM (
	  SELECT status || ' ' || o || ' ' || concat_ws(' ',
	         (xpath('/*/@ResponseClass', x, n))[1]::text,
	         (xpath('/*/m:ResponseCode/text()', x, n))[1]::text,
	         (xpath('//m:ItemId/@Id | //t:FolderId/@Id', x, n))[1]::text,
	         (xpath('//m:ItemId/@ChangeKey | //t:FolderId/@ChangeKey', x, n))[1]::text,
	         (xpath('//t:DisplayName/text()', x, n))[1]::text,
	         md5(decode((xpath('/*/m:Data/text()', x, n))[1]::text, 'base64')))
	    FROM ns, unnest(xpath('/s:Envelope/s:Body/*/m:ResponseMessages/*', response::xml, n)) WITH ORDINALITY AS r(x, o)
	   WHERE status = 200 ORDER BY o) s
$f$;
-- a statement's rows as text, or its error's SQLSTATE
CREATE FUNCTION pg_temp.try(sql text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
BEGIN
	RETURN QUERY EXECUTE sql;
EXCEPTION WHEN OTHERS THEN
	RETURN NEXT 'error ' || SQLSTATE;
END $f$;
CREATE FUNCTION pg_temp.id(n text) RETURNS text LANGUAGE sql AS $f$ SELECT id FROM upg_ids WHERE name = n $f$;

SELECT 'mailbox', mailbox_guid, smtp_address, display_name, owner FROM ews_list_mailboxes();
SELECT 'tree', l.smtp_address, f.o, f.folder_id, f.change_key, f.parent_folder_id, f.parent_change_key,
       f.display_name, f.folder_class, f.distinguished_folder_id, f.total_count, f.child_folder_count,
       f.unread_count, f.response_class, f.response_code
  FROM ews_list_mailboxes() l,
       ews_find_folder(ews_folder_id(l.smtp_address, 'root'), 'Deep')
         WITH ORDINALITY f(folder_id, change_key, parent_folder_id, parent_change_key, display_name, folder_class,
                           distinguished_folder_id, total_count, child_folder_count, unread_count,
                           response_class, response_code, message_text, mailbox_guid, o)
 ORDER BY l.smtp_address, f.o;
SELECT 'folder', i.name, g.folder_id, g.change_key, g.parent_folder_id, g.display_name, g.folder_class,
       g.distinguished_folder_id, g.total_count, g.child_folder_count, g.unread_count,
       g.response_class, g.response_code, g.message_text
  FROM upg_ids i, ews_get_folder(ARRAY[i.id]) g WHERE i.kind = 'folder' ORDER BY i.name;
SELECT 'export', i.name, e.item_id, e.change_key, length(e.data), md5(e.data),
       e.response_class, e.response_code, e.message_text
  FROM upg_ids i, ews_export_items(ARRAY[i.id], ARRAY[i.ck]) e WHERE i.kind = 'item' ORDER BY i.name;
SELECT 'soap export', f
  FROM ews_soap(pg_temp.env(NULL, '<m:ExportItems><m:ItemIds>'
         || (SELECT string_agg(format('<t:ItemId Id="%s"/>', id), '' ORDER BY name) FROM upg_ids WHERE kind = 'item')
         || '</m:ItemIds></m:ExportItems>')) s,
       pg_temp.soap_facts(s.status, s.response) f;
SELECT 'soap folders', f
  FROM ews_soap(pg_temp.env(NULL, '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>'
         || (SELECT string_agg(format('<t:FolderId Id="%s"/>', id), '' ORDER BY name) FROM upg_ids WHERE kind = 'folder')
         || '</m:FolderIds></m:GetFolder>')) s,
       pg_temp.soap_facts(s.status, s.response) f;

-- what each role may see and do
CREATE TEMP TABLE access_facts (n int GENERATED ALWAYS AS IDENTITY, line text);
GRANT ALL ON access_facts TO PUBLIC;
DO $$
DECLARE
	r text;
	m text;
BEGIN
	FOREACH r IN ARRAY ARRAY['ews_upg_owner', 'ews_upg_delegate', 'ews_upg_imp', 'ews_upg_stranger'] LOOP
		EXECUTE format('SET LOCAL ROLE %I', r);
		INSERT INTO access_facts (line) SELECT r || ' list ' || coalesce(string_agg(smtp_address || '/' || owner, ' ' ORDER BY smtp_address), '-')
		  FROM ews_list_mailboxes();
		FOREACH m IN ARRAY ARRAY['alice', 'bob', 'carol'] LOOP
			INSERT INTO access_facts (line)
			SELECT r || ' ' || m || ' folder_id ' || t
			  FROM pg_temp.try(format('SELECT ews_folder_id(%L, %L)', m || '@example.com', 'inbox')) t;
			INSERT INTO access_facts (line)
			SELECT r || ' ' || m || ' get_folder ' || g.response_code || ' ' || coalesce(g.display_name, '-')
			  FROM ews_get_folder(ARRAY[pg_temp.id(m || '.inbox')]) g;
			INSERT INTO access_facts (line)
			SELECT r || ' ' || m || ' export ' || e.response_code || ' ' || coalesce(md5(e.data), '-')
			  FROM upg_ids i, ews_export_items(ARRAY[i.id]) e
			 WHERE i.kind = 'item' AND i.name LIKE m || '.%' AND i.name NOT LIKE '%.v2'
			 ORDER BY i.name;
			INSERT INTO access_facts (line)
			SELECT r || ' ' || m || ' soap impersonating ' || f
			  FROM ews_soap(pg_temp.env(m || '@example.com',
			         '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
			         || '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')) s,
			       pg_temp.soap_facts(s.status, s.response) f;
			INSERT INTO access_facts (line)
			SELECT r || ' ' || m || ' soap by id ' || f
			  FROM ews_soap(pg_temp.env(NULL,
			         '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
			         || format('<t:FolderId Id="%s"/>', pg_temp.id(m || '.inbox')) || '</m:FolderIds></m:GetFolder>')) s,
			       pg_temp.soap_facts(s.status, s.response) f;
		END LOOP;
		RESET ROLE;
	END LOOP;
END $$;
SELECT 'access', line FROM access_facts ORDER BY n;
SQL
}

facts >"$work/before.txt" 2>&1
lines=$(wc -l <"$work/before.txt")
if [ "$lines" -gt 150 ] && ! grep -qE '^(ERROR|psql)' "$work/before.txt"; then
	ok "0.1: the store's answers recorded ($lines lines)"
else
	nok "0.1: the store's answers recorded ($lines lines)" "$(grep -E 'ERROR|psql' "$work/before.txt" | head -n 20)"
fi
# the facts hold what they should, so that their equality later means something
check "0.1: a stranger reaches no mailbox, a delegate and an impersonator theirs" \
	"$(grep -E '^access\|ews_upg_(stranger|delegate|imp|owner) list ' "$work/before.txt" | cut -d'|' -f2 | sort | tr '\n' ';')" \
	"ews_upg_delegate list alice@example.com/postgres bob@example.com/ews_upg_owner;ews_upg_imp list alice@example.com/postgres carol@example.com/ews_upg_owner;ews_upg_owner list bob@example.com/ews_upg_owner carol@example.com/ews_upg_owner;ews_upg_stranger list -;"
check "0.1: every item exports (the hard-deleted folder's item: ErrorItemNotFound)" \
	"$(grep -E '^export\|' "$work/before.txt" | awk -F'|' '{print $8}' | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')" \
	"1 ErrorItemNotFound;11 NoError;"

# ---- 2. the new build, ALTER EXTENSION ews UPDATE ----
if make -s install >"$work/install.log" 2>&1; then
	ok "this build installed over 0.1"
else
	nok "this build installed over 0.1" "$(tail -n 20 "$work/install.log")"
fi
new_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" ews.control)
# the new library on a database still at 0.1: a clear error, not a broken statement
out=$(psql -X -q -At -d "$UPG" -v VERBOSITY=verbose -c "SELECT count(*) FROM ews_list_mailboxes()" 2>&1)
if printf '%s\n' "$out" | grep -q 'ERROR:  55000:' && printf '%s\n' "$out" | grep -q 'ALTER EXTENSION ews UPDATE'; then
	ok "before the update the new library refuses the $OLD_VERSION database, naming ALTER EXTENSION ews UPDATE"
else
	nok "before the update the new library refuses the $OLD_VERSION database" "$out"
fi
if out=$(q -d "$UPG" -c "ALTER EXTENSION ews UPDATE" 2>&1); then
	ok "ALTER EXTENSION ews UPDATE"
else
	nok "ALTER EXTENSION ews UPDATE" "$out"
fi
check "the database is at $new_version" "$(q -d "$UPG" -c "SELECT extversion FROM pg_extension WHERE extname = 'ews'")" "$new_version"

# 0.2 lets only members of ews_user call the functions; the update makes the
# roles that own mailboxes or hold grants members, and no other
check "the update made the owner, the delegate and the impersonator members of ews_user, not the stranger" \
	"$(q -d "$UPG" -c "SELECT string_agg(r, ' ' ORDER BY r) FROM unnest(string_to_array('$ROLES', ' ')) r
	                    WHERE pg_has_role(r, 'ews_user', 'MEMBER')")" \
	"ews_upg_delegate ews_upg_imp ews_upg_owner"
out=$(psql -X -q -At -d "$UPG" -v VERBOSITY=verbose -c "SET ROLE ews_upg_stranger" -c "SELECT count(*) FROM ews_list_mailboxes()" 2>&1)
if printf '%s\n' "$out" | grep -q 'ERROR:  42501:'; then
	ok "the stranger, in no ews_user, may no longer call the functions"
else
	nok "the stranger, in no ews_user, may no longer call the functions" "$out"
fi
# as a DBA lets a role use ews: then it must see what it saw before (nothing)
q -d "$UPG" -c "GRANT ews_user TO ews_upg_stranger"
facts >"$work/after.txt" 2>&1
if ! grep -qE '^(ERROR|psql)' "$work/after.txt" && diff -u "$work/before.txt" "$work/after.txt" >"$work/facts.diff"; then
	ok "after the update the store answers as before: same mailboxes, trees, ids, ChangeKeys, counts, exported bytes, access"
else
	nok "after the update the store answers as before" "$(grep -E '^(ERROR|psql)' "$work/after.txt"; cat "$work/facts.diff")"
fi

# writes on the old data, by the delegate; an export through SOAP by the impersonator
if out=$(q -d "$UPG" 2>&1 <<'SQL'
\set ECHO none
CREATE FUNCTION pg_temp.id(n text) RETURNS text LANGUAGE sql AS $f$ SELECT id FROM upg_ids WHERE name = n $f$;
SET ROLE ews_upg_delegate;
SELECT 'create ' || response_code FROM ews_create_folder(pg_temp.id('alice.inbox'), 'After the update');
SELECT 'upload ' || response_code AS upload, item_id AS new_item
  FROM ews_upload_items(ARRAY[pg_temp.id('alice.projects')], ARRAY[(SELECT data FROM ews_export_items(ARRAY[pg_temp.id('alice.4k')]))]) \gset
\echo :upload
SELECT 'export ' || response_code FROM ews_export_items(ARRAY[:'new_item']);
SELECT 'update ' || response_code || ' ' || (item_id = pg_temp.id('alice.4k'))
  FROM ews_upload_items(ARRAY[pg_temp.id('alice.projects')], ARRAY[(SELECT data FROM ews_export_items(ARRAY[pg_temp.id('alice.4k')]))],
                        ARRAY['Update'], ARRAY[pg_temp.id('alice.4k')],
                        ARRAY[(SELECT change_key FROM ews_export_items(ARRAY[pg_temp.id('alice.4k')]))]);
SELECT 'move ' || response_code || ' ' || (folder_id = pg_temp.id('alice.sub'))
  FROM ews_move_folder(pg_temp.id('alice.inbox'), ARRAY[pg_temp.id('alice.sub')]);
SELECT 'copy ' || response_code FROM ews_copy_folder(pg_temp.id('alice.junkemail'), ARRAY[pg_temp.id('alice.archive')]);
RESET ROLE;
SET ROLE ews_upg_imp;
SELECT 'soap ' || status || ' ' || (response LIKE '%ResponseClass="Success"%')
  FROM ews_soap('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
       ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
       ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header>'
       '<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>alice@example.com</t:PrimarySmtpAddress>'
       '</t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body><m:ExportItems><m:ItemIds>'
       || format('<t:ItemId Id="%s"/>', pg_temp.id('alice.1m')) || '</m:ItemIds></m:ExportItems></soap:Body></soap:Envelope>');
RESET ROLE;
SQL
); then
	check "after the update a delegate creates, uploads, updates (same id), moves (same id) and copies; an impersonator exports through ews_soap" \
		"$(printf '%s\n' "$out" | tr '\n' ';')" \
		"create NoError;upload NoError;export NoError;update NoError true;move NoError true;copy NoError;soap 200 true;"
else
	nok "writes after the update" "$out"
fi

# ---- 3. the objects equal those of a fresh install ----
q -d "$UPG" -c "DROP TABLE upg_ids"
createdb "$FRESH"
q -d "$FRESH" -c "CREATE EXTENSION ews" || nok "CREATE EXTENSION ews (fresh)"
check "a fresh install is at $new_version" "$(q -d "$FRESH" -c "SELECT extversion FROM pg_extension WHERE extname = 'ews'")" "$new_version"

# The extension's members (by identity, not OID), its config tables with
# their conditions, and the initial privileges of its members.
members() {
	q -d "$1" <<'SQL'
SELECT 'member', a.type, a.object_names, a.object_args
  FROM pg_depend d, pg_identify_object_as_address(d.classid, d.objid, d.objsubid) a
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews')
 ORDER BY a.type, a.object_names::text, a.object_args::text;
SELECT 'extension', extname, extversion, extrelocatable, extnamespace::regnamespace, extowner::regrole
  FROM pg_extension WHERE extname = 'ews';
SELECT 'config', c.o, c.rel::regclass, coalesce(e.extcondition[c.o], '(none)')
  FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY c(rel, o)
 WHERE e.extname = 'ews' ORDER BY c.o;
SELECT 'init_privs', a.type, a.object_names, a.object_args, p.privtype, p.initprivs
  FROM pg_init_privs p, pg_identify_object_as_address(p.classoid, p.objoid, p.objsubid) a
 WHERE EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.classid = p.classoid AND d.objid = p.objoid AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews'))
 ORDER BY a.type, a.object_names::text, a.object_args::text, p.privtype;
SQL
}
members "$FRESH" >"$work/members.fresh" 2>&1
members "$UPG" >"$work/members.upgraded" 2>&1
nmembers=$(grep -c '^member' "$work/members.fresh")
if [ "$nmembers" -gt 20 ] && grep -q '^config' "$work/members.fresh" &&
	diff -u "$work/members.fresh" "$work/members.upgraded" >"$work/members.diff"; then
	ok "the same $nmembers member objects, config tables and initial privileges as a fresh install"
else
	nok "member objects, config tables and initial privileges differ from a fresh install ($nmembers members)" \
		"$(cat "$work/members.diff" 2>/dev/null)"
fi

# pg_dump --binary-upgrade --schema-only: every object with its definition,
# owner, privileges and comment, and the extension's members one by one.
# Masked is only what two databases cannot share: OIDs and relfilenodes
# (binary_upgrade_set_next_*, toast tables named by OID), attribute versions
# (LSNs), transaction horizons (relfrozenxid, relminmxid), psql's random
# \restrict key; and data: sequence positions (setval) and the value that
# rows older than a column read for it (attmissingval: now() of an ADD
# COLUMN ... DEFAULT now() differs; which columns have one is compared).
# The config tables of binary_upgrade_create_empty_extension are OIDs there;
# their names and conditions are compared above.
schema_dump() {
	pg_dump --binary-upgrade --schema-only -d "$1" 2>/dev/null |
		sed -E -e 's/^\\(restrict|unrestrict) .*/\\\1 KEY/' \
			-e "s/^SET relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'$/SET relfrozenxid = 'XID', relminmxid = 'MXID'/" \
			-e "s/^WHERE oid = '[0-9]+';$/WHERE oid = 'OID';/" \
			-e "s/(binary_upgrade_set_next_[a-z_]+)\('[0-9]+'::pg_catalog\.oid\)/\1('OID'::pg_catalog.oid)/" \
			-e "s/(binary_upgrade_set_next_attribute_versions)\('\{[^}]*\}'/\1('LSNs'/" \
			-e "s/(pg_catalog\.setval\('[^']+'), [0-9]+, (true|false)\)/\1, N, B)/" \
			-e "s/(binary_upgrade_set_missing_value\('[^']+'::pg_catalog\.regclass,'[^']+',)'.*'\);\$/\1'VALUE');/" \
			-e "s/(binary_upgrade_create_empty_extension\('ews', '[^']*', (true|false), '[^']*', )'\{[0-9,]*\}'/\1'CONFIG'/"
}
schema_dump "$FRESH" >"$work/schema.fresh"
schema_dump "$UPG" >"$work/schema.upgraded"
dumped=$(grep -c 'ALTER EXTENSION ews ADD' "$work/schema.fresh")
if [ "$dumped" -eq "$nmembers" ] && diff -u "$work/schema.fresh" "$work/schema.upgraded" >"$work/schema.diff"; then
	ok "pg_dump --binary-upgrade --schema-only equals a fresh install's ($dumped members, $(wc -l <"$work/schema.fresh") lines)"
else
	nok "pg_dump --binary-upgrade --schema-only differs from a fresh install's ($dumped of $nmembers members dumped)" \
		"$(cat "$work/schema.diff" 2>/dev/null)"
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
