#!/usr/bin/python3
"""End-to-end test of ews with a real EWS client: exchangelib against ews_http_front.

Usage: exchangelib_e2e.py ENDPOINT USER PASSWORD SMTP ITEM_IDS_FILE

ITEM_IDS_FILE holds "id changekey" lines of items already in the mailbox's inbox
(made through SQL by the calling script). Prints TAP lines and a closing
"N passed, N failed" line; exits non-zero on any failure.
"""
import sys
import traceback

from exchangelib import (BASIC, DELEGATE, Account, Build, Configuration, Credentials, Folder,
                         Version)
from exchangelib.errors import ErrorItemNotFound
from exchangelib.properties import ItemId
from exchangelib.protocol import close_connections

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {what}")
    else:
        failed += 1
        print(f"not ok {passed + failed} - {what}")
        if detail:
            print("#   " + str(detail).replace("\n", "\n#   "))


def step(what, fn):
    """Run fn; a raised exception is a failed step, not a crashed test."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported as a test result
        check(False, what, "".join(traceback.format_exception_only(type(e), e)).strip())
        return None


# store-maintained properties the round trip may change (DESIGN.md): their tags
STORE_TAGS = {0x30080040, 0x65E20102}


def props(blob):
    """Split an item blob (format v1) into {tag: raw value bytes} (the reader in C validates; this only walks)."""
    import struct
    assert blob[:4] == b"EWSB", blob[:8]
    (n,) = struct.unpack_from("<I", blob, 8)
    pos, out = 12, {}
    fixed = {0x0002: 2, 0x0003: 4, 0x000B: 1, 0x0014: 8, 0x0040: 8}
    for _ in range(n):
        (tag,) = struct.unpack_from("<I", blob, pos)
        pos += 4
        t = tag & 0xFFFF
        if t in fixed:
            size = fixed[t]
        else:
            (size,) = struct.unpack_from("<I", blob, pos)
            pos += 4
        out[tag] = blob[pos:pos + size]
        pos += size
    return out


def main(endpoint, user, password, smtp, ids_file):
    import base64
    lines = [line.split() for line in open(ids_file) if line.strip()]
    items = [tuple(w) for w in lines if w[0] != "deleted"]
    deleted = [tuple(w[1:]) for w in lines if w[0] == "deleted"]
    creds = Credentials(user, password)

    # guessing first, and a fresh protocol for each pass: exchangelib caches
    # the protocol (and the version it learnt) per endpoint and credentials
    for label, version in (("version guessing", None),
                           ("pinned Exchange 2016", Version(build=Build(15, 1, 2507, 0)))):
        close_connections()
        config = Configuration(service_endpoint=endpoint, credentials=creds, auth_type=BASIC,
                               version=version)
        account = step(f"{label}: open the account",
                       lambda: Account(primary_smtp_address=smtp, config=config,
                                       autodiscover=False, access_type=DELEGATE))
        if account is None:
            continue
        if version is None:
            v = account.version
            # exchangelib sends ConvertId with the newest API version it knows;
            # the server accepts it and says so in ServerVersionInfo
            from exchangelib.services import ConvertId
            check(v is not None and v.build is not None and v.build.major_version == 15
                  and v.api_version == ConvertId.supported_api_versions()[0],
                  f"{label}: the server's version was learnt from its answer to ConvertId ({v})")

        root = step(f"{label}: account.root", lambda: account.root)
        check(root is not None, f"{label}: reached account.root")
        for name in ("inbox", "junk", "drafts", "sent", "trash", "calendar", "contacts", "tasks"):
            f = step(f"{label}: account.{name}", lambda: getattr(account, name))
            check(f is not None and f.id, f"{label}: reached account.{name} ({getattr(f, 'name', None)})")
        inbox, junk = account.inbox, account.junk
        check(inbox.name == "Inbox" and junk.name == "Junk Email",
              f"{label}: well-known folders have Exchange's names", (inbox.name, junk.name))

        names = step(f"{label}: walk the tree", lambda: [f.name for f in root.walk()])
        check(names is not None and "Inbox" in names and "Top of Information Store" in names,
              f"{label}: root.walk() lists the tree ({len(names or [])} folders)", names)
        tree = step(f"{label}: tree()", lambda: root.tree())
        check(tree is not None and "Inbox" in tree, f"{label}: root.tree() renders", tree)

        fname = f"e2e {label}"
        folder = Folder(parent=inbox, name=fname)
        step(f"{label}: create a folder", folder.save)
        check(folder.id is not None and folder.changekey is not None,
              f"{label}: created a folder under inbox")
        children = step(f"{label}: children", lambda: [c.name for c in inbox.children])
        check(children is not None and fname in children, f"{label}: the new folder is among inbox's children",
              children)

        old_id, old_ck = folder.id, folder.changekey
        step(f"{label}: move", lambda: folder.move(to_folder=junk))
        check(folder.id == old_id, f"{label}: moving keeps the folder id")
        step(f"{label}: refresh", folder.refresh)
        check(folder.changekey != old_ck, f"{label}: moving changes the change key")
        check(folder.parent is not None and folder.parent.id == junk.id,
              f"{label}: refresh() shows junk as the new parent")

        step(f"{label}: delete", folder.delete)
        gone = step(f"{label}: children after delete", lambda: [c.name for c in junk.children])
        check(gone is not None and fname not in gone, f"{label}: the deleted folder is gone from junk")

        # export / upload round trip
        refs = [ItemId(id=i, changekey=ck) for i, ck in items]
        exported = step(f"{label}: export", lambda: account.export(refs))
        check(exported is not None and len(exported) == len(refs) and all(isinstance(e, str) for e in exported),
              f"{label}: account.export returns one blob per item", exported and [type(e) for e in exported])
        if not exported or not all(isinstance(e, str) for e in exported):
            continue
        created = step(f"{label}: upload CreateNew", lambda: account.upload([(inbox, e) for e in exported]))
        check(created is not None and len(created) == len(exported) and all(c[0] and c[1] for c in created),
              f"{label}: account.upload CreateNew returns new ids and change keys", created)
        if not created:
            continue
        again = step(f"{label}: export copies", lambda: account.export([ItemId(id=i, changekey=ck) for i, ck in created]))
        ok = again is not None and len(again) == len(exported)
        if ok:
            for a, b in zip(exported, again):
                pa, pb = props(base64.b64decode(a)), props(base64.b64decode(b))
                for t in STORE_TAGS:
                    pa.pop(t, None)
                    pb.pop(t, None)
                ok = ok and pa == pb
        check(ok, f"{label}: export -> upload -> export is byte-identical apart from the store-maintained properties")

        # Update: same id, new change key
        first_id, first_ck = created[0]
        updated = step(f"{label}: upload Update",
                       lambda: account.upload([(inbox, (ItemId(id=first_id, changekey=first_ck), False, exported[0]))]))
        check(updated is not None and len(updated) == 1 and updated[0][0] == first_id and updated[0][1] != first_ck,
              f"{label}: account.upload Update keeps the id and changes the change key", updated)

        # per-item errors: an export batch with an item deleted in between (by the
        # calling script) answers the others and an ErrorItemNotFound for it, in place
        batch = [ItemId(id=items[0][0]), ItemId(id=deleted[0][0]), ItemId(id=items[1][0])]
        mixed = step(f"{label}: export with a deleted item", lambda: account.export(batch))
        check(mixed is not None and len(mixed) == 3 and isinstance(mixed[0], str)
              and isinstance(mixed[1], ErrorItemNotFound) and isinstance(mixed[2], str),
              f"{label}: export of a batch with a deleted item: ErrorItemNotFound in its place, the rest exported",
              mixed and [type(m).__name__ for m in mixed])
    return 0


if __name__ == "__main__":
    rc = main(*sys.argv[1:6])
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or rc else 0)
