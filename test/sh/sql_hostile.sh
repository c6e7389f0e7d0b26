#!/usr/bin/env bash
# test/sh/sql_hostile.sh: every ews_* SQL function (ews_soap included) with
# hostile arguments, in a UTF-8 and in a SQL_ASCII database (where text may
# hold any bytes).  Each call must end in response rows or in a PostgreSQL
# error with a real errcode (not XX000); after it the server is the same
# server (the checkpointer was not restarted by a crash) and answers; a
# call that succeeded for no input changed nothing in the ews tables.
set -uo pipefail
pass=0 failed=0 n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -c 600 | sed 's/^/#   /'
	return 0
}

DB=""
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# the content of the ews tables, except the lock counter (hierarchy_version)
# that every hierarchy call bumps, refused or not; an item by its change
# number and size, since every write of an item gives it a new change number
STATE_SQL="SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), ''))
  FROM (SELECT (mailbox_id, smtp_address, display_name, owner_role, created_at)::text x FROM ews.mailbox
        UNION ALL SELECT g::text FROM ews.mailbox_grant g
        UNION ALL SELECT f::text FROM ews.folder f
        UNION ALL SELECT (mailbox_id, item_id, folder_id, change_number, size, is_read)::text FROM ews.item i) s"
# a crash restarts every server process: the checkpointer's start time changes
SERVER_SQL="SELECT pg_postmaster_start_time() || ' ' || backend_start
  FROM pg_stat_activity WHERE backend_type = 'checkpointer'"

# One psql session per database runs every call (a connection per call
# costs more than most calls).  After a crash psql reconnects, and the
# checkpointer's start time tells.
#
# psql's stdout (results and the end marker of each statement) comes through
# the coprocess pipe; its stderr (errors, notices) goes to a file of its own,
# emptied before each statement.  psql writes a statement's errors before it
# runs the \echo of the marker, so once the marker has arrived the file holds
# all of them, however the pipe buffers.  (Both streams through one pipe let
# an error arrive after the marker, and be counted for the next call.)  What
# a call's output keeps is bounded: stdout lines are cut at 2000 characters
# as they arrive, stderr is read up to 64 kB and cut likewise, since some
# errors echo a 10 MB argument.
ERRFILE=$(mktemp "${TMPDIR:-/tmp}/ews_hostile.XXXXXX")
trap 'rm -f "$ERRFILE"' EXIT
open_session() {
	: >"$ERRFILE"
	coproc PSQL { psql -X -q -At -v VERBOSITY=verbose -d "$DB" 2>>"$ERRFILE" | stdbuf -oL cut -c1-2000; }
	# 100 000-input calls test the per-input path at scale (answers, cancels):
	# above ews.max_batch_size, whose refusal test/sh/limits.sh tests
	send "SET client_min_messages = warning; SET ews.max_batch_size = 1000000;"
	receive
}
close_session() {
	echo '\q' >&"${PSQL[1]}"
	wait "$PSQL_PID" 2>/dev/null
}
send() {
	: >"$ERRFILE"
	printf '%s;\n\\echo __END__ :SQLSTATE\n' "$1" >&"${PSQL[1]}"
}
# the output up to the end marker, then what went to stderr, in $OUT; the
# SQLSTATE of the last statement in $SQLSTATE
receive() {
	local line
	OUT=""
	SQLSTATE=lost
	while IFS= read -r -t 600 line <&"${PSQL[0]}"; do
		case $line in
		__END__*) SQLSTATE=${line#__END__ }; break ;;
		*) OUT+="$line"$'\n' ;;
		esac
	done
	OUT+=$(head -c 65536 "$ERRFILE" | cut -c1-2000)
}
state() { send "$SERVER_SQL; $STATE_SQL;"; receive; STATE=$OUT; }

# call LABEL SQL [changes|any]: run SQL (ending in one statement whose
# SQLSTATE counts).  Unless "changes" or "any" is given, the call must
# change nothing; with "changes", only a call that answered NoError may;
# "any" lets a call that succeeded change the tables.
call() {
	local label=$1 sql=$2 mode=${3:-}
	local before out after why="" t0=$SECONDS code
	state; before=$STATE
	send "$sql"
	receive; out=$OUT code=$SQLSTATE
	send "RESET ALL; SET client_min_messages = warning; SET ews.max_batch_size = 1000000;"
	receive
	if [ "$code" = lost ]; then
		why="no answer"
	elif [ "$code" != 00000 ]; then
		if ! grep -qE 'ERROR:  [0-9A-Z]{5}: ' <<<"$out"; then
			why="error without an errcode"
		elif [ "$code" = XX000 ]; then
			why="internal error (XX000)"
		fi
	fi
	state; after=$STATE
	if [ "${after%%$'\n'*}" != "${before%%$'\n'*}" ] || [ -z "$after" ]; then
		why="$why; the server restarted (crash) or does not answer"
	elif [ "$after" != "$before" ]; then
		if [ "$mode" != any ] && { [ "$mode" != changes ] || ! grep -q 'NoError' <<<"$out"; }; then
			why="$why; the ews tables changed"
		fi
	fi
	if [ -z "$why" ]; then
		ok "$DB: $label${EWS_HOSTILE_TIMES:+ ($((SECONDS - t0)) s)}"
	else
		nok "$DB: $label: ${why#; }" "$out"
	fi
	LAST_OUT=$out
}

# expect LABEL PATTERN: the last call's output matches PATTERN (grep -E)
# (grep reads a here-string, not a pipe: with -q it may exit on the first line
# while printf still writes, and under pipefail printf's SIGPIPE failed the test)
expect() {
	if grep -qE "$2" <<<"$LAST_OUT"; then ok "$DB: $1"; else nok "$DB: $1" "$LAST_OUT"; fi
}
# expect_not LABEL PATTERN
expect_not() {
	if grep -qE "$2" <<<"$LAST_OUT"; then nok "$DB: $1" "$LAST_OUT"; else ok "$DB: $1"; fi
}

# shorthands for values kept in table h of the test database
V() { echo "(SELECT v FROM h WHERE k = '$1')"; }
INBOX=$(V inbox) FOLDER=$(V folder) FCK=$(V fck) ITEM=$(V item) ICK=$(V ick)
BLOB="(SELECT b FROM hb)"

setup() {
	dropdb --if-exists "$DB" >/dev/null 2>&1
	createdb "$@" "$DB" || return 1
	q >/dev/null <<'SQL'
CREATE EXTENSION ews;
SELECT ews_create_mailbox('hostile@example.com', 'Hostile');
SELECT ews_create_mailbox('hostile2@example.com', 'Other');
CREATE TABLE h (k text PRIMARY KEY, v text);
INSERT INTO h SELECT 'inbox', ews_folder_id('hostile@example.com', 'inbox');
INSERT INTO h SELECT 'folder', folder_id FROM ews_create_folder((SELECT v FROM h WHERE k = 'inbox'), 'Kept');
INSERT INTO h SELECT 'fck', change_key FROM ews_get_folder(ARRAY[(SELECT v FROM h WHERE k = 'folder')]);
INSERT INTO h SELECT 'item', item_id FROM ews_create_item((SELECT v FROM h WHERE k = 'inbox'),
	convert_to(E'Subject: kept\r\nMessage-ID: <k@x>\r\n\r\nbody\r\n', 'UTF8'));
INSERT INTO h SELECT 'ick', change_key FROM ews_export_items(ARRAY[(SELECT v FROM h WHERE k = 'item')]);
CREATE TABLE hb AS SELECT data AS b FROM ews_export_items(ARRAY[(SELECT v FROM h WHERE k = 'item')]);
-- deterministic garbage
SELECT setseed(0.5);
CREATE TABLE junk AS SELECT string_agg(decode(lpad(to_hex((random() * 255)::int), 2, '0'), 'hex'), ''::bytea) AS b
	FROM generate_series(1, 100000);
SQL
}

# ---- the hostile calls, run in each database ----
hostile() {
	local big="repeat('x', 10 * 1024 * 1024)"
	local flips="(SELECT array_agg(overlay(id PLACING chr(ascii(substr(id, i, 1)) # m) FROM i FOR 1))
	               FROM (SELECT $FOLDER AS id) s, generate_series(1, length($FOLDER)) i, unnest(ARRAY[1, 2, 32, 64]) m
	              WHERE ascii(substr(id, i, 1)) # m BETWEEN 33 AND 126)"
	local iflips="${flips//$FOLDER/$ITEM}"
	local many="(SELECT array_agg('AAAA' || g) FROM generate_series(1, 100000) g)"

	# every function the extension has is covered below
	local funcs
	funcs=$(q -c "SELECT string_agg(p.proname, ' ' ORDER BY p.proname) FROM pg_proc p
	               JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ews'")
	local covered="ews_act_as ews_acting_mailbox ews_add_delegate ews_copy_folder ews_copy_items ews_create_folder ews_create_item ews_create_items ews_create_mailbox ews_delete_folder ews_delete_items ews_drop_mailbox ews_empty_folders ews_export_items ews_find_folder ews_find_items ews_folder_id ews_get_folder ews_get_items ews_grant ews_list_delegates ews_list_mailboxes ews_move_folder ews_move_items ews_remove_delegate ews_revoke ews_scaleout_advance_sequences ews_scaleout_catalog ews_scaleout_checksum ews_scaleout_delete ews_scaleout_export ews_scaleout_freeze ews_scaleout_frozen ews_scaleout_import ews_scaleout_links ews_scaleout_mailbox_tables ews_scaleout_mailboxes ews_scaleout_reachable ews_scaleout_sequences ews_scaleout_tables ews_scaleout_thaw ews_soap ews_sync_folder_hierarchy ews_sync_folder_items ews_trim_tombstones ews_update_folders ews_update_items ews_upload_items item_columns prop_bool prop_bytea prop_exists prop_float8 prop_int8 prop_text prop_texts prop_time"
	if [ "$funcs" = "$covered" ]; then ok "$DB: every ews_* function is covered"; else nok "$DB: functions not covered" "$funcs"; fi

	# -- ews_create_mailbox
	call "create_mailbox(NULL, NULL, NULL)" "SELECT ews_create_mailbox(NULL, NULL, NULL)"
	call "create_mailbox('')" "SELECT ews_create_mailbox('')"
	call "create_mailbox(10 MB)" "SELECT ews_create_mailbox($big || '@x')"
	call "create_mailbox(duplicate, other case)" "SELECT ews_create_mailbox('HOSTILE@example.com')"
	call "create_mailbox(display name 10 MB)" "SELECT ews_create_mailbox('dn@example.com', $big) IS NOT NULL" any
	call "create_mailbox(owner 0)" "SELECT ews_create_mailbox('o@example.com', NULL, 0::regrole)"
	expect "create_mailbox(owner 0) is refused" 'ERROR:  42704'
	call "create_mailbox(owner a dropped role)" "SELECT ews_create_mailbox('o@example.com', NULL, 9999999::regrole)"
	expect "create_mailbox(owner a dropped role) is refused" 'ERROR:  42704'
	# -- ews_folder_id
	call "folder_id(NULL, NULL)" "SELECT ews_folder_id(NULL, NULL)"
	call "folder_id('', '')" "SELECT ews_folder_id('', '')"
	call "folder_id(10 MB, inbox)" "SELECT ews_folder_id($big, 'inbox')"
	call "folder_id(mailbox, 10 MB)" "SELECT ews_folder_id('hostile@example.com', $big)"
	# -- ews_create_folder
	call "create_folder(NULL, NULL, NULL)" "SELECT * FROM ews_create_folder(NULL, NULL, NULL)"
	call "create_folder(inbox, NULL)" "SELECT * FROM ews_create_folder($INBOX, NULL)"
	call "create_folder(inbox, '')" "SELECT * FROM ews_create_folder($INBOX, '')"
	call "create_folder(inbox, 10 MB)" "SELECT * FROM ews_create_folder($INBOX, $big)"
	expect "create_folder(10 MB name) is ErrorFolderSavePropertyError" 'ErrorFolderSavePropertyError'
	call "create_folder(inbox, x, 10 MB class)" "SELECT response_code FROM ews_create_folder($INBOX, 'x', $big)" changes
	call "create_folder(item id, x)" "SELECT * FROM ews_create_folder($ITEM, 'x')"
	call "create_folder(10 MB id, x)" "SELECT * FROM ews_create_folder($big, 'x')"
	call "create_folder(duplicate name)" "SELECT * FROM ews_create_folder($INBOX, 'KEPT')"
	expect "create_folder(duplicate name) is ErrorFolderExists" 'ErrorFolderExists'
	# -- ews_get_folder
	call "get_folder(NULL)" "SELECT * FROM ews_get_folder(NULL)"
	call "get_folder('{}')" "SELECT * FROM ews_get_folder('{}')"
	call "get_folder({NULL,NULL})" "SELECT * FROM ews_get_folder(ARRAY[NULL, NULL]::text[])"
	call "get_folder(2-D)" "SELECT * FROM ews_get_folder(ARRAY[[$FOLDER, $FOLDER], [$FOLDER, $FOLDER]])"
	call "get_folder('[5:6]={a,b}')" "SELECT * FROM ews_get_folder('[5:6]={a,b}')"
	call "get_folder([5:6] valid)" "SELECT folder_id = $FOLDER, response_code FROM ews_get_folder(array_prepend($FOLDER, ARRAY[$FOLDER])::text[])"
	call "get_folder(100 000 garbage ids)" "SELECT response_code, count(*) FROM ews_get_folder($many) GROUP BY 1"
	expect "get_folder(100 000 garbage ids) answers each" '^ErrorInvalidIdMalformed\|100000$'
	call "get_folder(10 MB id)" "SELECT response_code FROM ews_get_folder(ARRAY[$big])"
	# a flipped local id may name another folder: never this one
	call "get_folder(every byte flipped)" "SELECT response_code, count(*) FROM ews_get_folder($flips) WHERE folder_id IS NOT DISTINCT FROM $FOLDER GROUP BY 1"
	expect_not "get_folder(a flipped id) never finds the folder" 'NoError'
	call "get_folder(item id)" "SELECT response_code FROM ews_get_folder(ARRAY[$ITEM])"
	expect "get_folder(item id) is ErrorCannotUseItemIdForFolderId" 'ErrorCannotUseItemIdForFolderId'
	# -- ews_find_folder
	call "find_folder(NULL, NULL)" "SELECT * FROM ews_find_folder(NULL, NULL)"
	call "find_folder(NULL)" "SELECT * FROM ews_find_folder(NULL)"
	call "find_folder(inbox, '')" "SELECT * FROM ews_find_folder($INBOX, '')"
	call "find_folder(inbox, 10 MB)" "SELECT * FROM ews_find_folder($INBOX, $big)"
	call "find_folder(item id)" "SELECT response_code FROM ews_find_folder($ITEM)"
	# -- ews_delete_folder
	call "delete_folder(NULL, NULL)" "SELECT * FROM ews_delete_folder(NULL, NULL)"
	call "delete_folder({folder}, NULL)" "SELECT * FROM ews_delete_folder(ARRAY[$FOLDER], NULL)"
	call "delete_folder({folder}, 'hard')" "SELECT * FROM ews_delete_folder(ARRAY[$FOLDER], 'hard')"
	call "delete_folder('{}')" "SELECT * FROM ews_delete_folder('{}')"
	call "delete_folder({NULL})" "SELECT response_code FROM ews_delete_folder(ARRAY[NULL]::text[])"
	call "delete_folder(2-D)" "SELECT * FROM ews_delete_folder(ARRAY[[$FOLDER], [$FOLDER]])"
	call "delete_folder('[5:6]={a,b}')" "SELECT response_code FROM ews_delete_folder('[5:6]={a,b}')"
	call "delete_folder(every byte flipped)" "SELECT response_code, count(*) FROM ews_delete_folder($flips) GROUP BY 1"
	expect_not "delete_folder(a flipped id) deletes nothing" 'NoError'
	call "delete_folder(100 000 garbage ids)" "SELECT response_code, count(*) FROM ews_delete_folder($many) GROUP BY 1"
	call "delete_folder(inbox)" "SELECT response_code FROM ews_delete_folder(ARRAY[$INBOX], 'SoftDelete')"
	expect "delete_folder(inbox) is ErrorDeleteDistinguishedFolder" 'ErrorDeleteDistinguishedFolder'
	# -- ews_move_folder, ews_copy_folder
	for f in move copy; do
		call "${f}_folder(NULL, NULL)" "SELECT * FROM ews_${f}_folder(NULL, NULL)"
		call "${f}_folder(NULL, {folder})" "SELECT response_code FROM ews_${f}_folder(NULL, ARRAY[$FOLDER])"
		call "${f}_folder(inbox, '{}')" "SELECT * FROM ews_${f}_folder($INBOX, '{}')"
		call "${f}_folder(inbox, {NULL})" "SELECT response_code FROM ews_${f}_folder($INBOX, ARRAY[NULL]::text[])"
		call "${f}_folder(inbox, 2-D)" "SELECT * FROM ews_${f}_folder($INBOX, ARRAY[[$FOLDER], [$FOLDER]])"
		call "${f}_folder(inbox, [5:6])" "SELECT response_code FROM ews_${f}_folder($INBOX, '[5:6]={a,b}')"
		call "${f}_folder(inbox, flipped)" "SELECT response_code, count(*) FROM ews_${f}_folder($INBOX, $flips) GROUP BY 1" changes
		expect "${f}_folder(flipped ids) answers each" 'ErrorInvalidIdMalformed'
		call "${f}_folder(flipped target)" "SELECT response_code, count(*) FROM ews_${f}_folder(($flips)[3], ARRAY[$FOLDER]) GROUP BY 1"
		call "${f}_folder(inbox, 100 000 garbage)" "SELECT response_code, count(*) FROM ews_${f}_folder($INBOX, $many) GROUP BY 1"
		call "${f}_folder(folder into itself)" "SELECT response_code FROM ews_${f}_folder($FOLDER, ARRAY[$FOLDER])"
		expect "${f}_folder(folder into itself) is ErrorMoveCopyFailed" 'ErrorMoveCopyFailed'
		call "${f}_folder(item id target)" "SELECT response_code FROM ews_${f}_folder($ITEM, ARRAY[$FOLDER])"
		call "${f}_folder(10 MB target)" "SELECT response_code FROM ews_${f}_folder($big, ARRAY[$FOLDER])"
	done
	# a long batch can be cancelled, and then nothing of it stays
	call "get_folder(100 000 ids, statement_timeout)" "SET statement_timeout = '50ms'; SELECT count(*) FROM ews_get_folder(array_fill($FOLDER, ARRAY[100000]))"
	expect "get_folder(100 000 ids) is cancelled cleanly" 'ERROR:  57014'
	call "upload_items(100 000 items, statement_timeout)" "SET statement_timeout = '50ms'; SELECT count(*) FROM ews_upload_items(array_fill($INBOX, ARRAY[100000]), array_fill($BLOB, ARRAY[100000]))"
	expect "upload_items(100 000 items) is cancelled cleanly" 'ERROR:  57014'
	call "move_folder(root)" "SELECT response_code FROM ews_move_folder($INBOX, ARRAY[ews_folder_id('hostile@example.com', 'root')])"
	expect "move_folder(root) is ErrorMoveDistinguishedFolder" 'ErrorMoveDistinguishedFolder'
	# -- ews_export_items
	call "export_items(NULL, NULL)" "SELECT * FROM ews_export_items(NULL, NULL)"
	call "export_items('{}')" "SELECT * FROM ews_export_items('{}')"
	call "export_items({NULL}, {NULL})" "SELECT response_code FROM ews_export_items(ARRAY[NULL]::text[], ARRAY[NULL]::text[])"
	call "export_items(2-D)" "SELECT response_code FROM ews_export_items(ARRAY[[$ITEM], [$ITEM]])"
	call "export_items(ids, 2-D change keys)" "SELECT response_code FROM ews_export_items(ARRAY[$ITEM, $ITEM], ARRAY[[$ICK], [$ICK]])"
	call "export_items([5:6])" "SELECT response_code FROM ews_export_items('[5:6]={a,b}')"
	call "export_items(1 id, 2 change keys)" "SELECT response_code FROM ews_export_items(ARRAY[$ITEM], ARRAY[$ICK, $ICK])"
	call "export_items(folder change key)" "SELECT response_code FROM ews_export_items(ARRAY[$ITEM], ARRAY[$FCK])"
	expect "export_items(folder change key) is ErrorInvalidChangeKey" 'ErrorInvalidChangeKey'
	call "export_items(folder id)" "SELECT response_code FROM ews_export_items(ARRAY[$FOLDER])"
	expect "export_items(folder id) is ErrorCannotUseFolderIdForItemId" 'ErrorCannotUseFolderIdForItemId'
	call "export_items(every byte flipped)" "SELECT response_code, count(*) FROM ews_export_items($iflips) GROUP BY 1"
	expect_not "export_items(a flipped id) finds nothing" 'NoError'
	call "export_items(100 000 garbage)" "SELECT response_code, count(*) FROM ews_export_items($many) GROUP BY 1"
	call "export_items(100 000 times the item)" "SELECT response_code, count(*) FROM ews_export_items(array_fill($ITEM, ARRAY[100000])) GROUP BY 1"
	expect "export_items(100 000 times the item) answers each" '^NoError\|100000$'
	call "export_items(10 MB id, 10 MB change key)" "SELECT response_code FROM ews_export_items(ARRAY[$big], ARRAY[$big])"
	# -- ews_upload_items
	local up="SELECT response_code, count(*) FROM ews_upload_items"
	call "upload_items(NULL, NULL)" "SELECT * FROM ews_upload_items(NULL, NULL)"
	call "upload_items('{}', '{}')" "SELECT * FROM ews_upload_items('{}', '{}')"
	call "upload_items({inbox}, {NULL})" "$up(ARRAY[$INBOX], ARRAY[NULL]::bytea[]) GROUP BY 1"
	expect "upload_items(NULL data) is ErrorCorruptData" 'ErrorCorruptData'
	call "upload_items({NULL}, {blob})" "$up(ARRAY[NULL]::text[], ARRAY[$BLOB]) GROUP BY 1"
	call "upload_items(2-D parents)" "$up(ARRAY[[$INBOX], [$INBOX]], ARRAY[$BLOB, $BLOB]) GROUP BY 1"
	call "upload_items(2-D data)" "$up(ARRAY[$INBOX, $INBOX], ARRAY[[$BLOB], [$BLOB]]) GROUP BY 1"
	call "upload_items(2-D actions)" "$up(ARRAY[$INBOX, $INBOX], ARRAY[$BLOB, $BLOB], ARRAY[['Update'], ['Update']]) GROUP BY 1"
	call "upload_items(2-D is_associated)" "$up(ARRAY[$INBOX, $INBOX], ARRAY[$BLOB, $BLOB], NULL, NULL, NULL, ARRAY[[true], [true]]) GROUP BY 1"
	call "upload_items([5:6] parents)" "$up('[5:6]={a,b}', ARRAY[$BLOB, $BLOB]) GROUP BY 1"
	call "upload_items(lengths differ)" "$up(ARRAY[$INBOX], ARRAY[$BLOB, $BLOB]) GROUP BY 1"
	call "upload_items(bad action)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY['update']) GROUP BY 1"
	call "upload_items(10 MB action)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY[$big]) GROUP BY 1"
	call "upload_items(random garbage)" "$up(ARRAY[$INBOX], ARRAY[(SELECT b FROM junk)]) GROUP BY 1"
	expect "upload_items(random garbage) is ErrorCorruptData" 'ErrorCorruptData'
	call "upload_items(0 bytes)" "$up(ARRAY[$INBOX], ARRAY[''::bytea]) GROUP BY 1"
	expect "upload_items(0 bytes) is ErrorCorruptData" 'ErrorCorruptData'
	call "upload_items(every truncation)" "$up(array_fill($INBOX, ARRAY[length($BLOB) - 1]),
		(SELECT array_agg(substring($BLOB FROM 1 FOR l) ORDER BY l) FROM generate_series(0, length($BLOB) - 2) l)) GROUP BY 1"
	expect_not "upload_items(a truncated blob) is never stored" 'NoError'
	call "upload_items(every byte flipped in the blob)" "$up(array_fill($INBOX, ARRAY[length($BLOB)]),
		(SELECT array_agg(set_byte($BLOB, p, get_byte($BLOB, p) # 1) ORDER BY p) FROM generate_series(0, length($BLOB) - 1) p)) GROUP BY 1" changes
	call "upload_items(huge blob)" "$up(ARRAY[$INBOX], ARRAY[$BLOB || convert_to(repeat('x', 30 * 1024 * 1024), 'UTF8')]) GROUP BY 1"
	expect "upload_items(huge blob) is refused" 'ErrorDataSizeLimitExceeded|ErrorCorruptData'
	call "upload_items(garbage parents)" "$up($many, array_fill($BLOB, ARRAY[100000])) GROUP BY 1"
	call "upload_items(Update, no id)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY['Update']) GROUP BY 1"
	call "upload_items(Update, flipped ids)" "$up(array_fill($INBOX, ARRAY[array_length($iflips, 1)]), array_fill($BLOB, ARRAY[array_length($iflips, 1)]),
		array_fill('Update'::text, ARRAY[array_length($iflips, 1)]), $iflips, array_fill($ICK, ARRAY[array_length($iflips, 1)])) GROUP BY 1"
	expect_not "upload_items(Update of a flipped id) writes nothing" 'NoError'
	call "upload_items(Update, folder change key)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY['Update'], ARRAY[$ITEM], ARRAY[$FCK]) GROUP BY 1"
	expect "upload_items(Update with a folder change key) is ErrorInvalidChangeKey" 'ErrorInvalidChangeKey'
	call "upload_items(Update, no change key)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY['Update'], ARRAY[$ITEM], ARRAY[NULL]) GROUP BY 1"
	expect "upload_items(Update without a change key) is ErrorChangeKeyRequiredForWriteOperations" 'ErrorChangeKeyRequiredForWriteOperations'
	call "upload_items(Update, folder id as item id)" "$up(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY['Update'], ARRAY[$FOLDER], ARRAY[$ICK]) GROUP BY 1"
	call "upload_items(item id as parent)" "$up(ARRAY[$ITEM], ARRAY[$BLOB]) GROUP BY 1"
	# -- ews_create_item
	local ci="SELECT response_code FROM ews_create_item"
	call "create_item(NULL, NULL)" "SELECT * FROM ews_create_item(NULL, NULL)"
	call "create_item(NULL, mime)" "$ci(NULL, 'Subject: x')"
	call "create_item(inbox, 0 bytes)" "$ci($INBOX, '')" changes
	call "create_item(inbox, binary)" "$ci($INBOX, (SELECT b FROM junk))" changes
	call "create_item(inbox, only headers)" "$ci($INBOX, convert_to(E'Subject: only\r\nFrom: a@b', 'UTF8'))" changes
	call "create_item(inbox, 100 000 header lines)" "$ci($INBOX, convert_to(repeat(E'X-Junk: v\r\n', 100000) || E'\r\nbody', 'UTF8'))" changes
	call "create_item(inbox, one 10 MB header)" "$ci($INBOX, convert_to('Subject: ' || $big || E'\r\n\r\nx', 'UTF8'))" changes
	call "create_item(inbox, 100 000 folded lines)" "$ci($INBOX, convert_to('Subject: a' || repeat(E'\r\n b', 100000) || E'\r\n\r\nx', 'UTF8'))" changes
	call "create_item(inbox, huge message)" "$ci($INBOX, convert_to(repeat('x', 30 * 1024 * 1024), 'UTF8'))"
	expect "create_item(huge message) is ErrorDataSizeLimitExceeded" 'ErrorDataSizeLimitExceeded'
	call "create_item(flipped parent)" "$ci(($flips)[2], 'Subject: x')"
	# -- ews_create_items (items as EWS XML, MIME as bytea)
	local cis="SELECT response_code, count(*) FROM ews_create_items"
	local msg="'<t:Message><t:Subject>h</t:Subject></t:Message>'"
	call "create_items(NULL, NULL, NULL)" "SELECT * FROM ews_create_items(NULL, NULL, NULL)"
	call "create_items(inbox, NULL, NULL)" "SELECT * FROM ews_create_items($INBOX, NULL, NULL)"
	expect "create_items(no items) is refused" 'ERROR:  22004'
	call "create_items(inbox, '{}')" "SELECT * FROM ews_create_items($INBOX, '{}')"
	call "create_items(inbox, {NULL})" "SELECT * FROM ews_create_items($INBOX, ARRAY[NULL]::text[])"
	expect "create_items({NULL}) is refused" 'ERROR:  22004'
	call "create_items(inbox, 2-D)" "$cis($INBOX, ARRAY[[$msg], [$msg]]) GROUP BY 1" changes
	call "create_items(lengths differ)" "$cis($INBOX, ARRAY[$msg], ARRAY[''::bytea, ''::bytea]) GROUP BY 1"
	expect "create_items(lengths differ) is refused" 'ERROR:  2202E'
	call "create_items(not XML)" "$cis($INBOX, ARRAY['<t:Message><t:Subject>']) GROUP BY 1"
	expect "create_items(not well-formed) is refused" 'ERROR:  22023'
	call "create_items(10 MB of XML)" "$cis($INBOX, ARRAY[$big]) GROUP BY 1"
	call "create_items(a DOCTYPE)" "$cis($INBOX, ARRAY['<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><t:Message><t:Subject>&e;</t:Subject></t:Message>']) GROUP BY 1"
	expect "create_items(a DOCTYPE) is refused" 'ERROR:  2200N'
	call "create_items(an entity)" "$cis($INBOX, ARRAY['<t:Message><t:Subject>&e;</t:Subject></t:Message>']) GROUP BY 1"
	call "create_items(two items in one element)" "$cis($INBOX, ARRAY[$msg || $msg]) GROUP BY 1"
	call "create_items(not an item)" "$cis($INBOX, ARRAY['<t:Bogus/>']) GROUP BY 1"
	expect "create_items(an unknown item kind) is ErrorInvalidItemForOperationCreateItem" 'ErrorInvalidItemForOperationCreateItem'
	call "create_items(another namespace)" "$cis($INBOX, ARRAY['<x:Message xmlns:x=\"urn:x\"/>']) GROUP BY 1"
	call "create_items(10 000 properties)" "$cis($INBOX, ARRAY['<t:Message>' || repeat('<t:Subject>s</t:Subject>', 10000) || '</t:Message>']) GROUP BY 1" changes
	call "create_items(bad boolean)" "$cis($INBOX, ARRAY['<t:Message><t:IsRead>yes</t:IsRead></t:Message>']) GROUP BY 1"
	expect "create_items(bad boolean) is refused" 'ERROR:  22023'
	call "create_items(bad extended value)" "$cis($INBOX, ARRAY['<t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag=\"0x1090\" PropertyType=\"Integer\"/><t:Value>x</t:Value></t:ExtendedProperty></t:Message>']) GROUP BY 1"
	expect "create_items(bad extended value) is ErrorInvalidExtendedPropertyValue" 'ErrorInvalidExtendedPropertyValue'
	call "create_items(read-only property)" "$cis($INBOX, ARRAY['<t:Message><t:Size>5</t:Size></t:Message>']) GROUP BY 1"
	expect "create_items(item:Size) is ErrorInvalidPropertySet" 'ErrorInvalidPropertySet'
	call "create_items(non-ASCII address)" "$cis($INBOX, ARRAY['<t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>jürgen@x</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message>']) GROUP BY 1"
	expect "create_items(an address the message cannot carry) is ErrorInvalidPropertySet" 'ErrorInvalidPropertySet'
	call "create_items(binary junk as MIME)" "$cis($INBOX, NULL, ARRAY[(SELECT b FROM junk)]) GROUP BY 1" changes
	call "create_items(MIME twice)" "$cis($INBOX, ARRAY['<t:Message><t:MimeContent>U3ViamVjdDogeA0KDQp4</t:MimeContent></t:Message>'], ARRAY['Subject: y'::bytea]) GROUP BY 1"
	expect "create_items(MIME twice) is refused" 'ERROR:  22023'
	call "create_items(huge MIME)" "$cis($INBOX, NULL, ARRAY[convert_to(repeat('x', 30 * 1024 * 1024), 'UTF8')]) GROUP BY 1"
	expect "create_items(huge MIME) is ErrorDataSizeLimitExceeded" 'ErrorDataSizeLimitExceeded'
	call "create_items(flipped parent)" "$cis(($flips)[2], ARRAY[$msg]) GROUP BY 1"
	call "create_items(item id as parent)" "$cis($ITEM, ARRAY[$msg]) GROUP BY 1"
	call "create_items(10 MB parent)" "$cis($big, ARRAY[$msg]) GROUP BY 1"
	# -- ews_update_items
	local ui="SELECT response_code, count(*) FROM ews_update_items"
	local set_read="'<t:SetItemField><t:FieldURI FieldURI=\"message:IsRead\"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField>'"
	call "update_items(NULL, NULL)" "SELECT * FROM ews_update_items(NULL, NULL)"
	call "update_items({item}, NULL)" "SELECT * FROM ews_update_items(ARRAY[$ITEM], NULL)"
	call "update_items({item}, {NULL})" "SELECT * FROM ews_update_items(ARRAY[$ITEM], ARRAY[NULL]::text[])"
	expect "update_items(NULL update) is refused" 'ERROR:  22004'
	call "update_items({item}, {''})" "SELECT * FROM ews_update_items(ARRAY[$ITEM], ARRAY[''])"
	call "update_items(lengths differ)" "$ui(ARRAY[$ITEM], ARRAY[$set_read, $set_read]) GROUP BY 1"
	call "update_items(bad conflict resolution)" "$ui(ARRAY[$ITEM], ARRAY[$set_read], NULL, 'overwrite') GROUP BY 1"
	expect "update_items(bad conflict resolution) is refused" 'ERROR:  22023'
	call "update_items({NULL}, read)" "$ui(ARRAY[NULL]::text[], ARRAY[$set_read]) GROUP BY 1"
	call "update_items(flipped ids)" "$ui($iflips, array_fill($set_read::text, ARRAY[array_length($iflips, 1)])) GROUP BY 1"
	expect_not "update_items(a flipped id) writes nothing" 'NoError'
	call "update_items(folder id)" "$ui(ARRAY[$FOLDER], ARRAY[$set_read]) GROUP BY 1"
	expect "update_items(folder id) is ErrorCannotUseFolderIdForItemId" 'ErrorCannotUseFolderIdForItemId'
	call "update_items(folder change key)" "$ui(ARRAY[$ITEM], ARRAY[$set_read], ARRAY[$FCK], 'NeverOverwrite') GROUP BY 1"
	expect "update_items(folder change key) is ErrorInvalidChangeKey" 'ErrorInvalidChangeKey'
	call "update_items(NeverOverwrite, no change key)" "$ui(ARRAY[$ITEM], ARRAY[$set_read], NULL, 'NeverOverwrite') GROUP BY 1"
	expect "update_items(NeverOverwrite without a change key) is ErrorChangeKeyRequiredForWriteOperations" 'ErrorChangeKeyRequiredForWriteOperations'
	call "update_items(read-only)" "$ui(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:DateTimeCreated\"/><t:Message><t:DateTimeCreated>2020-01-01T00:00:00Z</t:DateTimeCreated></t:Message></t:SetItemField>']) GROUP BY 1"
	expect "update_items(item:DateTimeCreated) is ErrorInvalidPropertySet" 'ErrorInvalidPropertySet'
	call "update_items(two properties)" "$ui(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:Message><t:Subject>a</t:Subject><t:Subject>b</t:Subject></t:Message></t:SetItemField>']) GROUP BY 1"
	expect "update_items(two properties) is ErrorIncorrectUpdatePropertyCount" 'ErrorIncorrectUpdatePropertyCount'
	call "update_items(mismatch)" "$ui(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField>']) GROUP BY 1"
	expect "update_items(mismatch) is ErrorUpdatePropertyMismatch" 'ErrorUpdatePropertyMismatch'
	call "update_items(unknown FieldURI)" "$ui(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:Nonsense\"/><t:Message/></t:SetItemField>']) GROUP BY 1"
	expect "update_items(a FieldURI outside the schema) is refused" 'ERROR:  22023'
	call "update_items(10 MB subject)" "$ui(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:Message><t:Subject>' || $big || '</t:Subject></t:Message></t:SetItemField>']) GROUP BY 1" changes
	# every write of one row leaves a row version: 1000 writes of the same item, not 100 000
	call "update_items(1000 times the item)" "$ui(array_fill($ITEM, ARRAY[1000]), array_fill($set_read::text, ARRAY[1000])) GROUP BY 1" changes
	expect "update_items(1000 times the item) answers each" '^NoError\|1000$'
	call "update_items(100 000 times the item, statement_timeout)" "SET statement_timeout = '50ms'; SELECT count(*) FROM ews_update_items(array_fill($ITEM, ARRAY[100000]), array_fill($set_read::text, ARRAY[100000]))"
	expect "update_items(100 000 items) is cancelled cleanly" 'ERROR:  57014' 
	call "update_items(100 000 garbage)" "$ui($many, array_fill($set_read::text, ARRAY[100000])) GROUP BY 1"
	# -- ews_delete_items, ews_move_items, ews_copy_items
	call "delete_items(NULL, NULL)" "SELECT * FROM ews_delete_items(NULL, NULL)"
	call "delete_items({item}, 'hard')" "SELECT * FROM ews_delete_items(ARRAY[$ITEM], 'hard')"
	expect "delete_items(bad delete type) is refused" 'ERROR:  22023'
	call "delete_items(2-D)" "SELECT response_code FROM ews_delete_items(ARRAY[[$ITEM], [$ITEM]])"
	call "delete_items({NULL})" "SELECT response_code FROM ews_delete_items(ARRAY[NULL]::text[])"
	call "delete_items(flipped ids)" "SELECT response_code, count(*) FROM ews_delete_items($iflips) GROUP BY 1"
	expect_not "delete_items(a flipped id) deletes nothing" 'NoError'
	call "delete_items(100 000 garbage)" "SELECT response_code, count(*) FROM ews_delete_items($many, 'SoftDelete') GROUP BY 1"
	call "delete_items(folder id)" "SELECT response_code FROM ews_delete_items(ARRAY[$FOLDER])"
	for f in move copy; do
		call "${f}_items(NULL, NULL)" "SELECT * FROM ews_${f}_items(NULL, NULL)"
		call "${f}_items(NULL, {item})" "SELECT * FROM ews_${f}_items(NULL, ARRAY[$ITEM])"
		call "${f}_items(inbox, '{}')" "SELECT * FROM ews_${f}_items($INBOX, '{}')"
		call "${f}_items(inbox, {NULL})" "SELECT response_code FROM ews_${f}_items($INBOX, ARRAY[NULL]::text[])"
		call "${f}_items(inbox, flipped)" "SELECT response_code, count(*) FROM ews_${f}_items($INBOX, $iflips) GROUP BY 1"
		expect_not "${f}_items(a flipped id) writes nothing" 'NoError'
		call "${f}_items(flipped target)" "SELECT response_code, count(*) FROM ews_${f}_items(($flips)[3], ARRAY[$ITEM]) GROUP BY 1"
		call "${f}_items(item id target)" "SELECT response_code FROM ews_${f}_items($ITEM, ARRAY[$ITEM])"
		call "${f}_items(10 MB target)" "SELECT response_code FROM ews_${f}_items($big, ARRAY[$ITEM])"
		call "${f}_items(inbox, 100 000 garbage)" "SELECT response_code, count(*) FROM ews_${f}_items($INBOX, $many) GROUP BY 1"
	done
	call "copy_items(100 000 times the item, statement_timeout)" "SET statement_timeout = '50ms'; SELECT count(*) FROM ews_copy_items($FOLDER, array_fill($ITEM, ARRAY[100000]))"
	expect "copy_items(100 000 items) is cancelled cleanly" 'ERROR:  57014'
	# -- ews_update_folders, ews_empty_folders
	local uf="SELECT response_code FROM ews_update_folders"
	local rename="'<t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:Folder><t:DisplayName>Renamed</t:DisplayName></t:Folder></t:SetFolderField>'"
	call "update_folders(NULL, NULL)" "SELECT * FROM ews_update_folders(NULL, NULL)"
	call "update_folders({folder}, {NULL})" "$uf(ARRAY[$FOLDER], ARRAY[NULL]::text[])"
	call "update_folders(lengths differ)" "$uf(ARRAY[$FOLDER], ARRAY[$rename, $rename])"
	call "update_folders(not XML)" "$uf(ARRAY[$FOLDER], ARRAY['<t:SetFolderField>'])"
	call "update_folders(10 MB name)" "$uf(ARRAY[$FOLDER], ARRAY['<t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:Folder><t:DisplayName>' || $big || '</t:DisplayName></t:Folder></t:SetFolderField>'])"
	call "update_folders(2000-byte name)" "$uf(ARRAY[$FOLDER], ARRAY['<t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:Folder><t:DisplayName>' || repeat('n', 2000) || '</t:DisplayName></t:Folder></t:SetFolderField>'])"
	expect "update_folders(2000-byte name) is ErrorFolderSavePropertyError" 'ErrorFolderSavePropertyError'
	call "update_folders(empty name)" "$uf(ARRAY[$FOLDER], ARRAY['<t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:Folder><t:DisplayName/></t:Folder></t:SetFolderField>'])"
	expect "update_folders(empty name) is ErrorFolderSavePropertyError" 'ErrorFolderSavePropertyError'
	call "update_folders(rename the inbox)" "$uf(ARRAY[$INBOX], ARRAY[$rename])"
	expect "update_folders(rename the inbox) is ErrorInvalidPropertySet" 'ErrorInvalidPropertySet'
	call "update_folders(read-only)" "$uf(ARRAY[$FOLDER], ARRAY['<t:DeleteFolderField><t:FieldURI FieldURI=\"folder:TotalCount\"/></t:DeleteFolderField>'])"
	expect "update_folders(delete TotalCount) is ErrorInvalidPropertyDelete" 'ErrorInvalidPropertyDelete'
	call "update_folders(flipped ids)" "SELECT response_code, count(*) FROM ews_update_folders($flips, array_fill($rename::text, ARRAY[array_length($flips, 1)])) GROUP BY 1"
	expect_not "update_folders(a flipped id) renames nothing" 'NoError'
	call "update_folders(item id)" "$uf(ARRAY[$ITEM], ARRAY[$rename])"
	call "empty_folders(NULL, NULL, NULL)" "SELECT * FROM ews_empty_folders(NULL, NULL, NULL)"
	call "empty_folders({folder}, 'x')" "SELECT * FROM ews_empty_folders(ARRAY[$FOLDER], 'x')"
	call "empty_folders({folder}, hard, NULL)" "SELECT * FROM ews_empty_folders(ARRAY[$FOLDER], 'HardDelete', NULL)"
	call "empty_folders({NULL})" "SELECT response_code FROM ews_empty_folders(ARRAY[NULL]::text[])"
	call "empty_folders(flipped ids)" "SELECT response_code, count(*) FROM ews_empty_folders($flips, 'HardDelete', true) GROUP BY 1"
	expect_not "empty_folders(a flipped id) empties nothing" 'NoError'
	call "empty_folders(root, subfolders)" "SELECT response_code FROM ews_empty_folders(ARRAY[ews_folder_id('hostile@example.com', 'root')], 'HardDelete', true)"
	expect "empty_folders(root with its subfolders) is ErrorDeleteDistinguishedFolder" 'ErrorDeleteDistinguishedFolder'
	call "empty_folders(deleted items into itself)" "SELECT response_code FROM ews_empty_folders(ARRAY[ews_folder_id('hostile@example.com', 'deleteditems')], 'MoveToDeletedItems')"
	expect "empty_folders(deleted items into itself) is ErrorCannotEmptyFolder" 'ErrorCannotEmptyFolder'
	call "empty_folders(100 000 garbage)" "SELECT response_code, count(*) FROM ews_empty_folders($many) GROUP BY 1"
	# -- ews_grant, ews_revoke, ews_drop_mailbox, ews_list_mailboxes
	for f in grant revoke; do
		call "$f(NULL, NULL, NULL)" "SELECT ews_$f(NULL, NULL, NULL)"
		call "$f(mailbox, role, '')" "SELECT ews_$f('hostile@example.com', current_user::regrole, '')"
		call "$f(mailbox, role, 10 MB)" "SELECT ews_$f('hostile@example.com', current_user::regrole, $big)"
		call "$f(10 MB, role, delegate)" "SELECT ews_$f($big, current_user::regrole, 'delegate')"
		call "$f(mailbox, 0, delegate)" "SELECT ews_$f('hostile@example.com', 0::regrole, 'delegate')"
	done
	call "drop_mailbox(NULL)" "SELECT ews_drop_mailbox(NULL)"
	call "drop_mailbox('')" "SELECT ews_drop_mailbox('')"
	call "drop_mailbox(10 MB)" "SELECT ews_drop_mailbox($big)"
	call "drop_mailbox(%)" "SELECT ews_drop_mailbox('%')"
	call "list_mailboxes()" "SELECT count(*) FROM ews_list_mailboxes()"
	# -- ews.item_columns (administrators: re-derives the extracted columns of a blob)
	call "item_columns(NULL)" "SELECT ews.item_columns(NULL)"
	call "item_columns('')" "SELECT ews.item_columns('')"
	expect "item_columns('') is refused as a corrupt blob" 'invalid item blob'
	call "item_columns(binary junk)" "SELECT ews.item_columns((SELECT b FROM junk))"
	expect "item_columns(junk) is refused as a corrupt blob" 'invalid item blob'
	call "item_columns(stored blob)" "SELECT (ews.item_columns($BLOB)).subject"
	expect "item_columns(stored blob) reads the subject" 'kept'
	# -- ews_find_items, ews_get_items
	local fi="SELECT response_code, count(*) FROM ews_find_items"
	local deep="repeat('<t:Not>', 300) || '<t:Exists><t:FieldURI FieldURI=\"item:Subject\"/></t:Exists>' || repeat('</t:Not>', 300)"
	local wide="'<t:Or>' || repeat('<t:IsEqualTo><t:FieldURI FieldURI=\"item:Subject\"/><t:FieldURIOrConstant><t:Constant Value=\"x\"/></t:FieldURIOrConstant></t:IsEqualTo>', 100000) || '</t:Or>'"
	call "find_items(NULL, NULL, ...)" "SELECT * FROM ews_find_items(NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
	call "find_items(NULL)" "$fi(NULL) GROUP BY 1"
	call "find_items(10 MB id)" "$fi($big) GROUP BY 1"
	call "find_items(inbox, 10 MB traversal)" "$fi($INBOX, $big) GROUP BY 1"
	call "find_items(inbox, 10 MB restriction)" "$fi($INBOX, restriction => $big) GROUP BY 1"
	call "find_items(inbox, 10 MB constant)" "$fi($INBOX, restriction => '<t:Contains ContainmentMode=\"Substring\"><t:FieldURI FieldURI=\"item:Subject\"/><t:Constant Value=\"' || $big || '\"/></t:Contains>') GROUP BY 1"
	call "find_items(inbox, restriction nested 300 deep)" "$fi($INBOX, restriction => $deep) GROUP BY 1"
	call "find_items(inbox, restriction of 100 000 expressions)" "$fi($INBOX, restriction => $wide) GROUP BY 1"
	expect "find_items(100 000 expressions) is refused" 'ErrorInvalidRestriction|more than'
	call "find_items(inbox, restriction with entities)" "$fi($INBOX, restriction => '<!ENTITY x \"y\"><t:Exists/>') GROUP BY 1"
	call "find_items(inbox, restriction of junk)" "$fi($INBOX, restriction => translate(encode((SELECT b FROM junk), 'escape'), E'\\\\', '/')) GROUP BY 1"
	call "find_items(inbox, restriction with quotes)" "$fi($INBOX, restriction => '<t:IsEqualTo><t:FieldURI FieldURI=\"item:Subject\"/><t:FieldURIOrConstant><t:Constant Value=\"x&apos;); DROP TABLE ews.item; --\"/></t:FieldURIOrConstant></t:IsEqualTo>') GROUP BY 1"
	expect "find_items(a constant with SQL in it) matches nothing and drops nothing" '^NoError\|1$|^$'
	call "find_items(inbox, sort_order of NULLs)" "$fi($INBOX, sort_order => ARRAY[NULL]::text[]) GROUP BY 1"
	call "find_items(inbox, 2-D sort_order)" "$fi($INBOX, sort_order => ARRAY[['item:Subject'], ['item:Size']]) GROUP BY 1"
	call "find_items(inbox, 17 sort keys)" "$fi($INBOX, sort_order => array_fill('item:Subject'::text, ARRAY[17])) GROUP BY 1"
	call "find_items(inbox, 10 MB sort key)" "$fi($INBOX, sort_order => ARRAY[$big]) GROUP BY 1"
	call "find_items(inbox, offsets)" "$fi($INBOX, page_offset => 2147483647, max_entries => 2147483647) GROUP BY 1"
	call "find_items(inbox, from the end, huge offset)" "$fi($INBOX, page_offset => 2147483647, base_point => 'End') GROUP BY 1"
	call "find_items(flipped parents)" "SELECT response_code, count(*) FROM unnest($flips) x, ews_find_items(x) GROUP BY 1"
	expect_not "find_items(a flipped id) finds nothing" 'NoError'
	call "get_items(NULL, NULL)" "SELECT * FROM ews_get_items(NULL, NULL)"
	call "get_items('{}')" "SELECT * FROM ews_get_items('{}')"
	call "get_items({NULL})" "SELECT response_code FROM ews_get_items(ARRAY[NULL]::text[])"
	call "get_items(2-D)" "SELECT response_code FROM ews_get_items(ARRAY[[$ITEM], [$ITEM]])"
	call "get_items(1 id, 2 change keys)" "SELECT response_code FROM ews_get_items(ARRAY[$ITEM], ARRAY[$ICK, $ICK])"
	call "get_items(every byte flipped)" "SELECT response_code, count(*) FROM ews_get_items($iflips) GROUP BY 1"
	expect_not "get_items(a flipped id) finds nothing" 'NoError'
	call "get_items(100 000 garbage)" "SELECT response_code, count(*) FROM ews_get_items($many) GROUP BY 1"
	call "get_items(100 000 times the item)" "SELECT response_code, count(*) FROM ews_get_items(array_fill($ITEM, ARRAY[100000])) GROUP BY 1"
	expect "get_items(100 000 times the item) answers each" '^NoError\|100000$'
	call "get_items(100 000 ids, statement_timeout)" "SET statement_timeout = '50ms'; SELECT count(*) FROM ews_get_items(array_fill($ITEM, ARRAY[100000]))"
	expect "get_items(100 000 ids) is cancelled cleanly" 'ERROR:  57014'
	call "get_items(10 MB id, 10 MB change key)" "SELECT response_code FROM ews_get_items(ARRAY[$big], ARRAY[$big])"
	# -- ews.prop_* (internal: FindItem's per-row reader), never crashing on what they are given
	for f in exists text int8 bool time float8 bytea texts; do
		call "prop_$f(junk)" "SELECT ews.prop_$f((SELECT b FROM junk), 1, NULL, NULL, NULL)"
		call "prop_$f(truncated blob, named)" "SELECT ews.prop_$f(substring($BLOB FROM 1 FOR 20), 31, '\\x0000000000000000c000000000000046'::bytea, 1, 'x')"
		call "prop_$f(stored blob, bad GUID)" "SELECT ews.prop_$f($BLOB, 31, '\\x00'::bytea, 1, NULL)"
		call "prop_$f(NULLs)" "SELECT ews.prop_$f(NULL, NULL, NULL, NULL, NULL)"
	done
	call "prop_text(stored blob, subject)" "SELECT ews.prop_text($BLOB, x'0037001F'::int, NULL, NULL, NULL)"
	expect "prop_text(stored blob, subject) reads it" 'kept'
	# -- ews_soap
	local env="'<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><s:Body>'"
	local gf="$env || '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>'"
	local soap="SELECT status, xml_is_well_formed_document(response) FROM ews_soap"
	call "soap(NULL, NULL)" "SELECT * FROM ews_soap(NULL, NULL)"
	call "soap('')" "$soap('')"
	expect "soap('') is a well-formed fault" '^500\|t$'
	call "soap(10 MB)" "$soap($big)"
	call "soap(binary junk)" "$soap(translate(encode((SELECT b FROM junk), 'escape'), E'\\\\', '/'))"
	call "soap(GetFolder, 10 MB mailbox argument)" "$soap($gf || '<t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>', $big)"
	call "soap(GetFolder, mailbox argument with controls)" "$soap($gf || '<t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>', E'a\\x01<&>\"b')"
	expect "soap(mailbox argument with controls) is a well-formed fault" '^500\|t$'
	call "soap(GetFolder, 10 000 flipped ids)" "$soap($gf || (SELECT string_agg('<t:FolderId Id=\"' || replace(replace(replace(x, '&', '&amp;'), '\"', '&quot;'), '<', '&lt;') || '\"/>', '') FROM unnest($flips) x) || '</m:FolderIds></m:GetFolder></s:Body></s:Envelope>')"
	expect "soap(GetFolder of flipped ids) is a well-formed response" '^200\|t$'
	call "soap(deep nesting)" "$soap($env || repeat('<a>', 100000) || repeat('</a>', 100000) || '</s:Body></s:Envelope>')"
	call "soap(10 000 attributes)" "$soap($env || '<m:GetFolder ' || (SELECT string_agg('a' || g || '=\"1\"', ' ') FROM generate_series(1, 10000) g) || '/></s:Body></s:Envelope>')"
	call "soap(NUL as entity)" "$soap($gf || '<t:FolderId Id=\"&#0;\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>')"
	call "soap(UploadItems of junk)" "SELECT status, xml_is_well_formed_document(response) FROM ews_soap($env || '<m:UploadItems><m:Items><t:Item CreateAction=\"CreateNew\"><t:ParentFolderId Id=\"' || $INBOX || '\"/><t:Data>' || encode((SELECT b FROM junk), 'base64') || '</t:Data></t:Item></m:Items></m:UploadItems></s:Body></s:Envelope>') s WHERE response ~ 'ErrorCorruptData'"
	expect "soap(UploadItems of junk) is ErrorCorruptData" '^200\|t$'
	# -- ews_act_as, ews_acting_mailbox (outside a transaction block: this statement only)
	call "act_as(NULL)" "SELECT ews_act_as(NULL)"
	expect "act_as(NULL) is refused" 'ERROR:  22004'
	call "act_as('')" "SELECT ews_act_as('')"
	call "act_as(10 MB)" "SELECT ews_act_as($big)"
	expect "act_as(10 MB) is no mailbox" 'ERROR:  42704'
	call "act_as('%')" "SELECT ews_act_as('%')"
	call "act_as(controls)" "SELECT ews_act_as(E'a\\x01<&>\"b')"
	call "act_as(mailbox), then another" "SELECT ews_act_as('hostile@example.com'), ews_act_as('hostile2@example.com')"
	expect "act_as of a second user is refused" 'ERROR:  55000'
	call "act_as(mailbox) lasts one statement" "SELECT ews_act_as('hostile@example.com'); SELECT coalesce(ews_acting_mailbox(), 'none')"
	expect "act_as(mailbox) lasts one statement" '^none$'
	call "act_as(mailbox) with soap naming another" "SELECT ews_act_as('hostile@example.com') IS NULL, (SELECT status FROM ews_soap($env || '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>', $big))"
	call "acting_mailbox()" "SELECT ews_acting_mailbox()"
	# -- ews_add_delegate, ews_remove_delegate, ews_list_delegates
	call "add_delegate(NULL, NULL, NULL)" "SELECT ews_add_delegate(NULL, NULL, NULL)"
	call "add_delegate(mailbox, itself, reviewer)" "SELECT ews_add_delegate('hostile@example.com', 'HOSTILE@example.com', 'reviewer')"
	expect "add_delegate(itself) is refused" 'ERROR:  22023'
	call "add_delegate(mailbox, other, '')" "SELECT ews_add_delegate('hostile@example.com', 'hostile2@example.com', '')"
	call "add_delegate(mailbox, other, 10 MB)" "SELECT ews_add_delegate('hostile@example.com', 'hostile2@example.com', $big)"
	call "add_delegate(mailbox, 10 MB, reviewer)" "SELECT ews_add_delegate('hostile@example.com', $big, 'reviewer')"
	call "add_delegate(10 MB, other, editor)" "SELECT ews_add_delegate($big, 'hostile2@example.com', 'editor')"
	call "add_delegate(%, %, editor)" "SELECT ews_add_delegate('%', '%', 'editor')"
	call "add_delegate(mailbox, other, Editor)" "SELECT ews_add_delegate('hostile@example.com', 'hostile2@example.com', 'Editor')"
	expect "add_delegate(Editor) is refused" 'ERROR:  22023'
	call "add_delegate(mailbox, other, editor)" "SELECT ews_add_delegate('hostile@example.com', 'hostile2@example.com', 'editor')" any
	call "remove_delegate(NULL, NULL)" "SELECT ews_remove_delegate(NULL, NULL)"
	call "remove_delegate(10 MB, 10 MB)" "SELECT ews_remove_delegate($big, $big)"
	call "remove_delegate(mailbox, other)" "SELECT ews_remove_delegate('hostile@example.com', 'hostile2@example.com')" any
	call "list_delegates(NULL)" "SELECT * FROM ews_list_delegates(NULL)"
	call "list_delegates(10 MB)" "SELECT * FROM ews_list_delegates($big)"
	call "list_delegates(%)" "SELECT * FROM ews_list_delegates('%')"
	# -- ews_sync_folder_items, ews_sync_folder_hierarchy, ews_trim_tombstones
	local sfi="SELECT response_code, count(*) FROM ews_sync_folder_items"
	local state="(SELECT next_sync_state FROM ews_sync_folder_items($INBOX) WHERE change_type IS NULL)"
	local sflips="(SELECT array_agg(overlay(st PLACING chr(ascii(substr(st, i, 1)) # m) FROM i FOR 1))
	               FROM (SELECT $state AS st) s, generate_series(1, length($state)) i, unnest(ARRAY[1, 2, 32, 64]) m
	              WHERE ascii(substr(st, i, 1)) # m BETWEEN 33 AND 126)"
	call "sync_folder_items(NULL)" "SELECT * FROM ews_sync_folder_items(NULL)"
	expect "sync_folder_items(NULL) is refused" 'ERROR:  22004'
	call "sync_folder_items(inbox, NULL, NULL)" "SELECT * FROM ews_sync_folder_items($INBOX, NULL, NULL)"
	expect "sync_folder_items(max_changes NULL) is refused" 'ERROR:  22023'
	call "sync_folder_items(inbox, NULL, -1)" "SELECT * FROM ews_sync_folder_items($INBOX, NULL, -1)"
	call "sync_folder_items(inbox, NULL, 2^31-1)" "SELECT * FROM ews_sync_folder_items($INBOX, NULL, 2147483647)"
	expect "sync_folder_items(max_changes 2^31-1) is refused" 'ERROR:  22023'
	call "sync_folder_items(inbox, NULL, 10, NULL)" "SELECT * FROM ews_sync_folder_items($INBOX, NULL, 10, NULL)"
	call "sync_folder_items(inbox, NULL, 10, 10 MB scope)" "SELECT * FROM ews_sync_folder_items($INBOX, NULL, 10, $big)"
	call "sync_folder_items(10 MB folder id)" "$sfi($big) GROUP BY 1"
	call "sync_folder_items(item id)" "$sfi($ITEM) GROUP BY 1"
	expect "sync_folder_items(item id) is ErrorCannotUseItemIdForFolderId" 'ErrorCannotUseItemIdForFolderId'
	call "sync_folder_items(every byte of the folder id flipped)" "SELECT s.response_code, count(*) FROM unnest($flips) f, ews_sync_folder_items(f) s WHERE s.change_type IS NOT NULL OR s.response_code <> 'NoError' GROUP BY 1"
	expect_not "sync_folder_items(a flipped id) never reads the folder" 'NoError'
	call "sync_folder_items(inbox, 10 MB state)" "$sfi($INBOX, $big) GROUP BY 1"
	expect "sync_folder_items(10 MB state) is ErrorInvalidSyncStateData" '^ErrorInvalidSyncStateData\|1$'
	call "sync_folder_items(inbox, every byte of a state flipped)" "SELECT s.response_code, count(*) FROM unnest($sflips) f, ews_sync_folder_items($INBOX, f) s GROUP BY 1"
	expect "sync_folder_items(a flipped state) is always refused" '^ErrorInvalidSyncStateData\|[0-9]+$'
	expect_not "sync_folder_items(a flipped state) never reads" 'NoError'
	call "sync_folder_items(folder, the inbox's state)" "$sfi($FOLDER, $state) GROUP BY 1"
	expect "sync_folder_items(another folder's state) is ErrorInvalidSyncStateData" 'ErrorInvalidSyncStateData'
	call "sync_folder_items(inbox, state of binary junk)" "$sfi($INBOX, encode(substring((SELECT b FROM junk) FROM 1 FOR 76), 'base64')) GROUP BY 1"
	call "sync_folder_items(ignore {NULL})" "$sfi($INBOX, NULL, 10, 'NormalItems', ARRAY[NULL]::text[]) GROUP BY 1"
	expect "sync_folder_items(ignore {NULL}) is ErrorInvalidIdMalformed" 'ErrorInvalidIdMalformed'
	call "sync_folder_items(ignore 2-D)" "$sfi($INBOX, NULL, 10, 'NormalItems', ARRAY[[$ITEM], [$ITEM]]) GROUP BY 1"
	call "sync_folder_items(ignore 100 000 garbage)" "$sfi($INBOX, NULL, 10, 'NormalItems', $many) GROUP BY 1"
	call "sync_folder_items(ignore 100 000 times the item)" "$sfi($INBOX, NULL, 512, 'NormalItems', array_fill($ITEM, ARRAY[100000])) GROUP BY 1"
	expect "sync_folder_items(the item ignored 100 000 times) answers" '^NoError\|'
	call "sync_folder_items(ignore flipped ids)" "$sfi($INBOX, NULL, 512, 'NormalItems', $iflips) GROUP BY 1"
	call "sync_folder_hierarchy(NULL, NULL)" "SELECT response_code FROM ews_sync_folder_hierarchy(NULL, NULL)"
	expect "sync_folder_hierarchy() without an acting user is refused" 'ErrorInvalidRequest'
	call "sync_folder_hierarchy(10 MB folder id)" "SELECT response_code FROM ews_sync_folder_hierarchy($big)"
	call "sync_folder_hierarchy(item id)" "SELECT response_code FROM ews_sync_folder_hierarchy($ITEM)"
	call "sync_folder_hierarchy(inbox, 10 MB state)" "SELECT response_code FROM ews_sync_folder_hierarchy($INBOX, $big)"
	expect "sync_folder_hierarchy(10 MB state) is ErrorInvalidSyncStateData" 'ErrorInvalidSyncStateData'
	call "sync_folder_hierarchy(inbox, an items state)" "SELECT response_code FROM ews_sync_folder_hierarchy($INBOX, $state)"
	expect "sync_folder_hierarchy(an items state) is ErrorInvalidSyncStateData" 'ErrorInvalidSyncStateData'
	call "sync_folder_hierarchy(every byte of the folder id flipped)" "SELECT s.response_code, count(*) FROM unnest($flips) f, ews_sync_folder_hierarchy(f) s WHERE s.change_type IS NOT NULL OR s.response_code <> 'NoError' GROUP BY 1"
	expect_not "sync_folder_hierarchy(a flipped id) never reads" 'NoError'
	call "trim_tombstones(NULL, NULL)" "SELECT * FROM ews_trim_tombstones(NULL, NULL)"
	call "trim_tombstones(-1 day)" "SELECT * FROM ews_trim_tombstones('-1 day')"
	expect "trim_tombstones(-1 day) is refused" 'ERROR:  22023'
	call "trim_tombstones(0)" "SELECT * FROM ews_trim_tombstones('0')"
	call "trim_tombstones(the largest interval)" "SELECT * FROM ews_trim_tombstones('178000000 years')"
	call "trim_tombstones(1 microsecond)" "SELECT * FROM ews_trim_tombstones('1 microsecond', 0)"
	call "trim_tombstones(NULL, -1)" "SELECT * FROM ews_trim_tombstones(NULL, -1)"
	expect "trim_tombstones(count -1) is refused" 'ERROR:  22023'

	# -- scale-out, node side (superusers only but ews_scaleout_reachable; src/scaleout.c)
	local g="(SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'hostile@example.com')"
	local other="'00000000-0000-4000-8000-000000000000'::uuid"
	call "scaleout_catalog()" "SELECT count(*) > 0 FROM ews_scaleout_catalog()"
	call "scaleout_tables()" "SELECT count(*) > 0 FROM ews_scaleout_tables()"
	call "scaleout_mailbox_tables()" "SELECT count(*) > 0 FROM ews_scaleout_mailbox_tables()"
	call "scaleout_mailboxes(NULL, NULL)" "SELECT count(*) > 0 FROM ews_scaleout_mailboxes(NULL, NULL)"
	call "scaleout_mailboxes({NULL}, 2-D with 10 MB)" "SELECT count(*) FROM ews_scaleout_mailboxes(ARRAY[NULL]::uuid[], ARRAY[[$big], ['x']])"
	call "scaleout_sequences()" "SELECT count(*) > 0 FROM ews_scaleout_sequences()"
	call "scaleout_advance_sequences(NULL, NULL, NULL)" "SELECT ews_scaleout_advance_sequences(NULL, NULL, NULL)"
	call "scaleout_advance_sequences(a table)" "SELECT ews_scaleout_advance_sequences(ARRAY['mailbox'], ARRAY[1::bigint], 1000)"
	expect "scaleout_advance_sequences(a table) is refused" 'ERROR:  42704'
	call "scaleout_advance_sequences(10 MB name)" "SELECT ews_scaleout_advance_sequences(ARRAY[$big], ARRAY[1::bigint], 1000)"
	call "scaleout_advance_sequences(lengths differ)" "SELECT ews_scaleout_advance_sequences(ARRAY['change_seq'], ARRAY[1::bigint, 2], 1000)"
	call "scaleout_advance_sequences(NULL value)" "SELECT ews_scaleout_advance_sequences(ARRAY['change_seq'], ARRAY[NULL::bigint], 1000)"
	call "scaleout_advance_sequences(wait 0)" "SELECT ews_scaleout_advance_sequences(ARRAY['change_seq'], ARRAY[1::bigint], 0)"
	call "scaleout_freeze(NULL, NULL)" "SELECT ews_scaleout_freeze(NULL, NULL)"
	call "scaleout_freeze(wait -1)" "SELECT ews_scaleout_freeze($g, -1)"
	call "scaleout_frozen(NULL, unknown)" "SELECT ews_scaleout_frozen(NULL) IS NULL AND NOT ews_scaleout_frozen($other)"
	expect "scaleout_frozen(unknown) is false" "^t$"
	call "scaleout_thaw(not held)" "SELECT ews_scaleout_thaw($other)"
	expect "scaleout_thaw(not held) is false" '^f$'
	call "scaleout_export(NULLs)" "SELECT * FROM ews_scaleout_export(NULL, NULL, NULL, NULL, NULL)"
	call "scaleout_export(a table name with SQL)" "SELECT * FROM ews_scaleout_export($g, 'mailbox; DROP TABLE ews.item', NULL, 10, 1000)"
	call "scaleout_export(10 MB table name)" "SELECT * FROM ews_scaleout_export($g, $big, NULL, 10, 1000)"
	call "scaleout_export(a key that is no key)" "SELECT count(*) FROM ews_scaleout_export($g, 'folder', ARRAY['x'], 10, 1000)"
	call "scaleout_export(2-D key)" "SELECT count(*) FROM ews_scaleout_export($g, 'folder', ARRAY[['1'], ['2']], 10, 1000)"
	call "scaleout_export(0 rows)" "SELECT count(*) FROM ews_scaleout_export($g, 'folder', NULL, 0, 1000)"
	call "scaleout_import(not held)" "SELECT ews_scaleout_import($g, 'folder', ARRAY['junk'])"
	expect "scaleout_import(not held) is refused" 'ERROR:  55000'
	call "scaleout_import(junk, held)" "SELECT ews_scaleout_freeze($g, 1000); SELECT ews_scaleout_import($g, 'folder', ARRAY['junk', NULL])"
	call "scaleout_import(a row of another mailbox)" "SELECT ews_scaleout_import($g, 'folder', ARRAY[(SELECT replace(f::text, $g::text, $other::text) FROM ews.folder f WHERE f.mailbox_id = $g LIMIT 1)])"
	expect "scaleout_import(a row of another mailbox) is refused" 'ERROR:  22023'
	call "scaleout_import(a copy of a row it has)" "SELECT ews_scaleout_import($g, 'folder', ARRAY[(SELECT f::text FROM ews.folder f WHERE f.mailbox_id = $g LIMIT 1)])"
	call "scaleout_delete(not held)" "SELECT ews_scaleout_thaw($g); SELECT ews_scaleout_delete($g)"
	expect "scaleout_delete(not held) is refused" 'ERROR:  55000'
	call "scaleout_links(NULL, unknown)" "SELECT count(*) FROM ews_scaleout_links(NULL); SELECT coalesce(sum(row_count), 0) FROM ews_scaleout_links($other)"
	call "scaleout_checksum(NULL)" "SELECT * FROM ews_scaleout_checksum(NULL)"
	call "scaleout_checksum(unknown)" "SELECT sum(row_count) FROM ews_scaleout_checksum($other)"
	call "scaleout_reachable(NULL, NULL)" "SELECT ews_scaleout_reachable(NULL, NULL)"
	call "scaleout_reachable(10 000 GUIDs, 10 MB address)" "SELECT ews_scaleout_reachable(ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 10000)), ARRAY[$big, NULL])"
	expect "scaleout_reachable(unknown ones) is false" '^f$'
}

# ---- the SQL_ASCII twist: text holding bytes that are not UTF-8 ----
ascii_only() {
	local bad="E'\\xff\\xfe\\xc0\\x80'"
	local env="'<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><s:Body>'"
	local gf="$env || '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>'"
	call "SQL_ASCII: create_mailbox(invalid UTF-8 address)" "SELECT ews_create_mailbox('a' || $bad || '@example.com')"
	expect "SQL_ASCII: create_mailbox(invalid UTF-8 address) is refused" 'ERROR:  22'
	call "SQL_ASCII: create_mailbox(invalid UTF-8 display name)" "SELECT ews_create_mailbox('dn@example.com', $bad)"
	expect "SQL_ASCII: create_mailbox(invalid UTF-8 display name) is refused" 'ERROR:  22'
	call "SQL_ASCII: create_folder(invalid UTF-8 name)" "SELECT response_code FROM ews_create_folder($INBOX, $bad)"
	expect "SQL_ASCII: create_folder(invalid UTF-8 name) is refused" 'ErrorFolderSavePropertyError'
	call "SQL_ASCII: create_folder(invalid UTF-8 class)" "SELECT response_code FROM ews_create_folder($INBOX, 'ok', $bad)"
	expect "SQL_ASCII: create_folder(invalid UTF-8 class) is refused" 'ErrorFolderSavePropertyError'
	call "SQL_ASCII: get_folder(invalid UTF-8 id)" "SELECT response_code FROM ews_get_folder(ARRAY[$bad, $FOLDER || $bad])"
	call "SQL_ASCII: folder_id(invalid UTF-8)" "SELECT ews_folder_id($bad, $bad)"
	call "SQL_ASCII: find_folder(inbox, invalid UTF-8)" "SELECT * FROM ews_find_folder($INBOX, $bad)"
	call "SQL_ASCII: delete_folder(invalid UTF-8)" "SELECT response_code FROM ews_delete_folder(ARRAY[$bad], $bad)"
	call "SQL_ASCII: export_items(invalid UTF-8)" "SELECT response_code FROM ews_export_items(ARRAY[$bad], ARRAY[$bad])"
	call "SQL_ASCII: upload_items(invalid UTF-8 action)" "SELECT response_code FROM ews_upload_items(ARRAY[$INBOX], ARRAY[$BLOB], ARRAY[$bad])"
	call "SQL_ASCII: grant(invalid UTF-8)" "SELECT ews_grant($bad, current_user::regrole, $bad)"
	call "SQL_ASCII: drop_mailbox(invalid UTF-8)" "SELECT ews_drop_mailbox($bad)"
	call "SQL_ASCII: find_items(invalid UTF-8 restriction)" "SELECT response_code FROM ews_find_items($INBOX, restriction => '<t:Contains><t:FieldURI FieldURI=\"item:Subject\"/><t:Constant Value=\"' || $bad || '\"/></t:Contains>')"
	call "SQL_ASCII: find_items(invalid UTF-8 sort key)" "SELECT response_code FROM ews_find_items($INBOX, sort_order => ARRAY[$bad])"
	call "SQL_ASCII: get_items(invalid UTF-8)" "SELECT response_code FROM ews_get_items(ARRAY[$bad], ARRAY[$bad])"
	call "SQL_ASCII: act_as(invalid UTF-8)" "SELECT ews_act_as($bad)"
	call "SQL_ASCII: add_delegate(invalid UTF-8)" "SELECT ews_add_delegate('hostile@example.com', $bad, $bad)"
	call "SQL_ASCII: list_delegates(invalid UTF-8)" "SELECT * FROM ews_list_delegates($bad)"
	call "SQL_ASCII: create_items(invalid UTF-8 item)" "SELECT response_code FROM ews_create_items($INBOX, ARRAY['<t:Message><t:Subject>' || $bad || '</t:Subject></t:Message>'])"
	expect "SQL_ASCII: create_items(invalid UTF-8 item) is refused" 'ERROR:  22'
	call "SQL_ASCII: update_items(invalid UTF-8)" "SELECT response_code FROM ews_update_items(ARRAY[$ITEM || $bad], ARRAY['<t:DeleteItemField><t:FieldURI FieldURI=\"item:Subject\"/></t:DeleteItemField>'], NULL, $bad)"
	call "SQL_ASCII: update_items(invalid UTF-8 subject)" "SELECT response_code FROM ews_update_items(ARRAY[$ITEM], ARRAY['<t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/><t:Message><t:Subject>' || $bad || '</t:Subject></t:Message></t:SetItemField>'])"
	expect "SQL_ASCII: update_items(invalid UTF-8 subject) is refused" 'ERROR:  22'
	call "SQL_ASCII: delete_items(invalid UTF-8)" "SELECT response_code FROM ews_delete_items(ARRAY[$bad], $bad)"
	call "SQL_ASCII: move_items(invalid UTF-8)" "SELECT response_code FROM ews_move_items($bad, ARRAY[$bad])"
	call "SQL_ASCII: update_folders(invalid UTF-8 name)" "SELECT response_code FROM ews_update_folders(ARRAY[$FOLDER], ARRAY['<t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:Folder><t:DisplayName>' || $bad || '</t:DisplayName></t:Folder></t:SetFolderField>'])"
	expect "SQL_ASCII: update_folders(invalid UTF-8 name) is refused" 'ERROR:  22|ErrorFolderSavePropertyError'
	call "SQL_ASCII: empty_folders(invalid UTF-8)" "SELECT response_code FROM ews_empty_folders(ARRAY[$bad], $bad)"
	call "SQL_ASCII: sync_folder_items(invalid UTF-8)" "SELECT response_code FROM ews_sync_folder_items($bad, $bad, 10, 'NormalItems', ARRAY[$bad])"
	call "SQL_ASCII: sync_folder_items(inbox, invalid UTF-8 state)" "SELECT response_code FROM ews_sync_folder_items($INBOX, $bad)"
	expect "SQL_ASCII: sync_folder_items(invalid UTF-8 state) is ErrorInvalidSyncStateData" 'ErrorInvalidSyncStateData'
	call "SQL_ASCII: sync_folder_items(inbox, NULL, 10, invalid UTF-8 scope)" "SELECT response_code FROM ews_sync_folder_items($INBOX, NULL, 10, $bad)"
	call "SQL_ASCII: sync_folder_hierarchy(invalid UTF-8)" "SELECT response_code FROM ews_sync_folder_hierarchy($bad, $bad)"
	call "SQL_ASCII: soap(invalid UTF-8 request)" "SELECT status, xml_is_well_formed_document(response) FROM ews_soap($gf || $bad || '</m:FolderIds></m:GetFolder></s:Body></s:Envelope>')"
	expect "SQL_ASCII: soap(invalid UTF-8 request) is a fault" '^500\|'
	call "SQL_ASCII: soap(invalid UTF-8 mailbox argument)" "SELECT status, response NOT LIKE '%' || chr(255) || '%' FROM ews_soap($gf || '<t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>', $bad)"
	expect "SQL_ASCII: soap(invalid UTF-8 mailbox argument) does not echo the bytes" '\|t$|ERROR:  22'
	call "SQL_ASCII: soap(invalid UTF-8 in XML encoding declaration)" "SELECT status FROM ews_soap('<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>' || $gf || '<t:FolderId Id=\"' || $bad || '\"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>')"
}

for enc in UTF8 SQL_ASCII; do
	DB=ews_hostile_$(echo "$enc" | tr 'A-Z' 'a-z')
	if ! setup -E "$enc" -T template0 --locale=C; then
		nok "create database $DB ($enc)"
		continue
	fi
	open_session
	# the SQL_ASCII database gets the calls where text is the input
	if [ "$enc" = UTF8 ]; then hostile; else ascii_only; fi
	close_session
	dropdb "$DB"
done

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
