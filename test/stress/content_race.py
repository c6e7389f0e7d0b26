#!/usr/bin/python3
"""Article numbers and folder counters under concurrent writers.

Eight sessions store items into two folders at once (UploadItems batches of
one to three items, and CreateItem from MIME), while a reader watches both
folders.  Checked:
  - what the reader sees of a folder is always article numbers 1..k without a
    gap: a number becomes visible only after every smaller one (article
    numbers grow in commit order, which is what an IMAP client's UIDs need);
  - afterwards every folder's counters equal its items and its next article
    number follows the last one handed out; no number is used twice.
Prints TAP; exits 1 on a failure.
"""
import argparse
import random
import sys
import threading

import psycopg2

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


def connect(db):
    c = psycopg2.connect(dbname=db)
    c.autocommit = True
    return c




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--txns", type=int, default=150)
    a = ap.parse_args()

    c = connect(a.db)
    cur = c.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS ews")
    cur.execute("SELECT ews_create_mailbox('race@example.com', 'Race')")
    cur.execute("SELECT ews_folder_id('race@example.com', 'inbox')")
    inbox = cur.fetchone()[0]
    cur.execute("SELECT folder_id FROM ews_create_folder(%s, 'Other')", (inbox,))
    other = cur.fetchone()[0]
    folders = [inbox, other]
    stop = threading.Event()
    gaps = []
    reads = [0]
    errors = []

    def reader():
        rc = connect(a.db)
        rcur = rc.cursor()
        while not stop.is_set():
            for f in folders:
                rcur.execute("""SELECT coalesce(array_agg(i.article_number ORDER BY i.article_number), '{}')
                                  FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)
                                 WHERE m.smtp_address = 'race@example.com'
                                   AND i.folder_id = ('x' || encode(substring(decode(%s, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint""",
                             (f,))
                arts = rcur.fetchone()[0]
                reads[0] += 1
                if arts != list(range(1, len(arts) + 1)):
                    gaps.append(arts)
        rc.close()

    def writer(n):
        rnd = random.Random(n)
        wc = connect(a.db)
        wcur = wc.cursor()
        for t in range(a.txns):
            f = folders[rnd.randrange(2)]
            try:
                if rnd.random() < 0.2:
                    wcur.execute("SELECT response_code FROM ews_create_item(%s, %s)",
                                 (f, f"Subject: w{n} t{t}\r\n\r\nbody\r\n".encode()))
                else:
                    k = rnd.randint(1, 3)
                    wcur.execute("""SELECT response_code FROM ews_upload_items(array_fill(%s::text, ARRAY[%s]),
                                      (SELECT array_agg(data) FROM ews_export_items(ARRAY[%s]) , generate_series(1, %s)))""",
                                 (f, k, seed_item, k))
                codes = [r[0] for r in wcur.fetchall()]
                if any(c != "NoError" for c in codes):
                    errors.append(codes)
            except psycopg2.Error as e:
                errors.append(str(e))
        wc.close()

    cur.execute("SELECT item_id FROM ews_create_item(%s, %s)", (inbox, b"Subject: seed\r\n\r\nseed\r\n"))
    seed_item = cur.fetchone()[0]

    r = threading.Thread(target=reader)
    r.start()
    ws = [threading.Thread(target=writer, args=(n,)) for n in range(a.writers)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    stop.set()
    r.join()

    ok(not errors, f"{a.writers} writers x {a.txns} transactions stored every item", errors[:5])
    ok(not gaps and reads[0] > 0,
       f"the reader never saw an article number before a smaller one ({reads[0]} reads)", gaps[:3])
    cur.execute("""SELECT count(*) FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)
                    WHERE m.smtp_address = 'race@example.com'""")
    n_items = cur.fetchone()[0]
    cur.execute("""SELECT f.display_name, f.total_count, f.unread_count, f.next_article,
                          (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id),
                          (SELECT count(*) FILTER (WHERE NOT i.is_read) FROM ews.item i
                            WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id),
                          (SELECT coalesce(max(i.article_number), 0) FROM ews.item i
                            WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id),
                          (SELECT count(DISTINCT i.article_number) FROM ews.item i
                            WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id)
                     FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
                    WHERE m.smtp_address = 'race@example.com' AND f.display_name IN ('Inbox', 'Other')""")
    rows = cur.fetchall()
    for name, total, unread, nxt, n, n_unread, mx, distinct in rows:
        ok(total == n and unread == n_unread, f"{name}: counters {total}/{unread} equal the items {n}/{n_unread}")
        ok(mx == n and distinct == n and nxt == n + 1,
           f"{name}: article numbers 1..{n}, each once, next is {n + 1}", (mx, distinct, nxt))
    ok(n_items > a.writers * a.txns, f"{n_items} items stored")
    print(f"{count} passed, 0 failed" if failures == 0 else f"{count - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
