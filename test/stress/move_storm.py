#!/usr/bin/python3
"""
test/stress/move_storm.py: concurrent MoveFolder storm, optionally with a
server crash, and a check of the folder tree afterwards.  Run by
test/sh/move_storm.sh and test/sh/move_crash.sh inside the test cluster
(PGHOST, PGPORT, PGUSER set; needs a superuser to read ews.* directly and,
for --crash, to find and kill the postmaster).

One mailbox of --folders folders (each holding items) gets --workers
sessions doing --ops random moves each.  Every --pair-every moves all
sessions meet at a barrier and session pairs move A into B and B into A at
the same moment.  Sessions 6 and 7 (when there are 8) run REPEATABLE READ:
their serialization failures are retried, never dropped.  Every move whose
COMMIT returned is logged with the change number it got.

With --crash, the postmaster is SIGKILLed once a share of the moves is
acknowledged, the cluster is restarted, and the same checks run; a move
whose COMMIT was sent but never answered is "in doubt": it may or may not
be visible, and nothing else may explain a folder's place.

Checks (TAP lines): every folder reaches root, no cycle, no orphan,
distinguished folders where they were, sibling names unique, every item and
blob still there, and for every folder the last acknowledged move (highest
change number) is what the tree shows.
"""
import argparse
import base64
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errors

results = []


def tap(ok, name):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name), flush=True)


def connect(db, isolation=None):
    conn = psycopg2.connect(dbname=db)
    if isolation:
        conn.set_session(isolation_level=isolation)
    return conn


def change_number(change_key):
    raw = base64.b64decode(change_key)
    return struct.unpack("<IQ", raw)[1]


MAILBOX = "storm@example.com"


def setup(db, nfolders, items_per_folder, seed):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS ews")
    cur.execute("SELECT ews_create_mailbox(%s, 'Storm')", (MAILBOX,))
    cur.execute("SELECT setseed(%s)", (seed,))
    # folders under the inbox or an earlier folder; one in four shares a
    # name (in varying case) with others, so moves meet name clashes
    cur.execute("""
        DO $$
        DECLARE
          inbox text := ews_folder_id(%(mb)s, 'inbox');
          ids text[] := ARRAY[]::text[];
          parent text; nm text; new_id text; code text;
        BEGIN
          FOR i IN 1..%(n)s LOOP
            IF i < 10 OR random() < 0.2 THEN parent := inbox;
            ELSE parent := ids[1 + floor(random() * array_length(ids, 1))::int]; END IF;
            nm := CASE WHEN i %% 4 = 0
                       THEN (ARRAY['Shared', 'SHARED', 'shared'])[1 + i %% 3] || ' ' || (i %% 7)
                       ELSE 'F' || i END;
            SELECT folder_id, response_code INTO new_id, code FROM ews_create_folder(parent, nm);
            IF code = 'ErrorFolderExists' THEN
              SELECT folder_id INTO new_id FROM ews_create_folder(parent, 'F' || i);
            END IF;
            ids := ids || new_id;
          END LOOP;
        END $$""", {"mb": MAILBOX, "n": nfolders})
    cur.execute("""
        WITH x AS (SELECT f.mailbox_id, f.folder_id, k, nextval('ews.change_seq') AS cn
                     FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id), generate_series(1, %s) k
                    WHERE m.smtp_address = %s AND f.distinguished IS NULL)
        INSERT INTO ews.item (mailbox_id, item_id, folder_id, item_class, change_number, size, blob,
                              article_number, created_cn, content_cn, created_at)
        SELECT x.mailbox_id, nextval('ews.local_id_seq'), x.folder_id, 'IPM.Note',
               x.cn, 640, convert_to(repeat(md5(random()::text), 20), 'UTF8'), x.k, x.cn, x.cn, now()
          FROM x""", (items_per_folder, MAILBOX))
    cur.execute("""UPDATE ews.folder f
           SET next_article = s.n + 1, total_count = s.total, unread_count = s.unread, assoc_count = s.assoc
          FROM (SELECT mailbox_id, folder_id, count(*) AS n, count(*) FILTER (WHERE NOT is_associated) AS total,
                       count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,
                       count(*) FILTER (WHERE is_associated) AS assoc
                  FROM ews.item GROUP BY mailbox_id, folder_id) s
         WHERE s.mailbox_id = f.mailbox_id AND s.folder_id = f.folder_id""")
    conn.close()


def snapshot(db):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = %s", (MAILBOX,))
    mb = cur.fetchone()[0]
    cur.execute("""SELECT count(*), md5(string_agg(md5(blob), ',' ORDER BY item_id))
                     FROM ews.item WHERE mailbox_id = %s""", (mb,))
    items = cur.fetchone()
    cur.execute("""SELECT distinguished, parent_id, folder_id FROM ews.folder
                    WHERE mailbox_id = %s AND distinguished IS NOT NULL ORDER BY 1""", (mb,))
    dist = cur.fetchall()
    cur.execute("""SELECT ews_folder_id(%s, d) FROM unnest(ARRAY['inbox', 'drafts', 'junkemail',
                   'deleteditems', 'msgfolderroot']) d""", (MAILBOX,))
    well_known = [r[0] for r in cur.fetchall()]
    cur.execute("""SELECT f.folder_id, g.folder_id FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id),
                          ews_get_folder(ARRAY[ews_folder_id(m.smtp_address, 'root')]) r,
                          LATERAL (SELECT encode(overlay(decode(r.folder_id, 'base64')
                                         PLACING int8send(f.folder_id) FROM 45 FOR 8), 'base64') AS folder_id) g
                    WHERE m.smtp_address = %s AND f.distinguished IS NULL""", (MAILBOX,))
    ordinary = {fid: text for fid, text in cur.fetchall()}
    conn.close()
    return {"mb": mb, "items": items, "dist": dist, "well_known": well_known, "ordinary": ordinary}


class Storm:
    def __init__(self, db, snap, workers, ops, pair_every, seed):
        self.db = db
        self.snap = snap
        self.workers = workers
        self.ops = ops
        self.pair_every = pair_every
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.acked = []          # (local source id, local target id, change number)
        self.in_doubt = []       # (local source id, local target id)
        self.codes = {}
        self.retries = 0
        self.errors = []
        self.dead = threading.Event()
        self.pairs = []
        self.barrier = threading.Barrier(workers, action=self.choose_pairs, timeout=60)
        ids = list(snap["ordinary"].items())
        self.ids = ids
        self.local_of = {text: fid for fid, text in ids}
        self.sources = [t for _, t in ids] + snap["well_known"][:2]
        self.targets = [t for _, t in ids] + snap["well_known"]

    def choose_pairs(self):
        picks = self.rng.sample([t for _, t in self.ids], 2 * (self.workers // 2))
        self.pairs = [(picks[2 * k], picks[2 * k + 1]) for k in range(self.workers // 2)]

    def local(self, text):
        if text in self.local_of:
            return self.local_of[text]
        raw = base64.b64decode(text)
        return struct.unpack(">q", raw[44:52])[0]

    def move(self, conn, target, sources):
        """One move transaction; retried on serialization failure or deadlock."""
        while True:
            cur = conn.cursor()
            try:
                cur.execute("SELECT change_key, response_code, message_text FROM ews_move_folder(%s, %s)",
                            (target, sources))
                rows = cur.fetchall()
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected):
                conn.rollback()
                with self.lock:
                    self.retries += 1
                continue
            try:
                conn.commit()
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected):
                conn.rollback()
                with self.lock:
                    self.retries += 1
                continue
            except psycopg2.OperationalError:
                # COMMIT sent, no answer: the moves may or may not be visible
                with self.lock:
                    for s, (ck, code, _) in zip(sources, rows):
                        if code == "NoError":
                            self.in_doubt.append((self.local(s), self.local(target)))
                raise
            with self.lock:
                for s, (ck, code, text) in zip(sources, rows):
                    key = code if code != "ErrorMoveCopyFailed" else code + ": " + text.split(' "')[0]
                    self.codes[key] = self.codes.get(key, 0) + 1
                    if code == "NoError":
                        self.acked.append((self.local(s), self.local(target), change_number(ck)))
            return

    def worker(self, w):
        rng = random.Random(w * 7919 + 17)
        iso = "REPEATABLE READ" if self.workers >= 8 and w >= 6 else None
        try:
            conn = connect(self.db, iso)
        except psycopg2.OperationalError as e:
            self.errors.append("worker %d: %s" % (w, e))
            return
        try:
            for op in range(self.ops):
                if self.dead.is_set():
                    break
                if self.pair_every and op % self.pair_every == 0 and w < 2 * (self.workers // 2):
                    try:
                        self.barrier.wait()
                    except threading.BrokenBarrierError:
                        break
                    a, b = self.pairs[w // 2]
                    if w % 2 == 0:
                        self.move(conn, b, [a])      # A into B
                    else:
                        self.move(conn, a, [b])      # B into A, at the same moment
                    continue
                target = rng.choice(self.targets)
                k = 2 if rng.random() < 0.2 else 1
                self.move(conn, target, [rng.choice(self.sources) for _ in range(k)])
        except psycopg2.OperationalError as e:
            if not self.dead.is_set():
                self.errors.append("worker %d: %s" % (w, str(e).strip()))
        except Exception as e:  # a failure the test must report, not hide
            self.errors.append("worker %d: %r" % (w, e))
        finally:
            self.barrier.abort()
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
                    n = len(self.acked)
                if n >= kill_after:
                    break
                time.sleep(0.005)
            self.dead.set()
            os.kill(postmaster_pid, signal.SIGKILL)
            print("# SIGKILL to the postmaster (pid %d) after %d acknowledged moves" % (postmaster_pid, n),
                  flush=True)
        for t in threads:
            t.join(120)
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


def restart(db, version, cluster, old_pid):
    # orphaned backends notice the postmaster's death and exit; until they
    # have, the shared memory is in use and the new postmaster refuses to start
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


def verify(db, snap, storm, crashed):
    conn = connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    mb = snap["mb"]
    cur.execute("""
        WITH RECURSIVE up(start_id, folder_id, path) AS (
          SELECT folder_id, folder_id, ARRAY[folder_id] FROM ews.folder WHERE mailbox_id = %(mb)s
          UNION ALL
          SELECT u.start_id, f.parent_id, u.path || f.parent_id
            FROM up u JOIN ews.folder f ON f.mailbox_id = %(mb)s AND f.folder_id = u.folder_id
           WHERE f.parent_id IS NOT NULL AND NOT f.parent_id = ANY (u.path)
        ), tops AS (
          SELECT DISTINCT ON (start_id) start_id, folder_id AS top FROM up
           ORDER BY start_id, array_length(path, 1) DESC
        )
        SELECT count(*) FROM tops t JOIN ews.folder f ON f.mailbox_id = %(mb)s AND f.folder_id = t.top
         WHERE f.distinguished IS DISTINCT FROM 'root'""", {"mb": mb})
    tap(cur.fetchone()[0] == 0, "every folder reaches root")
    cur.execute("""
        WITH RECURSIVE up(start_id, folder_id, n) AS (
          SELECT folder_id, parent_id, 1 FROM ews.folder WHERE mailbox_id = %(mb)s AND parent_id IS NOT NULL
          UNION ALL
          SELECT u.start_id, f.parent_id, u.n + 1 FROM up u
            JOIN ews.folder f ON f.mailbox_id = %(mb)s AND f.folder_id = u.folder_id
           WHERE f.parent_id IS NOT NULL AND u.folder_id <> u.start_id AND u.n < 100000
        )
        SELECT count(*) FROM up WHERE folder_id = start_id""", {"mb": mb})
    tap(cur.fetchone()[0] == 0, "no cycle")
    cur.execute("""SELECT count(*) FROM ews.folder f WHERE f.mailbox_id = %(mb)s AND f.parent_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM ews.folder p WHERE p.mailbox_id = f.mailbox_id
                                        AND p.folder_id = f.parent_id)""", {"mb": mb})
    tap(cur.fetchone()[0] == 0, "no orphan")
    cur.execute("""SELECT distinguished, parent_id, folder_id FROM ews.folder
                    WHERE mailbox_id = %s AND distinguished IS NOT NULL ORDER BY 1""", (mb,))
    tap(cur.fetchall() == snap["dist"], "distinguished folders are where they were")
    cur.execute("""SELECT count(*) FROM (SELECT 1 FROM ews.folder WHERE mailbox_id = %s
                    GROUP BY parent_id, lower(display_name) HAVING count(*) > 1) x""", (mb,))
    tap(cur.fetchone()[0] == 0, "sibling names unique case-insensitively")
    cur.execute("""SELECT count(*), md5(string_agg(md5(blob), ',' ORDER BY item_id))
                     FROM ews.item WHERE mailbox_id = %s""", (mb,))
    tap(cur.fetchone() == snap["items"], "all %d items still there, same blobs (md5)" % snap["items"][0])
    cur.execute("SELECT count(*) FROM ews.folder WHERE mailbox_id = %s", (mb,))
    nfolders = cur.fetchone()[0]
    # the last acknowledged move of each folder: the highest change number
    cur.execute("SELECT folder_id, parent_id, change_number FROM ews.folder WHERE mailbox_id = %s", (mb,))
    now = {fid: (parent, cn) for fid, parent, cn in cur.fetchall()}
    last = {}
    for src, tgt, cn in storm.acked:
        if src not in last or cn > last[src][1]:
            last[src] = (tgt, cn)
    doubt = {}
    for src, tgt in storm.in_doubt:
        doubt.setdefault(src, set()).add(tgt)
    bad = []
    for src, (tgt, cn) in last.items():
        parent, cur_cn = now[src]
        if cur_cn == cn and parent == tgt:
            continue
        if cur_cn > cn and crashed and parent in doubt.get(src, ()):
            continue
        bad.append((src, tgt, cn, parent, cur_cn))
    tap(not bad and len(storm.acked) > 0,
        "every acknowledged move is visible: %d moves of %d folders (%d in doubt at the crash)"
        % (len(storm.acked), len(last), len(storm.in_doubt)))
    for b in bad[:5]:
        print("#   folder %d: last acknowledged move to %d (cn %d), now under %d (cn %d)" % b)
    conn.close()
    return nfolders


def race(db):
    """
    The A-into-B / B-into-A race made deterministic: session 1 has moved A
    into B and not yet committed; session 2 asks to move B into A and waits
    for the hierarchy lock; session 1 commits.  Under READ COMMITTED session 2
    then sees A under B and refuses the cycle; under REPEATABLE READ it fails
    with a serialization error, and its retry refuses the cycle.
    """
    setup_conn = connect(db)
    setup_conn.autocommit = True
    cur = setup_conn.cursor()
    for iso in ("READ COMMITTED", "REPEATABLE READ"):
        ids = []
        for name in ("Race A " + iso, "Race B " + iso):
            cur.execute("SELECT folder_id FROM ews_create_folder(ews_folder_id(%s, 'inbox'), %s)", (MAILBOX, name))
            ids.append(cur.fetchone()[0])
        a, b = ids
        s1 = connect(db)
        s2 = connect(db, iso)
        out = {}

        def second():
            c = s2.cursor()
            try:
                c.execute("SELECT response_code, message_text FROM ews_move_folder(%s, %s)", (a, [b]))
                out["first"] = c.fetchone()
                s2.commit()
            except psycopg2.errors.SerializationFailure:
                s2.rollback()
                out["first"] = ("40001",)
                c = s2.cursor()
                c.execute("SELECT response_code, message_text FROM ews_move_folder(%s, %s)", (a, [b]))
                out["retry"] = c.fetchone()
                s2.commit()

        c1 = s1.cursor()
        c1.execute("SELECT response_code FROM ews_move_folder(%s, %s)", (b, [a]))
        first_ok = c1.fetchone()[0] == "NoError"
        t = threading.Thread(target=second)
        t.start()
        waited = False
        for _ in range(200):
            cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (s2.get_backend_pid(),))
            row = cur.fetchone()
            if row and row[0] == "Lock":
                waited = True
                break
            time.sleep(0.05)
        s1.commit()
        t.join(30)
        cur.execute("SELECT parent_folder_id = %s FROM ews_get_folder(%s)", (b, [a]))
        a_under_b = cur.fetchone()[0]
        cur.execute("SELECT parent_folder_id <> %s FROM ews_get_folder(%s)", (a, [b]))
        b_not_under_a = cur.fetchone()[0]
        refused = ("ErrorMoveCopyFailed", "Cannot move a folder into one of its own subfolders.")
        if iso == "READ COMMITTED":
            verdict = out.get("first") == refused
        else:
            verdict = out.get("first") == ("40001",) and out.get("retry") == refused
        tap(first_ok and waited and verdict and a_under_b and b_not_under_a,
            "%s: B-into-A waits for A-into-B, then %s" %
            (iso, "refuses the cycle" if iso == "READ COMMITTED"
             else "fails with a serialization error; the retry refuses the cycle"))
        s1.close()
        s2.close()
    setup_conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--folders", type=int, default=500)
    ap.add_argument("--items", type=int, default=3)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--pair-every", type=int, default=10)
    ap.add_argument("--crash", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seed", type=float, default=0.5)
    a = ap.parse_args()

    setup(a.db, a.folders, a.items, a.seed)
    snap = snapshot(a.db)
    print("# %d ordinary folders, %d items, %d sessions x %d moves%s"
          % (len(snap["ordinary"]), snap["items"][0], a.workers, a.ops,
             ", SIGKILL of the postmaster in each of %d rounds" % a.rounds if a.crash else ""), flush=True)
    if not a.crash:
        race(a.db)
    for rnd in range(a.rounds):
        storm = Storm(a.db, snap, a.workers, a.ops, a.pair_every, a.seed * 1000 + rnd)
        if a.crash:
            datadir, version, pid, cluster = server_info(a.db)
            if cluster is None:
                tap(False, "found the cluster of %s" % datadir)
                break
            planned = a.workers * a.ops
            finished = storm.run(kill_after=planned * (3 + rnd % 4) // 10, postmaster_pid=pid)
            tap(finished, "round %d: every session stopped after the crash" % (rnd + 1))
            tap(restart(a.db, version, cluster, pid), "round %d: cluster %s/%s restarted" % (rnd + 1, version, cluster))
        else:
            finished = storm.run()
            tap(finished and not storm.errors, "round %d: %d sessions finished without errors" % (rnd + 1, a.workers))
        for e in storm.errors[:5]:
            print("#   " + e)
        print("# response codes: %s; %d serialization failures retried"
              % (", ".join("%s %d" % kv for kv in sorted(storm.codes.items())), storm.retries), flush=True)
        if not a.crash:
            tap(any(k.startswith("ErrorMoveCopyFailed: Cannot move a folder into one of its own")
                    for k in storm.codes),
                "round %d: simultaneous A-into-B / B-into-A moves were refused as cycles" % (rnd + 1))
        verify(a.db, snap, storm, a.crash)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
