#!/usr/bin/python3
"""
test/stress/item_storm.py: concurrent item writes in the same folders,
optionally with a server crash, and the content invariants afterwards.  Run
by test/sh/item_storm.sh and test/sh/item_crash.sh inside the test cluster
(PGHOST, PGPORT, PGUSER set; a superuser reads ews.* directly and, for
--crash, finds and kills the postmaster).

One mailbox with a few folders holding --items items; --workers sessions do
--ops operations each, every one its own transaction, on items they find
with ews_find_items (FindItem's twin) in randomly chosen folders: CreateItem
(from MIME and from properties), UpdateItem (read flag, subject, flags),
MoveItem, CopyItem (one to three ids), DeleteItem (three ways), now and then
an EmptyFolder.  Two sessions run REPEATABLE READ and retry serialization
failures.  Every new id and every removed id a COMMIT acknowledged is logged.

With --crash the postmaster is SIGKILLed once a share of the operations is
acknowledged and the cluster restarted (pg_ctlcluster); an operation whose
COMMIT was sent but never answered is "in doubt" and is not checked.

Checks (TAP): no deadlock; every item acknowledged as made (created, copied,
moved in) still exists or has a tombstone; every item acknowledged as
removed (deleted, moved out) is gone and has a tombstone; every item there
was at the start exists or has a tombstone; no two items of a folder share an
article number, and article numbers grow with the change number the item
arrived with (commit order); next_article is above every article number;
TotalCount, UnreadCount and the associated count are exact; every tombstone
is of an item that no longer exists; a folder's content_cn covers its
items and tombstones; writes after the run (or the restart) continue the
article numbers.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errors

results = []
MAILBOX = "istorm@example.com"
FOLDERS = ("inbox", "junkemail", "deleteditems", "recoverableitemsdeletions")


def tap(ok, name, detail=None):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name), flush=True)
    if not ok and detail is not None:
        print("#   " + str(detail)[:2000].replace("\n", "\n#   "), flush=True)


def connect(db, isolation=None):
    conn = psycopg2.connect(dbname=db)
    if isolation:
        conn.set_session(isolation_level=isolation)
    return conn


def local(item_id):
    import base64
    import struct
    return struct.unpack(">q", base64.b64decode(item_id)[44:52])[0]


def mime(token):
    return ("From: Storm <storm@example.com>\r\nTo: istorm@example.com\r\nSubject: storm %s\r\n"
            "Message-ID: <%s@storm.example>\r\n\r\nbody of %s\r\n" % (token, token, token)).encode()


def setup(db, nitems):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS ews")
    cur.execute("SELECT ews_create_mailbox(%s, 'Item storm')", (MAILBOX,))
    folders = []
    for d in FOLDERS:
        cur.execute("SELECT ews_folder_id(%s, %s)", (MAILBOX, d))
        folders.append(cur.fetchone()[0])
    cur.execute("SELECT ews_folder_id(%s, 'inbox')", (MAILBOX,))
    inbox = cur.fetchone()[0]
    for name in ("Work", "Projects", "Archive"):
        cur.execute("SELECT folder_id FROM ews_create_folder(%s, %s)", (inbox, name))
        folders.append(cur.fetchone()[0])
    made = []
    for k in range(nitems):
        cur.execute("SELECT item_id, response_code FROM ews_create_item(%s, %s)", (folders[k % len(folders)], mime("seed%d" % k)))
        iid, code = cur.fetchone()
        assert code == "NoError", code
        made.append(iid)
    conn.close()
    return folders, made


class Storm:
    def __init__(self, db, folders, workers, ops, seed):
        self.db, self.folders, self.workers, self.ops = db, folders, workers, ops
        self.seed = seed
        self.lock = threading.Lock()
        self.made = []          # ids a COMMIT acknowledged as new (create, copy, move in)
        self.removed = []       # ids a COMMIT acknowledged as gone (delete, move out)
        self.in_doubt = 0
        self.acked = 0
        self.codes = {}
        self.retries = 0
        self.deadlocks = 0
        self.errors = []
        self.dead = threading.Event()

    def op(self, cur, rng, w, n):
        """One operation's statements; returns (made, removed) on success of each input."""
        kind = rng.random()
        folder = rng.choice(self.folders)

        def pick(k):
            cur.execute("SELECT item_id FROM ews_find_items(%s, max_entries => 50) WHERE response_code = 'NoError'",
                        (folder,))
            ids = [r[0] for r in cur.fetchall() if r[0]]
            return rng.sample(ids, min(k, len(ids)))

        if kind < 0.22:                                         # CreateItem
            if rng.random() < 0.5:
                cur.execute("SELECT item_id, response_code FROM ews_create_items(%s, NULL, ARRAY[%s::bytea, %s::bytea])",
                            (folder, mime("w%d-%d-a" % (w, n)), mime("w%d-%d-b" % (w, n))))
            else:
                cur.execute("SELECT item_id, response_code FROM ews_create_items(%s, ARRAY[%s])",
                            (folder, "<t:Message><t:Subject>props %d %d</t:Subject><t:Body BodyType=\"Text\">b</t:Body>"
                             "<t:IsRead>%s</t:IsRead></t:Message>" % (w, n, rng.choice(("true", "false")))))
            rows = cur.fetchall()
            return "create", [i for i, c in rows if c == "NoError"], [], [c for _, c in rows]
        if kind < 0.45:                                         # UpdateItem
            ids = pick(rng.randint(1, 3))
            if not ids:
                return "update", [], [], []
            change = rng.choice((
                '<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>%s</t:IsRead></t:Message></t:SetItemField>'
                % rng.choice(("true", "false")),
                '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>renamed %d</t:Subject></t:Message></t:SetItemField>'
                % n,
                '<t:SetItemField><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Item><t:ExtendedProperty>'
                '<t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Value>2</t:Value></t:ExtendedProperty></t:Item></t:SetItemField>'))
            cur.execute("SELECT response_code FROM ews_update_items(%s, %s)", (ids, [change] * len(ids)))
            return "update", [], [], [r[0] for r in cur.fetchall()]
        if kind < 0.63:                                         # MoveItem
            ids = pick(rng.randint(1, 3))
            if not ids:
                return "move", [], [], []
            cur.execute("SELECT item_id, response_code FROM ews_move_items(%s, %s)", (rng.choice(self.folders), ids))
            rows = cur.fetchall()
            return ("move", [i for i, c in rows if c == "NoError"], [s for s, (_, c) in zip(ids, rows) if c == "NoError"],
                    [c for _, c in rows])
        if kind < 0.75:                                         # CopyItem
            ids = pick(rng.randint(1, 2))
            if not ids:
                return "copy", [], [], []
            cur.execute("SELECT item_id, response_code FROM ews_copy_items(%s, %s)", (rng.choice(self.folders), ids))
            rows = cur.fetchall()
            return "copy", [i for i, c in rows if c == "NoError"], [], [c for _, c in rows]
        if kind < 0.985:                                        # DeleteItem
            ids = pick(rng.randint(1, 2))
            if not ids:
                return "delete", [], [], []
            dt = rng.choice(("HardDelete", "SoftDelete", "MoveToDeletedItems"))
            cur.execute("SELECT response_code FROM ews_delete_items(%s, %s)", (ids, dt))
            rows = cur.fetchall()
            return "delete", [], [s for s, (c,) in zip(ids, rows) if c == "NoError"], [c for (c,) in rows]
        # now and then a folder is emptied
        cur.execute("SELECT response_code FROM ews_empty_folders(ARRAY[%s], %s)",
                    (folder, rng.choice(("HardDelete", "SoftDelete", "MoveToDeletedItems"))))
        return "empty", [], [], [r[0] for r in cur.fetchall()]

    def worker(self, w):
        rng = random.Random(self.seed * 1000 + w)
        iso = "REPEATABLE READ" if self.workers >= 8 and w >= 6 else None
        try:
            conn = connect(self.db, iso)
        except psycopg2.OperationalError as e:
            self.errors.append("worker %d: %s" % (w, e))
            return
        try:
            for n in range(self.ops):
                if self.dead.is_set():
                    break
                while True:
                    cur = conn.cursor()
                    try:
                        kind, made, removed, codes = self.op(cur, rng, w, n)
                    except psycopg2.errors.DeadlockDetected:
                        conn.rollback()
                        with self.lock:
                            self.deadlocks += 1
                        continue
                    except psycopg2.errors.SerializationFailure:
                        conn.rollback()
                        with self.lock:
                            self.retries += 1
                        continue
                    try:
                        conn.commit()
                    except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected) as e:
                        conn.rollback()
                        with self.lock:
                            self.retries += 1
                            if isinstance(e, psycopg2.errors.DeadlockDetected):
                                self.deadlocks += 1
                        continue
                    except psycopg2.OperationalError:
                        with self.lock:
                            self.in_doubt += 1
                        raise
                    with self.lock:
                        self.acked += 1
                        self.made.extend(made)
                        self.removed.extend(removed)
                        for c in codes:
                            self.codes[kind + " " + c] = self.codes.get(kind + " " + c, 0) + 1
                    break
        except psycopg2.OperationalError as e:
            if not self.dead.is_set():
                self.errors.append("worker %d: %s" % (w, str(e).strip()))
        except Exception as e:  # a failure the test must report, not hide
            self.errors.append("worker %d: %r" % (w, e))
        finally:
            try:
                conn.close()
            except Exception:
                pass

    def run(self, kill_after=None, postmaster_pid=None):
        threads = [threading.Thread(target=self.worker, args=(w,), daemon=True) for w in range(self.workers)]
        for t in threads:
            t.start()
        if kill_after is not None:
            while any(t.is_alive() for t in threads):
                with self.lock:
                    n = self.acked
                if n >= kill_after:
                    break
                time.sleep(0.005)
            self.dead.set()
            os.kill(postmaster_pid, signal.SIGKILL)
            print("# SIGKILL to the postmaster (pid %d) after %d acknowledged operations" % (postmaster_pid, n), flush=True)
        for t in threads:
            t.join(300)
        return not any(t.is_alive() for t in threads)


def server_info(db):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SHOW data_directory")
    datadir = cur.fetchone()[0]
    cur.execute("SELECT current_setting('server_version_num')::int / 10000")
    version = cur.fetchone()[0]
    conn.close()
    with open(os.path.join(datadir, "postmaster.pid")) as f:
        pid = int(f.readline())
    cluster = None
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == str(version) and cols[5] == datadir:
            cluster = cols[1]
    return datadir, version, pid, cluster


def restart(db, version, cluster):
    deadline = time.time() + 60
    while True:
        r = subprocess.run(["pg_ctlcluster", str(version), cluster, "start"], capture_output=True, text=True)
        if r.returncode == 0:
            break
        if time.time() > deadline:
            print("# pg_ctlcluster start failed: " + r.stderr.strip(), flush=True)
            return False
        time.sleep(0.5)
    while time.time() < deadline:
        try:
            connect(db).close()
            return True
        except psycopg2.OperationalError:
            time.sleep(0.2)
    return False


def verify(db, folders, seeded, storm, label):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = %s", (MAILBOX,))
    mb = cur.fetchone()[0]
    cur.execute("SELECT item_id FROM ews.item WHERE mailbox_id = %s", (mb,))
    live = {r[0] for r in cur.fetchall()}
    cur.execute("SELECT item_id FROM ews.item_tombstone WHERE mailbox_id = %s", (mb,))
    gone = {r[0] for r in cur.fetchall()}
    made = {local(i) for i in storm.made}
    removed = {local(i) for i in storm.removed}
    start = {local(i) for i in seeded}
    tap(storm.deadlocks == 0, "%s: no deadlock between the sessions (locks taken in one order)" % label, storm.deadlocks)
    lost = sorted(i for i in made if i not in live and i not in gone)
    tap(not lost, "%s: every item acknowledged as made (%d) exists or has a tombstone" % (label, len(made)), lost[:10])
    bad = sorted(i for i in removed if i in live or i not in gone)
    tap(not bad, "%s: every item acknowledged as removed (%d) is gone and has a tombstone" % (label, len(removed)), bad[:10])
    lost = sorted(i for i in start if i not in live and i not in gone)
    tap(not lost, "%s: every item there was at the start (%d) exists or has a tombstone" % (label, len(start)), lost[:10])
    tap(not (live & gone), "%s: every tombstone is of an item that no longer exists" % label, sorted(live & gone)[:10])
    cur.execute("""SELECT folder_id, article_number, count(*) FROM ews.item WHERE mailbox_id = %s
                    GROUP BY 1, 2 HAVING count(*) > 1""", (mb,))
    dup = cur.fetchall()
    tap(not dup, "%s: no two items of a folder share an article number" % label, dup[:10])
    cur.execute("""SELECT count(*) FROM (SELECT folder_id, created_cn,
                          lag(created_cn) OVER (PARTITION BY folder_id ORDER BY article_number) AS prev
                     FROM ews.item WHERE mailbox_id = %s) s WHERE prev > created_cn""", (mb,))
    tap(cur.fetchone()[0] == 0, "%s: within each folder, article numbers grow with the change number of arrival" % label)
    cur.execute("""SELECT f.folder_id, f.total_count, f.unread_count, f.assoc_count, f.next_article,
                          count(i.*) FILTER (WHERE NOT i.is_associated), count(i.*) FILTER (WHERE NOT i.is_associated AND NOT i.is_read),
                          count(i.*) FILTER (WHERE i.is_associated), coalesce(max(i.article_number), 0)
                     FROM ews.folder f LEFT JOIN ews.item i ON i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id
                    WHERE f.mailbox_id = %s GROUP BY f.mailbox_id, f.folder_id""", (mb,))
    wrong = [r for r in cur.fetchall() if (r[1], r[2], r[3]) != (r[5], r[6], r[7]) or r[4] <= r[8]]
    tap(not wrong, "%s: TotalCount, UnreadCount, the associated count and next_article are exact in every folder" % label, wrong)
    cur.execute("""SELECT f.folder_id FROM ews.folder f WHERE f.mailbox_id = %s AND f.content_cn <
                     greatest((SELECT max(change_number) FROM ews.item i WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id),
                              (SELECT max(change_number) FROM ews.item_tombstone t WHERE t.mailbox_id = f.mailbox_id
                                  AND t.folder_id = f.folder_id))""", (mb,))
    tap(not cur.fetchall(), "%s: each folder's content_cn covers its items' and tombstones' change numbers" % label)
    # the store goes on: one more item per folder gets the folder's next article number
    ok = True
    for f in folders:
        cur.execute("SELECT next_article FROM ews.folder WHERE folder_id = %s", (local(f),))
        want = cur.fetchone()[0]
        cur.execute("SELECT item_id FROM ews_create_item(%s, %s)", (f, mime("after")))
        iid = cur.fetchone()[0]
        cur.execute("SELECT article_number FROM ews.item WHERE item_id = %s", (local(iid),))
        ok = ok and cur.fetchone()[0] == want
    tap(ok, "%s: a write afterwards gets each folder's next article number" % label)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--items", type=int, default=120)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--ops", type=int, default=150)
    ap.add_argument("--crash", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()

    folders, seeded = setup(a.db, a.items)
    print("# %d folders, %d items, %d sessions x %d operations%s" % (len(folders), len(seeded), a.workers, a.ops,
          ", SIGKILL of the postmaster in each of %d rounds" % a.rounds if a.crash else ""), flush=True)
    for rnd in range(a.rounds):
        storm = Storm(a.db, folders, a.workers, a.ops, a.seed + rnd)
        label = "round %d" % (rnd + 1)
        if a.crash:
            datadir, version, pid, cluster = server_info(a.db)
            if cluster is None:
                tap(False, "found the cluster of %s" % datadir)
                break
            finished = storm.run(kill_after=a.workers * a.ops * (3 + rnd % 4) // 10, postmaster_pid=pid)
            tap(finished, "%s: every session stopped after the crash" % label)
            tap(restart(a.db, version, cluster), "%s: cluster %s/%s restarted" % (label, version, cluster))
            print("# %d operations acknowledged, %d in doubt" % (storm.acked, storm.in_doubt), flush=True)
        else:
            finished = storm.run()
            tap(finished and not storm.errors, "%s: %d sessions finished without errors" % (label, a.workers), storm.errors[:5])
        print("# response codes: %s; %d serialization failures retried"
              % (", ".join("%s %d" % kv for kv in sorted(storm.codes.items())), storm.retries), flush=True)
        verify(a.db, folders, seeded, storm, label)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
