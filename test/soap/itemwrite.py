#!/usr/bin/python3
"""CreateItem, UpdateItem, DeleteItem, MoveItem, CopyItem, UpdateFolder and EmptyFolder
through ews_soap(): the requests DavMail and exchangelib send (recorded shapes from
../shared/research/clients-items.md), every response shape, the faults, per-item
errors, access; every response checked with test/tools/ews-validate.

Run by test/sh/soap_itemwrite.sh inside the test cluster (PGHOST etc. set)."""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "..", "tools", "ews-validate")
DB = "ews_soap_itemwrite"
MBX = "iw@example.com"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}

passed = failed = 0
outdir = tempfile.mkdtemp(prefix="ews_soap_itemwrite.")
responses = []


def ok(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {what}")
    else:
        failed += 1
        print(f"not ok {passed + failed} - {what}")
        if detail is not None:
            print("# " + str(detail)[:3000].replace("\n", "\n# "))
    return cond


def psql(sql, db=DB, check=True):
    r = subprocess.run(["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-d", db],
                       input=sql if isinstance(sql, bytes) else sql.encode(), capture_output=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.decode(errors='replace')}")
    return r


def q(sql, db=DB):
    return psql(sql, db).stdout.decode().strip()


class Resp:
    def __init__(self, status, body):
        self.status, self.body = status, body
        try:
            self.doc = etree.fromstring(body.encode())
        except Exception:  # noqa: BLE001
            self.doc = None

    def x(self, path, node=None):
        base = node if node is not None else self.doc
        return base.xpath(path, namespaces=NS) if base is not None else []

    def codes(self):
        return [c.text for c in self.x("//m:ResponseMessages/*/m:ResponseCode")]

    def texts(self):
        return [m.findtext("m:MessageText", namespaces=NS) for m in self.x("//m:ResponseMessages/*")]

    def fault(self):
        c = self.x("/s:Envelope/s:Body/s:Fault/detail/e:ResponseCode")
        return c[0].text if c else None

    def ids(self):
        """Per response message: (element, Id, ChangeKey) of its item, or None."""
        out = []
        for m in self.x("//m:ResponseMessages/*"):
            it = self.x("m:Items/*", m)
            if it:
                i = self.x("t:ItemId", it[0])[0]
                out.append((etree.QName(it[0]).localname, i.get("Id"), i.get("ChangeKey")))
            else:
                out.append(None)
        return out


def envelope(body, header=""):
    return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + NS["s"] +
            '" xmlns:m="' + NS["m"] + '" xmlns:t="' + NS["t"] + '"><soap:Header>'
            '<t:RequestServerVersion Version="Exchange2013_SP1"/>' + header + '</soap:Header><soap:Body>' + body +
            '</soap:Body></soap:Envelope>')


def soap(name, body, mailbox=MBX, role=None):
    tag = "$ews_req$"
    req = envelope(body)
    assert tag not in req
    mbx = "NULL" if mailbox is None else "'" + mailbox.replace("'", "''") + "'"
    sql = (f"SET ROLE {role};\n" if role else "") + \
        f"SELECT status::text || ' ' || response FROM ews_soap({tag}{req}{tag}, {mbx});\n"
    r = psql(sql, check=False)
    out = r.stdout.decode("utf-8", errors="replace").rstrip("\n")
    status, _, body = out.partition(" ")
    if r.returncode != 0:
        print("# psql: " + r.stderr.decode(errors="replace")[:500])
    fname = os.path.join(outdir, f"{len(responses):03d}-{name}.xml")
    with open(fname, "w") as f:
        f.write(body)
    responses.append((fname, name))
    return Resp(int(status) if status.isdigit() else -1, body)


def iid(ident, ck=None):
    return f'<t:ItemId Id="{ident}"' + (f' ChangeKey="{ck}"' if ck else "") + "/>"


def dfid(name, mailbox=None):
    mb = f"<t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress></t:Mailbox>" if mailbox else ""
    return f'<t:DistinguishedFolderId Id="{name}">{mb}</t:DistinguishedFolderId>'


def fid(ident):
    return f'<t:FolderId Id="{ident}"/>'


def xt(**attrs):
    return "<t:ExtendedFieldURI " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>"


def ext(value, **attrs):
    return f"<t:ExtendedProperty>{xt(**attrs)}<t:Value>{value}</t:Value></t:ExtendedProperty>"


def create(items, folder=dfid("inbox"), disposition="SaveOnly", mailbox=MBX, role=None, name="create"):
    saved = f"<m:SavedItemFolderId>{folder}</m:SavedItemFolderId>" if folder else ""
    disp = f' MessageDisposition="{disposition}"' if disposition else ""
    return soap(name, f"<m:CreateItem{disp}>{saved}<m:Items>{''.join(items)}</m:Items></m:CreateItem>",
                mailbox=mailbox, role=role)


def update(changes, cr="AlwaysOverwrite", extra="", mailbox=MBX, role=None, name="update"):
    return soap(name, f'<m:UpdateItem ConflictResolution="{cr}" MessageDisposition="SaveOnly"{extra}>'
                f"<m:ItemChanges>{''.join(changes)}</m:ItemChanges></m:UpdateItem>", mailbox=mailbox, role=role)


def change(item, *updates, ck=None):
    return f"<t:ItemChange>{iid(item, ck)}<t:Updates>{''.join(updates)}</t:Updates></t:ItemChange>"


def set_field(uri, element, value, item="Message"):
    return f'<t:SetItemField><t:FieldURI FieldURI="{uri}"/><t:{item}><t:{element}>{value}</t:{element}></t:{item}></t:SetItemField>'


def set_ext(value, **attrs):
    return f"<t:SetItemField>{xt(**attrs)}<t:Item>{ext(value, **attrs)}</t:Item></t:SetItemField>"


def delete_ext(**attrs):
    return f"<t:DeleteItemField>{xt(**attrs)}</t:DeleteItemField>"


def stored(item_id):
    """The row of an item: subject, is_read, flag_status, imap_deleted, categories, folder, MIME."""
    r = q(f"""SELECT json_build_object('subject', subject, 'is_read', is_read, 'flag_status', flag_status,
              'imap_deleted', imap_deleted, 'categories', categories, 'folder', folder_id, 'flags', message_flags,
              'mime', encode(ews.prop_bytea(blob, x'7E010102'::int, NULL, NULL, NULL), 'base64'),
              'verb', ews.prop_int8(blob, x'10810003'::int, NULL, NULL, NULL), 'cn', change_number, 'ccn', content_cn)
              FROM ews.item WHERE item_id = ('x' || encode(substring(decode('{item_id}', 'base64') FROM 45 FOR 8),
              'hex'))::bit(64)::bigint""")
    if not r:
        return None
    import json
    d = json.loads(r)
    d["mime"] = base64.b64decode(d["mime"]) if d["mime"] else None
    return d


def folder_local(folder_id):
    return int(q(f"SELECT ('x' || encode(substring(decode('{folder_id}', 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint"))


def count_in(folder_id):
    return int(q(f"SELECT count(*) FROM ews.item WHERE folder_id = {folder_local(folder_id)}"))


def create_item(folder, msg):
    return q(f"SELECT item_id FROM ews_create_item('{folder}', '\\x{msg.hex()}'::bytea)")


RAW = (b"From: Alice <alice@example.com>\r\nTo: iw@example.com\r\nSubject: appended\r\n"
       b"Date: Tue, 07 Apr 2026 16:45:00 +0000\r\nMessage-ID: <a1@example.com>\r\n\r\nAppended.\r\nTwo lines.\r\n")
F = {}


def setup():
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    psql("""
DO $$ BEGIN CREATE ROLE ews_iw_owner; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ews_iw_stranger; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE EXTENSION ews;
""")
    psql(f"SELECT ews_create_mailbox('{MBX}', 'Item Writes', 'ews_iw_owner')")
    psql("SELECT ews_create_mailbox('iw-stranger@example.com', 'Stranger', 'ews_iw_stranger')")
    for role in ("ews_iw_owner", "ews_iw_stranger"):
        psql(f"DO $$ BEGIN EXECUTE 'GRANT ews_user TO {role}'; EXCEPTION WHEN undefined_object THEN NULL; END $$")
    for d in ("inbox", "drafts", "junkemail", "deleteditems", "recoverableitemsdeletions", "msgfolderroot"):
        F[d] = q(f"SELECT ews_folder_id('{MBX}', '{d}')")
    F["s_inbox"] = q("SELECT ews_folder_id('iw-stranger@example.com', 'inbox')")
    # the mailbox's user is an editor of the other mailbox (issue 11's delegates):
    # a move into it is then a cross-mailbox move, not one into a mailbox it cannot see
    psql(f"SELECT ews_add_delegate('iw-stranger@example.com', '{MBX}', 'editor')")


# ---- CreateItem ----

def create_tests():
    # DavMail's APPEND (wire shape): MIME, then extended properties in HashMap order
    r = create([f"<t:Message><t:MimeContent>{base64.b64encode(RAW).decode()}</t:MimeContent>"
                + ext("9", PropertyTag="0xe07", PropertyType="Integer")
                + ext("c1036513-0000.EML", PropertyTag="0x10f3", PropertyType="String")
                + ext("2", PropertyTag="0x1090", PropertyType="Integer")
                + ext("2026-04-08T07:30:00.123Z", PropertyTag="0xe06", PropertyType="SystemTime")
                + "</t:Message>"], name="create-davmail")
    ids = r.ids()
    ok(r.status == 200 and r.codes() == ["NoError"] and ids[0] and ids[0][0] == "Message",
       "DavMail's APPEND: CreateItem of MimeContent with extended properties answers t:Message/t:ItemId", r.body)
    s = stored(ids[0][1]) if ids[0] else None
    ok(s and s["mime"] == RAW and s["is_read"] and s["flags"] == 9 and s["flag_status"] == 2,
       "the message is stored byte for byte, read and draft from 0x0E07, flagged from 0x1090", s)
    F["appended"] = ids[0][1] if ids[0] else None

    # exchangelib's Message(...).save() (wire shape), into the drafts folder by default
    r = soap("create-exchangelib", '<m:CreateItem MessageDisposition="SaveOnly" SendMeetingInvitations="SendToNone"><m:Items>'
             '<t:Message><t:Subject>Hi</t:Subject><t:Sensitivity>Normal</t:Sensitivity><t:Body BodyType="Text">Hello</t:Body>'
             '<t:Importance>Normal</t:Importance><t:ReminderIsSet>0</t:ReminderIsSet><t:ReminderMinutesBeforeStart>0</t:ReminderMinutesBeforeStart>'
             '<t:ToRecipients><t:Mailbox><t:EmailAddress>a@b.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType>'
             '<t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:ToRecipients><t:IsReadReceiptRequested>0</t:IsReadReceiptRequested>'
             '<t:IsDeliveryReceiptRequested>0</t:IsDeliveryReceiptRequested><t:IsRead>0</t:IsRead>'
             '<t:IsResponseRequested>0</t:IsResponseRequested></t:Message></m:Items></m:CreateItem>')
    ids = r.ids()
    s = stored(ids[0][1]) if ids and ids[0] else None
    ok(r.codes() == ["NoError"] and s and s["folder"] == folder_local(F["drafts"]) and s["subject"] == "Hi"
       and s["mime"] and b"To: a@b.example\r\nSubject: Hi\r\n" in s["mime"] and s["mime"].endswith(b"\r\n\r\nHello"),
       "exchangelib's save() without SavedItemFolderId: into Drafts, its message written by the store", s)
    F["hi"] = ids[0][1] if ids and ids[0] else None

    # several items, one refused: the others are stored, answers in order
    r = create(["<t:Message><t:Subject>one</t:Subject></t:Message>", "<t:ReplyToItem/>",
                "<t:Task><t:Subject>task</t:Subject><t:Status>NotStarted</t:Status></t:Task>",
                "<t:Message><t:Subject>bad value</t:Subject>" + ext("x", PropertyTag="0x1090", PropertyType="Integer") + "</t:Message>"],
               folder=fid(F["junkemail"]), name="create-batch")
    ok(r.codes() == ["NoError", "ErrorInvalidItemForOperationCreateItem", "NoError", "ErrorInvalidExtendedPropertyValue"]
       and [i and i[0] for i in r.ids()] == ["Message", None, "Task", None]
       and r.x("//m:ResponseMessages/*[2]/m:Items") and not r.x("//m:ResponseMessages/*[2]/m:Items/*"),
       "a batch: one answer per item in order, t:Task for a task, an empty m:Items for each refused one", r.body)
    ok(count_in(F["junkemail"]) == 2, "the refused items stored nothing", count_in(F["junkemail"]))

    # no transport
    before = count_in(F["inbox"])
    for disp in ("SendOnly", "SendAndSaveCopy"):
        r = create(["<t:Message><t:Subject>send me</t:Subject></t:Message>"], disposition=disp, name="create-send")
        ok(r.status == 200 and r.codes() == ["ErrorMessageSubmissionBlocked"] and "transport" in (r.texts()[0] or ""),
           f"{disp}: ErrorMessageSubmissionBlocked, saying there is no mail transport (not ErrorInvalidRequest)", r.body)
    ok(count_in(F["inbox"]) == before, "nothing was saved for them")

    # no acting mailbox: Drafts cannot be named
    r = soap("create-noacting", '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message/></m:Items></m:CreateItem>',
             mailbox=None)
    ok(r.codes() == ["ErrorInvalidRequest"], "without SavedItemFolderId and without an acting mailbox: an error message", r.body)

    # faults: the request breaks the schema
    for label, body in (
        ("bad MessageDisposition", '<m:CreateItem MessageDisposition="Keep"><m:Items><t:Message/></m:Items></m:CreateItem>'),
        ("no m:Items", '<m:CreateItem MessageDisposition="SaveOnly"/>'),
        ("empty m:Items", '<m:CreateItem MessageDisposition="SaveOnly"><m:Items/></m:CreateItem>'),
        ("bad boolean", '<m:CreateItem><m:Items><t:Message><t:IsRead>yes</t:IsRead></t:Message></m:Items></m:CreateItem>'),
        ("bad importance", '<m:CreateItem><m:Items><t:Message><t:Importance>Urgent</t:Importance></t:Message></m:Items></m:CreateItem>'),
        ("MimeContent not base64", '<m:CreateItem><m:Items><t:Message><t:MimeContent>@@</t:MimeContent></t:Message></m:Items></m:CreateItem>'),
        ("Body without BodyType", '<m:CreateItem><m:Items><t:Message><t:Body>x</t:Body></t:Message></m:Items></m:CreateItem>'),
        ("ExtendedProperty without value", '<m:CreateItem><m:Items><t:Message><t:ExtendedProperty>'
         + xt(PropertyTag="0x1090", PropertyType="Integer") + '</t:ExtendedProperty></t:Message></m:Items></m:CreateItem>'),
    ):
        r = soap("create-fault", body)
        ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", f"CreateItem with {label}: a schema fault", r.body)


# ---- UpdateItem ----

def update_tests():
    item = F["appended"]
    # DavMail's STORE flags: IsRead in t:Message, extended properties in t:Item, the FindItem change key
    old_ck = q(f"SELECT change_key FROM ews_export_items(ARRAY['{item}'])")
    r = update([change(item, set_field("message:IsRead", "IsRead", "false"), ck=old_ck),
                change(item, set_ext("102", PropertyTag="0x1081", PropertyType="Integer"),
                       set_ext("261", PropertyTag="0x1080", PropertyType="Integer"), ck=old_ck),
                change(item, set_ext("1", DistinguishedPropertySetId="Common", PropertyId="34160", PropertyType="Integer"),
                       ck=old_ck)], name="update-davmail")
    ids = r.ids()
    ok(r.codes() == ["NoError"] * 3 and all(i and i[1] == item for i in ids)
       and len(set(i[2] for i in ids)) == 3 and old_ck not in [i[2] for i in ids],
       "DavMail's STORE with an old change key (AlwaysOverwrite): the same id, a new change key each time", r.body)
    ok([c.text for c in r.x("//m:ConflictResults/t:Count")] == ["0", "0", "0"],
       "each answer carries m:ConflictResults with t:Count 0", r.body)
    s = stored(item)
    ok(s["is_read"] is False and s["verb"] == 102 and s["imap_deleted"] == 1 and s["mime"] == RAW,
       "the flags are stored (read bit, 0x1081, PidLidImapDeleted) and the message is untouched", s)
    r = update([change(item, delete_ext(DistinguishedPropertySetId="Common", PropertyId="34160", PropertyType="Integer"),
                       delete_ext(PropertyTag="0x1081", PropertyType="Integer"))], name="update-davmail-clear")
    s = stored(item)
    ok(r.codes() == ["NoError"] and s["imap_deleted"] is None and s["verb"] is None, "-FLAGS: DeleteItemField", s)

    # exchangelib's save(update_fields=[is_read, subject, categories]), AutoResolve
    hi = F["hi"]
    r = update([change(hi, set_field("message:IsRead", "IsRead", "1"), set_field("item:Subject", "Subject", "Changed"),
                       '<t:SetItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories>'
                       '<t:String>Red</t:String><t:String>Blue</t:String></t:Categories></t:Message></t:SetItemField>')],
               cr="AutoResolve", extra=' SendMeetingInvitationsOrCancellations="SendToNone" SuppressReadReceipts="true"',
               name="update-exchangelib")
    s = stored(hi)
    ok(r.codes() == ["NoError"] and r.ids()[0][1] == hi and s["is_read"] and s["subject"] == "Changed"
       and s["categories"] == ["Red", "Blue"] and b"\r\nSubject: Changed\r\n" in s["mime"],
       "exchangelib's save(): IsRead, Subject (in the message too) and Categories", s)

    # conflict resolution
    stale = r.ids()[0][2]
    update([change(hi, set_field("item:Subject", "Subject", "again"))], name="update-again")
    r = update([change(hi, set_field("item:Subject", "Subject", "lost"), ck=stale)], cr="NeverOverwrite", name="update-never")
    ok(r.codes() == ["ErrorIrresolvableConflict"] and stored(hi)["subject"] == "again"
       and r.x("//m:ResponseMessages/*[1]/m:Items") and not r.x("//m:ConflictResults"),
       "NeverOverwrite with an old change key: ErrorIrresolvableConflict, an empty m:Items, nothing written", r.body)
    r = update([change(hi, set_field("item:Subject", "Subject", "lost"))], cr="NeverOverwrite", name="update-never-nock")
    ok(r.codes() == ["ErrorChangeKeyRequiredForWriteOperations"], "NeverOverwrite without a change key", r.body)

    # per-change errors; the other changes of the request are made
    r = update([change(hi, set_field("item:Size", "Size", "1")),
                change(hi, '<t:DeleteItemField><t:FieldURI FieldURI="message:IsRead"/></t:DeleteItemField>'),
                change(hi, '<t:AppendToItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject>'
                       '</t:Message></t:AppendToItemField>'),
                change(hi, '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message/></t:SetItemField>'),
                change(hi, '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Sensitivity>Normal</t:Sensitivity>'
                       '</t:Message></t:SetItemField>'),
                change(hi, '<t:SetItemField>' + xt(PropertyTag="0x1090", PropertyType="Integer") + '<t:Item>'
                       + ext("2", PropertyTag="0x1091", PropertyType="Integer") + '</t:Item></t:SetItemField>'),
                change(hi, set_field("item:Culture", "Culture", "de-DE")),
                '<t:ItemChange><t:OccurrenceItemId RecurringMasterId="' + hi + '" InstanceIndex="1"/><t:Updates>'
                + set_field("item:Subject", "Subject", "o") + '</t:Updates></t:ItemChange>',
                change(hi, set_ext("3", PropertyTag="0xe08", PropertyType="Integer"))], name="update-errors")
    ok(r.codes() == ["ErrorInvalidPropertySet", "ErrorInvalidPropertyDelete", "ErrorInvalidPropertyAppend",
                     "ErrorIncorrectUpdatePropertyCount", "ErrorUpdatePropertyMismatch", "ErrorUpdatePropertyMismatch",
                     "NoError", "ErrorItemNotFound", "ErrorInvalidPropertySet"],
       "read-only Size, deleting IsRead, appending to Subject, no property, a mismatched property or extended property, "
       "a field the store does not keep (accepted), an occurrence id, PidTagMessageSize", r.codes())

    # a reader and the id errors
    r = update([change("AAMk"), change(F["inbox"]), change(hi, ck="AAAA")], name="update-ids")
    ok(r.codes() == ["ErrorInvalidIdMalformed", "ErrorCannotUseFolderIdForItemId", "ErrorInvalidChangeKey"], "id errors", r.body)
    for label, body in (
        ("no ConflictResolution", '<m:UpdateItem><m:ItemChanges>' + change(hi, set_field("item:Subject", "Subject", "x")) + '</m:ItemChanges></m:UpdateItem>'),
        ("a bad ConflictResolution", '<m:UpdateItem ConflictResolution="Merge"><m:ItemChanges>' + change(hi, set_field("item:Subject", "Subject", "x"))
         + '</m:ItemChanges></m:UpdateItem>'),
        ("a FieldURI outside the schema", '<m:UpdateItem ConflictResolution="AutoResolve"><m:ItemChanges>'
         + change(hi, '<t:DeleteItemField><t:FieldURI FieldURI="item:Nonsense"/></t:DeleteItemField>') + '</m:ItemChanges></m:UpdateItem>'),
        ("an unknown change", '<m:UpdateItem ConflictResolution="AutoResolve"><m:ItemChanges>'
         + change(hi, '<t:ReplaceItemField/>') + '</m:ItemChanges></m:UpdateItem>'),
        ("SetItemField without an item", '<m:UpdateItem ConflictResolution="AutoResolve"><m:ItemChanges>'
         + change(hi, '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/></t:SetItemField>') + '</m:ItemChanges></m:UpdateItem>'),
    ):
        r = soap("update-fault", body)
        ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", f"UpdateItem with {label}: a schema fault", r.body)
    r = update([change(hi, set_field("item:Subject", "Subject", "sent?"))], extra=' SavedItemFolderId=""', name="update-send") \
        if False else soap("update-send", '<m:UpdateItem ConflictResolution="AutoResolve" MessageDisposition="SendAndSaveCopy"><m:ItemChanges>'
                           + change(hi, set_field("item:Subject", "Subject", "sent?")) + '</m:ItemChanges></m:UpdateItem>')
    ok(r.codes() == ["ErrorMessageSubmissionBlocked"] and stored(hi)["subject"] == "again",
       "UpdateItem SendAndSaveCopy: ErrorMessageSubmissionBlocked, nothing written", r.body)


# ---- DeleteItem, MoveItem, CopyItem ----

def move_tests():
    m = [create_item(F["inbox"], b"Subject: mover %d\r\n\r\nx\r\n" % k) for k in range(5)]
    r = soap("copy", f'<m:CopyItem><m:ToFolderId>{dfid("junkemail")}</m:ToFolderId><m:ItemIds>{iid(m[0])}{iid(m[0])}'
             f'{iid("garbage")}</m:ItemIds></m:CopyItem>')
    ids = r.ids()
    ok(r.codes() == ["NoError", "NoError", "ErrorInvalidIdMalformed"] and ids[0][1] != ids[1][1] and ids[0][0] == "Message"
       and stored(ids[0][1])["folder"] == folder_local(F["junkemail"]) and stored(m[0]) is not None,
       "CopyItem: each copy a new item in the target, the original stays; a bad id in its place", r.body)
    old_ck = q(f"SELECT change_key FROM ews_export_items(ARRAY['{m[1]}'])")
    update([change(m[1], set_field("message:IsRead", "IsRead", "true"))], name="update-before-move")
    r = soap("move", f'<m:MoveItem><m:ToFolderId>{fid(F["junkemail"])}</m:ToFolderId><m:ItemIds>{iid(m[1], old_ck)}'
             f'{iid(m[1])}</m:ItemIds></m:MoveItem>')
    ids = r.ids()
    ok(r.codes() == ["NoError", "ErrorItemNotFound"] and ids[0][1] != m[1] and stored(m[1]) is None
       and stored(ids[0][1])["folder"] == folder_local(F["junkemail"]),
       "MoveItem (an old change key accepted): a new id in the target; the old id is gone, the second time not found", r.body)
    r = soap("move-noids", f'<m:MoveItem><m:ToFolderId>{dfid("junkemail")}</m:ToFolderId><m:ItemIds>{iid(m[2])}</m:ItemIds>'
             '<m:ReturnNewItemIds>false</m:ReturnNewItemIds></m:MoveItem>')
    ok(r.codes() == ["NoError"] and r.x("//m:ResponseMessages/*[1]/m:Items") and not r.x("//m:Items/*"),
       "ReturnNewItemIds false: success with an empty m:Items", r.body)
    r = soap("move-cross", f'<m:MoveItem><m:ToFolderId>{fid(F["s_inbox"])}</m:ToFolderId><m:ItemIds>{iid(m[3])}</m:ItemIds></m:MoveItem>')
    ok(r.codes() == ["ErrorCrossMailboxMoveCopy"], "into another mailbox the caller may use: ErrorCrossMailboxMoveCopy", r.body)
    r = soap("move-notarget", f'<m:MoveItem><m:ToFolderId>{fid(F["inbox"][:-8] + "AAAAAAA=")}</m:ToFolderId><m:ItemIds>{iid(m[3])}'
             f'{iid(m[4])}</m:ItemIds></m:MoveItem>')
    ok(r.codes() and set(r.codes()) <= {"ErrorToFolderNotFound", "ErrorInvalidIdMalformed"} and len(r.codes()) == 2,
       "a target that does not exist: every id answers for it", r.codes())
    # DeleteItem three ways, DavMail's shape
    d = [create_item(F["inbox"], b"Subject: doomed %d\r\n\r\nx\r\n" % k) for k in range(3)]
    for item, dt, where in ((d[0], "HardDelete", None), (d[1], "SoftDelete", "recoverableitemsdeletions"),
                            (d[2], "MoveToDeletedItems", "deleteditems")):
        r = soap("delete", f'<m:DeleteItem AffectedTaskOccurrences="AllOccurrences" DeleteType="{dt}" '
                 f'SendMeetingCancellations="SendToNone"><m:ItemIds>{iid(item)}</m:ItemIds></m:DeleteItem>')
        subject = f"doomed {d.index(item)}"
        there = q(f"SELECT f.distinguished FROM ews.item i JOIN ews.folder f USING (mailbox_id, folder_id) WHERE i.subject = '{subject}'")
        ok(r.codes() == ["NoError"] and not r.x("//m:Items") and stored(item) is None and (there or None) == where,
           f"DeleteItem {dt}: no payload; the item {'is gone' if where is None else 'is in ' + where}", (r.body, there))
    r = soap("delete-fault", f'<m:DeleteItem><m:ItemIds>{iid(d[0])}</m:ItemIds></m:DeleteItem>')
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "DeleteItem without DeleteType: a schema fault", r.body)


# ---- UpdateFolder, EmptyFolder ----

def folder_tests():
    f1 = q(f"SELECT folder_id FROM ews_create_folder('{F['msgfolderroot']}', 'Archive')")
    ck = q(f"SELECT change_key FROM ews_get_folder(ARRAY['{f1}'])")
    # DavMail's RENAME
    r = soap("update-folder", f'<m:UpdateFolder><m:FolderChanges><t:FolderChange>{fid(f1)}<t:Updates><t:SetFolderField>'
             '<t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Archive 2026</t:DisplayName></t:Folder>'
             '</t:SetFolderField></t:Updates></t:FolderChange><t:FolderChange>' + dfid("inbox") + '<t:Updates><t:SetFolderField>'
             '<t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Posteingang</t:DisplayName></t:Folder>'
             '</t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>')
    fids = r.x("//m:Folders/t:Folder/t:FolderId")
    ok(r.codes() == ["NoError", "ErrorInvalidPropertySet"] and fids and fids[0].get("Id") == f1 and fids[0].get("ChangeKey") != ck
       and q(f"SELECT display_name FROM ews.folder WHERE folder_id = {folder_local(f1)}") == "Archive 2026",
       "UpdateFolder: renamed, same id, new change key; the inbox keeps its name", r.body)
    r = soap("update-folder-class", f'<m:UpdateFolder><m:FolderChanges><t:FolderChange>{fid(f1)}<t:Updates><t:SetFolderField>'
             '<t:FieldURI FieldURI="folder:FolderClass"/><t:Folder><t:FolderClass>IPF.Appointment</t:FolderClass></t:Folder>'
             '</t:SetFolderField><t:SetFolderField>' + xt(PropertyTag="0x3001", PropertyType="String") + '<t:Folder>'
             '<t:ExtendedProperty>' + xt(PropertyTag="0x3001", PropertyType="String") + '<t:Value>Calendar 2</t:Value>'
             '</t:ExtendedProperty></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>')
    ok(r.codes() == ["NoError"] and r.x("//m:Folders/t:CalendarFolder/t:FolderId")
       and q(f"SELECT display_name || '|' || folder_class FROM ews.folder WHERE folder_id = {folder_local(f1)}") == "Calendar 2|IPF.Appointment",
       "FolderClass and PidTagDisplayName by tag: written as t:CalendarFolder now", r.body)
    r = soap("update-folder-errors", '<m:UpdateFolder><m:FolderChanges>' + "".join(
        f'<t:FolderChange>{fid(f1)}<t:Updates>{u}</t:Updates></t:FolderChange>' for u in (
            '<t:SetFolderField><t:FieldURI FieldURI="folder:TotalCount"/><t:Folder><t:TotalCount>1</t:TotalCount></t:Folder></t:SetFolderField>',
            '<t:DeleteFolderField><t:FieldURI FieldURI="folder:DisplayName"/></t:DeleteFolderField>',
            '<t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>INBOX</t:DisplayName></t:Folder></t:SetFolderField>',
            '<t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Root</t:DisplayName></t:Folder></t:SetFolderField>',
            '<t:DeleteFolderField><t:FieldURI FieldURI="folder:PermissionSet"/></t:DeleteFolderField>',
            '<t:SetFolderField>' + xt(PropertyTag="0x3602", PropertyType="Integer") + '<t:Folder><t:ExtendedProperty>'
            + xt(PropertyTag="0x3602", PropertyType="Integer") + '<t:Value>5</t:Value></t:ExtendedProperty></t:Folder></t:SetFolderField>',
        )) + '</m:FolderChanges></m:UpdateFolder>')
    ok(r.codes() == ["ErrorInvalidPropertySet", "ErrorInvalidPropertyDelete", "ErrorFolderExists", "NoError", "NoError",
                     "ErrorInvalidPropertySet"] and r.x("//m:ResponseMessages/*[4]/m:Folders/*"),
       "read-only TotalCount, no display name, a sibling's name in another case, a name taken outside its parent, "
       "no permissions, other properties", r.codes())
    # EmptyFolder as exchangelib sends it
    box = q(f"SELECT folder_id FROM ews_create_folder('{F['inbox']}', 'To empty')")
    sub = q(f"SELECT folder_id FROM ews_create_folder('{box}', 'Inner')")
    for k in range(3):
        create_item(box, b"Subject: e%d\r\n\r\nx\r\n" % k)
    create_item(sub, b"Subject: inner\r\n\r\nx\r\n")
    r = soap("empty", f'<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false"><m:FolderIds>{fid(box)}</m:FolderIds></m:EmptyFolder>')
    ok(r.codes() == ["NoError"] and count_in(box) == 0 and count_in(sub) == 1, "EmptyFolder: the items go, the subfolder stays", r.body)
    r = soap("empty-sub", f'<m:EmptyFolder DeleteType="MoveToDeletedItems" DeleteSubFolders="1"><m:FolderIds>{fid(box)}'
             f'{dfid("deleteditems")}{dfid("root")}</m:FolderIds></m:EmptyFolder>')
    ok(r.codes() == ["NoError", "ErrorCannotEmptyFolder", "ErrorDeleteDistinguishedFolder"]
       and q(f"SELECT p.distinguished FROM ews.folder s JOIN ews.folder p ON p.mailbox_id = s.mailbox_id AND p.folder_id = s.parent_id"
             f" WHERE s.folder_id = {folder_local(sub)}") == "deleteditems",
       "EmptyFolder with subfolders into Deleted Items; Deleted Items into itself and the root refused", r.body)
    for label, body in (("no DeleteSubFolders", '<m:EmptyFolder DeleteType="HardDelete"><m:FolderIds>' + fid(box) + '</m:FolderIds></m:EmptyFolder>'),
                        ("a bad DeleteType", '<m:EmptyFolder DeleteType="Purge" DeleteSubFolders="false"><m:FolderIds>' + fid(box) + '</m:FolderIds></m:EmptyFolder>'),
                        ("UpdateFolder without t:Updates", '<m:UpdateFolder><m:FolderChanges><t:FolderChange>' + fid(box) + '</t:FolderChange></m:FolderChanges></m:UpdateFolder>')):
        r = soap("folder-fault", body)
        ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", f"{label}: a schema fault", r.body)


# ---- access ----

def access_tests():
    victim = create_item(F["inbox"], b"Subject: victim\r\n\r\nx\r\n")
    state = "SELECT md5(string_agg(x, '' ORDER BY x)) FROM (SELECT i::text x FROM ews.item i UNION ALL SELECT f::text FROM ews.folder f) s"
    before = q(state)
    role = "ews_iw_stranger"
    rs = [
        create(["<t:Message><t:Subject>x</t:Subject></t:Message>"], folder=fid(F["inbox"]), mailbox=None, role=role, name="acc-create"),
        create(["<t:Message/>"], folder=dfid("inbox", MBX), mailbox=None, role=role, name="acc-create-dist"),
        update([change(victim, set_field("item:Subject", "Subject", "mine"))], mailbox=None, role=role, name="acc-update"),
        soap("acc-delete", f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>{iid(victim)}</m:ItemIds></m:DeleteItem>', mailbox=None, role=role),
        soap("acc-copy", f'<m:CopyItem><m:ToFolderId>{fid(F["s_inbox"])}</m:ToFolderId><m:ItemIds>{iid(victim)}</m:ItemIds></m:CopyItem>',
             mailbox=None, role=role),
        soap("acc-move", f'<m:MoveItem><m:ToFolderId>{fid(F["inbox"])}</m:ToFolderId><m:ItemIds>{iid(victim)}</m:ItemIds></m:MoveItem>',
             mailbox=None, role=role),
        soap("acc-update-folder", f'<m:UpdateFolder><m:FolderChanges><t:FolderChange>{fid(F["junkemail"])}<t:Updates><t:DeleteFolderField>'
             '<t:FieldURI FieldURI="folder:FolderClass"/></t:DeleteFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>',
             mailbox=None, role=role),
        soap("acc-empty", f'<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false"><m:FolderIds>{fid(F["inbox"])}</m:FolderIds></m:EmptyFolder>',
             mailbox=None, role=role),
    ]
    codes = [r.codes() for r in rs]
    ok(all(c == ["ErrorNonExistentMailbox"] for c in codes),
       "a stranger: every write of the mailbox answers ErrorNonExistentMailbox, as for one that does not exist", codes)
    guid = q(f"SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = '{MBX}'")
    ok(all(r.x("//m:MessageXml/t:Value[@Name='MailboxGuid']/text()") == [guid] for r in rs if r is not rs[1]),
       "with the mailbox's GUID in m:MessageXml, as for a missing mailbox")
    ok(q(state) == before, "and nothing changed")
    r = create(["<t:Message><t:Subject>own</t:Subject></t:Message>"], folder=dfid("inbox"), mailbox="iw-stranger@example.com",
               role=role, name="acc-own")
    ok(r.codes() == ["NoError"], "the stranger writes its own mailbox", r.body)


def validate_all():
    files = [f for f, _ in responses]
    r = subprocess.run(["/usr/bin/python3", VALIDATE] + files, capture_output=True)
    lines = r.stdout.decode().splitlines()
    bad = [ln for ln in lines if not ln.endswith(": ok")]
    ok(r.returncode == 0 and not bad and len(lines) == len(files),
       f"every response ({len(files)}) validates against the EWS schema (test/tools/ews-validate)", "\n".join(bad))


def main():
    setup()
    try:
        create_tests()
        update_tests()
        move_tests()
        folder_tests()
        access_tests()
        validate_all()
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres", check=False)
        for role in ("ews_iw_owner", "ews_iw_stranger"):
            psql(f"DROP ROLE IF EXISTS {role}", db="postgres", check=False)
        if failed == 0:
            shutil.rmtree(outdir, ignore_errors=True)
        else:
            print(f"# responses kept in {outdir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
