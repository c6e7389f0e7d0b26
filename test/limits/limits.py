#!/usr/bin/python3
"""Limits: a small request never costs a big server (issue 12).

Every row of the issue's table, and every limit of README "Limits and
settings", as a test that asserts the refusal, the error, the bounded row
count or memory, never a time: the XML pre-scan (elements, attributes,
depth, text) and the cancellable parse; the largest legitimate UploadItems;
ews.max_batch_size on both faces; the response cap (ErrorBatchProcessingStopped,
ErrorMessageSizeExceeded); ews.max_find_count; per-input memory (peak RSS of
the backend, read from /proc); folder depth 300 on create, move, copy and
delete, the heights that make it cheap, and a 0.1 tree deeper than 300 after
the update; FindFolder of a 3 000-deep chain without temporary files; text
XML cannot carry; database encodings; 53xxx/54xxx ending a batch; DeleteFolder
batches over two mailboxes locking in one order.

Run by test/sh/limits.sh inside the test cluster (PGHOST etc. set), as a
superuser.  Every SOAP response is checked with test/tools/ews-validate."""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import psycopg2
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "..", "tools", "ews-validate")
sys.path.insert(0, os.path.join(HERE, "..", "soap"))
import fixtures as fx  # noqa: E402  (blob(), envelope(), ews_id(), upload_req())

DB = "ews_limits"
NS = fx.NS
MB = 1024 * 1024

passed = failed = 0
outdir = tempfile.mkdtemp(prefix="ews_limits.")
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
            print("# " + str(detail)[:1500].replace("\n", "\n# "), flush=True)
    return cond


def connect(db=DB):
    c = psycopg2.connect(dbname=db)
    c.autocommit = True
    return c


def one(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()[0]


def peak_mb(pid):
    """the backend's peak resident set (VmHWM), in MB"""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def measured(sql, args=None, pre=()):
    """sql run in a fresh session (so that its peak RSS is its own): (rows, MB the peak grew by)"""
    c = connect()
    k = c.cursor()
    for p in pre:
        k.execute(p)
    pid = one(k, "SELECT pg_backend_pid()")
    base = peak_mb(pid)
    k.execute(sql, args)
    rows = k.fetchall()
    grown = peak_mb(pid) - base
    c.close()
    return rows, grown


class Resp:
    def __init__(self, name, status, body):
        self.status, self.body = status, body
        try:
            self.doc = etree.fromstring(body.encode())
        except Exception:
            self.doc = None
        fname = os.path.join(outdir, f"{len(responses):03d}-{name}.xml")
        with open(fname, "w") as f:
            f.write(body)
        responses.append(fname)

    def x(self, path):
        return self.doc.xpath(path, namespaces=NS) if self.doc is not None else []

    def codes(self):
        return [c.text for c in self.x("//m:ResponseMessages/*/m:ResponseCode")]

    def classes(self):
        return [m.get("ResponseClass") for m in self.x("//m:ResponseMessages/*")]

    def fault(self):
        c = self.x("/s:Envelope/s:Body/s:Fault/detail/e:ResponseCode")
        return c[0].text if c else None

    def fault_message(self):
        c = self.x("/s:Envelope/s:Body/s:Fault/detail/e:Message")
        return c[0].text if c else ""


def soap(cur, name, req, mailbox="a@example.com"):
    cur.execute("SELECT (r).status, (r).response FROM (SELECT ews_soap(%s, %s) AS r OFFSET 0) s", (req, mailbox))
    status, body = cur.fetchone()
    return Resp(name, status, body)


def envelope(body):
    return fx.envelope(body)


def fid(i):
    return f'<t:FolderId Id="{i}"/>'


def get_folder_req(ids, shape="IdOnly"):
    return envelope(f"<m:GetFolder><m:FolderShape><t:BaseShape>{shape}</t:BaseShape></m:FolderShape>"
                    f"<m:FolderIds>{''.join(fid(i) for i in ids)}</m:FolderIds></m:GetFolder>")


def find_req(parent, view="", traversal="Deep", shape="IdOnly"):
    return envelope(f'<m:FindFolder Traversal="{traversal}"><m:FolderShape><t:BaseShape>{shape}</t:BaseShape>'
                    f'</m:FolderShape>{view}<m:ParentFolderIds>{fid(parent)}</m:ParentFolderIds></m:FindFolder>')


def export_req(ids):
    return envelope("<m:ExportItems><m:ItemIds>" + "".join(f'<t:ItemId Id="{i}"/>' for i in ids) +
                    "</m:ItemIds></m:ExportItems>")


def setup():
    c = connect("postgres")
    k = c.cursor()
    k.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    k.execute(f"CREATE DATABASE {DB}")
    k.execute("DO $$ BEGIN CREATE ROLE ews_limits_user; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    c.close()
    c = connect()
    k = c.cursor()
    k.execute("CREATE EXTENSION ews")
    k.execute("SELECT ews_create_mailbox('a@example.com', 'A')")
    k.execute("SELECT ews_create_mailbox('b@example.com', 'B')")
    c.close()


def ids(cur, mailbox, *names):
    return [one(cur, "SELECT ews_folder_id(%s, %s)", (mailbox, n)) for n in names]


def mk(cur, parent, name):
    cur.execute("SELECT folder_id, response_code, message_text FROM ews_create_folder(%s, %s)", (parent, name))
    return cur.fetchone()


# ---------------------------------------------------------------- XML bounds

def xml_tests():
    c = connect()
    cur = c.cursor()

    attrs = "<t:FolderId " + " ".join(f'a{i}=""' for i in range(100000)) + "/>"
    r = soap(cur, "attrs_100000", get_folder_req([]).replace("<m:FolderIds></m:FolderIds>",
                                                             f"<m:FolderIds>{attrs}</m:FolderIds>"))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and "ews.max_xml_attributes" in r.fault_message(),
       "1 MB: one element with 100 000 attributes: fault naming ews.max_xml_attributes (libxml2 never sees it)",
       r.body[-600:])

    req = envelope("<x>" + "<a/>" * (34 * MB // 4 - 200) + "</x>")
    cur.execute("CREATE TABLE req (k text PRIMARY KEY, r text)")
    cur.execute("INSERT INTO req VALUES ('elements', %s)", (req,))
    rows, grown = measured("SELECT (x).status, (x).response FROM "
                           "(SELECT ews_soap(r, 'a@example.com') x FROM req WHERE k = 'elements' OFFSET 0) s")
    r = Resp("elements_34mib", rows[0][0], rows[0][1])
    ok(len(req) < 35 * MB and r.status == 500 and r.fault() == "ErrorSchemaValidation" and "ews.max_xml_nodes" in r.fault_message(),
       "34 MiB of <a/>: fault naming ews.max_xml_nodes", r.body[-600:])
    ok(0 <= grown < 200, f"... and the backend's peak RSS grew by {grown} MB, not by the 2 GB a DOM of it takes")
    # the other nodes a tree is made of: comments, attributes (64 per element, each under the per-element limit)
    for label, body in (("34 MiB of empty comments", "<x>" + "<!---->" * (34 * MB // 7 - 100) + "</x>"),
                        ("elements of 60 attributes each, 34 MiB",
                         "<x>" + ("<a " + " ".join(f'a{i}=""' for i in range(60)) + "/>") * (34 * MB // 500) + "</x>")):
        req = envelope(body)
        cur.execute("INSERT INTO req VALUES ('other', %s) ON CONFLICT (k) DO UPDATE SET r = EXCLUDED.r", (req,))
        rows, grown = measured("SELECT (x).status, (x).response FROM "
                               "(SELECT ews_soap(r, 'a@example.com') x FROM req WHERE k = 'other' OFFSET 0) s")
        r = Resp("nodes", rows[0][0], rows[0][1])
        ok(len(req) < 35 * MB and r.fault() == "ErrorSchemaValidation" and "ews.max_xml_nodes" in r.fault_message()
           and 0 <= grown < 200, f"{label}: fault naming ews.max_xml_nodes, peak RSS +{grown} MB", r.body[-300:])

    r = soap(cur, "deep_100000", envelope("<a>" * 100000 + "</a>" * 100000))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and "ews.max_xml_depth" in r.fault_message(),
       "100 000 nested elements: fault naming ews.max_xml_depth", r.body[-600:])

    inbox, = ids(cur, "a@example.com", "inbox")
    data = base64.b64encode(fx.blob("text limit", os.urandom(100000))).decode()
    req = fx.upload_req([("CreateNew", inbox, None, data)])
    cur.execute("SET ews.max_xml_text_size = '64kB'")
    r = soap(cur, "text_over", req)
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and "ews.max_xml_text_size" in r.fault_message(),
       "a t:Data of 133 kB under ews.max_xml_text_size = 64kB: fault naming it", r.body[-600:])
    cur.execute("RESET ews.max_xml_text_size")
    r = soap(cur, "text_default", req)
    ok(r.codes() == ["NoError"], "the same request under the default: stored", r.body[-600:])

    r = soap(cur, "attr_value_2mb", get_folder_req(["A" * (2 * MB)]))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and "attribute value" in r.fault_message(),
       "a 2 MB attribute value: fault (attribute values are held to 1 MB)", r.body[-600:])

    # only a superuser may move these limits
    u = connect()
    uc = u.cursor()
    uc.execute("SELECT count(*) FROM ews_list_mailboxes()")    # the library is loaded: its settings exist
    uc.execute("SET ROLE ews_limits_user")
    denied = []
    for guc in ("ews.max_xml_nodes", "ews.max_xml_attributes", "ews.max_xml_depth", "ews.max_xml_text_size",
                "ews.max_batch_size", "ews.max_response_size", "ews.max_find_count", "ews.max_request_size"):
        try:
            uc.execute(f"SET {guc} = 1000000")
        except psycopg2.Error as e:
            denied.append(e.pgcode == "42501")
    ok(denied == [True] * 8, "a role that is not a superuser may not set any of the 8 limits (42501)", denied)
    u.close()
    # before the library is loaded a SET makes a placeholder; loading checks it against the setting's rights
    u = connect()
    uc = u.cursor()
    uc.execute("SET ROLE ews_limits_user")
    uc.execute("SET ews.max_batch_size = 5000")
    uc.execute("RESET ROLE")
    try:
        uc.execute("SELECT count(*) FROM ews_get_folder(array_fill('x'::text, ARRAY[1001]))")
        got = "rows"
    except psycopg2.Error as e:
        got = e.pgcode
    ok(got == "54000", "a value an unprivileged role set before the library was loaded is dropped when it loads "
       "(the batch of 1 001 is still refused)", got)
    u.close()

    # the parse is cancellable: a request within raised limits that libxml2 takes a long time on
    slow = get_folder_req([]).replace(
        "<m:FolderIds></m:FolderIds>",
        "<m:FolderIds>" + "".join('<x:a xmlns:x="u" ' + " ".join(f'a{i}=""' for i in range(9990)) + "/>"
                                  for _ in range(60)) + "</m:FolderIds>")
    cur.execute("SET ews.max_xml_attributes = 10000")
    cur.execute("SET ews.max_xml_nodes = 1000000")
    cur.execute("SET statement_timeout = '500ms'")
    code = None
    try:
        soap(cur, "slow_timeout", slow)
    except psycopg2.Error as e:
        code = e.pgcode
    cur.execute("RESET statement_timeout")
    ok(code == "57014", "a parse libxml2 needs tens of seconds for (60 elements of 9 990 attributes, limits raised): "
       "statement_timeout = 500ms cancels it (57014)", code)
    ok(one(cur, "SELECT 1") == 1, "... and the session goes on")

    # pg_cancel_backend, from another session, while the parse runs
    result = {}

    def run_slow():
        c2 = connect()
        k2 = c2.cursor()
        k2.execute("SET ews.max_xml_attributes = 10000")
        k2.execute("SET ews.max_xml_nodes = 1000000")
        k2.execute("SET application_name = 'ews_limits_slow'")
        try:
            soap(k2, "slow_cancel", slow)
            result["code"] = "finished"
        except psycopg2.Error as e:
            result["code"] = e.pgcode
        c2.close()
    t = threading.Thread(target=run_slow)
    t.start()
    cancelled = False
    for _ in range(200):
        time.sleep(0.05)
        cur.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'ews_limits_slow' AND state = 'active' AND query LIKE '%ews_soap%'")
        if cur.fetchall():
            cancelled = True
            break
    t.join()
    ok(cancelled and result.get("code") == "57014", "pg_cancel_backend stops the parse too (57014)", result)
    cur.execute("RESET ews.max_xml_attributes")
    cur.execute("RESET ews.max_xml_nodes")

    # the largest legitimate requests
    size = 25 * MB - 100
    payload = os.urandom(size)
    item = fx.blob("largest", payload)
    data = base64.b64encode(item).decode()
    req = fx.upload_req([("CreateNew", inbox, None, data)])
    r = soap(cur, "upload_25mb", req)
    ok(len(req) < 35 * MB and r.codes() == ["NoError"],
       f"UploadItems of one item of {len(item) // 1024} kB ({len(data) // MB} MB of base64, a request of "
       f"{len(req) // MB} MB, under ews.max_request_size and ews.max_item_size): NoError", r.body[-600:])
    new_id = r.x("//m:ItemId/@Id")
    if new_id:
        # the body (0x7E01) is the blob's last property: it ends 4 bytes (the CRC) before the end
        cur.execute("SELECT length(data), md5(substring(data FROM length(data) - 4 - %s + 1 FOR %s)) "
                    "FROM ews_export_items(ARRAY[%s])", (size, size, new_id[0]))
        length, digest = cur.fetchone()
        import hashlib
        ok(length == len(item) + 32 and digest == hashlib.md5(payload).hexdigest(),
           "... stored whole: the blob plus the store's two properties (32 bytes), its 25 MB unchanged",
           (length, len(item)))
    items = [base64.b64encode(fx.blob(f"eight {i}", os.urandom(8 * MB))).decode() for i in range(3)]
    req = fx.upload_req([("CreateNew", inbox, None, d) for d in items])
    r = soap(cur, "upload_3x8mb", req)
    ok(len(req) < 35 * MB and r.codes() == ["NoError"] * 3,
       f"UploadItems of three items of 8 MB (each over the old 7.5 MB text-node limit; {len(req) // MB} MB): NoError x 3",
       r.body[-600:])

    # libxml2 is told the bytes are UTF-8, whatever the declaration says
    req = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + envelope(
        f'<m:CreateFolder><m:ParentFolderId>{fid(inbox)}</m:ParentFolderId><m:Folders><t:Folder>'
        '<t:DisplayName>Café 日本</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>')[38:])
    r = soap(cur, "declared_latin1", req)
    made = r.x("//t:FolderId/@Id")
    name = one(cur, "SELECT display_name FROM ews_get_folder(ARRAY[%s])", (made[0],)) if made else None
    ok(name == "Café 日本", "an XML declaration saying ISO-8859-1 does not change how the (UTF-8) request is read", name)
    c.close()


# ------------------------------------------------------------------ batches

def batch_tests():
    c = connect()
    cur = c.cursor()
    inbox, junk = ids(cur, "a@example.com", "inbox", "junkemail")
    f = mk(cur, inbox, "Batch target")[0]
    before = one(cur, "SELECT md5(string_agg(f::text, ',' ORDER BY folder_id)) FROM ews.folder f")

    calls = [
        ("ews_get_folder", "SELECT count(*) FROM ews_get_folder(array_fill(%s::text, ARRAY[1001]))", (f,)),
        ("ews_delete_folder", "SELECT count(*) FROM ews_delete_folder(array_fill(%s::text, ARRAY[1001]))", (f,)),
        ("ews_move_folder", "SELECT count(*) FROM ews_move_folder(%s, array_fill(%s::text, ARRAY[1001]))", (junk, f)),
        ("ews_copy_folder", "SELECT count(*) FROM ews_copy_folder(%s, array_fill(%s::text, ARRAY[1001]))", (junk, f)),
        ("ews_export_items", "SELECT count(*) FROM ews_export_items(array_fill(%s::text, ARRAY[1001]))", (f,)),
        ("ews_upload_items", "SELECT count(*) FROM ews_upload_items(array_fill(%s::text, ARRAY[1001]), "
         "array_fill('\\x00'::bytea, ARRAY[1001]))", (f,)),
    ]
    for name, sql, args in calls:
        try:
            cur.execute(sql, args)
            got = ("rows", cur.fetchone())
        except psycopg2.Error as e:
            got = (e.pgcode, e.pgerror)
        ok(got[0] == "54000" and "ews.max_batch_size (1000)" in got[1],
           f"{name} of 1 001 inputs: ERROR 54000 naming ews.max_batch_size", got)
    cur.execute("SELECT count(*) FROM ews_get_folder(array_fill(%s::text, ARRAY[1000]))", (f,))
    ok(cur.fetchone()[0] == 1000, "ews_get_folder of 1 000 inputs (the limit): 1 000 rows")

    r = soap(cur, "get_1001", get_folder_req([f] * 1001))
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest" and "ews.max_batch_size" in r.fault_message(),
       "SOAP GetFolder of 1 001 ids: fault ErrorInvalidRequest naming ews.max_batch_size", r.body[-500:])
    r = soap(cur, "delete_1001", envelope('<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>' +
                                          fid(f) * 1001 + "</m:FolderIds></m:DeleteFolder>"))
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest", "SOAP DeleteFolder of 1 001 ids: fault", r.body[-500:])
    r = soap(cur, "export_1001", export_req([f] * 1001))
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest", "SOAP ExportItems of 1 001 ids: fault", r.body[-500:])
    after = one(cur, "SELECT md5(string_agg(f::text, ',' ORDER BY folder_id)) FROM ews.folder f")
    ok(after == before, "... and the refused batches changed nothing")

    # per-input memory: 200 000 ids, the limit raised
    rows, grown = measured("SELECT count(*) FROM ews_get_folder(array_fill(%s::text, ARRAY[200000]))", (f,),
                           pre=("SET ews.max_batch_size = 200000",))
    ok(rows[0][0] == 200000 and 0 <= grown < 120,
       f"ews_get_folder of 200 000 ids (the limit raised): 200 000 rows, peak RSS +{grown} MB "
       "(one input's work at a time; +248 MB before)")

    # ExportItems sized from the stored sizes
    big = fx.blob("seven", os.urandom(7 * MB))
    item = one(cur, "SELECT item_id FROM ews_upload_items(ARRAY[%s], ARRAY[%s::bytea])", (inbox, psycopg2.Binary(big)))
    guid = one(cur, "SELECT mailbox_id::text FROM ews.mailbox WHERE smtp_address = 'a@example.com'")
    missing = [fx.ews_id(guid, 2, 900000000 + i) for i in range(50)]
    req = export_req([item] + missing)
    rows, grown = measured("SELECT (r).status, (r).response FROM (SELECT ews_soap(%s, 'a@example.com') AS r OFFSET 0) s",
                           (req,))
    r = Resp("export_7mb_50_missing", rows[0][0], rows[0][1])
    ok(r.codes() == ["NoError"] + ["ErrorItemNotFound"] * 50,
       f"ExportItems ({len(req) // 1024} kB) of a 7 MB item and 50 missing ids: NoError, then ErrorItemNotFound x 50")
    ok(0 <= grown < 100, f"... peak RSS +{grown} MB: the response sized from the stored sizes, not extrapolated "
       "from the first item (530 MB reserved before)")

    # the response cap: ErrorBatchProcessingStopped for what does not fit
    small = fx.blob("three hundred", os.urandom(300 * 1024))
    sid = one(cur, "SELECT item_id FROM ews_upload_items(ARRAY[%s], ARRAY[%s::bytea])", (inbox, psycopg2.Binary(small)))
    cur.execute("SET ews.max_response_size = '1MB'")
    r = soap(cur, "export_cap", export_req([sid] * 10))
    classes = r.classes()
    k = classes.count("Success")
    ok(r.status == 200 and 1 <= k < 10 and classes == ["Success"] * k + ["Warning"] * (10 - k) and
       r.codes()[k:] == ["ErrorBatchProcessingStopped"] * (10 - k),
       f"ExportItems of one 300 kB item 10 times under ews.max_response_size = 1MB: {k} exported, "
       "the rest Warning ErrorBatchProcessingStopped", classes)
    ok(len(r.body.encode()) <= MB, f"... and the response ({len(r.body.encode())} bytes) is within the cap")
    large = fx.blob("too large", os.urandom(MB + 200 * 1024))
    lid = one(cur, "SELECT item_id FROM ews_upload_items(ARRAY[%s], ARRAY[%s::bytea])", (inbox, psycopg2.Binary(large)))
    r = soap(cur, "export_never_fits", export_req([lid, sid]))
    ok(r.codes() == ["ErrorMessageSizeExceeded", "NoError"],
       "an item whose answer alone exceeds the cap: ErrorMessageSizeExceeded, and the batch goes on", r.codes())
    long_name = mk(cur, inbox, "L" * 1000)[0]
    r = soap(cur, "get_cap", get_folder_req([long_name] * 1000, "Default"))
    classes = r.classes()
    k = classes.count("Success")
    ok(r.status == 200 and 1 <= k < 1000 and classes == ["Success"] * k + ["Warning"] * (1000 - k) and
       len(r.body.encode()) <= MB,
       f"GetFolder of a folder with a 1 000-byte name 1 000 times under a 1 MB cap: {k} answered, then "
       "ErrorBatchProcessingStopped, within the cap", (k, len(r.body.encode())))
    cur.execute("RESET ews.max_response_size")

    # ews.max_find_count (Exchange's EWSFindCountLimit)
    root, = ids(cur, "a@example.com", "root")
    cur.execute("SELECT folder_id FROM ews_find_folder(%s, 'Deep')", (root,))
    order = [x[0] for x in cur.fetchall()]
    cur.execute("SET ews.max_find_count = 10")
    r = soap(cur, "find_count", find_req(root))
    ok(r.codes() == ["ErrorExceededFindCountLimit"] and "ews.max_find_count" in r.x("string(//m:MessageText)"),
       f"FindFolder Deep of {len(order)} folders without a view under ews.max_find_count = 10: "
       "ErrorExceededFindCountLimit", r.body[-500:])
    pages, offset, guard = [], 0, 0
    while guard < 100:
        guard += 1
        r = soap(cur, "find_page", find_req(root, f'<m:IndexedPageFolderView MaxEntriesReturned="50" '
                                                  f'Offset="{offset}" BasePoint="Beginning"/>'))
        got = r.x("//t:Folders/*/t:FolderId/@Id")
        pages.append(len(got))
        order_part = got
        if not order_part:
            break
        offset = int(r.x("//m:RootFolder/@IndexedPagingOffset")[0])
        if r.x("//m:RootFolder/@IncludesLastItemInRange") == ["true"]:
            break
    ok(max(pages) == 10 and sum(pages) == len(order),
       f"... with MaxEntriesReturned 50 each page is cut to 10 and paging on reaches all {len(order)}", pages)
    cur.execute("RESET ews.max_find_count")
    got = []
    offset = 0
    while True:
        r = soap(cur, "find_page3", find_req(root, f'<m:IndexedPageFolderView MaxEntriesReturned="3" '
                                                   f'Offset="{offset}" BasePoint="Beginning"/>'))
        got += r.x("//t:Folders/*/t:FolderId/@Id")
        offset = int(r.x("//m:RootFolder/@IndexedPagingOffset")[0])
        if r.x("//m:RootFolder/@IncludesLastItemInRange") == ["true"] or len(got) > len(order):
            break
    ok(got == order, "FindFolder Deep in pages of 3 gives exactly ews_find_folder's pre-order", (len(got), len(order)))
    c.close()


# -------------------------------------------------------------------- depth

HEIGHTS_OK = """
SELECT count(*) FROM ews.folder f
 WHERE f.height <> COALESCE((SELECT max(c.height) + 1 FROM ews.folder c
                              WHERE c.mailbox_id = f.mailbox_id AND c.parent_id = f.folder_id), 0)"""
MAX_DEPTH = """
WITH RECURSIVE d(mailbox_id, folder_id, n) AS (
  SELECT mailbox_id, folder_id, 0 FROM ews.folder WHERE parent_id IS NULL
  UNION ALL SELECT f.mailbox_id, f.folder_id, d.n + 1 FROM d JOIN ews.folder f
    ON f.mailbox_id = d.mailbox_id AND f.parent_id = d.folder_id)
SELECT max(n) FROM d"""


def chain(cur, parent, n, prefix):
    """up to n nested folders under parent, through ews_create_folder (each its own transaction); their ids, top first"""
    made = []
    for i in range(1, n + 1):
        fid_, code, _ = mk(cur, parent, f"{prefix}{i}")
        if code != "NoError":
            break
        made.append(fid_)
        parent = fid_
    return made


def depth_tests():
    c = connect()
    cur = c.cursor()
    inbox, junk, root = ids(cur, "a@example.com", "inbox", "junkemail", "root")
    deep = chain(cur, inbox, 298, "D")
    ok(len(deep) == 298, "298 nested folders under the inbox (depth 2): the deepest is at depth 300", len(deep))
    fid_, code, text = mk(cur, deep[-1], "too deep")
    ok(fid_ is None and code == "ErrorInternalServerError" and "300" in (text or ""),
       "a folder at depth 301: ErrorInternalServerError (Exchange's answer to its depth quota), text says 300",
       (code, text))
    r = soap(cur, "create_too_deep", envelope(
        f'<m:CreateFolder><m:ParentFolderId>{fid(deep[-1])}</m:ParentFolderId><m:Folders><t:Folder>'
        '<t:DisplayName>too deep</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>'))
    ok(r.status == 200 and r.codes() == ["ErrorInternalServerError"] and r.classes() == ["Error"],
       "... and through SOAP: an Error message, HTTP 200", r.body[-500:])

    # a subtree of height 2 fits under depth 297, not under 298
    top = mk(cur, junk, "Sub")[0]
    mid = mk(cur, top, "Mid")[0]
    mk(cur, mid, "Leaf")
    cur.execute("SELECT response_code, message_text FROM ews_move_folder(%s, ARRAY[%s])", (deep[-3], top))
    got = cur.fetchone()
    ok(got[0] == "ErrorInternalServerError" and "300" in got[1],
       "moving a subtree of height 2 under a folder at depth 298: refused (it would reach 301)", got)
    cur.execute("SELECT response_code FROM ews_copy_folder(%s, ARRAY[%s])", (deep[-3], top))
    ok(cur.fetchone()[0] == "ErrorInternalServerError", "... so is copying it there")
    cur.execute("SELECT response_code FROM ews_move_folder(%s, ARRAY[%s])", (deep[-4], top))
    ok(cur.fetchone()[0] == "NoError", "moving it under depth 297 (reaching exactly 300): NoError")
    cur.execute("SELECT response_code FROM ews_copy_folder(%s, ARRAY[%s])", (deep[-5], top))
    ok(cur.fetchone()[0] == "NoError", "copying it under depth 296: NoError")
    cur.execute("SELECT response_code FROM ews_move_folder(%s, ARRAY[%s])", (junk, top))
    ok(cur.fetchone()[0] == "NoError", "and back to junkemail: NoError")

    # a chain under root (depth 1) of height 298: SoftDelete into recoverableitemsdeletions (depth 2) would reach 301
    rchain = chain(cur, root, 299, "R")
    cur.execute("SELECT response_code, message_text FROM ews_delete_folder(ARRAY[%s], 'SoftDelete')", (rchain[0],))
    got = cur.fetchone()
    ok(len(rchain) == 299 and got[0] == "ErrorInternalServerError",
       "SoftDelete of a subtree of height 298 into recoverableitemsdeletions (it would reach 301): refused", got)
    cur.execute("SELECT response_code FROM ews_delete_folder(ARRAY[%s], 'HardDelete')", (rchain[0],))
    ok(cur.fetchone()[0] == "NoError", "HardDelete of it: NoError")

    # random hierarchy changes, then every height is exact and no folder deeper than 300
    import random
    rnd = random.Random(5)
    pool = deep[-12:]
    for i in range(40):
        fid_ = mk(cur, rnd.choice(pool + [inbox]), f"X{i}")[0]
        if fid_:
            pool.append(fid_)
    for i in range(200):
        t, src = rnd.choice(pool), rnd.choice(pool)
        x = rnd.random()
        if x < 0.6:
            cur.execute("SELECT * FROM ews_move_folder(%s, ARRAY[%s])", (t, src))
        elif x < 0.8:
            cur.execute("SELECT folder_id FROM ews_copy_folder(%s, ARRAY[%s])", (t, src))
            got = cur.fetchone()[0]
            if got:
                pool.append(got)
        elif x < 0.9:
            cur.execute("SELECT * FROM ews_delete_folder(ARRAY[%s], 'SoftDelete')", (src,))
        else:
            cur.execute("SELECT * FROM ews_delete_folder(ARRAY[%s], 'HardDelete')", (src,))
    ok(one(cur, HEIGHTS_OK) == 0, "after 200 random moves, copies and deletes near depth 300, every folder's "
       "height is exact")
    ok(one(cur, MAX_DEPTH) <= 300, f"... and no folder is deeper than 300 ({one(cur, MAX_DEPTH)})")
    c.close()


def legacy_tests():
    """0.1 allowed any depth: a 3 000-deep chain made under 0.1, then ALTER EXTENSION UPDATE"""
    db = DB + "_legacy"
    c = connect("postgres")
    k = c.cursor()
    k.execute(f"DROP DATABASE IF EXISTS {db}")
    k.execute(f"CREATE DATABASE {db}")
    c.close()
    c = connect(db)
    cur = c.cursor()
    cur.execute("CREATE EXTENSION ews VERSION '0.1'")
    # (the 0.2 library refuses to work on a 0.1 schema, so the 0.1 data is written as 0.1 stored it)
    mb = str(uuid.uuid4())
    cur.execute("""
      INSERT INTO ews.mailbox (mailbox_id, smtp_address, display_name, owner_role)
      VALUES (%s, 'legacy@example.com', 'Legacy', 'postgres');
      INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, distinguished, change_number) VALUES
        (%s, 1, NULL, 'Root', 'root', nextval('ews.change_seq')),
        (%s, 2, 1, 'Top of Information Store', 'msgfolderroot', nextval('ews.change_seq')),
        (%s, 3, 2, 'Inbox', 'inbox', nextval('ews.change_seq'))""", (mb, mb, mb, mb))
    cur.execute("SELECT setval('ews.local_id_seq', 30000000)")
    inbox_local = 3
    # a chain of 3 000 under the inbox and a bushy tree of 1 000, as 0.1 data (set-based)
    cur.execute("""
      INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, change_number)
      SELECT %s, 10000000 + g, CASE WHEN g = 1 THEN %s ELSE 10000000 + g - 1 END, 'C' || g,
             nextval('ews.change_seq') FROM generate_series(1, 3000) g;
      INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, change_number)
      SELECT %s, 20000000 + g, CASE WHEN g <= 10 THEN %s ELSE 20000000 + (g - 1) / 10 END, 'B' || g,
             nextval('ews.change_seq') FROM generate_series(1, 1000) g""", (mb, inbox_local, mb, inbox_local))
    cur.execute("ALTER EXTENSION ews UPDATE")
    ok(one(cur, HEIGHTS_OK) == 0, "ALTER EXTENSION UPDATE computes every existing folder's height "
       "(a 3 000-deep chain, a bushy tree, the default folders)")
    ok(one(cur, "SELECT height FROM ews.folder WHERE folder_id = 10000001") == 2999,
       "... the chain's top is 2 999 high")
    top = one(cur, "SELECT folder_id FROM ews_find_folder(ews_folder_id('legacy@example.com', 'inbox')) "
                   "WHERE display_name = 'C1'")
    # reads keep working, and FindFolder Deep of the chain needs no temporary files
    cur.execute("SET temp_file_limit = '1MB'")
    cur.execute("SELECT display_name FROM ews_find_folder(%s, 'Deep')", (top,))
    names = [x[0] for x in cur.fetchall()]
    ok(names == [f"C{g}" for g in range(2, 3001)],
       "ews_find_folder Deep of the 3 000-deep chain under temp_file_limit = 1MB: 2 999 rows, in pre-order "
       "(116 s and 19 GB of temporary files before)", names[:3])
    cur.execute("RESET temp_file_limit")
    r = soap(cur, "legacy_find", find_req(top, '<m:IndexedPageFolderView MaxEntriesReturned="100" Offset="2000" '
                                               'BasePoint="Beginning"/>'), mailbox="legacy@example.com")
    ok(r.x("//m:RootFolder/@TotalItemsInView") == ["2999"] and len(r.x("//t:Folders/*")) == 100,
       "SOAP FindFolder Deep of it, page of 100 at offset 2 000: 100 folders of 2 999", r.body[-300:])
    deepest = one(cur, "SELECT folder_id FROM ews_find_folder(%s, 'Deep') WHERE display_name = 'C3000'", (top,))
    fid_, code, _ = mk(cur, deepest, "deeper still")
    ok(code == "ErrorInternalServerError", "growing it is refused: a folder under its deepest", code)
    cur.execute("SELECT response_code FROM ews_delete_folder(ARRAY[%s], 'HardDelete')", (top,))
    ok(cur.fetchone()[0] == "NoError" and one(cur, HEIGHTS_OK) == 0, "deleting it works, heights stay exact")
    c.close()
    c = connect("postgres")
    c.cursor().execute(f"DROP DATABASE IF EXISTS {db}")
    c.close()


# --------------------------------------------------------------------- text

def text_tests():
    c = connect()
    cur = c.cursor()
    inbox, = ids(cur, "a@example.com", "inbox")
    before = one(cur, "SELECT count(*) FROM ews.folder")
    for label, name, cls in (("U+FFFF", "bad \uffff name", None), ("U+FFFE", "bad \ufffe", None),
                             ("U+0001", "bad \x01 name", None), ("U+001F in the class", "fine", "IPF.\x1f")):
        cur.execute("SELECT response_code, message_text FROM ews_create_folder(%s, %s, %s)", (inbox, name, cls))
        code, text = cur.fetchone()
        ok(code == "ErrorFolderSavePropertyError" and "XML 1.0" in text,
           f"ews_create_folder with {label}: ErrorFolderSavePropertyError, the text says why", (code, text))
    ok(one(cur, "SELECT count(*) FROM ews.folder") == before, "... nothing created")

    # text stored before 0.2 (or behind the functions' back): the writer never emits what XML forbids
    bad = mk(cur, inbox, "legacy")[0]
    cur.execute("UPDATE ews.folder SET display_name = 'a' || chr(1) || 'b' || chr(65535) || 'c' || chr(65534) "
                "WHERE folder_id = (SELECT folder_id FROM ews.folder WHERE display_name = 'legacy')")
    r = soap(cur, "legacy_name", get_folder_req([bad], "Default"))
    ok(r.doc is not None and r.x("//t:DisplayName/text()") == ["a\ufffdb\ufffdc\ufffd"],
       "a stored name with U+0001, U+FFFF and U+FFFE: GetFolder writes U+FFFD for each, the response is well-formed",
       r.body[-400:])
    r = soap(cur, "legacy_find", find_req(inbox, traversal="Shallow", shape="Default"))
    ok(r.doc is not None and r.codes() == ["NoError"], "... and FindFolder of its parent answers", r.body[-300:])
    r = soap(cur, "soap_ffff", envelope(
        f'<m:CreateFolder><m:ParentFolderId>{fid(inbox)}</m:ParentFolderId><m:Folders><t:Folder>'
        '<t:DisplayName>x&#xFFFF;</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>'))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "U+FFFF in a SOAP request: not XML, a fault",
       r.body[-300:])
    c.close()


def encoding_tests():
    c = connect("postgres")
    k = c.cursor()
    for enc in ("UTF8", "SQL_ASCII", "LATIN1", "EUC_JP"):
        db = f"ews_limits_{enc.lower()}"
        k.execute(f"DROP DATABASE IF EXISTS {db}")
        k.execute(f"CREATE DATABASE {db} ENCODING '{enc}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        d = connect(db)
        cur = d.cursor()
        # in a SQL_ASCII database no conversion happens: the UTF-8 the client sends is stored as it is
        d.set_client_encoding("UTF8")
        if enc in ("UTF8", "SQL_ASCII"):
            cur.execute("CREATE EXTENSION ews")
            cur.execute("SELECT ews_create_mailbox('e@example.com')")
            inbox = one(cur, "SELECT ews_folder_id('e@example.com', 'inbox')")
            name = "Café Résumé 日本語"
            created = mk(cur, inbox, name)
            r = soap(cur, f"enc_{enc}", get_folder_req([created[0]], "Default"), mailbox="e@example.com")
            back = r.x("//t:DisplayName/text()")
            ok(created[1] == "NoError" and back == [name],
               f"{enc} database: a folder named {name!r} through SQL comes back unchanged through SOAP", (created, back))
            r = soap(cur, f"enc_{enc}_create", envelope(
                f'<m:CreateFolder><m:ParentFolderId>{fid(inbox)}</m:ParentFolderId><m:Folders><t:Folder>'
                f'<t:DisplayName>Ünïcödé 中文</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>'),
                mailbox="e@example.com")
            made = r.x("//t:FolderId/@Id")
            stored = one(cur, "SELECT convert_to(display_name, 'UTF8') FROM ews_get_folder(ARRAY[%s])",
                         (made[0] if made else None,)) if made else None
            ok(stored is not None and bytes(stored) == "Ünïcödé 中文".encode(),
               f"{enc} database: a folder created through SOAP is stored as its UTF-8 bytes", stored)
            if enc == "SQL_ASCII":
                cur.execute("SELECT response_code FROM ews_create_folder(%s, convert_from('\\x636166e9', 'SQL_ASCII'))",
                            (inbox,))
                ok(cur.fetchone()[0] == "ErrorFolderSavePropertyError",
                   "SQL_ASCII database: a name that is not UTF-8 (a Latin-1 é) is refused")
        else:
            errs = []
            for sql in ("CREATE EXTENSION ews", "CREATE EXTENSION ews VERSION '0.1'",
                        "SELECT ews_create_mailbox('e@example.com')",
                        "SELECT status FROM ews_soap('<x/>')", "ALTER EXTENSION ews UPDATE"):
                try:
                    cur.execute(sql)
                    errs.append((sql, "ok"))
                except psycopg2.Error as e:
                    errs.append((sql, e.pgcode, (e.pgerror or "").splitlines()[0]))
            want_msg = f'the ews extension does not support database encoding "{enc}"'
            ok(errs[0][1] == "0A000" and want_msg in errs[0][2],
               f"{enc} database: CREATE EXTENSION ews fails (0A000) saying the encoding is not supported", errs[0])
            ok(errs[1][1] == "ok", f"{enc} database: (0.1, which did not check, installs)", errs[1])
            ok(all(e[1] == "0A000" and want_msg in e[2] for e in errs[2:]),
               f"{enc} database with 0.1 installed: every function call and ALTER EXTENSION UPDATE fail the same way",
               errs[2:])
        d.close()
        k.execute(f"DROP DATABASE IF EXISTS {db}")
    c.close()


# ----------------------------------------------------------- batch errors

def batch_error_tests():
    c = connect()
    cur = c.cursor()
    inbox, junk = ids(cur, "a@example.com", "inbox", "junkemail")
    a = mk(cur, inbox, "Err A")[0]
    b = mk(cur, inbox, "Err B")[0]
    cur.execute("""
      CREATE FUNCTION pg_temp.fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.display_name = 'Err A' AND NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
          RAISE EXCEPTION 'simulated' USING ERRCODE = current_setting('ews_test.code');
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail BEFORE UPDATE ON ews.folder FOR EACH ROW EXECUTE FUNCTION pg_temp.fail()""")
    for code, what in (("53200", "out of memory"), ("53100", "disk full"), ("54001", "stack depth"),
                       ("54000", "program limit")):
        cur.execute("SELECT set_config('ews_test.code', %s, false)", (code,))
        try:
            cur.execute("SELECT response_code FROM ews_move_folder(%s, ARRAY[%s, %s])", (junk, a, b))
            got = [x[0] for x in cur.fetchall()]
        except psycopg2.Error as e:
            got = e.pgcode
        ok(got == code, f"a {code} ({what}) in the first source of a MoveFolder batch ends the batch with it, "
           "not an ErrorInternalServerError row", got)
    parent_b = one(cur, "SELECT parent_folder_id FROM ews_get_folder(ARRAY[%s])", (b,))
    ok(parent_b == inbox, "... and the second source was not moved")
    cur.execute("SELECT set_config('ews_test.code', 'P0001', false)")
    cur.execute("SELECT response_code FROM ews_move_folder(%s, ARRAY[%s, %s])", (junk, a, b))
    ok([x[0] for x in cur.fetchall()] == ["ErrorInternalServerError", "NoError"],
       "an ordinary error (P0001) stays that source's row; the next source moves")
    cur.execute("DROP TRIGGER fail ON ews.folder")
    c.close()

    # DeleteFolder batches over two mailboxes take the hierarchy locks in one order (by mailbox id)
    c1, c2, cw = connect(), connect(), connect()
    k1, k2, kw = c1.cursor(), c2.cursor(), cw.cursor()
    lo, hi = sorted(("a@example.com", "b@example.com"),
                    key=lambda m: uuid.UUID(one(k1, "SELECT mailbox_id::text FROM ews.mailbox WHERE smtp_address = %s",
                                                (m,))).bytes)
    il, = ids(k1, lo, "inbox")
    ih, = ids(k1, hi, "inbox")
    l1, l2 = mk(k1, il, "Del L1")[0], mk(k1, il, "Del L2")[0]
    h1, h2 = mk(k1, ih, "Del H1")[0], mk(k1, ih, "Del H2")[0]
    k1.execute("BEGIN")
    k1.execute("SELECT response_code FROM ews_delete_folder(ARRAY[%s])", (l1,))
    result = {}

    def second():
        try:
            k2.execute("BEGIN")
            k2.execute("SELECT string_agg(response_code, ',') FROM ews_delete_folder(ARRAY[%s, %s])", (h2, l2))
            result["codes"] = k2.fetchone()[0]
            k2.execute("COMMIT")
        except psycopg2.Error as e:
            result["codes"] = e.pgcode
            k2.execute("ROLLBACK")
    t = threading.Thread(target=second)
    t.start()
    waited = False
    for _ in range(200):
        time.sleep(0.05)
        kw.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE '%%ews_delete_folder%%'")
        if kw.fetchone()[0] > 0:
            waited = True
            break
    try:
        k1.execute("SELECT string_agg(response_code, ',') FROM ews_delete_folder(ARRAY[%s])", (h1,))
        first = k1.fetchone()[0]
        k1.execute("COMMIT")
    except psycopg2.Error as e:
        first = e.pgcode
        k1.execute("ROLLBACK")
    t.join()
    ok(waited and first == "NoError" and result.get("codes") == "NoError,NoError",
       "session 1 deletes in the lower mailbox; session 2 a batch naming the higher, then the lower (it waits, "
       "holding nothing: it locks the lower first); session 1 then deletes in the higher: no deadlock (40P01), "
       "all four deleted", (waited, first, result))
    c1.close()
    c2.close()
    cw.close()


def validate_all():
    r = subprocess.run([VALIDATE] + responses, capture_output=True, text=True)
    lines = r.stdout.splitlines()
    bad = [line for line in lines if not line.endswith(": ok")]
    ok(len(lines) == len(responses) and not bad,
       f"ews-validate: all {len(responses)} responses validate", "\n".join(bad) or r.stderr)


def main():
    setup()
    try:
        for t in (xml_tests, batch_tests, depth_tests, legacy_tests, text_tests, encoding_tests,
                  batch_error_tests):
            t()
        validate_all()
    finally:
        c = connect("postgres")
        c.cursor().execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.cursor().execute("DROP ROLE IF EXISTS ews_limits_user")
        c.close()
        if failed == 0:
            shutil.rmtree(outdir, ignore_errors=True)
        else:
            print(f"# responses kept in {outdir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
