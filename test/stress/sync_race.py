#!/usr/bin/python3
"""SyncFolderItems paging while other sessions write to the folder.

Six sessions change one folder at once (new items through UploadItems and
CreateItem, updates through UpdateItem and UploadItems Update, read-flag
changes through UpdateItem, HardDeletes, moves out: the SQL twins), while a
client syncs it in pages of 3 (ews_sync_folder_items) and applies each page
to its copy.  Checked, for every page: a Create names an item the copy does
not hold, an Update, ReadFlagChange or Delete one it does; no item is
reported created twice.  After the writers stop, one more sync to the end,
and the copy equals the folder: the same items with the same change keys
and read flags.  Prints TAP; exits 1 on a failure.
"""
import argparse
import os
import random
import sys
import threading

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = "SET client_min_messages = warning;\n" + "".join(
    open(os.path.join(HERE, "..", f)).read() for f in ("blob_helpers.sql", "sync_helpers.sql"))
failures = 0
count = 0


def ok(cond, name, detail=""):
    global failures, count
    count += 1
    print(("ok" if cond else "not ok") + f" {count} - {name}")
    if not cond:
        failures += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


def connect(db, helpers=True):
    c = psycopg2.connect(dbname=db)
    c.autocommit = True
    if helpers:
        c.cursor().execute(HELPERS)
    return c


def writer(db, n, folder, other, txns, errors, seed):
    rnd = random.Random(seed)
    c = connect(db)
    cur = c.cursor()
    try:
        for t in range(txns):
            cur.execute("SELECT item_id FROM ews_sync_folder_items(%s, NULL, 512) WHERE change_type IS NOT NULL"
                        " ORDER BY random() LIMIT 1", (folder,))
            row = cur.fetchone()
            op = rnd.random()
            try:
                if row is None or op < 0.2:
                    cur.execute("SELECT pg_temp.add(%s, ARRAY[%s, %s])", (folder, f"w{n} t{t} a", f"w{n} t{t} b"))
                elif op < 0.4:
                    cur.execute("SELECT response_code FROM ews_create_items(%s, ARRAY[%s])",
                                (folder, f"<t:Message><t:Subject>w{n} t{t} c</t:Subject></t:Message>"))
                elif op < 0.55:
                    cur.execute("SELECT response_code FROM ews_update_items(ARRAY[%s], ARRAY[%s])",
                                (row[0], f'<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>'
                                         f'w{n} t{t} edited</t:Subject></t:Message></t:SetItemField>'))
                elif op < 0.6:
                    cur.execute("SELECT pg_temp.edit(%s, %s, %s)", (folder, row[0], f"w{n} t{t} uploaded"))
                elif op < 0.8:
                    cur.execute("SELECT response_code FROM ews_update_items(ARRAY[%s], ARRAY[%s])",
                                (row[0], '<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>'
                                         f'{"true" if rnd.random() < 0.5 else "false"}</t:IsRead></t:Message></t:SetItemField>'))
                elif op < 0.9:
                    cur.execute("SELECT response_code FROM ews_delete_items(ARRAY[%s], 'HardDelete')", row)
                else:
                    cur.execute("SELECT response_code FROM ews_move_items(%s, ARRAY[%s])", (other, row[0]))
            except psycopg2.Error as e:
                errors.append(str(e))
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--txns", type=int, default=60)
    a = ap.parse_args()

    c = connect(a.db, helpers=False)
    cur = c.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS ews")
    cur.execute(HELPERS)
    cur.execute("SELECT ews_create_mailbox('syncrace@example.com', 'Sync race')")
    cur.execute("SELECT ews_folder_id('syncrace@example.com', 'inbox'), ews_folder_id('syncrace@example.com', 'drafts')")
    inbox, drafts = cur.fetchone()
    cur.execute("SELECT count(*) FROM pg_temp.add(%s, ARRAY(SELECT 'seed ' || g FROM generate_series(1, 20) g))",
                (inbox,))

    errors, bad = [], []
    threads = [threading.Thread(target=writer, args=(a.db, n, inbox, drafts, a.txns, errors, n)) for n in range(a.writers)]
    for t in threads:
        t.start()
    copy, state, pages, changes, created = {}, None, 0, 0, set()

    def sync_page():
        nonlocal state, pages, changes
        cur.execute("SELECT change_type, item_id, change_key, is_read, next_sync_state, includes_last_item_in_range,"
                    " response_code FROM ews_sync_folder_items(%s, %s, 3)", (inbox, state))
        rows = cur.fetchall()
        pages += 1
        for kind, item, ck, read, nxt, last, code in rows:
            if code != "NoError":
                bad.append(f"page {pages}: {code}")
                return True
            if kind is None:
                state = nxt
                return last
            changes += 1
            if kind == "Create":
                if item in copy or item in created:
                    bad.append(f"page {pages}: Create of {item}, already reported")
                created.add(item)
                copy[item] = (ck, read)
            elif item not in copy:
                bad.append(f"page {pages}: {kind} of {item}, which the copy does not hold")
            elif kind == "Delete":
                del copy[item]
            elif kind == "ReadFlagChange":
                copy[item] = (ck, read)
            else:
                copy[item] = (ck, read)
        bad.append(f"page {pages}: no closing row")
        return True

    while any(t.is_alive() for t in threads):
        sync_page()
    for t in threads:
        t.join()
    while not sync_page():
        pass
    ok(not errors, f"{a.writers} writers ran {a.writers * a.txns} transactions", "\n".join(errors[:10]))
    ok(not bad, f"while they wrote, {pages} pages of at most 3 changes ({changes} changes): every Create new, "
       "every other change of an item the copy holds", "\n".join(bad[:20]))
    cur.execute("SELECT item_id, change_key, is_read FROM ews_sync_folder_items(%s, NULL, 512, 'NormalItems') s"
                " WHERE change_type IS NOT NULL", (inbox,))
    first = cur.fetchall()
    cur.execute("SELECT count(*) FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)"
                " WHERE m.smtp_address = 'syncrace@example.com' AND i.folder_id = pg_temp.local_id(%s)", (inbox,))
    (n_items,) = cur.fetchone()
    ok(len(first) == n_items and n_items <= 512, f"a first sync of the folder now lists its {n_items} items", len(first))
    want = {i: (ck, r) for i, ck, r in first}
    missing = sorted(set(want) - set(copy))
    extra = sorted(set(copy) - set(want))
    stale = sorted(i for i in want if i in copy and copy[i] != want[i])
    ok(not missing and not extra and not stale,
       f"the copy kept by paging equals the folder ({len(copy)} items, change keys and read flags)",
       f"missing {missing[:5]}, extra {extra[:5]}, stale {stale[:5]}")
    c.close()
    print(f"1..{count}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
