#!/usr/bin/python3
"""Scale-out end to end (README "Scale-out"): three ews nodes and a PL/Proxy
router on one machine.

The router database is made in the cluster PGHOST/PGPORT point at (the
pg_virtualenv cluster of test/run.sh, or a private one); the three nodes are
throwaway clusters this script starts with initdb and pg_ctl on free ports
and removes at the end, also on failure.  Run by test/sh/router.sh.

What it checks, as TAP lines:
  * 30 mailboxes made through the router spread over the nodes, and the
    directory agrees with what the nodes hold;
  * the SQL face through the router: every function, batches split over the
    nodes with their rows in input order, the same rows as the nodes give,
    errors as the nodes raise them, cross-node MoveFolder/CopyFolder;
  * the SOAP face through the router: the seed requests and the main
    operations, the same responses as the nodes give, routing by id,
    t:Mailbox, ExchangeImpersonation, the mailbox argument and the caller's
    own mailbox, the ErrorCrossSiteRequest fault; every response validated;
  * access through the router: the nodes see the calling role;
  * a mailbox moved between nodes while clients read and write it through
    the router: nothing lost, nothing answered from the wrong node, ids and
    ChangeKeys unchanged, new change numbers above the old ones; a failed
    move changes nothing;
  * ews_router_check() fails for a node function without a twin;
    ews_router_reconcile() finds and repairs a mailbox made behind the
    router's back; drop through the router.
"""
import base64
import os
import shutil
import signal
import string
import subprocess
import sys
import threading
import time
import uuid

import psycopg2
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VALIDATE = os.path.join(ROOT, "test", "tools", "ews-validate")
SOAP_DIR = os.path.join(ROOT, "test", "soap")
ROUTER_DB = "ews_router_test"
NODE_DB = "ews_node"
NODES = 3
ROLES = ["ews_rt_alice", "ews_rt_bob", "ews_rt_web", "ews_rt_stranger", "ews_rt_solo", "ews_rt_gone"]
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}

passed = failed = 0
responses = []


def ok(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {what}", flush=True)
    else:
        failed += 1
        print(f"not ok {passed + failed} - {what}", flush=True)
        if detail is not None:
            print("# " + str(detail)[:3000].replace("\n", "\n# "), flush=True)
    return cond


# ---- clusters (test/router/cluster.py) ----

from cluster import Node, workdir_for_postgres  # noqa: E402

workdir = workdir_for_postgres("ews_router_test.")
nodes = [Node(i, workdir, NODE_DB) for i in range(NODES)]


def router_conn():
    c = psycopg2.connect(dbname=ROUTER_DB)
    c.autocommit = True
    return c


def admin_conn():
    c = psycopg2.connect(dbname="postgres")
    c.autocommit = True
    return c


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def q1(conn, sql, args=None):
    rows = q(conn, sql, args)
    return rows[0][0] if rows else None


def err(conn, sql, args=None):
    """(sqlstate, message, detail) of the error sql raises, or None"""
    try:
        q(conn, sql, args)
        return None
    except psycopg2.Error as e:
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail, d.message_hint)


def as_role(conn, role):
    q(conn, f"SET ROLE {role}" if role else "RESET ROLE")


# ---- ids, blobs, SOAP ----

def ews_id(guid, kind, local):
    raw = bytes([0, 3]) + (36).to_bytes(2, "little") + guid.encode() + bytes([0]) + \
        (9).to_bytes(2, "little") + bytes([kind]) + local.to_bytes(8, "big")
    return base64.b64encode(raw).decode()


def id_guid(i):
    return base64.b64decode(i)[4:40].decode()


def ck_number(ck):
    return int.from_bytes(base64.b64decode(ck)[4:12], "little")


def crc32c(data):
    if crc32c.table is None:
        crc32c.table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            crc32c.table.append(c)
    reg = 0xFFFFFFFF
    for b in data:
        reg = crc32c.table[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


crc32c.table = None


def blob(subject, size=0):
    def uni(tag, s):
        v = s.encode()
        return tag.to_bytes(4, "little") + len(v).to_bytes(4, "little") + v
    props = [uni(0x001A001F, "IPM.Note"), uni(0x0037001F, subject)]
    if size:
        body = (subject.encode() * (size // max(1, len(subject)) + 1))[:size]
        props.append((0x7E010102).to_bytes(4, "little") + len(body).to_bytes(4, "little") + body)
    b = b"EWSB" + (1).to_bytes(2, "little") + (0).to_bytes(2, "little") + len(props).to_bytes(4, "little") + b"".join(props)
    return b + crc32c(b).to_bytes(4, "little")


def mime(subject):
    return f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4()}@example.com>\r\n\r\n{subject}\r\n".encode()


def template(file, **kw):
    with open(os.path.join(SOAP_DIR, file)) as f:
        return string.Template(f.read()).substitute(**kw)


def fid(i, ck=None):
    return f'<t:FolderId Id="{i}"' + (f' ChangeKey="{ck}"' if ck else "") + "/>"


def dfid(name, mailbox=None):
    if mailbox:
        return (f'<t:DistinguishedFolderId Id="{name}"><t:Mailbox><t:EmailAddress>{mailbox}'
                "</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>")
    return f'<t:DistinguishedFolderId Id="{name}"/>'


def envelope(body, header='<t:RequestServerVersion Version="Exchange2016"/>'):
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{NS["s"]}" '
            f'xmlns:m="{NS["m"]}" xmlns:t="{NS["t"]}"><soap:Header>{header}</soap:Header>'
            f'<soap:Body>{body}</soap:Body></soap:Envelope>')


def impersonation(addr):
    return ('<t:RequestServerVersion Version="Exchange2016"/><t:ExchangeImpersonation><t:ConnectingSID>'
            f'<t:PrimarySmtpAddress>{addr}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>')


def get_folder(ids, shape="Default"):
    return envelope(f'<m:GetFolder><m:FolderShape><t:BaseShape>{shape}</t:BaseShape></m:FolderShape>'
                    f'<m:FolderIds>{ids}</m:FolderIds></m:GetFolder>')


class Resp:
    def __init__(self, status, body):
        self.status, self.body = status, body
        try:
            self.doc = etree.fromstring(body.encode())
        except Exception:
            self.doc = None

    def x(self, path):
        return self.doc.xpath(path, namespaces=NS) if self.doc is not None else []

    def codes(self):
        return [c.text for c in self.x("//m:ResponseMessages/*/m:ResponseCode")]

    def fault(self):
        c = self.x("/s:Envelope/s:Body/s:Fault/detail/e:ResponseCode")
        return c[0].text if c else None


def soap(conn, name, req, mailbox=None, role=None):
    """ews_soap through conn (the router or a node), as role; the response is kept for ews-validate"""
    if role:
        as_role(conn, role)
    try:
        row = q(conn, "SELECT (r).status, (r).response FROM (SELECT ews_soap(%s, %s) AS r OFFSET 0) s", (req, mailbox))[0]
    finally:
        if role:
            as_role(conn, None)
    fname = os.path.join(workdir, f"resp-{len(responses):03d}-{name}.xml")
    with open(fname, "w") as f:
        f.write(row[1])
    responses.append(fname)
    return Resp(row[0], row[1])


# ---- setup ----

def setup():
    for n in nodes:
        n.start()
    admin = admin_conn()
    q(admin, f"DROP DATABASE IF EXISTS {ROUTER_DB}")
    q(admin, f"CREATE DATABASE {ROUTER_DB}")
    # the same roles everywhere: the router connects to a node as the calling role
    for c in [admin] + [n.conn("postgres") for n in nodes]:
        for r in ROLES:
            q(c, f"DO $$ BEGIN CREATE ROLE {r} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    for n in nodes:
        c = n.conn("postgres")
        q(c, f"CREATE DATABASE {NODE_DB}")
        q(n.conn(), "CREATE EXTENSION ews")
        # the functions are for members of ews_user (made by CREATE EXTENSION ews)
        q(c, f"GRANT ews_user TO {', '.join(ROLES)}")
    r = router_conn()
    # ews_router makes ews_user and ews_admin when the router's cluster lacks them:
    # the twins copy the nodes' EXECUTE grants, which name them
    q(r, "CREATE EXTENSION ews_router CASCADE")
    q(r, f"GRANT ews_user TO {', '.join(ROLES)}")
    for n in nodes:
        q(r, "SELECT ews_router_add_node(%s, %s)", (n.name, n.connstr()))
    rules = dict(q(r, "SELECT function_name, rule FROM ews_router_sync()"))
    return r, rules


def teardown():
    for n in nodes:
        try:
            n.stop()
        except Exception as e:
            print(f"# stopping {n.name}: {e}")
    try:
        admin = admin_conn()
        q(admin, f"DROP DATABASE IF EXISTS {ROUTER_DB} WITH (FORCE)")
        for r in ROLES:
            q(admin, f"DROP ROLE IF EXISTS {r}")
    except Exception as e:
        print(f"# cleaning the router cluster: {e}")
    if failed == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"# node logs and responses kept in {workdir}")


# ---- the tests ----

def node_of(r, addr):
    return q1(r, "SELECT n.node_id FROM ews_router.mailbox m JOIN ews_router.node n USING (node_id)"
                 " WHERE lower(m.smtp_address) = lower(%s)", (addr,))


ADDRS = [f"rt{i:02d}@example.com" for i in range(30)]
OWNER = {a: ("ews_rt_alice" if 20 <= i < 28 else "ews_rt_bob" if i == 28 else "ews_rt_solo" if i == 29 else "postgres")
         for i, a in enumerate(ADDRS)}


def test_spread(r, rules):
    ok(q(r, "SELECT * FROM ews_router_check()") == [], "ews_router_check: nothing to report after ews_router_sync",
       q(r, "SELECT * FROM ews_router_check()"))
    ok(rules.get("ews_get_folder") == "split" and rules.get("ews_find_folder") == "id" and
       rules.get("ews_folder_id") == "address" and rules.get("ews_move_folder") == "id_sources" and
       rules.get("ews_soap") == "soap" and "none" not in rules.values(),
       "every node function got a twin by a routing rule", rules)
    guids = {}
    for a in ADDRS:
        guids[a] = q1(r, "SELECT ews_create_mailbox(%s, %s, %s)", (a, a.split("@")[0].upper(), OWNER[a]))
    counts = [row[0] for row in q(r, "SELECT mailboxes FROM ews_router_nodes() ORDER BY node_id")]
    ok(counts == [10, 10, 10], "30 mailboxes made through the router: 10 on each node (fewest first)", counts)
    agree = True
    for n in nodes:
        held = {row[0]: (row[1], row[2]) for row in q(n.conn(), "SELECT mailbox_id::text, smtp_address, owner_role::text FROM ews.mailbox")}
        listed = {row[0]: (row[1], row[2]) for row in q(r, "SELECT m.mailbox_id::text, m.smtp_address, m.owner"
                                                        " FROM ews_router_mailboxes() m WHERE m.node = %s", (n.name,))}
        agree = agree and held == listed and len(held) == 10
    ok(agree, "each node holds exactly the mailboxes the directory names for it, with their GUIDs and owners")
    ok([str(guids[a]) for a in ADDRS] == [q1(r, "SELECT mailbox_id::text FROM ews_router_mailboxes() WHERE smtp_address = %s", (a,)) for a in ADDRS],
       "ews_create_mailbox returns the GUID the directory keeps")
    ok(q(r, "SELECT * FROM ews_router_reconcile()") == [], "ews_router_reconcile: directory and nodes agree")
    # the address is unique over all nodes: a second one fails as on a node, and leaves nothing behind
    e = err(r, "SELECT ews_create_mailbox('RT07@example.com')")
    ok(e is not None and e[0] == "23505" and e[1] == 'mailbox "RT07@example.com" already exists',
       "a taken address (on another node than the new one would go to): 23505, as a node says it", e)
    total = sum(q1(n.conn(), "SELECT count(*) FROM ews.mailbox") for n in nodes)
    ok(total == 30 and q(r, "SELECT * FROM ews_router_reconcile()") == [],
       "the refused mailbox was not left on any node", total)
    e = err(r, "SELECT ews_create_mailbox('not an address')")
    ok(e is not None and e[0] == "22023" and e[1] == 'invalid SMTP address "not an address"',
       "a bad address: the node's error, as the node raises it (no PL/Proxy prefix)", e)
    return guids


def rows_direct(addr_node, sql, args):
    return q(nodes[addr_node].conn(), sql, args)


def test_sql(r, guids):
    # one mailbox per node
    picks = ADDRS[0:3]
    homes = [node_of(r, a) for a in picks]
    ok(sorted(homes) == [0, 1, 2], "rt00, rt01, rt02 are on three different nodes", homes)
    same = True
    for a, h in zip(picks, homes):
        d = nodes[h].conn()
        inbox = q1(r, "SELECT ews_folder_id(%s, 'inbox')", (a,))
        same &= inbox == q1(d, "SELECT ews_folder_id(%s, 'inbox')", (a,))
        f = q(r, "SELECT folder_id, change_key, response_code FROM ews_create_folder(%s, 'Projects')", (inbox,))[0]
        same &= f[2] == "NoError"
        for sql in ["SELECT * FROM ews_get_folder(%s)", "SELECT * FROM ews_find_folder(%s, 'Deep')",
                    "SELECT * FROM ews_find_folder(%s)"]:
            arg = [f[0], inbox] if "get_folder" in sql else q1(r, "SELECT ews_folder_id(%s, 'root')", (a,))
            same &= q(r, sql, (arg,)) == q(d, sql, (arg,))
    ok(same, "ews_folder_id, ews_create_folder, ews_get_folder, ews_find_folder (Shallow, Deep): the router's rows are the node's")

    # items: create from MIME, upload, update, export
    a, h = picks[1], homes[1]
    d = nodes[h].conn()
    inbox = q1(r, "SELECT ews_folder_id(%s, 'inbox')", (a,))
    it = q(r, "SELECT item_id, change_key, response_code FROM ews_create_item(%s, %s)", (inbox, mime("hello router")))[0]
    up = q(r, "SELECT item_id, change_key, response_code FROM ews_upload_items(%s, %s)",
           ([inbox, inbox], [psycopg2.Binary(blob("up 1", 4096)), psycopg2.Binary(blob("up 2"))]))
    ok(it[2] == "NoError" and [u[2] for u in up] == ["NoError", "NoError"],
       "ews_create_item and ews_upload_items (CreateNew) through the router", (it, up))
    ex_r = q(r, "SELECT item_id, change_key, md5(data), response_code FROM ews_export_items(%s)", ([it[0], up[0][0], up[1][0]],))
    ex_d = q(d, "SELECT item_id, change_key, md5(data), response_code FROM ews_export_items(%s)", ([it[0], up[0][0], up[1][0]],))
    ok(ex_r == ex_d and all(x[3] == "NoError" for x in ex_r), "ews_export_items: the router's rows are the node's, blobs included")
    upd = q(r, "SELECT item_id, change_key, response_code FROM ews_upload_items(%s, %s, %s, %s, %s)",
            ([inbox], [psycopg2.Binary(blob("up 1 changed"))], ["Update"], [up[0][0]], [up[0][1]]))[0]
    stale = q(r, "SELECT response_code FROM ews_upload_items(%s, %s, %s, %s, %s)",
              ([inbox], [psycopg2.Binary(blob("lost update"))], ["Update"], [up[0][0]], [up[0][1]]))[0][0]
    ok(upd[0] == up[0][0] and upd[1] != up[0][1] and upd[2] == "NoError" and stale == "ErrorIrresolvableConflict",
       "UploadItems Update: same id, new ChangeKey; the old ChangeKey again: ErrorIrresolvableConflict", (upd, stale))

    # hierarchy: move, copy, delete in one mailbox
    junk = q1(r, "SELECT ews_folder_id(%s, 'junkemail')", (a,))
    f1, f2, f3, f4 = [q1(r, "SELECT folder_id FROM ews_create_folder(%s, %s)", (inbox, n)) for n in ("F1", "F2", "F3", "F4")]
    mv = q(r, "SELECT folder_id, change_key, response_code FROM ews_move_folder(%s, %s)", (junk, [f1, inbox]))
    cp = q(r, "SELECT folder_id, response_code FROM ews_copy_folder(%s, %s)", (junk, [f2]))
    dl = q(r, "SELECT response_code FROM ews_delete_folder(%s, 'SoftDelete')", ([f3],)) + \
        q(r, "SELECT response_code FROM ews_delete_folder(%s)", ([f4, f4],))
    parent = q1(d, "SELECT parent_folder_id FROM ews_get_folder(%s)", ([f1],))
    ok(mv[0][0] == f1 and mv[0][2] == "NoError" and mv[1][2] == "ErrorMoveDistinguishedFolder" and parent == junk and
       cp[0][1] == "NoError" and cp[0][0] != f2 and [x[0] for x in dl] == ["NoError", "NoError", "ErrorFolderNotFound"],
       "ews_move_folder, ews_copy_folder, ews_delete_folder through the router act on the node", (mv, cp, dl))

    # grants go to the node of the mailbox
    q(r, "SELECT ews_grant(%s, 'ews_rt_stranger', 'delegate')", (a,))
    g1 = q(d, "SELECT grantee::text, access_right FROM ews.mailbox_grant g JOIN ews.mailbox m USING (mailbox_id) WHERE m.smtp_address = %s", (a,))
    q(r, "SELECT ews_revoke(%s, 'ews_rt_stranger', 'delegate')", (a,))
    g2 = q(d, "SELECT count(*) FROM ews.mailbox_grant g JOIN ews.mailbox m USING (mailbox_id) WHERE m.smtp_address = %s", (a,))[0][0]
    ok(g1 == [("ews_rt_stranger", "delegate")] and g2 == 0, "ews_grant and ews_revoke reach the mailbox's node (roles by name)", (g1, g2))
    lst = q(r, "SELECT * FROM ews_list_mailboxes()")
    ok([x[1] for x in lst] == sorted(ADDRS) and len({x[0] for x in lst}) == 30,
       "ews_list_mailboxes: all 30 from the three nodes, each once, by address", len(lst))
    return it, up


def test_batches(r, guids):
    inb = [q1(r, "SELECT ews_folder_id(%s, 'inbox')", (a,)) for a in ADDRS[0:3]]
    homes = [node_of(r, a) for a in ADDRS[0:3]]
    unknown = ews_id(str(uuid.uuid4()), 1, 7)
    item_as_folder = ews_id(str(guids[ADDRS[4]]), 2, 1)
    batch = [inb[2], inb[0], "bad", unknown, inb[1], inb[0], item_as_folder, None, inb[2]]
    got = q(r, "SELECT * FROM ews_get_folder(%s)", (batch,))
    want = []
    for i in batch:
        g = None
        try:
            g = id_guid(i) if i else None
        except Exception:
            pass
        h = next((node_of(r, a) for a in ADDRS if g and str(guids[a]) == g), 0)
        want += q(nodes[h].conn(), "SELECT * FROM ews_get_folder(%s)", ([i],))
    ok(got == want, "ews_get_folder of 9 ids over 3 nodes (malformed, unknown, wrong kind, NULL, repeated): "
       "one row per id, in input order, each the row its node gives", (got, want))

    # ExportItems over the nodes, with change keys
    items, cks = [], []
    for a in ADDRS[0:3]:
        inbox = q1(r, "SELECT ews_folder_id(%s, 'inbox')", (a,))
        for row in q(r, "SELECT item_id, change_key FROM ews_upload_items(%s, %s)",
                     ([inbox] * 2, [psycopg2.Binary(blob(f"{a} {k}", 2000)) for k in range(2)])):
            items.append(row[0])
            cks.append(row[1])
    order = [4, 0, 2, 5, 1, 3]
    ids = [items[k] for k in order]
    keys = [cks[order[0]], None, "bad", cks[order[3]], None, cks[order[5]]]
    got = q(r, "SELECT item_id, change_key, md5(data), response_code FROM ews_export_items(%s, %s)", (ids, keys))
    want = []
    for i, k in zip(ids, keys):
        h = next(node_of(r, a) for a in ADDRS if str(guids[a]) == id_guid(i))
        want += q(nodes[h].conn(), "SELECT item_id, change_key, md5(data), response_code FROM ews_export_items(%s, %s)", ([i], [k]))
    ok(got == want and [g[3] for g in got] == ["NoError", "NoError", "ErrorInvalidChangeKey", "NoError", "NoError", "NoError"],
       "ews_export_items over 3 nodes with a change_keys array: rows in input order, as the nodes give them", got)

    # UploadItems over the nodes: every array split along with its parents
    parents = [inb[1], inb[0], inb[2], inb[1]]
    count_items = lambda: sum(q1(n.conn(), "SELECT count(*) FROM ews.item") for n in nodes)  # noqa: E731
    n_before = count_items()
    got = q(r, "SELECT item_id, response_code FROM ews_upload_items(%s, %s, %s, NULL, NULL, %s)",
            (parents, [psycopg2.Binary(blob(f"u{k}")) for k in range(4)], ["CreateNew", None, "CreateNew", "CreateNew"],
             [False, True, None, False]))
    where = [next(node_of(r, a) for a in ADDRS if str(guids[a]) == id_guid(g[0])) for g in got]
    assoc = q1(nodes[homes[0]].conn(), "SELECT is_associated FROM ews.item WHERE item_id = %s AND mailbox_id = %s",
               (int.from_bytes(base64.b64decode(got[1][0])[44:52], "big"), str(guids[ADDRS[0]])))
    ok([g[1] for g in got] == ["NoError"] * 4 and where == [homes[1], homes[0], homes[2], homes[1]] and assoc is True
       and count_items() == n_before + 4,
       "ews_upload_items over 3 nodes: rows in order, each item once on its parent's node, is_associated split along",
       (got, where, assoc, count_items() - n_before))

    # what cannot be split goes whole to one node, which answers as it would
    same = True
    for sql, args in [("SELECT * FROM ews_get_folder(%s)", (None,)),
                      ("SELECT * FROM ews_get_folder(%s)", ([],)),
                      ("SELECT * FROM ews_get_folder(%s::text[])", ("{{a,b},{c,d}}",)),
                      ("SELECT * FROM ews_export_items(%s, %s)", ([inb[0], inb[1]], ["x"])),
                      ("SELECT * FROM ews_upload_items(%s, %s)", ([inb[0], inb[1]], [psycopg2.Binary(blob("x"))]))]:
        a, b = err(r, sql, args), err(nodes[0].conn(), sql, args)
        if a is None and b is None:
            same &= q(r, sql, args) == q(nodes[0].conn(), sql, args)
        else:
            same &= a == b
    ok(same, "a NULL, empty or two-dimensional id array, or arrays of different lengths: the node's answer or error, word for word")

    # MoveFolder and CopyFolder with sources of mailboxes on other nodes
    own = q1(r, "SELECT folder_id FROM ews_create_folder(%s, 'mine')", (inb[0],))
    other = q1(r, "SELECT folder_id FROM ews_create_folder(%s, 'theirs')", (inb[1],))
    missing = ews_id(str(guids[ADDRS[2]]), 1, 99999999)
    junk0 = q1(r, "SELECT ews_folder_id(%s, 'junkemail')", (ADDRS[0],))
    got = q(r, "SELECT folder_id, response_code, message_text, mailbox_guid::text FROM ews_move_folder(%s, %s)",
            (junk0, [other, own, inb[2], unknown, missing]))
    ok([g[1] for g in got] == ["ErrorCrossMailboxMoveCopy", "NoError", "ErrorMoveDistinguishedFolder",
                               "ErrorNonExistentMailbox", "ErrorFolderNotFound"] and
       got[0][2] == "Cannot move a folder into another mailbox." and got[3][3] == id_guid(unknown),
       "MoveFolder with sources on other nodes: ErrorCrossMailboxMoveCopy, ErrorMoveDistinguishedFolder, "
       "ErrorFolderNotFound as one node would say; an unknown mailbox stays ErrorNonExistentMailbox", got)
    as_role(r, "ews_rt_stranger")
    try:
        got = q(r, "SELECT response_code FROM ews_copy_folder(%s, %s)", (junk0, [other]))
    finally:
        as_role(r, None)
    ok(got == [("ErrorNonExistentMailbox",)], "a stranger's cross-node source is a mailbox that does not exist", got)


def test_access(r, guids):
    alice = ADDRS[20]
    h = node_of(r, alice)
    d = nodes[h].conn()
    inbox = q1(r, "SELECT ews_folder_id(%s, 'inbox')", (alice,))
    same = True
    for role in ("ews_rt_stranger", "ews_rt_alice", "ews_rt_web"):
        as_role(r, role)
        as_role(d, role)
        try:
            for sql, args in [("SELECT * FROM ews_get_folder(%s)", ([inbox],)),
                              ("SELECT ews_folder_id(%s, 'inbox')", (alice,))]:
                a = err(r, sql, args) or q(r, sql, args)
                b = err(d, sql, args) or q(d, sql, args)
                same &= a == b
            # the mailboxes the role may use: those of every node
            everywhere = []
            for n in nodes:
                c = n.conn()
                as_role(c, role)
                everywhere += q(c, "SELECT * FROM ews_list_mailboxes()")
            same &= q(r, "SELECT * FROM ews_list_mailboxes()") == sorted(everywhere, key=lambda x: x[1].lower().encode())
            # the node decides who may write
            q(r, "SELECT * FROM ews_create_folder(%s, 'by ' || current_user)", (inbox,))
        finally:
            as_role(r, None)
            as_role(d, None)
    ok(same, "as a stranger, the owner and a pooled role: GetFolder, ews_folder_id, ews_list_mailboxes through the router "
       "answer what the node answers that role")
    made = q(d, "SELECT f.display_name FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)"
                " WHERE m.smtp_address = %s AND f.display_name LIKE 'by %%' ORDER BY 1", (alice,))
    ok(made == [("by ews_rt_alice",)], "CreateFolder as each role through the router: only the owner's wrote (the node checked the caller)", made)
    seen = q1(d, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'ews_rt_alice' AND datname = %s", (NODE_DB,))
    ok(seen >= 1, "the router connects to the node as the calling role (pg_stat_activity on the node)", seen)
    # the router's own tables are closed; its routing functions tell a stranger nothing
    as_role(r, "ews_rt_stranger")
    try:
        e1 = err(r, "SELECT * FROM ews_router.mailbox")
        e2 = err(r, "SELECT * FROM ews_router_mailboxes()")
        e3 = err(r, "SELECT * FROM ews_router.state")
        n1 = q1(r, "SELECT ews_router.node_of_address(%s)", ("nobody-here@example.com",))
        n2 = q1(r, "SELECT ews_router.node_of_address(%s)", ("nobody-here@example.com",))
    finally:
        as_role(r, None)
    ok(e1 and e1[0] == "42501" and e2 and e2[0] == "42501" and e3 and e3[0] == "42501",
       "a stranger may not read the directory, the node list or the key", (e1, e2, e3))
    ok(n1 == n2 and 0 <= n1 < NODES,
       "an unknown address has a node too (a keyed hash): the routing functions cannot tell it from a real one", (n1, n2))
    # a role the node does not know cannot use it through the router
    q(nodes[h].conn("postgres"), "DROP ROLE ews_rt_gone")
    as_role(r, "ews_rt_gone")
    try:
        e = err(r, "SELECT * FROM ews_get_folder(%s)", ([inbox],))
    finally:
        as_role(r, None)
    ok(e is not None and 'role "ews_rt_gone" does not exist' in (e[1] or ""),
       "a role missing on the node: the node refuses the connection (roles must exist on every node)", e)


def validate_all():
    r = subprocess.run([VALIDATE] + responses, capture_output=True, text=True)
    lines = r.stdout.splitlines()
    bad = [l for l in lines if not l.endswith(": ok")]
    ok(len(lines) == len(responses) and not bad,
       f"ews-validate: all {len(responses)} SOAP responses through the router validate", "\n".join(bad) or r.stderr)


def folder_id(conn, addr, name):
    return q1(conn, "SELECT ews_folder_id(%s, %s)", (addr, name))


def test_soap(r, guids):
    a = ADDRS[1]
    d = nodes[node_of(r, a)].conn()
    inbox = folder_id(r, a, "inbox")
    its = [row[0] for row in q(r, "SELECT item_id FROM ews_upload_items(%s, %s)",
                               ([inbox] * 3, [psycopg2.Binary(blob(f"seed item {k}", 1500 * k)) for k in range(1, 4)]))]
    req = template("seed000_export_items.xml", ITEM1=its[0], ITEM2=its[1], ITEM3=its[2])
    rr, rd = soap(r, "seed000", req), soap(d, "seed000-node", req)
    ok(rr.status == 200 and rr.codes() == ["NoError"] * 3 and rr.body == rd.body,
       "seed 000 ExportItems (https:// namespaces) through the router: three items, the node's response byte for byte",
       rr.body[:1500])
    req = template("seed000_export_items.xml", ITEM1=its[0], ITEM2=its[1] + '" ChangeKey="CQAAAA==',
                   ITEM3=ews_id(str(uuid.uuid4()), 2, 5))
    rr, rd = soap(r, "seed000-errors", req), soap(d, "seed000-errors-node", req)
    ok(rr.status == 200 and rr.codes() == ["NoError", "ErrorInvalidChangeKey", "ErrorNonExistentMailbox"] and rr.body == rd.body,
       "seed 000 error example (an unknown mailbox's item among them): the node's per-item answers, no fault", rr.body[-1500:])
    f = q1(r, "SELECT folder_id FROM ews_create_folder(%s, 'seed 003')", (inbox,))
    rr = soap(r, "seed003", template("seed003_move_folder.xml", FOLDER=f), mailbox=a)
    parent = q1(r, "SELECT parent_folder_id FROM ews_get_folder(%s)", ([f],))
    ok(rr.status == 200 and rr.codes() == ["NoError"] and rr.x("//t:FolderId/@Id") == [f] and parent == folder_id(r, a, "junkemail"),
       "seed 003 MoveFolder with the mailbox argument: the folder is in junkemail on its node", rr.body)
    req = template("seed003_move_folder.xml", FOLDER=inbox)
    rr, rd = soap(r, "seed003-error", req, mailbox=a), soap(d, "seed003-error-node", req, mailbox=a)
    ok(rr.codes() == ["ErrorMoveDistinguishedFolder"] and rr.body == rd.body,
       "seed 003 error example: ErrorMoveDistinguishedFolder, as the node answers", rr.body)

    # the folder operations, for a mailbox on each node
    same = True
    for addr in ADDRS[0:3]:
        dn = nodes[node_of(r, addr)].conn()
        root, ib = folder_id(r, addr, "root"), folder_id(r, addr, "inbox")
        for name, req, mbx in [
                ("get", template("get_folder.xml", VERSION="Exchange2013", SHAPE="AllProperties",
                                 IDS=dfid("inbox", addr) + fid(root) + dfid("calendar")), addr),
                ("find", template("find_folder.xml", TRAVERSAL="Deep", VIEW="", IDS=fid(root)), None),
                ("find-paged", template("find_folder.xml", TRAVERSAL="Shallow",
                                        VIEW='<m:IndexedPageFolderView MaxEntriesReturned="3" Offset="2" BasePoint="Beginning"/>',
                                        IDS=dfid("msgfolderroot")), addr)]:
            rr, rd = soap(r, f"{name}-{addr}", req, mailbox=mbx), soap(dn, f"{name}-{addr}-node", req, mailbox=mbx)
            same &= rr.status == 200 and rr.body == rd.body and "NoError" in rr.codes()
        rr = soap(r, f"create-{addr}", template("create_folder.xml", PARENT=fid(ib)))
        made = rr.x("//m:CreateFolderResponseMessage/m:Folders/*/t:FolderId/@Id")
        same &= rr.codes() == ["NoError"] * 6 + ["ErrorFolderExists"] and len(made) == 6
        same &= all(id_guid(m) == str(guids[addr]) for m in made)
        rr = soap(r, f"delete-{addr}", template("delete_folder.xml", TYPE="HardDelete", IDS=fid(made[0]) + fid(ib)))
        same &= rr.codes() == ["NoError", "ErrorDeleteDistinguishedFolder"]
        same &= q1(dn, "SELECT response_code FROM ews_get_folder(%s)", ([made[0]],)) == "ErrorFolderNotFound"
    ok(same, "GetFolder, FindFolder (Deep, paged), CreateFolder, DeleteFolder for mailboxes on three nodes: "
       "reads answered as the nodes answer, writes done on the nodes")

    # which node: the acting mailbox
    get_inbox = get_folder(dfid("inbox"), "IdOnly")
    rr = soap(r, "acting-arg", get_inbox, mailbox=ADDRS[2])
    ok(rr.x("//t:FolderId/@Id") == [folder_id(r, ADDRS[2], "inbox")], "the mailbox argument: its inbox, on its node", rr.body)
    q(r, "SELECT ews_grant(%s, 'ews_rt_web', 'impersonate')", (ADDRS[20],))
    req = get_inbox.replace('<t:RequestServerVersion Version="Exchange2016"/>', impersonation(ADDRS[20]))
    rr = soap(r, "acting-impersonation", req, role="ews_rt_web")
    ok(rr.x("//t:FolderId/@Id") == [folder_id(r, ADDRS[20], "inbox")],
       "ExchangeImpersonation by a pooled role with the grant: the impersonated mailbox's inbox, on its node", rr.body)
    req = get_inbox.replace('<t:RequestServerVersion Version="Exchange2016"/>', impersonation(ADDRS[21]))
    rr = soap(r, "impersonation-denied", req, role="ews_rt_web")
    rd = soap(nodes[node_of(r, ADDRS[21])].conn(), "impersonation-denied-node", req, role="ews_rt_web")
    ok(rr.status == 500 and rr.fault() == "ErrorNonExistentMailbox" and rr.body == rd.body,
       "ExchangeImpersonation without the grant: the node's ErrorNonExistentMailbox fault", rr.body)
    rr = soap(r, "acting-own", get_inbox, role="ews_rt_solo")
    ok(rr.x("//t:FolderId/@Id") == [folder_id(r, ADDRS[29], "inbox")],
       "no impersonation, no mailbox argument: the one mailbox the calling role owns, on its node", rr.body)
    rr = soap(r, "by-address", get_folder(dfid("inbox", ADDRS[5]), "IdOnly"))
    ok(rr.x("//t:FolderId/@Id") == [folder_id(r, ADDRS[5], "inbox")], "a t:Mailbox address: that mailbox's node", rr.body)

    # mailboxes of two nodes in one request
    i0, i1 = folder_id(r, ADDRS[0], "inbox"), folder_id(r, ADDRS[1], "inbox")
    rr = soap(r, "cross", get_folder(fid(i0) + fid(i1), "IdOnly"))
    ok(rr.status == 500 and rr.fault() == "ErrorCrossSiteRequest" and
       rr.x("/s:Envelope/s:Header/t:ServerVersionInfo/@Version") == ["Exchange2016"],
       "GetFolder of folders of two nodes, by a role that may read both: the ErrorCrossSiteRequest fault, "
       "never \"no such mailbox\" for one of them", rr.body)
    req = get_folder(dfid("inbox") + dfid("inbox", ADDRS[1]), "IdOnly")
    rr = soap(r, "cross-acting", req, mailbox=ADDRS[0])
    rd = soap(nodes[node_of(r, ADDRS[0])].conn(), "cross-acting-node", req, mailbox=ADDRS[0])
    ok(rr.status == 200 and rr.codes() == ["NoError", "ErrorNonExistentMailbox"] and rr.body == rd.body,
       "acting for a user (the mailbox argument), a t:Mailbox of another node: not the user's and not delegated "
       "to it (delegates never cross nodes), so it does not exist, as on one node; no fault tells it exists", rr.body)
    req = get_folder(dfid("inbox") + fid(i0), "IdOnly").replace('<t:RequestServerVersion Version="Exchange2016"/>',
                                                               impersonation(ADDRS[20]))
    rr = soap(r, "cross-stranger", req, role="ews_rt_web")
    rd = soap(nodes[node_of(r, ADDRS[20])].conn(), "cross-stranger-node", req, role="ews_rt_web")
    ok(rr.status == 200 and rr.codes() == ["NoError", "ErrorNonExistentMailbox"] and rr.body == rd.body,
       "the same for a role that may not read the other mailbox: it does not exist, as on one node", rr.body)
    rr = soap(r, "cross-unknown", get_folder(dfid("inbox") + dfid("inbox", "nobody-at-all@example.com"), "IdOnly"),
              mailbox=ADDRS[0])
    ok(rr.status == 200 and rr.codes() == ["NoError", "ErrorNonExistentMailbox"],
       "an address no node holds is a mailbox that does not exist, wherever the keyed hash puts it", rr.body)

    many = "".join(fid(ews_id(str(uuid.UUID(int=k + 1, version=4)), 1, 3)) for k in range(40))
    rr = soap(r, "many-unknown", get_folder(dfid("inbox") + many, "IdOnly"), mailbox=ADDRS[0])
    ok(rr.status == 200 and rr.codes() == ["NoError"] + ["ErrorNonExistentMailbox"] * 40,
       "a request naming 40 mailboxes no node holds (more than the first reading pass has room for): "
       "each one does not exist, the acting mailbox answers", rr.codes()[:3])

    # what is not routed by mailbox
    rr = soap(r, "convert-id", template("convert_id.xml", ID=i0))
    ok(rr.status == 200, "ConvertId (exchangelib's version probe) through the router", rr.body)
    for name, req in [("not-xml", "<not xml"), ("doctype", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'),
                      ("unknown-op", envelope("<m:GetItem/>"))]:
        rr, rd = soap(r, name, req), soap(nodes[0].conn(), name + "-node", req)
        ok(rr.status == 500 and rr.body == rd.body, f"a request that is {name}: the node's fault", rr.body)


def mailbox_rows(conn, guid, skip_folders=()):
    """every row of the mailbox in every table of schema ews, as text (generic: from the catalog)"""
    out = {}
    for (t,) in q(conn, "SELECT table_name FROM ews_scaleout_tables() WHERE holds_mailboxes ORDER BY 1"):
        rows = q(conn, f"SELECT t::text, t FROM ews.{t} t WHERE t.mailbox_id = %s ORDER BY 1", (str(guid),))
        out[t] = sorted(x[0] for x in rows)
    return out


def test_move(r, guids):
    addr = ADDRS[5]
    g = str(guids[addr])
    src = node_of(r, addr)
    dst = (src + 1) % NODES
    inbox = folder_id(r, addr, "inbox")
    work = q1(r, "SELECT folder_id FROM ews_create_folder(%s, 'work')", (inbox,))
    folders = [q1(r, "SELECT folder_id FROM ews_create_folder(%s, %s)", (inbox, f"pre {k}")) for k in range(10)]
    items = [row[0] for row in q(r, "SELECT item_id FROM ews_upload_items(%s, %s)",
                                 ([inbox] * 20, [psycopg2.Binary(blob(f"pre item {k}", 300 * k)) for k in range(20)]))]
    items.append(q1(r, "SELECT item_id FROM ews_create_item(%s, %s)", (inbox, mime("pre mime"))))
    d_src = nodes[src].conn()
    pre_folders = q(r, "SELECT * FROM ews_get_folder(%s)", (folders + [inbox],))
    pre_items = q(r, "SELECT item_id, change_key, md5(data) FROM ews_export_items(%s)", (items,))
    work_local = int.from_bytes(base64.b64decode(work)[44:52], "big")
    before = mailbox_rows(d_src, g)
    before["folder"] = [x for x in before["folder"] if not x.startswith(f"({g},{work_local},")]
    before.pop("mailbox")
    pre_max_cn = max([ck_number(x[1]) for x in pre_folders] + [ck_number(x[1]) for x in pre_items])

    # the move lock: writes refused, reads go on (held here directly on the node, as a move holds it)
    q(d_src, "SELECT ews_scaleout_freeze(%s, 5000)", (g,))
    w = q(r, "SELECT response_code, message_text FROM ews_create_folder(%s, 'held')", (work,))[0]
    u = q1(r, "SELECT response_code FROM ews_upload_items(%s, %s)", ([work], [psycopg2.Binary(blob("held"))]))
    rd = q(r, "SELECT response_code FROM ews_get_folder(%s)", ([inbox],))[0][0]
    ge = err(r, "SELECT ews_grant(%s, 'ews_rt_stranger', 'delegate')", (addr,))
    sr = soap(r, "held-create", template("create_folder.xml", PARENT=fid(work)))
    q(d_src, "SELECT ews_scaleout_thaw(%s)", (g,))
    w2 = q1(r, "SELECT response_code FROM ews_create_folder(%s, 'after the hold')", (work,))
    ok(w == ("ErrorMailboxMoveInProgress", "The mailbox is being moved to another node; try again when the move is done.")
       and u == "ErrorMailboxMoveInProgress" and rd == "NoError" and ge and ge[0] == "55006" and
       set(sr.codes()) == {"ErrorMailboxMoveInProgress"} and w2 == "NoError",
       "while a move holds a mailbox: CreateFolder, UploadItems, ews_grant, SOAP CreateFolder refused "
       "(ErrorMailboxMoveInProgress, 55006), GetFolder answered; writes work again after", (w, u, rd, ge, sr.codes(), w2))

    # the move, under concurrent readers and writers through the router
    stop = threading.Event()
    lock = threading.Lock()
    acked, refused, wrong, reads = [], [], [], [0]

    def reader(k):
        c = router_conn()
        while not stop.is_set():
            try:
                fo = q(c, "SELECT * FROM ews_get_folder(%s)", (folders + [inbox],))
                it = q(c, "SELECT item_id, change_key, md5(data) FROM ews_export_items(%s)", (items,))
                so = q(c, "SELECT (r).status, (r).response FROM (SELECT ews_soap(%s) AS r OFFSET 0) s",
                       (get_folder(fid(inbox), "IdOnly"),))[0]
                with lock:
                    reads[0] += 1
                    if fo != pre_folders or it != pre_items or so[0] != 200 or "NoError" not in so[1]:
                        wrong.append(("read", fo if fo != pre_folders else None, it if it != pre_items else None, so))
            except Exception as e:
                with lock:
                    wrong.append(("read error", str(e)))
        c.close()

    def writer(k):
        c = router_conn()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 2:
                    row = q(c, "SELECT folder_id, change_key, response_code FROM ews_create_folder(%s, %s)", (work, f"w{k}-{n}"))[0]
                else:
                    row = q(c, "SELECT item_id, change_key, response_code FROM ews_upload_items(%s, %s)",
                            ([work], [psycopg2.Binary(blob(f"w{k}-{n}", 500))]))[0]
                with lock:
                    if row[2] == "NoError":
                        acked.append((row[0], row[1], time.monotonic()))
                    elif row[2] == "ErrorMailboxMoveInProgress":
                        refused.append(time.monotonic())
                    else:
                        wrong.append(("write", row))
            except Exception as e:
                with lock:
                    wrong.append(("write error", str(e)))
        c.close()

    def wait_acked(n, limit=60):
        t = time.monotonic() + limit
        while time.monotonic() < t:
            with lock:
                if len(acked) >= n:
                    return
            time.sleep(0.01)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(2)] + \
        [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    try:
        wait_acked(10)
        mover = router_conn()
        t0 = time.monotonic()
        q(mover, "CALL ews_move_mailbox(%s, %s)", (addr, nodes[dst].name))
        t1 = time.monotonic()
        with lock:
            n_at_move = len(acked)
        wait_acked(n_at_move + 10)
    finally:
        stop.set()
        for t in threads:
            t.join()
    ok(node_of(r, addr) == dst and q1(r, "SELECT moving_to FROM ews_router_mailboxes() WHERE smtp_address = %s", (addr,)) is None,
       f"ews_move_mailbox moved {addr} from n{src} to n{dst} in {1000 * (t1 - t0):.0f} ms")
    ok(not wrong and reads[0] > 0,
       f"{reads[0]} rounds of GetFolder, ExportItems and SOAP GetFolder through the router during the move: "
       "every answer the one from before the move (never \"no such mailbox\", never another node's)", wrong[:5])
    ok(all(t0 <= x <= t1 for x in refused),
       f"{len(acked)} writes acknowledged, {len(refused)} refused with ErrorMailboxMoveInProgress, only while the move ran",
       refused[:5])
    d_dst = nodes[dst].conn()
    left = q(d_src, "SELECT table_name, row_count FROM ews_scaleout_checksum(%s) WHERE row_count > 0", (g,))
    ok(left == [], f"n{src} keeps no row of the mailbox in any ews table", left)
    after = mailbox_rows(d_dst, g)
    after.pop("mailbox")
    ok(all(set(before[t]) <= set(after[t]) for t in before),
       "every row the mailbox had before the move is on the target, unchanged (every ews table, from the catalog)",
       {t: sorted(set(before[t]) - set(after[t]))[:3] for t in before})
    ids_acked = [a_[0] for a_ in acked]
    fo = [x[0] for x in q(r, "SELECT response_code FROM ews_get_folder(%s)", ([i for i in ids_acked if base64.b64decode(i)[43] == 1],))]
    it = [x[0] for x in q(r, "SELECT response_code FROM ews_export_items(%s)", ([i for i in ids_acked if base64.b64decode(i)[43] == 2],))]
    ok(set(fo + it) == {"NoError"} and len(fo) + len(it) == len(acked),
       f"every acknowledged write ({len(acked)}: folders and items, before, during and after the move) is there", (fo, it))
    post = q(r, "SELECT folder_id, change_key FROM ews_create_folder(%s, 'after the move')", (work,))[0]
    top = max([pre_max_cn] + [ck_number(a_[1]) for a_ in acked])
    ok(id_guid(post[0]) == g and ck_number(post[1]) > top,
       "a change after the move gets a change number above every one the mailbox had: no ChangeKey repeats, "
       "no sync watermark is passed over", (ck_number(post[1]), top))
    seq = dict(q(d_dst, "SELECT sequence_name, last_value FROM ews_scaleout_sequences()"))
    ok(seq["local_id_seq"] >= max(int.from_bytes(base64.b64decode(i)[44:52], "big") for i in folders + items + ids_acked),
       "the target's id sequence is past every local id of the mailbox", seq)
    ok(q(r, "SELECT * FROM ews_router_reconcile()") == [] and
       [x[0] for x in q(r, "SELECT mailboxes FROM ews_router_nodes() ORDER BY node_id")] ==
       [sum(1 for a_ in ADDRS if node_of(r, a_) == n.i) for n in nodes],
       "the directory and its per-node counts agree with the nodes after the move")

    # a move that fails changes nothing: the owner role is missing on the target
    addr2 = ADDRS[28]
    g2 = str(guids[addr2])
    src2 = node_of(r, addr2)
    dst2 = (src2 + 1) % NODES
    q(nodes[dst2].conn("postgres"), "DROP ROLE ews_rt_bob")
    before2 = mailbox_rows(nodes[src2].conn(), g2)
    e = err(r, "CALL ews_move_mailbox(%s, %s)", (addr2, nodes[dst2].name))
    after2 = mailbox_rows(nodes[src2].conn(), g2)
    on_dst = q(nodes[dst2].conn(), "SELECT table_name FROM ews_scaleout_checksum(%s) WHERE row_count > 0", (g2,))
    w = q1(r, "SELECT response_code FROM ews_create_folder(%s, 'still here')", (folder_id(r, addr2, "inbox"),))
    ok(e is not None and e[1] == f'moving mailbox "{addr2}" to node "n{dst2}" failed: role "ews_rt_bob" does not exist'
       and node_of(r, addr2) == src2 and
       before2 == after2 and on_dst == [] and w == "NoError" and q(r, "SELECT * FROM ews_router_reconcile()") == [],
       "a move that fails (the owner role is missing on the target): the mailbox stays where it was, whole and writable; "
       "the target keeps nothing", (e, on_dst, w))


def test_delegates(r, guids):
    """mailbox delegates (issue 11) through the router: on one node they work; across nodes they are refused"""
    u = ADDRS[20]                       # alice's; ews_rt_web may impersonate it (test_soap)
    hu = node_of(r, u)
    b = next(a for a in ADDRS[7:20] if node_of(r, a) == hu)
    far = next(a for a in ADDRS[7:20] if node_of(r, a) != hu)
    dn = nodes[hu].conn()
    q(r, "SELECT ews_add_delegate(%s, %s, 'reviewer')", (b, u))
    q(r, "SELECT ews_grant(%s, 'ews_rt_web', 'impersonate')", (b,))
    ok(q(r, "SELECT * FROM ews_list_delegates(%s)", (b,)) == [(u, "reviewer")],
       "ews_add_delegate and ews_list_delegates through the router, both mailboxes on one node")
    acting_u = '<t:RequestServerVersion Version="Exchange2016"/>'
    req = get_folder(dfid("inbox", b), "IdOnly").replace(acting_u, impersonation(u))
    rr, rd = soap(r, "delegate-read", req, role="ews_rt_web"), soap(dn, "delegate-read-node", req, role="ews_rt_web")
    ok(rr.codes() == ["NoError"] and rr.x("//t:FolderId/@Id") == [folder_id(r, b, "inbox")] and rr.body == rd.body,
       "a delegate reads the delegating mailbox through the router, acting for its user by ExchangeImpersonation", rr.body)
    req = template("create_folder.xml", PARENT=dfid("inbox", b)).replace(
        '<t:RequestServerVersion Version="Exchange2016"/>', impersonation(u))
    rr = soap(r, "delegate-write", req, role="ews_rt_web")
    ok(rr.status == 200 and set(rr.codes()) == {"ErrorAccessDenied"}, "a reviewer's CreateFolder: ErrorAccessDenied", rr.body)
    e = err(r, "SELECT ews_add_delegate(%s, %s, 'reviewer')", (far, u))
    ok(e is not None and e[0] == "55000" and e[1] == f'mailbox "{u}" is on another node than mailbox "{far}"'
       and q(r, "SELECT * FROM ews_list_delegates(%s)", (far,)) == [],
       "a delegate on another node: refused with an error that says so (not \"does not exist\"), nothing stored", e)
    other = nodes[(hu + 1) % NODES].name
    e1 = err(r, "CALL ews_move_mailbox(%s, %s)", (b, other))
    e2 = err(r, "CALL ews_move_mailbox(%s, %s)", (u, other))
    ok(e1 is not None and "is tied to other mailboxes of its node: 1 rows of ews.mailbox_delegate.delegate_id" in e1[1] and
       e2 is not None and "is tied to other mailboxes of its node: 1 rows of ews.mailbox_delegate.delegate_id" in e2[1] and
       node_of(r, b) == hu and node_of(r, u) == hu,
       "neither the delegating mailbox nor its delegate's is moved away from the other", (e1, e2))
    q(r, "SELECT ews_remove_delegate(%s, %s)", (b, u))
    ok(q(r, "SELECT * FROM ews_list_delegates(%s)", (b,)) == [], "ews_remove_delegate through the router")


def test_ties(r, guids):
    """a mailbox tied to another of its node by a foreign key (a delegate, say) is not moved"""
    a = ADDRS[6]
    h = node_of(r, a)
    peer = next(x for x in ADDRS[7:20] if node_of(r, x) == h)
    for n in nodes:
        # no primary key: a move copies such a table's rows of the mailbox in one page
        q(n.conn(), "CREATE TABLE ews.rt_tie (mailbox_id uuid REFERENCES ews.mailbox ON DELETE CASCADE,"
                    " peer_id uuid REFERENCES ews.mailbox ON DELETE CASCADE, note text)")
    try:
        q(nodes[h].conn(), "INSERT INTO ews.rt_tie VALUES (%s, %s)", (str(guids[peer]), str(guids[a])))
        e = err(r, "CALL ews_move_mailbox(%s, %s)", (a, nodes[(h + 1) % NODES].name))
        w = q1(r, "SELECT response_code FROM ews_create_folder(%s, 'after a refused move')", (folder_id(r, a, "inbox"),))
        ok(e is not None and e[0] == "55000" and "is tied to other mailboxes of its node: 1 rows of ews.rt_tie.peer_id" in e[1]
           and node_of(r, a) == h and w == "NoError" and q(r, "SELECT * FROM ews_router_reconcile()") == [],
           "a mailbox another mailbox of its node points to (a foreign key to ews.mailbox, as delegates are): "
           "the move is refused, nothing changes", e)
        q(nodes[h].conn(), "DELETE FROM ews.rt_tie")
        q(nodes[h].conn(), "INSERT INTO ews.rt_tie SELECT %s, %s, 'self ' || k FROM generate_series(1, 3) k",
          (str(guids[a]), str(guids[a])))
        q(r, "CALL ews_move_mailbox(%s, %s)", (a, nodes[(h + 1) % NODES].name))
        moved = q(nodes[(h + 1) % NODES].conn(), "SELECT note FROM ews.rt_tie WHERE mailbox_id = %s ORDER BY 1", (str(guids[a]),))
        ok(node_of(r, a) == (h + 1) % NODES and moved == [("self 1",), ("self 2",), ("self 3",)] and
           q1(nodes[h].conn(), "SELECT count(*) FROM ews.rt_tie") == 0,
           "without the tie it moves, and the rows of a table without a primary key go with it", moved)
    finally:
        for n in nodes:
            q(n.conn(), "DROP TABLE IF EXISTS ews.rt_tie")


def test_admin(r, guids):
    n0 = nodes[0].conn()
    q(n0, "CREATE FUNCTION ews_zz_probe(x integer) RETURNS integer LANGUAGE sql AS 'SELECT x'")
    q(n0, "ALTER EXTENSION ews ADD FUNCTION ews_zz_probe(integer)")
    chk = q(r, "SELECT * FROM ews_router_check()")
    ok(("function ews_zz_probe(x integer)", "no routing rule fits its arguments") in chk,
       "ews_router_check: a node function that no routing rule fits is reported", chk)
    for n in nodes:
        c = n.conn()
        q(c, "CREATE FUNCTION ews_zz_where(folder_id text) RETURNS text LANGUAGE sql AS $$ SELECT current_setting('port') $$")
        q(c, "ALTER EXTENSION ews ADD FUNCTION ews_zz_where(text)")
    chk = q(r, "SELECT * FROM ews_router_check()")
    ok(("function ews_zz_where(folder_id text)", "has no twin on the router (run ews_router_sync())") in chk,
       "ews_router_check: a node function without a twin is reported", chk)
    rules = dict(q(r, "SELECT function_name, rule FROM ews_router_sync()"))
    where = [q1(r, "SELECT ews_zz_where(%s)", (folder_id(r, a, "inbox"),)) for a in ADDRS[0:3]]
    ok(rules.get("ews_zz_where") == "id" and where == [str(nodes[node_of(r, a)].port) for a in ADDRS[0:3]],
       "ews_router_sync makes the twin of a new function from its argument names; it runs on the node of its id", where)
    for n in nodes:
        c = n.conn()
        q(c, "ALTER EXTENSION ews DROP FUNCTION ews_zz_where(text)")
        q(c, "DROP FUNCTION ews_zz_where(text)")
    q(n0, "ALTER EXTENSION ews DROP FUNCTION ews_zz_probe(integer)")
    q(n0, "DROP FUNCTION ews_zz_probe(integer)")
    # the acting user of a transaction cannot cross routed calls: its twin refuses
    made_act_as = q1(n0, "SELECT to_regprocedure('ews_act_as(text)') IS NULL")
    if made_act_as:
        for n in nodes:
            c = n.conn()
            q(c, "CREATE FUNCTION ews_act_as(mailbox text) RETURNS void LANGUAGE sql AS 'SELECT'")
            q(c, "ALTER EXTENSION ews ADD FUNCTION ews_act_as(text)")
        q(r, "SELECT ews_router_sync()")
    e = err(r, "SELECT ews_act_as(%s)", (ADDRS[0],))
    ok(e is not None and e[0] == "0A000" and e[1] == "ews_act_as is not available through the router",
       "ews_act_as through the router: refused (0A000), never silently acting for no one", e)
    if made_act_as:
        for n in nodes:
            c = n.conn()
            q(c, "ALTER EXTENSION ews DROP FUNCTION ews_act_as(text)")
            q(c, "DROP FUNCTION ews_act_as(text)")
    q(r, "SELECT ews_router_sync()")
    ok(q(r, "SELECT * FROM ews_router_check()") == [], "after the nodes lose the function and a sync: nothing to report")

    # a mailbox made behind the router's back
    n1 = nodes[1].conn()
    q(n1, "SELECT ews_create_mailbox('behind@example.com')")
    rec = q(r, "SELECT problem, smtp_address, node FROM ews_router_reconcile()")
    ok(rec == [("held by a node, not in the directory", "behind@example.com", "n1")],
       "ews_router_reconcile finds a mailbox a node holds and the directory does not", rec)
    rec = q(r, "SELECT problem FROM ews_router_reconcile(true)")
    ok(rec == [("held by a node, not in the directory (registered)",)] and node_of(r, "behind@example.com") == 1 and
       folder_id(r, "behind@example.com", "inbox") == folder_id(n1, "behind@example.com", "inbox"),
       "with repair it is registered, and routed to its node", rec)

    # drop through the router
    gone = ADDRS[3]
    h = node_of(r, gone)
    q(r, "SELECT ews_drop_mailbox(%s)", (gone,))
    e_r, e_n = err(r, "SELECT ews_folder_id(%s, 'inbox')", (gone,)), err(nodes[h].conn(), "SELECT ews_folder_id(%s, 'inbox')", (gone,))
    ok(node_of(r, gone) is None and q1(nodes[h].conn(), "SELECT count(*) FROM ews.mailbox WHERE smtp_address = %s", (gone,)) == 0 and
       e_r == e_n and e_r[0] == "42704",
       "ews_drop_mailbox through the router: gone from its node and from the directory; asking for it errs as on the node", e_r)
    as_role(r, "ews_rt_stranger")
    try:
        e = err(r, "SELECT ews_drop_mailbox(%s)", (ADDRS[4],))
    finally:
        as_role(r, None)
    ok(e is not None and e[0] == "42704" and node_of(r, ADDRS[4]) is not None,
       "a stranger's ews_drop_mailbox: the node's 42704, and the directory keeps the mailbox", e)


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        r, rules = setup()
        guids = test_spread(r, rules)
        test_sql(r, guids)
        test_batches(r, guids)
        test_access(r, guids)
        test_soap(r, guids)
        test_delegates(r, guids)
        test_move(r, guids)
        test_ties(r, guids)
        test_admin(r, guids)
        validate_all()
    except Exception:
        import traceback
        traceback.print_exc()
        ok(False, "the test ran to its end")
    finally:
        teardown()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
