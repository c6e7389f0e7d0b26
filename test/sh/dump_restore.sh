#!/usr/bin/env bash
# pg_dump of a database with mailboxes, restored into a new database, gives
# the same mailboxes, folders, ids and change keys.
set -euo pipefail
src=ews_dump_src dst=ews_dump_dst
dropdb --if-exists $src; dropdb --if-exists $dst
createdb $src; createdb $dst
psql -X -q -v ON_ERROR_STOP=1 -d $src <<'SQL'
CREATE EXTENSION ews;
SELECT ews_create_mailbox('dump@example.com', 'Dump Test') IS NOT NULL;
SELECT ews_create_folder(ews_folder_id('dump@example.com', 'inbox'), 'Kept');
SELECT ews_create_folder(ews_folder_id('dump@example.com', 'inbox'), 'Klasse', 'IPF.Contact');
SQL
snapshot() {
	psql -X -At -d "$1" -c "
	  SELECT m.smtp_address, m.display_name, f.folder_id, f.change_key, f.display_name,
	         coalesce(f.folder_class, '-'), coalesce(f.distinguished_folder_id, '-'), f.parent_folder_id
	    FROM ews.mailbox m,
	         ews_find_folder(ews_folder_id(m.smtp_address, 'root'), 'Deep') f
	   ORDER BY 1, 3"
}
pg_dump -Fc -d $src 2>/dev/null -f /tmp/ews_dump.$$
pg_restore --exit-on-error -d $dst /tmp/ews_dump.$$
rm -f /tmp/ews_dump.$$
before=$(snapshot $src); after=$(snapshot $dst)
n=$(printf '%s\n' "$before" | wc -l)
pass=0 failed=0
if [ "$n" -eq 24 ] && [ "$before" = "$after" ]; then
	echo "ok 1 - restore gives the same $n folders with the same ids and change keys"; pass=$((pass+1))
else
	echo "not ok 1 - restored folders differ"; diff <(echo "$before") <(echo "$after") || true; failed=$((failed+1))
fi
# the sequences came along: a new folder in the restored database gets a fresh id
new=$(psql -X -At -d $dst -c "SELECT folder_id FROM ews_create_folder(ews_folder_id('dump@example.com', 'inbox'), 'After')")
if [ -n "$new" ] && ! grep -qF "$new" <<<"$before"; then
	echo "ok 2 - ids after the restore do not collide"; pass=$((pass+1))
else
	echo "not ok 2 - id after restore collides or is missing"; failed=$((failed+1))
fi
dropdb $src; dropdb $dst
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
