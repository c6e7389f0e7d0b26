#!/usr/bin/python3
"""SyncFolderItems and SyncFolderHierarchy through ews_soap(): every change
kind, paging with MaxChangesReturned, Ignore, SyncScope, shapes, folders
moved in and out of the synced subtree, every bad state, the request faults;
each response's codes and elements checked, and every response validated
with test/tools/ews-validate.

Run by test/sh/soap_sync.sh inside the test cluster (PGHOST etc. set).
Changes the operations of other issues make (a read flag, a removal, an item
move) are made with test/sync_helpers.sql, the way content.c makes them."""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures as fx  # noqa: E402

DB = "ews_soap_sync"
ROOT = os.path.join(fx.HERE, "..", "..")
HELPERS = "".join(open(os.path.join(ROOT, "test", f)).read() for f in ("blob_helpers.sql", "sync_helpers.sql"))
ok = fx.ok
MBX = "a@example.com"


def q(sql):
    return fx.psql(sql, db=DB).stdout.decode().strip()


def qh(sql):
    """sql in a session with the sync test helpers (pg_temp)"""
    return fx.psql("SET client_min_messages = warning;\n" + HELPERS + "\n" + sql, db=DB).stdout.decode().strip()


def soap(name, body, mailbox=MBX):
    return fx.soap("sync_" + name, fx.envelope(body, '<t:RequestServerVersion Version="Exchange2013"/>'),
                   mailbox=mailbox, db=DB)


def sfi(folder, state=None, max_changes=512, shape="<t:BaseShape>Default</t:BaseShape>", ignore=None, scope=None):
    st = "" if state is None else f"<m:SyncState>{state}</m:SyncState>"
    ig = "" if not ignore else "<m:Ignore>" + "".join(f'<t:ItemId Id="{i}"/>' for i in ignore) + "</m:Ignore>"
    sc = "" if scope is None else f"<m:SyncScope>{scope}</m:SyncScope>"
    return (f"<m:SyncFolderItems><m:ItemShape>{shape}</m:ItemShape><m:SyncFolderId>{folder}</m:SyncFolderId>"
            f"{st}{ig}<m:MaxChangesReturned>{max_changes}</m:MaxChangesReturned>{sc}</m:SyncFolderItems>")


def sfh(folder=None, state=None, shape="Default"):
    f = "" if folder is None else f"<m:SyncFolderId>{folder}</m:SyncFolderId>"
    st = "" if state is None else f"<m:SyncState>{state}</m:SyncState>"
    return (f"<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>{shape}</t:BaseShape></m:FolderShape>"
            f"{f}{st}</m:SyncFolderHierarchy>")


def etree_local(el):
    return el.tag.rsplit("}", 1)[-1]


def changes(r):
    """[(kind, item or folder id, element, subject/display name, IsRead)] of a sync response"""
    out = []
    for c in r.x("//m:Changes/*"):
        kind = etree_local(c)
        inner = c[0]
        el = etree_local(inner)
        ident = inner.get("Id") if el in ("ItemId", "FolderId") else (inner.xpath("t:ItemId/@Id|t:FolderId/@Id", namespaces=fx.NS) or [None])[0]
        name = (inner.xpath("t:Subject/text()|t:DisplayName/text()", namespaces=fx.NS) or [None])[0]
        read = (c.xpath("t:IsRead/text()|*/t:IsRead/text()", namespaces=fx.NS) or [None])[0]
        out.append((kind, ident, el, name, read))
    return out


def state_of(r):
    s = r.x("//m:SyncState/text()")
    return s[0] if s else None


def last_of(r, el="IncludesLastItemInRange"):
    s = r.x(f"//m:{el}/text()")
    return s[0] if s else None


def frame_ok(r, op, el):
    """the message's elements in schema order, m:SyncState and the IncludesLast... always there"""
    names = [etree_local(e) for e in r.x(f"//m:{op}ResponseMessage/*")]
    want_tail = ["SyncState", el] + (["Changes"] if r.codes() == ["NoError"] else [])
    return names[-len(want_tail):] == want_tail


def upload(folder, subjects, associated=False):
    arr = ",".join("'" + s.replace("'", "''") + "'" for s in subjects)
    return qh(f"SELECT string_agg(i, ' ') FROM pg_temp.add('{folder}', ARRAY[{arr}], {str(associated).lower()}) i").split()


def setup():
    fx.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    fx.psql(f"CREATE DATABASE {DB}", db="postgres")
    q("CREATE EXTENSION ews; SELECT ews_create_mailbox('a@example.com', 'A'); SELECT ews_create_mailbox('b@example.com', 'B');")


def items_tests():
    inbox, drafts = [q(f"SELECT ews_folder_id('{MBX}', '{n}')") for n in ("inbox", "drafts")]
    b_inbox = q("SELECT ews_folder_id('b@example.com', 'inbox')")
    guid = q(f"SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = '{MBX}'")
    five = upload(inbox, [f"m{i}" for i in range(1, 6)])

    # a first sync, two changes a page
    pages, state, seen = [], None, []
    for _ in range(10):
        r = soap(f"first_page{len(pages)}", sfi(fx.fid(inbox), state, 2))
        ok(r.status == 200 and r.codes() == ["NoError"] and frame_ok(r, "SyncFolderItems", "IncludesLastItemInRange"),
           f"first sync page {len(pages) + 1}: NoError, SyncState, IncludesLastItemInRange, Changes in order", r.body)
        pages.append((len(changes(r)), last_of(r)))
        seen += changes(r)
        new = state_of(r)
        ok(new and new != state, f"first sync page {len(pages)}: a new state", r.body)
        state = new
        if last_of(r) == "true":
            break
    ok(pages == [(2, "false"), (2, "false"), (1, "true")], "first sync of 5 items, MaxChangesReturned 2: pages of 2, 2, 1; only the last IncludesLastItemInRange", pages)
    ok([(c[0], c[1], c[2], c[3], c[4]) for c in seen] == [("Create", i, "Message", f"m{n + 1}", "false") for n, i in enumerate(five)],
       "every item once, as t:Create of a t:Message with its Subject and IsRead, oldest first", seen)
    r = soap("nothing_new", sfi(fx.fid(inbox), state, 2))
    ok(r.codes() == ["NoError"] and changes(r) == [] and last_of(r) == "true" and state_of(r),
       "a sync from the last state: no changes, IncludesLastItemInRange true, a state", r.body)
    ck = r.x("//t:ItemId/@ChangeKey")
    ok(ck == [], "no item written when nothing changed", ck)

    # every change kind, each reported once, oldest first
    ok(qh(f"SELECT pg_temp.edit('{inbox}', '{five[0]}', 'm1 edited')") == "NoError", "UploadItems Update of m1")
    qh(f"SELECT pg_temp.set_read('{five[1]}', true)")
    qh(f"SELECT pg_temp.remove('{five[2]}')")
    moved = qh(f"SELECT pg_temp.move('{five[3]}', '{drafts}')")
    moved_in = qh(f"SELECT pg_temp.move('{upload(drafts, ['from drafts'])[0]}', '{inbox}')")
    new = upload(inbox, ["m6"])
    r = soap("every_kind", sfi(fx.fid(inbox), state))
    got = [(c[0], c[1], c[2], c[3], c[4]) for c in changes(r)]
    ok(got == [("Update", five[0], "Message", "m1 edited", "false"),
               ("ReadFlagChange", five[1], "ItemId", None, "true"),
               ("Delete", five[2], "ItemId", None, None),
               ("Delete", five[3], "ItemId", None, None),
               ("Create", moved_in, "Message", "from drafts", "false"),
               ("Create", new[0], "Message", "m6", "false")],
       "Update, ReadFlagChange, Delete (removed), Delete (moved out), Create (moved in), Create (new), in change order", got)
    ok(r.x("//t:Delete/t:ItemId/@ChangeKey") == [] and len(r.x("//t:ReadFlagChange/t:ItemId/@ChangeKey")) == 1,
       "a Delete's ItemId has no ChangeKey, a ReadFlagChange's has one", r.body)
    state2 = state_of(r)
    r = soap("after_every_kind", sfi(fx.fid(inbox), state2))
    ok(changes(r) == [] and last_of(r) == "true", "then nothing more: no change reported twice", r.body)
    r = soap("drafts_first", sfi(fx.dfid("drafts"), None))
    ok([c[1] for c in changes(r)] == [moved], "drafts by DistinguishedFolderId: the item moved in, under its new id", r.body)

    # the same kinds made by the item operations over SOAP (CreateItem, UpdateItem, DeleteItem, MoveItem)
    r = soap("ops_seed", sfi(fx.fid(inbox), state2))
    state2 = state_of(r)
    cur = lambda i: q(f"SELECT change_key FROM ews_get_items(ARRAY['{i}'])")
    set_field = lambda uri, el, v: (f'<t:SetItemField><t:FieldURI FieldURI="{uri}"/><t:Message><t:{el}>{v}</t:{el}>'
                                    "</t:Message></t:SetItemField>")
    upd = lambda i, f: (f'<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
                        f'<t:ItemChange><t:ItemId Id="{i}" ChangeKey="{cur(i)}"/><t:Updates>{f}</t:Updates></t:ItemChange>'
                        "</m:ItemChanges></m:UpdateItem>")
    r1 = soap("op_update", upd(new[0], set_field("item:Subject", "Subject", "m6 by UpdateItem")))
    r2 = soap("op_read", upd(five[4], set_field("message:IsRead", "IsRead", "true")))
    r3 = soap("op_delete", f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="{five[1]}"/></m:ItemIds></m:DeleteItem>')
    r4 = soap("op_move", f'<m:MoveItem><m:ToFolderId>{fx.dfid("drafts")}</m:ToFolderId><m:ItemIds><t:ItemId Id="{moved_in}"/>'
              "</m:ItemIds></m:MoveItem>")
    r5 = soap("op_create", f'<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>{fx.fid(inbox)}</m:SavedItemFolderId>'
              "<m:Items><t:Message><t:Subject>by CreateItem</t:Subject></t:Message></m:Items></m:CreateItem>")
    ok([x.codes() for x in (r1, r2, r3, r4, r5)] == [["NoError"]] * 5, "UpdateItem (subject), UpdateItem (IsRead), "
       "DeleteItem, MoveItem, CreateItem over SOAP: NoError", [x.codes() for x in (r1, r2, r3, r4, r5)])
    made = (r5.x("//m:Items/t:Message/t:ItemId/@Id") or [None])[0]
    r = soap("ops_sync", sfi(fx.fid(inbox), state2))
    got = [(c[0], c[1], c[3], c[4]) for c in changes(r)]
    ok(got == [("Update", new[0], "m6 by UpdateItem", "false"), ("ReadFlagChange", five[4], None, "true"),
               ("Delete", five[1], None, None), ("Delete", moved_in, None, None), ("Create", made, "by CreateItem", "false")],
       "then one sync: Update, ReadFlagChange, Delete, Delete (moved out), Create, in the order they were made", got)
    r = soap("ops_again", sfi(fx.fid(inbox), state_of(r)))
    ok(changes(r) == [] and last_of(r) == "true", "and nothing more after", r.body)
    state2 = state_of(r)

    # paging while items keep coming: nothing lost, nothing repeated
    st, got, pages = state2, [], 0
    extra = []
    while pages < 50:
        if pages < 6:
            extra += upload(inbox, [f"p{pages}a", f"p{pages}b", f"p{pages}c"])
        r = soap(f"paged_{pages}", sfi(fx.fid(inbox), st, 2))
        pages += 1
        got += [c[1] for c in changes(r)]
        st = state_of(r)
        if last_of(r) == "true" and pages >= 6:
            break
    ok(got == extra, "3 new items before each of the first 6 pages of 2: all 18 reported once, in order", (len(got), len(extra)))

    # Ignore and shapes on a first sync
    r = soap("ignore", sfi(fx.fid(inbox), None, ignore=[five[0], new[0]]))
    ids_ = [c[1] for c in changes(r)]
    ok(five[0] not in ids_ and new[0] not in ids_ and five[4] in ids_, "m:Ignore: the ignored items are not reported", ids_)
    r = soap("idonly", sfi(fx.fid(inbox), None, 1, "<t:BaseShape>IdOnly</t:BaseShape>"))
    ok([etree_local(e) for e in r.x("//t:Create/t:Message/*")] == ["ItemId"], "IdOnly: the ItemId alone", r.body)
    r = soap("idonly_extra", sfi(fx.fid(inbox), None, 1, "<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
             '<t:FieldURI FieldURI="item:Body"/><t:FieldURI FieldURI="message:IsRead"/><t:FieldURI FieldURI="item:Subject"/>'
             '<t:ExtendedFieldURI PropertyTag="0x0E08" PropertyType="Integer"/><t:FieldURI FieldURI="item:MimeContent"/>'
             "</t:AdditionalProperties>"))
    ok([etree_local(e) for e in r.x("//t:Create/t:Message/*")] == ["ItemId", "Subject", "IsRead"],
       "IdOnly with AdditionalProperties: what was asked that the store has, in schema order; the rest ignored", r.body)
    r = soap("allprops", sfi(fx.fid(inbox), None, 1, "<t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true"
             "</t:IncludeMimeContent><t:BodyType>Text</t:BodyType>"))
    # (the test's items have no PidTagMessageDeliveryTime: no DateTimeReceived)
    ok([etree_local(e) for e in r.x("//t:Create/t:Message/*")] ==
       ["ItemId", "ParentFolderId", "ItemClass", "Subject", "Size", "IsAssociated", "IsRead"] and
       r.x("//t:ParentFolderId/@Id") == [inbox], "AllProperties: ParentFolderId .. IsRead, in schema order", r.body)

    # SyncScope
    fai = upload(inbox, ["a view"], associated=True)
    r = soap("scope_normal", sfi(fx.fid(inbox), st))
    r2 = soap("scope_assoc", sfi(fx.fid(inbox), None, scope="NormalAndAssociatedItems"))
    ok(changes(r) == [] and fai[0] in [c[1] for c in changes(r2)] and fai[0] not in [c[1] for c in changes(soap("scope_normal_first", sfi(fx.fid(inbox))))],
       "SyncScope NormalItems leaves the associated item out; NormalAndAssociatedItems reports it", (r.body, r2.body))
    r = soap("scope_mixed", sfi(fx.fid(inbox), st, scope="NormalAndAssociatedItems"))
    ok(r.codes() == ["ErrorInvalidSyncStateData"] and frame_ok(r, "SyncFolderItems", "IncludesLastItemInRange"),
       "a NormalItems state used with NormalAndAssociatedItems: ErrorInvalidSyncStateData", r.body)

    # bad states: each ErrorInvalidSyncStateData, with the message's frame intact
    raw = base64.b64decode(st)
    h_state = q(f"SELECT next_sync_state FROM ews_sync_folder_hierarchy('{inbox}') WHERE change_type IS NULL")
    b_state = q(f"SELECT next_sync_state FROM ews_sync_folder_items('{b_inbox}') WHERE change_type IS NULL")
    d_state = q(f"SELECT next_sync_state FROM ews_sync_folder_items('{drafts}') WHERE change_type IS NULL")
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x10
    bad = {
        "garbage": "not a state",
        "truncated": base64.b64encode(raw[:-3]).decode(),
        "bit_flipped": base64.b64encode(bytes(flipped)).decode(),
        "empty_base64": "AAAA",
        "another_folder": d_state,
        "another_mailbox": b_state,
        "hierarchy_state": h_state,
        "huge": "A" * 200000,
    }
    for name, s in bad.items():
        r = soap(f"bad_state_{name}", sfi(fx.fid(inbox), s))
        ok(r.status == 200 and r.codes() == ["ErrorInvalidSyncStateData"] and r.classes() == ["Error"] and
           frame_ok(r, "SyncFolderItems", "IncludesLastItemInRange") and r.x("//m:Changes") == [],
           f"a state that is {name.replace('_', ' ')}: ErrorInvalidSyncStateData with m:SyncState and IncludesLastItemInRange", r.body[:1500])

    # folders that cannot be synced
    r = soap("missing_folder", sfi(fx.fid(fx.ews_id(guid, 1, 999999999))))
    ok(r.codes() == ["ErrorSyncFolderNotFound"] and frame_ok(r, "SyncFolderItems", "IncludesLastItemInRange"),
       "a folder that does not exist: ErrorSyncFolderNotFound, the frame intact", r.body)
    r = soap("stranger", sfi(fx.fid(inbox)), mailbox="b@example.com")
    ok(r.codes() == ["ErrorNonExistentMailbox"] and frame_ok(r, "SyncFolderItems", "IncludesLastItemInRange"),
       "acting for b, a's inbox: ErrorNonExistentMailbox", r.body)
    r = soap("item_as_folder", sfi(fx.fid(five[0])))
    ok(r.codes() == ["ErrorCannotUseItemIdForFolderId"], "an item id as SyncFolderId: ErrorCannotUseItemIdForFolderId", r.body)
    r = soap("bad_ignore", sfi(fx.fid(inbox), ignore=["junk"]))
    ok(r.codes() == ["ErrorInvalidIdMalformed"], "a malformed id in m:Ignore: ErrorInvalidIdMalformed", r.body)

    # requests that break the schema: faults, nothing read
    for name, body in [("max_0", sfi(fx.fid(inbox), None, 0)), ("max_513", sfi(fx.fid(inbox), None, 513)),
                       ("max_text", sfi(fx.fid(inbox), None, "ten")),
                       ("no_shape", sfi(fx.fid(inbox)).replace("<m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>", "")),
                       ("bad_scope", sfi(fx.fid(inbox), scope="Everything")),
                       ("no_max", sfi(fx.fid(inbox)).replace("<m:MaxChangesReturned>512</m:MaxChangesReturned>", "")),
                       ("ignore_folder", sfi(fx.fid(inbox)).replace("<m:MaxChangesReturned>", f"<m:Ignore>{fx.fid(inbox)}</m:Ignore><m:MaxChangesReturned>")),
                       ("bad_shape", sfi(fx.fid(inbox), shape="<t:BaseShape>Everything</t:BaseShape>"))]:
        r = soap(f"fault_{name}", body)
        ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", f"SyncFolderItems {name.replace('_', ' ')}: ErrorSchemaValidation fault", r.body)
    return inbox


def hierarchy_tests(inbox):
    root, = [q(f"SELECT ews_folder_id('{MBX}', 'msgfolderroot')")]
    n_folders = int(q(f"SELECT count(*) FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id) WHERE smtp_address = '{MBX}' AND f.parent_id IS NOT NULL"))
    r = soap("h_first", sfh())
    ch = changes(r)
    ok(r.codes() == ["NoError"] and frame_ok(r, "SyncFolderHierarchy", "IncludesLastFolderInRange") and last_of(r, "IncludesLastFolderInRange") == "true",
       "SyncFolderHierarchy of the whole mailbox: NoError, SyncState, IncludesLastFolderInRange true", r.body[:1500])
    ok(len(ch) == n_folders and all(c[0] == "Create" for c in ch), f"every folder below the root ({n_folders}) as a t:Create", len(ch))
    order = {}
    parents_first = True
    for c in r.x("//m:Changes/t:Create/*"):
        fid_ = c.xpath("t:FolderId/@Id", namespaces=fx.NS)[0]
        pid = c.xpath("t:ParentFolderId/@Id", namespaces=fx.NS)[0]
        order[fid_] = True
        if pid in [x[1] for x in ch] and pid not in order:
            parents_first = False
    ok(parents_first, "every parent before its children")
    ok("CalendarFolder" in [c[2] for c in ch] and "ContactsFolder" in [c[2] for c in ch],
       "folders in the element their class calls for (t:CalendarFolder, t:ContactsFolder)", [c[2] for c in ch])
    st_all = state_of(r)

    # below the inbox: create, rename-free update (a move within), moves out and in, deletes
    r = soap("h_inbox_first", sfh(fx.fid(inbox)))
    st = state_of(r)
    ok(r.codes() == ["NoError"] and changes(r) == [], "the inbox without subfolders: no changes", r.body)
    mk = lambda parent, name: q(f"SELECT folder_id FROM ews_create_folder('{parent}', '{name}')")
    a = mk(inbox, "A")
    b = mk(inbox, "B")
    c_ = mk(a, "C")
    elsewhere = mk(root, "Elsewhere")
    outside = mk(root, "Outside")
    inner = mk(outside, "Inner")
    r = soap("h_creates", sfh(fx.fid(inbox), st))
    got = [(x[0], x[1], x[3]) for x in changes(r)]
    ok(sorted(got) == sorted([("Create", a, "A"), ("Create", b, "B"), ("Create", c_, "C")]) and
       got.index(("Create", a, "A")) < got.index(("Create", c_, "C")),
       "three folders made below the inbox: Create A, B and C, A before C (its child); nothing from outside", got)
    st = state_of(r)
    q(f"SELECT ews_move_folder('{b}', ARRAY['{c_}'])")
    q(f"SELECT ews_move_folder('{elsewhere}', ARRAY['{b}'])")
    q(f"SELECT ews_move_folder('{a}', ARRAY['{outside}'])")
    r = soap("h_moves", sfh(fx.fid(inbox), st))
    got = sorted((x[0], x[1]) for x in changes(r))
    # C went with B out of the subtree: deleted too
    want = sorted([("Delete", b), ("Delete", c_), ("Create", outside), ("Create", inner)])
    ok(got == want, "B (with C) moved out: Delete B and C; Outside (with Inner) moved in: Create both", changes(r))
    kinds = [x[0] for x in changes(r)]
    ok(kinds == sorted(kinds, key=lambda k: k != "Delete"), "Deletes come first", kinds)
    st = state_of(r)
    q(f"SELECT ews_move_folder('{a}', ARRAY['{inner}'])")
    q(f"SELECT * FROM ews_delete_folder(ARRAY['{outside}'], 'HardDelete')")
    r = soap("h_move_within_delete", sfh(fx.fid(inbox), st))
    ok(sorted((x[0], x[1]) for x in changes(r)) == sorted([("Update", inner), ("Delete", outside)]),
       "a move within the subtree is an Update; a HardDelete is a Delete", changes(r))
    st = state_of(r)
    r = soap("h_again", sfh(fx.fid(inbox), st))
    ok(changes(r) == [], "then nothing: every change reported once", r.body)
    r = soap("h_whole_again", sfh(None, st_all))
    got = [(x[0], x[1]) for x in changes(r)]
    ok(sorted(got) == sorted(("Create", f) for f in (a, b, c_, elsewhere, inner)),
       "the whole mailbox from its first state: a Create of each folder made since, where it is now; "
       "Outside, made and deleted since, not at all", got)

    # bad states and folders
    items_state = q(f"SELECT next_sync_state FROM ews_sync_folder_items('{inbox}') WHERE change_type IS NULL")
    raw = bytearray(base64.b64decode(st))
    raw[5] ^= 1
    for name, s in [("items_state", items_state), ("whole_mailbox_state", st_all), ("garbage", "%%%"),
                    ("bit_flipped", base64.b64encode(bytes(raw)).decode())]:
        r = soap(f"h_bad_{name}", sfh(fx.fid(inbox), s))
        ok(r.codes() == ["ErrorInvalidSyncStateData"] and frame_ok(r, "SyncFolderHierarchy", "IncludesLastFolderInRange"),
           f"SyncFolderHierarchy with a {name.replace('_', ' ')}: ErrorInvalidSyncStateData, the frame intact", r.body)
    r = soap("h_stranger", sfh(fx.fid(inbox)), mailbox="b@example.com")
    ok(r.codes() == ["ErrorNonExistentMailbox"] and frame_ok(r, "SyncFolderHierarchy", "IncludesLastFolderInRange"),
       "acting for b, a's inbox: ErrorNonExistentMailbox", r.body)
    r = soap("h_bad_shape", sfh(fx.fid(inbox), shape="Most"))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "a bad FolderShape: ErrorSchemaValidation fault", r.body)


def main():
    setup()
    try:
        inbox = items_tests()
        hierarchy_tests(inbox)
        fx.validate_all()
    finally:
        fx.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres", check=False)
    print(f"{fx.passed} passed, {fx.failed} failed")
    if fx.failed:
        print(f"# responses kept in {fx.outdir}")
    return 1 if fx.failed else 0


if __name__ == "__main__":
    sys.exit(main())
