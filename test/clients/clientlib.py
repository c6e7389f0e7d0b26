"""clientlib: what the real-client tests share (DavMail, exchangelib; the
JavaScript test has its twin of the TAP part in ejs/tap.js).

- Tap: TAP lines, and the closing "N passed, M failed[, K expected failures
  (...)][, U unexpectedly passed (...)]" line.  A check names the server
  operations it needs; a check that needs one listed in
  test/clients/missing-operations is an expected failure ("# TODO"), counted
  and named, and the run still passes; when it passes anyway it is reported
  as "unexpectedly passed", so the line can be deleted from that file.
- Store: the truth a client's view is compared with, read as the superuser
  through the SQL functions (ews_find_folder, ews_export_items) and, to list a
  folder's items, the ews.item table (there is no SQL FindItem yet).
- Blob: a reader of the item blob (DESIGN.md, format 1 with the named-property
  table), ids: the EWS id layout (DESIGN.md "Ids and change keys").
- Trace: the front's --trace directory: marks, the operations sent since a
  mark, and ews-validate over every response.
"""
import base64
import os
import struct
import subprocess
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
MISSING_FILE = os.path.join(HERE, "missing-operations")
VALIDATE = os.path.join(ROOT, "test", "tools", "ews-validate")


def read_missing(path=None):
    """The names in test/clients/missing-operations (one per line, '#' comments).
    EWS_MISSING_OPERATIONS names another file (/dev/null: every check strict)."""
    path = path or os.environ.get("EWS_MISSING_OPERATIONS") or MISSING_FILE
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return set(names)


class Tap:
    def __init__(self, missing=None):
        self.missing = read_missing() if missing is None else set(missing)
        self.n = self.passed = self.failed = 0
        self.xfail = {}   # marker -> count
        self.xpass = {}   # marker -> list of check names
        self.xfail_total = self.xpass_total = 0
        self.alone = {}   # marker -> [passed, failed] of the checks it alone marks

    def check(self, cond, what, detail="", needs=()):
        """One check.  needs: the operations (or features) it uses, as named
        in missing-operations; only the listed ones matter."""
        self.n += 1
        marked = sorted(set(needs) & self.missing)
        if marked:
            if len(marked) == 1:
                self.alone.setdefault(marked[0], [0, 0])[0 if cond else 1] += 1
            todo = " # TODO needs " + ", ".join(marked)
            if cond:
                self.xpass_total += 1
                for m in marked:
                    self.xpass.setdefault(m, []).append(what)
                print(f"ok {self.n} - {what}{todo} (unexpectedly passed)", flush=True)
            else:
                self.xfail_total += 1
                for m in marked:
                    self.xfail[m] = self.xfail.get(m, 0) + 1
                print(f"not ok {self.n} - {what}{todo}", flush=True)
            return bool(cond)
        if cond:
            self.passed += 1
            print(f"ok {self.n} - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {what}", flush=True)
            if detail != "":
                print("#   " + str(detail)[:3000].replace("\n", "\n#   "), flush=True)
        return bool(cond)

    def step(self, what, fn, needs=()):
        """Run fn and return its value, or None when it raised.  A step is not a
        check (so the number of checks is the same whatever fails): the check
        that follows looks at the value.  The error is printed as a comment,
        unless the step needs something missing-operations lists."""
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - every failure shows in a check
            if not set(needs) & self.missing:
                text = "".join(traceback.format_exception_only(type(e), e)).strip()
                print(f"# {what}: " + text[:2000].replace("\n", "\n#   "), flush=True)
            return None

    def guard(self, what, fn, needs=()):
        """A check whose body is fn() -> (cond, detail); an exception fails it."""
        try:
            cond, detail = fn()
        except Exception as e:  # noqa: BLE001
            cond, detail = False, "".join(traceback.format_exception_only(type(e), e)).strip()
        return self.check(cond, what, detail, needs=needs)

    def summary(self):
        parts = [f"{self.passed} passed", f"{self.failed} failed"]
        if self.xfail_total:
            names = ", ".join(f"{k}: {v}" for k, v in sorted(self.xfail.items()))
            parts.append(f"{self.xfail_total} expected failures ({names})")
        if self.xpass_total:
            names = ", ".join(f"{k}: {len(v)}" for k, v in sorted(self.xpass.items()))
            parts.append(f"{self.xpass_total} unexpectedly passed ({names})")
        for m, (ok, bad) in sorted(self.alone.items()):
            if ok and not bad:
                print(f"# every check that needs only {m} of the missing ones passed: "
                      f"delete {m} from test/clients/missing-operations")
        print(", ".join(parts), flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- ids

def encode_id(mailbox_guid, kind, local_id):
    """An EWS id: kind 1 folder, 2 item (DESIGN.md "Ids and change keys")."""
    g = str(mailbox_guid).encode("ascii")
    store = struct.pack(">BQ", kind, local_id)
    raw = b"\x00\x03" + struct.pack("<H", len(g)) + g + b"\x00" + struct.pack("<H", len(store)) + store
    return base64.b64encode(raw).decode("ascii")


def decode_id(ews_id):
    """(mailbox guid, kind, local id) of an EWS id this store made."""
    raw = base64.b64decode(ews_id)
    (glen,) = struct.unpack_from("<H", raw, 2)
    guid = raw[4:4 + glen].decode("ascii")
    pos = 4 + glen + 1
    (slen,) = struct.unpack_from("<H", raw, pos)
    kind, local = struct.unpack_from(">BQ", raw, pos + 2)
    return guid, kind, local


# ---------------------------------------------------------------- blobs

PSETID_COMMON = uuid.UUID("00062008-0000-0000-c000-000000000046")
PS_PUBLIC_STRINGS = uuid.UUID("00020329-0000-0000-c000-000000000046")
PS_INTERNET_HEADERS = uuid.UUID("00020386-0000-0000-c000-000000000046")

FIXED = {0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4, 0x000B: 1,
         0x0014: 8, 0x0040: 8, 0x0048: 16}
VAR = (0x001F, 0x0102)


def _value(t, raw):
    if t == 0x0002:
        return struct.unpack("<h", raw)[0]
    if t in (0x0003, 0x000A):
        return struct.unpack("<i", raw)[0]
    if t == 0x0004:
        return struct.unpack("<f", raw)[0]
    if t in (0x0005, 0x0007):
        return struct.unpack("<d", raw)[0]
    if t in (0x0006, 0x0014, 0x0040):
        return struct.unpack("<q", raw)[0]
    if t == 0x000B:
        return raw[0] != 0
    if t == 0x001F:
        return raw.decode("utf-8")
    return bytes(raw)


class Blob:
    """The properties of an item blob: props {tag: value}, names {(guid, lid or name): tag}."""

    def __init__(self, data):
        data = bytes(data)
        if data[:4] != b"EWSB":
            raise ValueError("not an item blob")
        version, flags, _ = struct.unpack_from("<HHI", data, 4)
        if version != 1:
            raise ValueError(f"blob version {version}")
        pos = 12
        self.names = {}
        if flags & 1:
            (count,) = struct.unpack_from("<I", data, pos)
            pos += 4
            for _ in range(count):
                (tag,) = struct.unpack_from("<I", data, pos)
                guid = uuid.UUID(bytes_le=data[pos + 4:pos + 20])
                kind = data[pos + 20]
                pos += 21
                if kind == 0:
                    (lid,) = struct.unpack_from("<I", data, pos)
                    pos += 4
                    self.names[(guid, lid)] = tag
                else:
                    (length,) = struct.unpack_from("<I", data, pos)
                    name = data[pos + 4:pos + 4 + length].decode("utf-8")
                    pos += 4 + length
                    self.names[(guid, name)] = tag
        (n,) = struct.unpack_from("<I", data, 8)
        self.props = {}
        for _ in range(n):
            (tag,) = struct.unpack_from("<I", data, pos)
            pos += 4
            t = tag & 0xFFFF
            if t & 0x1000:
                (count,) = struct.unpack_from("<I", data, pos)
                pos += 4
                values = []
                for _ in range(count):
                    v, pos = self._one(data, pos, t & ~0x1000)
                    values.append(v)
                self.props[tag] = values
            else:
                self.props[tag], pos = self._one(data, pos, t)

    @staticmethod
    def _one(data, pos, t):
        if t in FIXED:
            size = FIXED[t]
        elif t in VAR:
            (size,) = struct.unpack_from("<I", data, pos)
            pos += 4
        else:
            raise ValueError(f"unknown property type 0x{t:04x}")
        return _value(t, data[pos:pos + size]), pos + size

    def get(self, tag, default=None):
        return self.props.get(tag, default)

    def named(self, guid, key, ptype, default=None):
        """A named property by (property set, LID or name) and its type."""
        tag = self.names.get((guid, key))
        if tag is None:
            return default
        return self.props.get((tag & 0xFFFF0000) | ptype, default)


def filetime_to_unix(ft):
    return ft / 1e7 - 11644473600


# MAPI tags the tests read
PR_MESSAGE_CLASS = 0x001A001F
PR_SUBJECT = 0x0037001F
PR_IMPORTANCE = 0x00170003
PR_MESSAGE_DELIVERY_TIME = 0x0E060040
PR_MESSAGE_FLAGS = 0x0E070003
PR_ICON_INDEX = 0x10800003
PR_LAST_VERB_EXECUTED = 0x10810003
PR_FLAG_STATUS = 0x10900003
PR_BODY = 0x1000001F
PR_INTERNET_MESSAGE_ID = 0x1035001F
PR_LAST_MODIFICATION_TIME = 0x30080040
PR_MIME = 0x7E010102
MSGFLAG_READ = 0x1
LID_IMAP_DELETED = 0x8570   # PidLidImapDeleted, PSETID_Common, PT_LONG


# ---------------------------------------------------------------- the store

class Store:
    """The mailbox as the store holds it, read as the superuser (PG* from the environment)."""

    def __init__(self, dsn=""):
        import psycopg2
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def q(self, sql, args=()):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None

    def mailbox_guid(self, smtp):
        return str(self.q("SELECT mailbox_guid FROM ews_list_mailboxes() WHERE lower(smtp_address) = lower(%s)",
                          (smtp,))[0][0])

    def folder_id(self, smtp, distinguished):
        return self.q("SELECT ews_folder_id(%s, %s)", (smtp, distinguished))[0][0]

    def folders(self, smtp):
        """Every folder of the mailbox: dicts with id, parent, name, cls, dist, total, unread."""
        root = self.folder_id(smtp, "root")
        rows = self.q("SELECT folder_id, parent_folder_id, display_name, folder_class, distinguished_folder_id, "
                      "total_count, unread_count, child_folder_count FROM ews_get_folder(ARRAY[%s]) "
                      "UNION ALL SELECT folder_id, parent_folder_id, display_name, folder_class, "
                      "distinguished_folder_id, total_count, unread_count, child_folder_count "
                      "FROM ews_find_folder(%s, 'Deep')", (root, root))
        keys = ("id", "parent", "name", "cls", "dist", "total", "unread", "children")
        return [dict(zip(keys, r)) for r in rows]

    def child(self, smtp, parent_id, name):
        for f in self.folders(smtp):
            if f["parent"] == parent_id and f["name"].lower() == name.lower():
                return f
        return None

    def items(self, smtp, folder_ews_id, associated=False):
        """The items of a folder, by article number (then id): dicts with id, local,
        article, change_key, blob (Blob), mime (bytes or None) and the row's columns."""
        guid, _, folder_local = decode_id(folder_ews_id)
        rows = self.q("SELECT pg_catalog.to_jsonb(i) - 'blob' FROM ews.item i "
                      "WHERE mailbox_id = %s AND folder_id = %s AND is_associated = %s",
                      (guid, folder_local, associated))
        cols = [r[0] for r in rows]
        ids = [encode_id(guid, 2, c["item_id"]) for c in cols]
        out = []
        if ids:
            exported = self.q("SELECT item_id, change_key, data, response_code FROM ews_export_items(%s)", (ids,))
            for c, (iid, ck, data, code) in zip(cols, exported):
                if code != "NoError":
                    continue  # gone meanwhile
                blob = Blob(data)
                out.append(dict(c, id=iid, local=c["item_id"], article=c.get("article_number"), change_key=ck,
                                blob=blob, mime=blob.get(PR_MIME), subject=blob.get(PR_SUBJECT),
                                is_read=bool((blob.get(PR_MESSAGE_FLAGS) or 0) & MSGFLAG_READ)))
        out.sort(key=lambda d: (d["article"] or 0, d["local"]))
        return out

    def item(self, ews_id):
        """One item by EWS id (None when it does not exist)."""
        rows = self.q("SELECT change_key, data, response_code FROM ews_export_items(ARRAY[%s])", (ews_id,))
        ck, data, code = rows[0]
        if code != "NoError":
            return None
        blob = Blob(data)
        return dict(id=ews_id, change_key=ck, blob=blob, mime=blob.get(PR_MIME), subject=blob.get(PR_SUBJECT),
                    is_read=bool((blob.get(PR_MESSAGE_FLAGS) or 0) & MSGFLAG_READ))

    def create_item(self, folder_ews_id, mime):
        (iid, ck, code), = self.q("SELECT item_id, change_key, response_code FROM ews_create_item(%s, %s)",
                                  (folder_ews_id, mime))
        if code != "NoError":
            raise RuntimeError(f"ews_create_item: {code}")
        return iid


# ---------------------------------------------------------------- the front's trace

class Trace:
    """The front's --trace directory: NNNNN-OP-request.xml, NNNNN-OP-response-STATUS.xml."""

    def __init__(self, path):
        self.path = path

    def entries(self):
        out = []
        for name in sorted(os.listdir(self.path)):
            if "-response-" in name:
                n, rest = name.split("-", 1)
                op, status = rest.rsplit("-response-", 1)
                out.append((int(n), op, int(status.split(".")[0]), os.path.join(self.path, name)))
        return out

    def mark(self):
        e = self.entries()
        return e[-1][0] if e else 0

    def since(self, mark):
        """(op, status, response path) of the exchanges after a mark."""
        return [(op, st, p) for n, op, st, p in self.entries() if n > mark]

    def ops_since(self, mark, status=None):
        return [op for op, st, _ in self.since(mark) if status is None or st == status]

    def request(self, response_path):
        base = response_path.rsplit("-response-", 1)[0]
        with open(base + "-request.xml", "rb") as f:
            return f.read()

    def validate(self, tap, label):
        """ews-validate every response the client received: one check."""
        files = [p for _, _, _, p in self.entries()]
        if not files:
            return tap.check(False, f"{label}: the trace holds responses to validate", self.path)
        bad = []
        for i in range(0, len(files), 200):
            r = subprocess.run(["/usr/bin/python3", VALIDATE] + files[i:i + 200],
                               capture_output=True, text=True)
            bad += [line for line in r.stdout.splitlines() if not line.endswith(": ok")]
        return tap.check(not bad, f"{label}: all {len(files)} responses it received pass ews-validate",
                         "\n".join(bad[:20]))
