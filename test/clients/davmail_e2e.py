#!/usr/bin/python3
"""End-to-end test of ews with DavMail (Debian's davmail-server, EWS mode) driven
by an IMAP client (Python's imaplib), every answer compared with the store.

Usage: davmail_e2e.py IMAP_PORT USER PASSWORD SMTP TRACE_DIR

The calling script (test/sh/davmail.sh) made the mailbox, started the HTTP
front in pooled mode (USER/PASSWORD are in its user list, acting for SMTP) with
--trace TRACE_DIR, and DavMail in front of it with imapAutoExpunge=false (so
STORE +FLAGS \\Deleted and EXPUNGE are separate steps).  This script seeds the
mailbox through SQL (ews_create_item, ews_create_folder, as a delivery agent
would), then runs the IMAP flows.  The store's side is read as the superuser
(clientlib.Store): ews_find_folder, ews_export_items, the item blobs.

DavMail answers BAD and closes the connection when the server refuses a
request, so every flow runs on a session that is opened again when needed.
"""
import datetime
import imaplib
import re
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from clientlib import (LID_IMAP_DELETED, PR_FLAG_STATUS, PR_LAST_MODIFICATION_TIME,  # noqa: E402
                       PR_LAST_VERB_EXECUTED, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_FLAGS, PSETID_COMMON,
                       Store, Tap, Trace, filetime_to_unix)

tap = Tap()
check, step, guard = tap.check, tap.step, tap.guard

# DavMail's IMAP names of the well-known folders (ExchangeSession: INBOX, Drafts, Sent, ...)
WELL_KNOWN = {"inbox": "INBOX", "drafts": "Drafts", "sentitems": "Sent", "deleteditems": "Trash",
              "junkemail": "Junk", "outbox": "Unsent Messages", "calendar": "calendar", "contacts": "contacts"}


def mime(subject, date, body, msgid, sender="Alice Example <alice@example.com>"):
    """An RFC 5322 message with CRLF line ends, as a delivery agent stores it."""
    lines = [f"From: {sender}", "To: DavMail User <dm-user@example.com>", f"Subject: {subject}",
             f"Date: {date}", f"Message-ID: <{msgid}@example.com>", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", ""]
    return ("\r\n".join(lines) + "\r\n" + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


SEEDS = [
    ("Quarterly report", "Sat, 10 Jan 2026 09:00:00 +0000", "The numbers.\nSee attached.", "q1"),
    ("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "Sun, 15 Feb 2026 12:30:00 +0100", "Hallo\nWelt", "k1"),
    ("Lunch on Friday", "Fri, 20 Mar 2026 11:00:00 +0000", "Noon?", "l1"),
    ("quarterly numbers, revised", "Wed, 01 Apr 2026 08:15:00 +0000", "Revised.", "q2"),
]


class Session:
    """An IMAP connection to DavMail that is opened (and the folder selected) again
    after DavMail closed it, which it does after every BAD."""

    def __init__(self, port, user, password):
        self.port, self.user, self.password = port, user, password
        self.m = None
        self.selected = None
        self.exists = None

    def open(self):
        if self.m is None:
            m = imaplib.IMAP4("127.0.0.1", self.port, timeout=120)
            m.login(self.user, self.password)
            self.m = m
            self.selected = None
        return self.m

    def drop(self):
        if self.m is not None:
            try:
                self.m.shutdown()
            except Exception:  # noqa: BLE001
                pass
        self.m = None
        self.selected = None

    def run(self, fn):
        """fn(imap) on an open connection; a failure closes it (DavMail has)."""
        m = self.open()
        try:
            return fn(m)
        except Exception:
            self.drop()
            raise

    def select(self, folder):
        def sel(m):
            typ, data = m.select(f'"{folder}"')
            if typ != "OK":
                raise RuntimeError(f"SELECT {folder}: {typ} {data}")
            self.selected = folder
            self.exists = int(data[0])
            return self.exists
        return self.run(sel)

    def ok(self, fn):
        """fn(imap) -> (typ, data); 'OK' or an exception with the answer."""
        def run(m):
            typ, data = fn(m)
            if typ != "OK":
                raise RuntimeError(f"{typ} {data}")
            return data
        return self.run(run)


def parse_fetch(data):
    """imaplib FETCH data -> {uid: {'FLAGS': set, 'RFC822.SIZE': int, 'BODY': bytes}}."""
    out = {}
    for part in data:
        if part is None or part == b")":
            continue
        head, literal = (part[0], part[1]) if isinstance(part, tuple) else (part, None)
        head = head.decode("utf-8", "replace")
        m = re.search(r"UID (\d+)", head)
        if not m:
            continue
        entry = out.setdefault(int(m.group(1)), {})
        f = re.search(r"FLAGS \(([^)]*)\)", head)
        if f:
            entry["FLAGS"] = set(f.group(1).split())
        s = re.search(r"RFC822\.SIZE (\d+)", head)
        if s:
            entry["RFC822.SIZE"] = int(s.group(1))
        if literal is not None:
            entry["BODY"] = literal
    return out


def uids(data):
    return sorted(int(x) for x in b" ".join(d for d in data if d).split())


def store_flags(item):
    """The IMAP flags DavMail derives from an item's stored properties
    (EwsExchangeSession.buildMessage), \\Recent left out."""
    b = item["blob"]
    flags = set()
    if item["is_read"]:
        flags.add("\\Seen")
    if b.get(PR_FLAG_STATUS) == 2:
        flags.add("\\Flagged")
    if b.get(PR_LAST_VERB_EXECUTED) in (102, 103):
        flags.add("\\Answered")
    if b.get(PR_LAST_VERB_EXECUTED) == 104:
        flags.add("$Forwarded")
    if (b.get(PR_MESSAGE_FLAGS) or 0) & 8:
        flags.add("\\Draft")
    if b.named(PSETID_COMMON, LID_IMAP_DELETED, 0x0003) == 1:
        flags.add("\\Deleted")
    if b.get(0x10830003) == 1:
        flags.add("Junk")
    return flags


def header_lines(raw, names):
    """The header lines of a message with these field names, in message order,
    each with its folded continuation lines, CRLF after each (IMAP HEADER.FIELDS)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    out, keep = [], False
    for line in head:
        if line[:1] in (b" ", b"\t"):
            if keep:
                out[-1] += b"\r\n" + line
            continue
        keep = line.split(b":", 1)[0].strip().lower() in names
        if keep:
            out.append(line)
    return b"".join(x + b"\r\n" for x in out)


def main(port, user, password, smtp, trace_dir):
    port = int(port)
    store = Store()
    trace = Trace(trace_dir)
    inbox = store.folder_id(smtp, "inbox")
    top = store.folder_id(smtp, "msgfolderroot")

    # ---- seed, as a delivery agent would
    seeded = {}
    for subject, date, body, mid in SEEDS:
        raw = mime(subject, date, body, mid)
        seeded[store.create_item(inbox, raw)] = raw
    (projects,) = store.q("SELECT folder_id FROM ews_create_folder(%s, 'Projects', 'IPF.Note')", (top,))[0]
    store.create_item(projects, mime("Project kickoff", "Mon, 05 Jan 2026 10:00:00 +0000", "Kickoff.", "p1"))

    def inbox_items():
        return store.items(smtp, inbox)

    def by_uid(items):
        return {i["article"]: i for i in items}

    s = Session(port, user, password)

    def in_folder(folder, fn):
        """fn(imap) with folder selected; 'OK' or an exception."""
        def run(m):
            if s.selected != folder:
                s.select(folder)
            typ, data = fn(m)
            if typ != "OK":
                raise RuntimeError(f"{typ} {data}")
            return data
        return s.run(run)

    def fetch(uidset, what, folder="INBOX"):
        return parse_fetch(in_folder(folder, lambda m: m.uid("FETCH", uidset, what)))

    def search(*criteria):
        return uids(in_folder("INBOX", lambda m: m.uid("SEARCH", None, *criteria)))

    def uid_store(uid, action, flags):
        return in_folder("INBOX", lambda m: m.uid("STORE", str(uid), action, flags))

    # ---- LOGIN: works today
    mark = trace.mark()
    m = step("LOGIN", s.open)
    check(m is not None, "LOGIN with the user's password: OK")
    sent = trace.since(mark)
    check(any(op == "GET" and st == 401 for op, st, _ in sent),
          "DavMail's GET of the EWS URL before LOGIN got 401 (it accepts only 200, 401 or a redirect)",
          [(op, st) for op, st, _ in sent])
    after_challenge = [(op, st) for op, st, _ in sent if st != 401]
    check(after_challenge and all(st == 200 for _, st in after_challenge)
          and [op for op, _ in after_challenge].count("GetFolder") >= 9,
          "LOGIN: after each 401 challenge, root and the 8 well-known folders (GetFolder), ConvertId: all HTTP 200",
          after_challenge)
    conv = [p for op, st, p in sent if op == "ConvertId" and st == 200]

    def convert_id_mailbox():
        answer = open(conv[-1], "rb").read()
        return re.search(rb'Mailbox="([^"]*)"', answer).group(1).decode().lower() == smtp.lower(), answer[-600:]
    guard("LOGIN: ConvertId tells DavMail the mailbox's own address (it takes the user's address from it)",
          convert_id_mailbox, needs=["ConvertId.Mailbox"])

    def bad_login():
        m2 = imaplib.IMAP4("127.0.0.1", port, timeout=120)
        try:
            m2.login(user, password + "-wrong")
            return "OK"
        except imaplib.IMAP4.error as e:
            return str(e)
        finally:
            try:
                m2.shutdown()
            except Exception:  # noqa: BLE001
                pass
    answer = step("LOGIN with a wrong password", bad_login)
    check(answer is not None and "failed" in answer.lower(), "LOGIN with a wrong password: NO", answer)

    # ---- CREATE: CreateFolder below msgfolderroot and below the inbox, works today
    r = step("CREATE Archive", lambda: s.ok(lambda m: m.create('"Archive"')))
    archive = store.child(smtp, top, "Archive")
    check(r is not None and archive is not None and archive["cls"] == "IPF.Note",
          "CREATE Archive: the store has a folder Archive (IPF.Note) below Top of Information Store", archive)
    r = step("CREATE INBOX/Sub", lambda: s.ok(lambda m: m.create('"INBOX/Sub"')))
    sub = store.child(smtp, inbox, "Sub")
    check(r is not None and sub is not None, "CREATE INBOX/Sub: the store has a folder Sub below the inbox", sub)

    # ---- LIST: FindFolder with the folder-class restriction, recursing by 0x360A
    def expected_list():
        kids = {}
        for f in store.folders(smtp):
            kids.setdefault(f["parent"], []).append(f)
        names = set()

        def walk(parent, path):
            for f in kids.get(parent, []):
                # DavMail's restriction: class IPF.Note, IPF.Note.Microsoft.Conversation, or none
                if f["cls"] not in (None, "IPF.Note", "IPF.Note.Microsoft.Conversation"):
                    continue
                name = f"{path}/{f['name']}" if path else WELL_KNOWN.get(f["dist"], f["name"])
                names.add(name)
                walk(f["id"], name)
        walk(top, "")
        return names

    def imap_list():
        data = s.ok(lambda m: m.list('""', '"*"'))
        return {re.search(rb'"/" "?(.*?)"?$', d).group(1).decode() for d in data if d}
    got = step("LIST", imap_list, needs=["FindFolder.Restriction"])
    want = expected_list()
    check(got == want, "LIST \"\" \"*\": the mail folders of the store, with DavMail's names for the well-known ones",
          (sorted(got or []), sorted(want)), needs=["FindFolder.Restriction", "Folder.ExtendedProperties"])

    # ---- SELECT: FindItem, paged, sorted by article number (the UID)
    n = step("SELECT INBOX", lambda: s.select("INBOX"), needs=["FindItem"])
    items = inbox_items()
    check(n == len(items), f"SELECT INBOX: EXISTS = the {len(items)} items of the inbox", n, needs=["FindItem"])
    got = step("UID SEARCH ALL", lambda: search("ALL"), needs=["FindItem"])
    want = [i["article"] for i in items]
    check(got == want and all(u and u > 0 for u in want),
          "UID SEARCH ALL: the UIDs are the items' article numbers (0x0E23), all > 0", (got, want),
          needs=["FindItem"])

    # ---- FETCH: flags from FindItem, size and content from GetItem
    items = by_uid(inbox_items())
    got = step("UID FETCH FLAGS", lambda: fetch("1:*", "(FLAGS)"), needs=["FindItem"])
    guard("UID FETCH 1:* FLAGS: each message's flags are its stored properties",
          lambda: (set(got) == set(items)
                   and all(got[u]["FLAGS"] - {"\\Recent"} == store_flags(items[u]) for u in got), got),
          needs=["FindItem"])
    got = step("UID FETCH RFC822.SIZE", lambda: fetch("1:*", "(RFC822.SIZE)"), needs=["FindItem", "GetItem"])
    guard("UID FETCH 1:* RFC822.SIZE: the length of each stored message",
          lambda: (set(got) == set(items) and all(got[u]["RFC822.SIZE"] == len(items[u]["mime"]) for u in got), got),
          needs=["FindItem", "GetItem"])

    first = min(items) if items else None
    got = step("UID FETCH BODY.PEEK[HEADER.FIELDS]",
               lambda: fetch(str(first), "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM MESSAGE-ID)])"),
               needs=["FindItem", "GetItem"])

    def header_fields():
        # DavMail 6.0.1 writes the matching lines, each with CRLF, and no blank line after them
        want = header_lines(items[first]["mime"], (b"subject", b"from", b"message-id"))
        return got[first]["BODY"] == want, (got, want)
    guard("UID FETCH BODY.PEEK[HEADER.FIELDS (SUBJECT FROM MESSAGE-ID)]: those header lines of the stored message",
          header_fields, needs=["FindItem", "GetItem"])
    guard("BODY.PEEK leaves the message unread in the store",
          lambda: (got is not None and not store.item(items[first]["id"])["is_read"], None),
          needs=["FindItem", "GetItem"])

    # BODY[] of an unread message: DavMail marks it read (UpdateItem IsRead) before it answers
    got = step("UID FETCH BODY[]", lambda: fetch(str(first), "(BODY[])"), needs=["FindItem", "GetItem", "UpdateItem"])
    guard("UID FETCH BODY[]: the stored message, byte for byte",
          lambda: (got[first]["BODY"] == items[first]["mime"], got[first]["BODY"][:300]),
          needs=["FindItem", "GetItem", "UpdateItem"])
    guard("UID FETCH BODY[] marks the message read in the store (UpdateItem IsRead)",
          lambda: (got is not None and store.item(items[first]["id"])["is_read"], None),
          needs=["FindItem", "GetItem", "UpdateItem"])

    # ---- SEARCH: FindItem restrictions, compared with the stored properties
    items = inbox_items()
    got = step("UID SEARCH UNSEEN", lambda: search("UNSEEN"), needs=["FindItem"])
    check(got == [i["article"] for i in items if not i["is_read"]],
          "UID SEARCH UNSEEN: the unread items (read bit of 0x0E07 clear)", got, needs=["FindItem"])
    got = step("UID SEARCH SUBJECT", lambda: search("SUBJECT", '"QUARTERLY"'), needs=["FindItem"])
    check(got == [i["article"] for i in items if "quarterly" in (i["subject"] or "").lower()],
          "UID SEARCH SUBJECT QUARTERLY: the items whose subject contains it, any case", got, needs=["FindItem"])
    got = step("UID SEARCH SUBJECT non-ASCII",
               lambda: search("CHARSET", "UTF-8", "SUBJECT", '"Köln"'.encode("utf-8")), needs=["FindItem"])
    check(got == [i["article"] for i in items if "köln" in (i["subject"] or "").lower()],
          "UID SEARCH CHARSET UTF-8 SUBJECT Köln: the RFC 2047-decoded subject is searched", got,
          needs=["FindItem"])
    cut = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc).timestamp()
    got = step("UID SEARCH SENTSINCE", lambda: search("SENTSINCE", "01-Mar-2026"), needs=["FindItem"])
    check(got == [i["article"] for i in items if filetime_to_unix(i["blob"].get(PR_MESSAGE_DELIVERY_TIME)) >= cut],
          "UID SEARCH SENTSINCE 01-Mar-2026: the items delivered since (0x0E06)", got, needs=["FindItem"])
    today = datetime.datetime.now(datetime.timezone.utc)
    for label, day in (("yesterday", today - datetime.timedelta(days=1)),
                       ("tomorrow", today + datetime.timedelta(days=1))):
        since = day.strftime("%d-%b-%Y")
        cut = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp()
        got = step(f"UID SEARCH SINCE {label}", lambda: search("SINCE", since), needs=["FindItem"])
        check(got == [i["article"] for i in items
                      if filetime_to_unix(i["blob"].get(PR_LAST_MODIFICATION_TIME)) >= cut],
              f"UID SEARCH SINCE {label}: the items changed since (0x3008, DavMail's SINCE)", got,
              needs=["FindItem"])

    # ---- STORE: UpdateItem per flag, each checked in the store and in FETCH FLAGS
    items = inbox_items()
    target = items[1]["article"] if len(items) > 1 else None
    for action, flag in (("+FLAGS", "\\Flagged"), ("-FLAGS", "\\Flagged"), ("+FLAGS", "\\Answered"),
                         ("-FLAGS", "\\Answered"), ("+FLAGS", "\\Seen"), ("-FLAGS", "\\Seen")):
        r = step(f"UID STORE {action} {flag}", lambda: uid_store(target, action, f"({flag})"),
                 needs=["FindItem", "UpdateItem"])
        now = by_uid(inbox_items()).get(target)
        want = action == "+FLAGS"
        guard(f"UID STORE {action} ({flag}): the stored properties say {'' if want else 'not '}{flag}",
              lambda: (r is not None and (flag in store_flags(now)) == want, store_flags(now)),
              needs=["FindItem", "UpdateItem"])
        got = step("UID FETCH FLAGS after STORE", lambda: fetch(str(target), "(FLAGS)"),
                   needs=["FindItem", "UpdateItem"])
        guard(f"UID FETCH FLAGS after STORE {action} ({flag}) agrees with the store",
              lambda: (r is not None and got[target]["FLAGS"] - {"\\Recent"} == store_flags(now), got),
              needs=["FindItem", "UpdateItem"])

    # ---- \Deleted and EXPUNGE (imapAutoExpunge=false: two steps)
    items = inbox_items()
    doomed, kept = (items[-1], items[0]) if len(items) > 1 else (None, None)
    r1 = step("UID STORE +FLAGS \\Deleted", lambda: uid_store(doomed["article"], "+FLAGS", "(\\Deleted)"),
              needs=["FindItem", "UpdateItem"])
    r2 = step("UID STORE +FLAGS \\Deleted", lambda: uid_store(kept["article"], "+FLAGS", "(\\Deleted)"),
              needs=["FindItem", "UpdateItem"])
    now = by_uid(inbox_items())
    guard("UID STORE +FLAGS (\\Deleted): PidLidImapDeleted = 1 in the store, the item is still there",
          lambda: (r1 is not None and "\\Deleted" in store_flags(now[doomed["article"]]), None),
          needs=["FindItem", "UpdateItem"])
    r3 = step("UID STORE -FLAGS \\Deleted", lambda: uid_store(kept["article"], "-FLAGS", "(\\Deleted)"),
              needs=["FindItem", "UpdateItem"])
    now = by_uid(inbox_items())
    guard("UID STORE -FLAGS (\\Deleted): PidLidImapDeleted is gone again",
          lambda: (r2 is not None and r3 is not None and "\\Deleted" not in store_flags(now[kept["article"]]), None),
          needs=["FindItem", "UpdateItem"])
    got = step("UID SEARCH DELETED", lambda: search("DELETED"), needs=["FindItem", "UpdateItem"])
    guard("UID SEARCH DELETED: the item marked \\Deleted (a restriction on PidLidImapDeleted)",
          lambda: (got == [doomed["article"]], got), needs=["FindItem", "UpdateItem"])
    r = step("EXPUNGE", lambda: in_folder("INBOX", lambda m: m.expunge()),
             needs=["FindItem", "UpdateItem", "DeleteItem"])
    now = by_uid(inbox_items())
    guard("EXPUNGE: the item marked \\Deleted is gone from the store (DeleteItem), the others stay",
          lambda: (r is not None and doomed["article"] not in now and kept["article"] in now
                   and store.item(doomed["id"]) is None, sorted(now)),
          needs=["FindItem", "UpdateItem", "DeleteItem"])

    # ---- APPEND: CreateItem from MIME with flags and the internal date
    raw = mime("Appended by IMAP", "Tue, 07 Apr 2026 16:45:00 +0000", "Appended.\nTwo lines.", "a1")
    when = datetime.datetime(2026, 4, 8, 7, 30, 0, tzinfo=datetime.timezone.utc)
    before = {i["id"] for i in inbox_items()}
    r = step("APPEND", lambda: s.ok(lambda m: m.append('"INBOX"', "(\\Seen \\Flagged)",
                                                       imaplib.Time2Internaldate(when), raw)),
             needs=["CreateItem"])
    new = [i for i in inbox_items() if i["id"] not in before]
    check(r is not None and len(new) == 1 and new[0]["mime"] == raw,
          "APPEND: one new item in the store, its message byte for byte what was appended",
          [i["mime"] for i in new], needs=["CreateItem"])
    guard("APPEND (\\Seen \\Flagged): the new item is read and flagged in the store",
          lambda: (store_flags(new[0]) == {"\\Seen", "\\Flagged"}, store_flags(new[0])), needs=["CreateItem"])
    guard("APPEND with a date: the item's delivery time (0x0E06) is that date",
          lambda: (abs(filetime_to_unix(new[0]["blob"].get(PR_MESSAGE_DELIVERY_TIME)) - when.timestamp()) < 1,
                   new[0]["blob"].get(PR_MESSAGE_DELIVERY_TIME)), needs=["CreateItem"])
    appended = new[0]["article"] if len(new) == 1 else None
    s.selected = None  # SELECT again: DavMail lists the folder anew
    got = step("FETCH the appended message", lambda: fetch(str(appended), "(BODY.PEEK[])"),
               needs=["CreateItem", "FindItem", "GetItem"])
    guard("UID FETCH BODY.PEEK[] of the appended message returns the appended bytes",
          lambda: (got[appended]["BODY"] == raw, got), needs=["CreateItem", "FindItem", "GetItem"])

    # ---- COPY and MOVE: CopyItem, MoveItem to a folder found by name
    items = inbox_items()
    before = store.items(smtp, projects)
    r = step("UID COPY", lambda: in_folder("INBOX", lambda m: m.uid("COPY", str(items[0]["article"]), '"Projects"')),
             needs=["FindItem", "CopyItem", "FindFolder.Restriction"])
    after = store.items(smtp, projects)
    guard("UID COPY to Projects: a copy with the same message in Projects, the original stays in the inbox",
          lambda: (r is not None and len(after) == len(before) + 1 and any(i["mime"] == items[0]["mime"] for i in after)
                   and store.item(items[0]["id"]) is not None, None),
          needs=["FindItem", "CopyItem", "FindFolder.Restriction"])
    before = after
    r = step("UID MOVE", lambda: in_folder("INBOX", lambda m: m.uid("MOVE", str(items[1]["article"]), '"Projects"')),
             needs=["FindItem", "MoveItem", "FindFolder.Restriction"])
    after = store.items(smtp, projects)
    guard("UID MOVE to Projects: the message is in Projects and no longer in the inbox",
          lambda: (r is not None and len(after) == len(before) + 1 and any(i["mime"] == items[1]["mime"] for i in after)
                   and all(i["mime"] != items[1]["mime"] for i in inbox_items()), None),
          needs=["FindItem", "MoveItem", "FindFolder.Restriction"])
    got = step("SELECT Projects", lambda: s.select("Projects"), needs=["FindItem", "FindFolder.Restriction"])
    check(got == len(after), f"SELECT Projects (a folder found by name): EXISTS = its {len(after)} items",
          got, needs=["FindItem", "FindFolder.Restriction"])

    # ---- RENAME, DELETE: the folder is found by DisplayName, then UpdateFolder, DeleteFolder
    r = step("RENAME", lambda: s.ok(lambda m: m.rename('"Archive"', '"Archive 2026"')),
             needs=["FindFolder.Restriction", "UpdateFolder"])
    renamed = store.child(smtp, top, "Archive 2026")
    guard("RENAME Archive to Archive 2026: the same folder, renamed in the store",
          lambda: (r is not None and renamed["id"] == archive["id"] and store.child(smtp, top, "Archive") is None,
                   renamed), needs=["FindFolder.Restriction", "UpdateFolder"])
    for name, parent in (("Archive 2026", top), ("INBOX/Sub", inbox)):
        r = step(f"DELETE {name}", lambda: s.ok(lambda m: m.delete(f'"{name}"')), needs=["FindFolder.Restriction"])
        check(r is not None and store.child(smtp, parent, name.rsplit("/", 1)[-1]) is None,
              f"DELETE {name}: the folder is gone from its parent in the store", needs=["FindFolder.Restriction"])

    # ---- NOOP sees a message delivered through SQL
    n = step("SELECT INBOX again", lambda: s.select("INBOX"), needs=["FindItem"])
    mark = trace.mark()
    step("NOOP", lambda: s.ok(lambda m: m.noop()), needs=["FindItem"])
    ops = trace.ops_since(mark)
    check(n is not None and "FindItem" not in ops and "GetFolder" in ops,
          "NOOP with nothing changed: a GetFolder, no FindItem (the folder's 0x670A and 0x3602 are answered and "
          "stable)", ops, needs=["FindItem", "Folder.ExtendedProperties"])
    delivered = mime("Delivered while selected", "Thu, 09 Apr 2026 10:00:00 +0000", "New!", "n1")
    store.create_item(inbox, delivered)

    def noop_exists(m):
        m.response("EXISTS")  # forget earlier untagged EXISTS
        typ, data = m.noop()
        if typ != "OK":
            raise RuntimeError(f"{typ} {data}")
        return m.response("EXISTS")[1]
    got = step("NOOP after a delivery", lambda: s.run(noop_exists), needs=["FindItem"])
    count = len(inbox_items())
    guard(f"NOOP after a message was delivered through SQL: * {count} EXISTS",
          lambda: (n is not None and int(got[-1]) == count, got), needs=["FindItem"])
    items = by_uid(inbox_items())
    newest = max(items) if items and all(items) else None
    got = step("FETCH the delivered message", lambda: fetch(str(newest), "(BODY.PEEK[])"),
               needs=["FindItem", "GetItem"])
    guard("UID FETCH BODY.PEEK[] of the newest UID: the bytes given to ews_create_item",
          lambda: (got[newest]["BODY"] == delivered, got), needs=["FindItem", "GetItem"])

    step("LOGOUT", lambda: s.run(lambda m: m.logout()))
    trace.validate(tap, "DavMail")
    return 0


if __name__ == "__main__":
    main(*sys.argv[1:6])
    sys.exit(tap.summary())
