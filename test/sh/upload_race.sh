#!/usr/bin/env bash
# An upload racing a HardDelete of its parent folder: whichever commits
# first, the upload answers per item (never a foreign key error for the whole
# statement) and no item is left without its folder.
set -uo pipefail
db=ews_upload_race
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL' || { echo "not ok 1 - setup"; exit 1; }
CREATE EXTENSION ews;
SELECT ews_create_mailbox('race@example.com');
CREATE TABLE ids AS SELECT ews_folder_id('race@example.com', 'inbox') AS inbox;
ALTER TABLE ids ADD f1 text, ADD f2 text, ADD blob bytea;
UPDATE ids SET f1 = (SELECT folder_id FROM ews_create_folder(inbox, 'F1')),
               f2 = (SELECT folder_id FROM ews_create_folder(inbox, 'F2'));
ALTER TABLE ids ADD item text;
UPDATE ids SET item = (SELECT item_id FROM ews_create_item(inbox, convert_to(E'Subject: race\r\n\r\nbody\r\n', 'UTF8')));
UPDATE ids SET blob = (SELECT data FROM ews_export_items(ARRAY[item]));
SELECT 1/(blob IS NOT NULL)::int FROM ids;
SQL
pass=0 failed=0
check() { if [ "$1" = "$2" ]; then pass=$((pass+1)); echo "ok $((pass+failed)) - $3"; else failed=$((failed+1)); echo "not ok $((pass+failed)) - $3"; echo "#   got: $1"; echo "#   want: $2"; fi; }

# 1: the delete commits while the upload waits for it
psql -X -q -d $db -c "BEGIN; SELECT ews_delete_folder(ARRAY[(SELECT f1 FROM ids)]); SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
sleep 0.5
got=$(psql -X -At -d $db -c "SELECT string_agg(response_code, ',' ORDER BY o) FROM ids,
        ews_upload_items(ARRAY[f1, inbox], ARRAY[blob, blob]) WITH ORDINALITY u(a, b, c, response_code, d, e, o)" 2>&1)
wait
check "$got" "ErrorParentFolderNotFound,NoError" "upload into a folder deleted meanwhile: ErrorParentFolderNotFound for it, the other item stored"

# 2: the upload holds its folder; the delete waits, then takes the new item with it
psql -X -q -d $db -c "BEGIN; SELECT ews_upload_items(ARRAY[(SELECT f2 FROM ids)], ARRAY[(SELECT blob FROM ids)]); SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
sleep 0.5
got=$(psql -X -At -d $db -c "SELECT response_code FROM ids, ews_delete_folder(ARRAY[f2])" 2>&1)
wait
check "$got" "NoError" "a delete that waited for an upload into its folder succeeds"
got=$(psql -X -At -d $db -c "SELECT count(*) FROM ews.item i WHERE NOT EXISTS (SELECT 1 FROM ews.folder f WHERE f.mailbox_id = i.mailbox_id AND f.folder_id = i.folder_id)")
check "$got" "0" "no item is left without its folder"
got=$(psql -X -At -d $db -c "SELECT total_count FROM ids, ews_get_folder(ARRAY[inbox])")
check "$got" "2" "the inbox holds exactly the original item and the one stored in race 1"
dropdb $db
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
