#!/usr/bin/python3
"""SOAP fixtures for ews_soap(): requests in test/soap/*.xml (with ${VAR}
placeholders filled with real ids), sent through psql; each test checks the
HTTP status and the response's codes, counts and element names, and every
response is then checked with test/tools/ews-validate.

Run by test/sh/soap_fixtures.sh inside the test cluster (PGHOST etc. set)."""
import base64
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import uuid

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "..", "tools", "ews-validate")
DB = "ews_soap_fixtures"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}

passed = failed = 0
outdir = tempfile.mkdtemp(prefix="ews_soap_fixtures.")
responses = []          # (file, what)


def ok(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {what}")
    else:
        failed += 1
        print(f"not ok {passed + failed} - {what}")
        if detail:
            print("# " + str(detail)[:2000].replace("\n", "\n# "))
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
    def __init__(self, status, body, alive):
        self.status, self.body, self.alive = status, body, alive
        try:
            self.doc = etree.fromstring(body.encode())
        except Exception:
            self.doc = None

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


def soap(name, req, mailbox=None, role=None, pre="", db=DB):
    """ews_soap(req, mailbox) in its own session; the session then runs SELECT 1."""
    tag = b"$ews_req$"
    if isinstance(req, str):
        req = req.encode()
    assert tag not in req
    mbx = "NULL" if mailbox is None else "'" + mailbox.replace("'", "''") + "'"
    sql = pre.encode()
    if role:
        sql += f"SET ROLE {role};\n".encode()
    sql += b"SELECT status::text || ' ' || response FROM ews_soap(" + tag + req + tag + b", " + mbx.encode() + b");\n"
    sql += b"SELECT 'alive:' || 1;\n"
    r = psql(sql, db, check=False)
    out = r.stdout.decode("utf-8", errors="replace")
    alive = out.rstrip("\n").endswith("alive:1")
    body = out.rstrip("\n")
    if alive:
        body = body[: -len("alive:1")].rstrip("\n")
    status, _, body = body.partition(" ")
    if r.returncode != 0:
        print("# psql: " + r.stderr.decode(errors="replace")[:500])
    fname = os.path.join(outdir, f"{len(responses):03d}-{name}.xml")
    with open(fname, "w") as f:
        f.write(body)
    responses.append((fname, name))
    return Resp(int(status) if status.isdigit() else -1, body, alive)


def template(file, **kw):
    with open(os.path.join(HERE, file)) as f:
        return string.Template(f.read()).substitute(**kw)


def fid(ident, ck=None):
    return f'<t:FolderId Id="{ident}"' + (f' ChangeKey="{ck}"' if ck else "") + "/>"


def dfid(name, mailbox=None):
    if mailbox:
        return (f'<t:DistinguishedFolderId Id="{name}"><t:Mailbox><t:EmailAddress>{mailbox}'
                "</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>")
    return f'<t:DistinguishedFolderId Id="{name}"/>'


def ews_id(guid, kind, local):
    """an id in the store's layout (README "Id and change key formats")"""
    raw = bytes([0, 3]) + (36).to_bytes(2, "little") + guid.encode() + bytes([0]) + \
        (9).to_bytes(2, "little") + bytes([kind]) + local.to_bytes(8, "big")
    return base64.b64encode(raw).decode()


def envelope(body, header="", ns_soap=NS["s"], ns_m=NS["m"], ns_t=NS["t"]):
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ns_soap}" '
            f'xmlns:m="{ns_m}" xmlns:t="{ns_t}"><soap:Header>{header}</soap:Header>'
            f'<soap:Body>{body}</soap:Body></soap:Envelope>')


GET_INBOX = ('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def setup():
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql(f"DROP DATABASE IF EXISTS {DB}_ascii", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    psql(f"CREATE DATABASE {DB}_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0", db="postgres")
    psql("""
DO $$ BEGIN
  CREATE ROLE ews_fx_alice; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
  CREATE ROLE ews_fx_bob; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
  CREATE ROLE ews_fx_carol; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
  CREATE ROLE ews_fx_dave; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE EXTENSION ews;
GRANT ews_user TO ews_fx_alice, ews_fx_bob, ews_fx_carol, ews_fx_dave;
SELECT ews_create_mailbox('a@example.com', 'A');
SELECT ews_create_mailbox('b@example.com', 'B');
SELECT ews_create_mailbox('alice@example.com', 'Alice', 'ews_fx_alice');
SELECT ews_create_mailbox('bob@example.com', 'Bob', 'ews_fx_bob');
SELECT ews_create_mailbox('bob2@example.com', 'Bob again', 'ews_fx_bob');
INSERT INTO ews.mailbox_grant SELECT mailbox_id, 'ews_fx_carol', 'delegate' FROM ews.mailbox WHERE smtp_address = 'alice@example.com';
INSERT INTO ews.mailbox_grant SELECT mailbox_id, 'ews_fx_dave', 'impersonate' FROM ews.mailbox WHERE smtp_address = 'alice@example.com';
""")
    psql("CREATE EXTENSION ews", db=f"{DB}_ascii")


def ids(mbx, *names):
    return [q(f"SELECT ews_folder_id('{mbx}', '{n}')") for n in names]


def folder_tests():
    inbox, calendar, root, junk = ids("a@example.com", "inbox", "calendar", "root", "junkemail")
    guid = q("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'a@example.com'")
    inbox_ck = q(f"SELECT change_key FROM ews_get_folder(ARRAY['{inbox}'])")

    # GetFolder shapes
    r = soap("get_idonly", template("get_folder.xml", VERSION="Exchange2016", SHAPE="IdOnly", IDS=dfid("inbox")),
             mailbox="a@example.com")
    ok(r.status == 200 and r.codes() == ["NoError"], "GetFolder IdOnly of DistinguishedFolderId inbox: 200 NoError", r.body)
    f = r.x("//m:Folders/t:Folder/t:FolderId")
    ok(len(f) == 1 and f[0].get("Id") == inbox and f[0].get("ChangeKey") == inbox_ck and
       not r.x("//t:DisplayName"), "IdOnly gives the inbox's FolderId with its ChangeKey and nothing else", r.body)
    ok(r.x("/s:Envelope/s:Header/t:ServerVersionInfo/@Version") == ["Exchange2016"] and
       r.x("/s:Envelope/s:Header/t:ServerVersionInfo/@MajorVersion") == ["15"],
       "ServerVersionInfo: MajorVersion 15, Version as requested", r.body)
    ok(r.body.startswith('<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s=') and
       "<m:GetFolderResponse " in r.body and "<t:FolderId " in r.body,
       "responses use the prefixes s:, m:, t:", r.body[:300])

    # IdOnly + AdditionalProperties: exactly the asked-for properties, in schema order
    # (exchangelib asks this way and builds its tree from ParentFolderId)
    extra = ('<t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/>'
             '<t:FieldURI FieldURI="folder:ParentFolderId"/><t:FieldURI FieldURI="folder:EffectiveRights"/>'
             '<t:FieldURI FieldURI="folder:PermissionSet"/><t:ExtendedFieldURI PropertyTag="0x3613" PropertyType="String"/>'
             '</t:AdditionalProperties>')
    r = soap("get_additional", template("get_folder.xml", VERSION="Exchange2016", SHAPE="IdOnly", IDS=dfid("inbox"))
             .replace("</t:BaseShape>", "</t:BaseShape>" + extra), mailbox="a@example.com")
    names = [etree.QName(e).localname for e in r.x("//m:Folders/t:Folder/*")]
    ok(r.status == 200 and names == ["FolderId", "ParentFolderId", "DisplayName", "ExtendedProperty", "EffectiveRights"] and
       r.x("//t:DisplayName/text()") == ["Inbox"] and r.x("//t:EffectiveRights/t:Read/text()") == ["true"] and
       r.x("//t:ExtendedProperty/t:Value/text()") == ["IPF.Note"],
       "IdOnly + AdditionalProperties gives FolderId, ParentFolderId, DisplayName, the class by tag 0x3613, "
       "EffectiveRights and no more (PermissionSet is not kept)", names)
    r = soap("get_additional_bad", template("get_folder.xml", VERSION="Exchange2016", SHAPE="IdOnly", IDS=dfid("inbox"))
             .replace("</t:BaseShape>", "</t:BaseShape><t:AdditionalProperties><t:FieldURI/></t:AdditionalProperties>"),
             mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "a t:FieldURI without FieldURI: schema fault", r.body)

    r = soap("get_default", template("get_folder.xml", VERSION="Exchange2010_SP2", SHAPE="Default", IDS=fid(calendar)))
    el = r.x("//m:Folders/*")
    ok(r.status == 200 and len(el) == 1 and etree.QName(el[0]).localname == "CalendarFolder",
       "GetFolder Default: the calendar is a t:CalendarFolder", r.body)
    ok(r.x("//t:CalendarFolder/t:DisplayName/text()") == ["Calendar"] and
       r.x("//t:CalendarFolder/t:FolderClass/text()") == ["IPF.Appointment"] and
       r.x("//t:CalendarFolder/t:TotalCount/text()") == ["0"] and
       r.x("//t:CalendarFolder/t:ChildFolderCount/text()") == ["0"] and
       not r.x("//t:CalendarFolder/t:UnreadCount") and
       len(r.x("//t:CalendarFolder/t:ParentFolderId[@Id and @ChangeKey]")) == 1,
       "Default shape: DisplayName, FolderClass, ParentFolderId with ChangeKey, counts; no UnreadCount on a calendar", r.body)

    other_guid = str(uuid.uuid4())
    item_id = ews_id(guid, 2, 12345)
    many = "".join([fid(inbox), fid("AAMkAGYzZjZmRiUsidkC+NAAAAY89GAAA="), fid(item_id),
                    fid(ews_id(other_guid, 1, 1)), fid(inbox, "not-a-change-key"),
                    fid(ews_id(guid, 1, 999999999)), dfid("inbox", "b@example.com"),
                    dfid("inbox", "nobody@example.com"), dfid("archiveroot")])
    r = soap("get_all_errors", template("get_folder.xml", VERSION="Exchange2013", SHAPE="AllProperties", IDS=many),
             mailbox="a@example.com")
    # the mailbox argument makes the request act for a@: b@'s inbox answers as a missing mailbox's
    ok(r.status == 200 and r.codes() == [
        "NoError", "ErrorInvalidIdMalformed", "ErrorCannotUseItemIdForFolderId", "ErrorNonExistentMailbox",
        "ErrorInvalidChangeKey", "ErrorFolderNotFound", "ErrorNonExistentMailbox", "ErrorNonExistentMailbox",
        "ErrorFolderNotFound"],
        "GetFolder of 9 ids: one message per id, in order, with each id's code, HTTP 200", r.codes())
    ok(r.x("//m:GetFolderResponseMessage[4]/m:MessageXml/t:Value[@Name='MailboxGuid']/text()") == [other_guid],
       "ErrorNonExistentMailbox carries the GUID in m:MessageXml/t:Value[@Name=MailboxGuid]", r.body)
    ok(r.x("//m:GetFolderResponseMessage[2]/m:DescriptiveLinkKey/text()") == ["0"] and
       [etree.QName(c).localname for c in r.x("//m:GetFolderResponseMessage[2]/*")] ==
       ["MessageText", "ResponseCode", "DescriptiveLinkKey", "Folders"],
       "error messages: MessageText, ResponseCode, DescriptiveLinkKey 0, then the empty m:Folders", r.body)
    b_inbox = ids("b@example.com", "inbox")[0]
    r7 = soap("get_other_mailbox", template("get_folder.xml", VERSION="Exchange2013", SHAPE="IdOnly",
                                            IDS=dfid("inbox", "b@example.com")))
    ok(r7.x("//m:GetFolderResponseMessage//t:FolderId/@Id") == [b_inbox],
       "DistinguishedFolderId with t:Mailbox addresses that mailbox", r7.body)
    ok(r.x("//m:GetFolderResponseMessage[1]//t:DistinguishedFolderId/text()") == ["inbox"] and
       r.x("//m:GetFolderResponseMessage[1]//t:UnreadCount/text()") == ["0"],
       "AllProperties adds DistinguishedFolderId", r.body)

    # FindFolder
    n_children = int(q(f"SELECT count(*) FROM ews_find_folder(ews_folder_id('a@example.com', 'msgfolderroot'), 'Shallow')"))
    n_deep = int(q(f"SELECT count(*) FROM ews_find_folder('{root}', 'Deep')"))
    r = soap("find_shallow", template("find_folder.xml", TRAVERSAL="Shallow", VIEW="", IDS=dfid("msgfolderroot")),
             mailbox="a@example.com")
    folders = r.x("//m:RootFolder/t:Folders/*")
    ok(r.status == 200 and len(folders) == n_children and
       r.x("//m:RootFolder/@TotalItemsInView") == [str(n_children)] and
       r.x("//m:RootFolder/@IncludesLastItemInRange") == ["true"] and
       r.x("//m:RootFolder/@IndexedPagingOffset") == [str(n_children)],
       f"FindFolder Shallow of msgfolderroot: {n_children} folders, RootFolder paging attributes", r.body)
    names = [etree.QName(f).localname for f in folders]
    ok("CalendarFolder" in names and "ContactsFolder" in names and "TasksFolder" in names and "Folder" in names,
       "FindFolder writes each folder as the element its class calls for", names)

    view = '<m:IndexedPageFolderView MaxEntriesReturned="5" Offset="0" BasePoint="Beginning"/>'
    r = soap("find_deep_page1", template("find_folder.xml", TRAVERSAL="Deep", VIEW=view, IDS=fid(root)))
    ok(r.status == 200 and len(r.x("//t:Folders/*")) == 5 and r.x("//m:RootFolder/@IndexedPagingOffset") == ["5"]
       and r.x("//m:RootFolder/@TotalItemsInView") == [str(n_deep)]
       and r.x("//m:RootFolder/@IncludesLastItemInRange") == ["false"],
       f"FindFolder Deep, IndexedPageFolderView 5 from 0: 5 of {n_deep}, next offset 5", r.body)
    first_page = r.x("//t:Folders/*/t:FolderId/@Id")
    view = f'<m:IndexedPageFolderView MaxEntriesReturned="100" Offset="{n_deep - 2}" BasePoint="Beginning"/>'
    r = soap("find_deep_last", template("find_folder.xml", TRAVERSAL="Deep", VIEW=view, IDS=fid(root)))
    ok(len(r.x("//t:Folders/*")) == 2 and r.x("//m:RootFolder/@IncludesLastItemInRange") == ["true"],
       "the last page has the last 2 folders and IncludesLastItemInRange true", r.body)
    view = '<m:IndexedPageFolderView MaxEntriesReturned="5" Offset="1000" BasePoint="Beginning"/>'
    r = soap("find_deep_beyond", template("find_folder.xml", TRAVERSAL="Deep", VIEW=view, IDS=fid(root)))
    ok(r.status == 200 and len(r.x("//m:RootFolder/t:Folders")) == 1 and not r.x("//t:Folders/*"),
       "an offset beyond the end gives an empty t:Folders, present", r.body)
    view = f'<m:IndexedPageFolderView MaxEntriesReturned="5" Offset="{n_deep - 5}" BasePoint="End"/>'
    r = soap("find_deep_end", template("find_folder.xml", TRAVERSAL="Deep", VIEW=view, IDS=fid(root)))
    ok(r.x("//t:Folders/*/t:FolderId/@Id") == first_page,
       "BasePoint End with Offset total-5 gives the first page", r.body)
    view = '<m:IndexedPageFolderView MaxEntriesReturned="0" Offset="0" BasePoint="Beginning"/>'
    r = soap("find_max0", template("find_folder.xml", TRAVERSAL="Deep", VIEW=view, IDS=fid(root)))
    ok(r.status == 200 and r.codes() == ["ErrorInvalidPagingMaxRows"], "MaxEntriesReturned 0: ErrorInvalidPagingMaxRows", r.body)
    r = soap("find_two_parents", template("find_folder.xml", TRAVERSAL="Shallow", VIEW="",
                                          IDS=fid(junk) + fid("bogus")))
    ok(r.codes() == ["NoError", "ErrorInvalidIdMalformed"] and
       r.x("//m:FindFolderResponseMessage[1]/m:RootFolder/@TotalItemsInView") == ["0"] and
       len(r.x("//m:FindFolderResponseMessage[1]/m:RootFolder/t:Folders")) == 1,
       "FindFolder of an empty folder and a bad id: TotalItemsInView 0 with t:Folders, then the error", r.body)
    r = soap("find_restriction", template("find_folder.xml", TRAVERSAL="Shallow",
                                          VIEW="<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI=\"folder:DisplayName\"/>"
                                               "<t:FieldURIOrConstant><t:Constant Value=\"INBOX\"/></t:FieldURIOrConstant>"
                                               "</t:IsEqualTo></m:Restriction>",
                                          IDS=dfid("msgfolderroot")), mailbox="a@example.com")
    ok(r.status == 200 and r.x("//t:Folders/*/t:DisplayName/text()") == ["Inbox"] and
       r.x("//m:RootFolder/@TotalItemsInView") == ["1"],
       "FindFolder with a Restriction (IsEqualTo folder:DisplayName, case ignored): the matching folder alone", r.body)

    # CreateFolder
    r = soap("create_kinds", template("create_folder.xml", PARENT=fid(inbox)))
    ok(r.status == 200 and r.codes() == ["NoError"] * 6 + ["ErrorFolderExists"],
       "CreateFolder of 7 folders: 6 created, the case-insensitive duplicate ErrorFolderExists", r.codes())
    kinds = [etree.QName(e).localname for e in r.x("//m:CreateFolderResponseMessage/m:Folders/*")]
    ok(kinds == ["Folder", "CalendarFolder", "ContactsFolder", "TasksFolder", "SearchFolder", "Folder"] and
       len(r.x("//m:CreateFolderResponseMessage/m:Folders/*/t:FolderId[@Id and @ChangeKey]")) == 6,
       "each created folder answers as the element it was created as, with FolderId and ChangeKey", kinds)
    new_ids = r.x("//m:CreateFolderResponseMessage/m:Folders/*/t:FolderId/@Id")
    classes = q("SELECT string_agg(coalesce(folder_class, 'NULL'), ',' ORDER BY o) FROM ews_get_folder(ARRAY['"
                + "','".join(new_ids) + "']) WITH ORDINALITY g(folder_id, change_key, a, b, c, folder_class, d, e, f, h, i, j, k, l, o)")
    ok(classes == "NULL,IPF.Appointment,IPF.Contact,IPF.Task,NULL,IPF.Note.Custom",
       "classes: t:Folder without FolderClass stays NULL; Calendar/Contacts/Tasks inferred; an explicit one kept", classes)
    name = q(f"SELECT display_name FROM ews_get_folder(ARRAY['{new_ids[5]}'])")
    ok(name == "Classy & <odd>", "escaped display names are stored unescaped", name)
    r = soap("get_created", template("get_folder.xml", VERSION="Exchange2016", SHAPE="Default", IDS=fid(new_ids[5]) + fid(new_ids[3])))
    ok(r.x("//t:Folder/t:DisplayName/text()") == ["Classy & <odd>"] and "Classy &amp; &lt;odd&gt;" in r.body
       and r.x("//m:GetFolderResponseMessage[2]/m:Folders/t:TasksFolder/t:UnreadCount/text()") == ["0"],
       "names are escaped on the way out; a tasks folder is a t:TasksFolder with UnreadCount", r.body)
    r = soap("create_bad_parent", template("create_folder.xml", PARENT=fid(ews_id(guid, 1, 999999999))))
    ok(r.status == 200 and r.codes() == ["ErrorParentFolderNotFound"] * 7, "CreateFolder under a missing parent: ErrorParentFolderNotFound per folder", r.codes())

    # DeleteFolder
    r = soap("delete", template("delete_folder.xml", TYPE="HardDelete", IDS=fid(new_ids[0]) + fid(inbox) + fid(new_ids[0])))
    ok(r.status == 200 and r.codes() == ["NoError", "ErrorDeleteDistinguishedFolder", "ErrorFolderNotFound"],
       "DeleteFolder: deleted, distinguished refused, then not found", r.codes())
    left = q(f"SELECT response_code FROM ews_get_folder(ARRAY['{new_ids[0]}'])")
    ok(left == "ErrorFolderNotFound", "the hard-deleted folder is gone", left)
    r = soap("delete_soft", template("delete_folder.xml", TYPE="MoveToDeletedItems", IDS=fid(new_ids[1])))
    parent = q(f"SELECT parent_folder_id FROM ews_get_folder(ARRAY['{new_ids[1]}'])")
    ok(r.codes() == ["NoError"] and parent == ids("a@example.com", "deleteditems")[0],
       "DeleteFolder MoveToDeletedItems puts the folder under deleteditems", r.body)
    r = soap("delete_badtype", template("delete_folder.xml", TYPE="Shred", IDS=fid(new_ids[2])))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "DeleteType Shred: ErrorSchemaValidation fault", r.body)

    # ConvertId: per-id answers, never a fault
    r = soap("convert_id", template("convert_id.xml", ID=inbox))
    ok(r.status == 200 and r.classes() == ["Success", "Error"] and
       r.x("//m:AlternateId/@Id") == [inbox], "ConvertId: EwsId to EwsId succeeds, other formats are per-id errors", r.body)
    return inbox


def header_tests(inbox):
    for v in ("Exchange2007", "Exchange2010_SP1", "Exchange2019", "V2017_07_11"):
        r = soap("version_" + v, envelope(GET_INBOX, f'<t:RequestServerVersion Version="{v}"/>'), mailbox="a@example.com")
        ok(r.status == 200 and r.x("//t:ServerVersionInfo/@Version") == [v], f"RequestServerVersion {v} accepted and echoed", r.body)
    r = soap("version_bad", envelope(GET_INBOX, '<t:RequestServerVersion Version="Exchange2001"/>'), mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorInvalidServerVersion" and r.x("//t:ServerVersionInfo"),
       "RequestServerVersion Exchange2001: ErrorInvalidServerVersion fault, still with ServerVersionInfo", r.body)
    r = soap("no_header", envelope(GET_INBOX), mailbox="a@example.com")
    ok(r.status == 200 and len(r.x("/s:Envelope/s:Header/t:ServerVersionInfo")) == 1,
       "no RequestServerVersion: 200, ServerVersionInfo present", r.body)
    hdr = ('<t:RequestServerVersion Version="Exchange2013"/><t:MailboxCulture>de-DE</t:MailboxCulture>'
           '<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>'
           '<x:Whatever xmlns:x="urn:example" soap:mustUnderstand="0">1</x:Whatever>')
    r = soap("ignored_headers", template("headers.xml", HEADERS=hdr), mailbox="a@example.com")
    ok(r.status == 200 and r.codes() == ["NoError"], "MailboxCulture, TimeZoneContext and unknown headers are ignored", r.body)

    # acting mailbox
    b_inbox = ids("b@example.com", "inbox")[0]
    r = soap("acting_arg", envelope(GET_INBOX), mailbox="B@Example.com")
    ok(r.x("//t:FolderId/@Id") == [b_inbox], "the mailbox argument is the acting mailbox (case-insensitive)", r.body)
    r = soap("acting_unknown", envelope(GET_INBOX), mailbox="nobody@example.com")
    ok(r.status == 500 and r.fault() == "ErrorNonExistentMailbox", "an unknown mailbox argument: ErrorNonExistentMailbox fault", r.body)
    r = soap("acting_owned", envelope(GET_INBOX), role="ews_fx_alice")
    ok(r.x("//t:FolderId/@Id") == ids("alice@example.com", "inbox"), "no argument: the one mailbox the role owns", r.body)
    r = soap("acting_two", envelope(GET_INBOX), role="ews_fx_bob")
    ok(r.status == 200 and r.codes() == ["ErrorInvalidRequest"],
       "a role owning two mailboxes, DistinguishedFolderId without t:Mailbox: ErrorInvalidRequest message", r.body)
    r = soap("acting_none", envelope(GET_INBOX), role="ews_fx_carol")
    ok(r.status == 200 and r.codes() == ["ErrorInvalidRequest"], "a role owning none: ErrorInvalidRequest message", r.body)
    r = soap("acting_stranger_arg", envelope(GET_INBOX), mailbox="alice@example.com", role="ews_fx_bob")
    ok(r.status == 500 and r.fault() == "ErrorNonExistentMailbox" and "alice" not in r.x("string(//t:FolderId/@Id)"),
       "a mailbox argument the role may not use: ErrorNonExistentMailbox, no data", r.body)

    # ExchangeImpersonation
    def imp(addr, el="PrimarySmtpAddress"):
        return (f'<t:RequestServerVersion Version="Exchange2013"/><t:ExchangeImpersonation><t:ConnectingSID>'
                f'<t:{el}>{addr}</t:{el}></t:ConnectingSID></t:ExchangeImpersonation>')
    alice_inbox = ids("alice@example.com", "inbox")[0]
    r = soap("imp_self", template("headers.xml", HEADERS=imp("alice@example.com")), role="ews_fx_alice")
    ok(r.status == 200 and r.x("//t:FolderId/@Id") == [alice_inbox], "impersonating one's own mailbox works", r.body)
    r = soap("imp_granted", template("headers.xml", HEADERS=imp("alice@example.com", "SmtpAddress")), role="ews_fx_dave")
    ok(r.status == 200 and r.x("//t:FolderId/@Id") == [alice_inbox], "a role with the impersonate grant acts as the mailbox", r.body)
    r = soap("imp_delegate", template("headers.xml", HEADERS=imp("alice@example.com", "PrincipalName")), role="ews_fx_carol")
    ok(r.status == 500 and r.fault() == "ErrorImpersonateUserDenied", "a delegate without the grant: ErrorImpersonateUserDenied", r.body)
    r = soap("imp_stranger", template("headers.xml", HEADERS=imp("alice@example.com")), role="ews_fx_bob")
    ok(r.status == 500 and r.fault() == "ErrorNonExistentMailbox", "a stranger: ErrorNonExistentMailbox, as for no mailbox at all", r.body)
    r = soap("imp_unknown", template("headers.xml", HEADERS=imp("ghost@example.com")), role="ews_fx_dave")
    ok(r.status == 500 and r.fault() == "ErrorNonExistentMailbox", "an unknown address: ErrorNonExistentMailbox", r.body)


def fault_tests():
    good = envelope(GET_INBOX)
    cases = [
        ("not_xml", "hello, world", "ErrorSchemaValidation", None),
        ("empty", "", "ErrorSchemaValidation", None),
        ("not_envelope", "<Envelope/>", "ErrorInvalidRequest", None),
        ("soap12", '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', "ErrorInvalidRequest", "SOAP 1.2"),
        ("no_body", f'<s:Envelope xmlns:s="{NS["s"]}"><s:Header/></s:Envelope>', "ErrorSchemaValidation", "Body"),
        ("empty_body", envelope(""), "ErrorInvalidRequest", "empty"),
        ("two_ops", envelope(GET_INBOX + GET_INBOX), "ErrorInvalidRequest", "more than one"),
        ("op_wrong_ns", envelope(GET_INBOX.replace("<m:GetFolder>", "<t:GetFolder>").replace("</m:GetFolder>", "</t:GetFolder>")),
         "ErrorInvalidRequest", "messages namespace"),
        ("types_wrong_ns", envelope(GET_INBOX, ns_t="http://example.com/types"), "ErrorSchemaValidation", None),
        ("env_wrong_ns", envelope(GET_INBOX, ns_soap="http://example.com/soap"), "ErrorInvalidRequest", None),
        ("missing_shape", envelope('<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'),
         "ErrorSchemaValidation", "FolderShape"),
        ("missing_ids", envelope('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds/></m:GetFolder>'),
         "ErrorSchemaValidation", None),
        ("bad_shape", envelope(GET_INBOX.replace("IdOnly", "Everything")), "ErrorSchemaValidation", "Everything"),
        ("bad_distinguished", envelope(GET_INBOX.replace('"inbox"', '"inbocks"')), "ErrorSchemaValidation", "inbocks"),
        ("folderid_no_id", envelope(GET_INBOX.replace('<t:DistinguishedFolderId Id="inbox"/>', '<t:FolderId/>')), "ErrorSchemaValidation", "Id"),
        ("dup_element", envelope(GET_INBOX.replace("</m:GetFolder>", "<m:FolderIds><t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder>")),
         "ErrorSchemaValidation", "more than once"),
        ("unknown_op", envelope('<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>x</m:UnresolvedEntry></m:ResolveNames>'),
         "ErrorInvalidRequest", "ResolveNames"),
        ("made_up_op", envelope('<m:Frobnicate/>'), "ErrorInvalidRequest", "Frobnicate"),
        ("soft_deleted", envelope(GET_INBOX.replace("m:GetFolder>", "m:FindFolder>").replace("<m:FindFolder>", '<m:FindFolder Traversal="SoftDeleted">')
                                  .replace("m:FolderIds>", "m:ParentFolderIds>")), "ErrorInvalidRequest", "SoftDeleted"),
    ]
    for name, req, code, text in cases:
        r = soap("fault_" + name, req, mailbox="a@example.com")
        ok(r.status == 500 and r.fault() == code and (text is None or text in r.fault_message()) and r.alive,
           f"fault {name}: HTTP 500, {code}", r.body)
    r = soap("https_ns", envelope(GET_INBOX, ns_soap="https://schemas.xmlsoap.org/soap/envelope/",
                                  ns_m="https://schemas.microsoft.com/exchange/services/2006/messages",
                                  ns_t="https://schemas.microsoft.com/exchange/services/2006/types"), mailbox="a@example.com")
    ok(r.status == 200 and r.codes() == ["NoError"] and 'xmlns:m="http://schemas' in r.body and "https://" not in r.body,
       "https:// namespaces are accepted; the response uses http://", r.body)
    r = soap("other_prefixes", good.replace("soap:", "S:").replace("xmlns:soap", "xmlns:S").replace("m:", "msg:")
             .replace("xmlns:m=", "xmlns:msg="), mailbox="a@example.com")
    ok(r.status == 200 and r.codes() == ["NoError"], "namespaces are matched by URI, not by prefix", r.body)


def hostile_tests():
    passwd = "root:x:0:0"
    xxe = ('<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           + envelope(GET_INBOX.replace('Id="inbox"/>', 'Id="inbox"/><t:FolderId Id="&xxe;"/>'))[len('<?xml version="1.0" encoding="utf-8"?>'):])
    r = soap("hostile_xxe", xxe, mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest" and passwd not in r.body and r.alive,
       "DOCTYPE with an external entity (file:///etc/passwd): fault, no file content, backend alive", r.body)
    lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)) + ']>' + \
        envelope(GET_INBOX.replace('Id="inbox"/>', 'Id="inbox"/><t:FolderId Id="&lol9;"/>'))[len('<?xml version="1.0" encoding="utf-8"?>'):]
    r = soap("hostile_billion_laughs", lol, mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest" and "lollol" not in r.body and r.alive,
       "billion laughs: fault, backend alive", r.body)
    r = soap("hostile_doctype_after_comment", '<!-- hi --><?pi x?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>')
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest" and passwd not in r.body,
       "a DOCTYPE after comments and PIs is found too", r.body)
    big = envelope(GET_INBOX + "<!--" + "x" * 4096 + "-->")
    r = soap("hostile_too_large", big, pre="SET ews.max_request_size = '2kB';\n", mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorInvalidRequest" and "max_request_size" in r.fault_message() and r.alive,
       "a request over ews.max_request_size: fault before parsing", r.body)
    deep = envelope("<a>" * 100000 + "</a>" * 100000)
    r = soap("hostile_deep", deep, mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and r.alive, "100 000 nested elements: fault, backend alive", r.body)
    r = soap("hostile_utf8", envelope(GET_INBOX.replace('"inbox"', '"in\xffbox"')).encode("latin-1"),
             db=DB + "_ascii", pre="SET client_encoding = 'SQL_ASCII';\n", mailbox="a@example.com")
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and r.alive,
       "invalid UTF-8 (SQL_ASCII database): fault, backend alive", r.body)
    r = soap("hostile_huge_attr", envelope(GET_INBOX.replace('"inbox"', '"' + "A" * (50 * 1024 * 1024) + '"')),
             pre="SET ews.max_request_size = '64MB';\n", mailbox="a@example.com")
    ok(r.status == 500 and r.fault() in ("ErrorSchemaValidation", "ErrorInvalidRequest") and r.alive and len(r.body) < 10000,
       "a 50 MB attribute: fault, backend alive", r.body[:500])
    r = soap("hostile_huge_attr_default", envelope(GET_INBOX.replace('"inbox"', '"' + "A" * (50 * 1024 * 1024) + '"')),
             mailbox="a@example.com")
    ok(r.status == 500 and "max_request_size" in r.fault_message() and r.alive,
       "a 50 MB attribute under the default limit: refused before parsing", r.body[:500])
    for ref in ("&#0;", "&#x0;", "&#1;"):
        r = soap("hostile_nul", envelope(GET_INBOX.replace('"inbox"', f'"in{ref}box"')), mailbox="a@example.com")
        ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and r.alive,
           f"the character reference {ref} (NUL or control): fault", r.body)
    r = psql("SELECT ews_soap(E'<a>\\\\x00</a>'::text || chr(0))", check=False)
    ok(r.returncode != 0 and b"null character not permitted" in r.stderr,
       "a NUL byte cannot reach ews_soap at all: PostgreSQL text refuses it", r.stderr)
    good = envelope(GET_INBOX)
    all_ok = True
    for cut in (1, 10, 38, 100, 200, len(good) // 2, len(good) - 20, len(good) - 1):
        r = soap(f"hostile_truncated_{cut}", good[:cut], mailbox="a@example.com")
        if not (r.status == 500 and r.fault() == "ErrorSchemaValidation" and r.alive):
            all_ok = False
            print(f"# truncated at {cut}: {r.body[:300]}")
    ok(all_ok, "truncated documents (8 cuts): each a fault, backend alive")
    ok(q("SELECT 1") == "1", "the server still answers")


def validate_all():
    files = [f for f, _ in responses]
    r = subprocess.run([VALIDATE] + files, capture_output=True, text=True)
    lines = r.stdout.splitlines()
    bad = [l for l in lines if not l.endswith(": ok")]
    ok(len(lines) == len(files) and not bad,
       f"ews-validate: all {len(files)} responses (success, error and fault) validate", "\n".join(bad) or r.stderr)


def main():
    setup()
    try:
        inbox = folder_tests()
        header_tests(inbox)
        fault_tests()
        hostile_tests()
        for extra in EXTRA:
            extra()
        validate_all()
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres", check=False)
        psql(f"DROP DATABASE IF EXISTS {DB}_ascii", db="postgres", check=False)
        for role in ("alice", "bob", "carol", "dave"):
            psql(f"DROP ROLE IF EXISTS ews_fx_{role}", db="postgres", check=False)
        if failed == 0:
            shutil.rmtree(outdir, ignore_errors=True)
        else:
            print(f"# responses kept in {outdir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0



# ---- items (ExportItems, UploadItems) and MoveFolder/CopyFolder ----

def crc32c(data):
    table = crc32c.table
    if table is None:
        table = crc32c.table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
    reg = 0xFFFFFFFF
    for b in data:
        reg = table[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


crc32c.table = None


def blob(subject, body=b"", corrupt=False):
    """an item blob, format version 1 (README "Item blob format")"""
    def unicode_prop(tag, s):
        v = s.encode()
        return tag.to_bytes(4, "little") + len(v).to_bytes(4, "little") + v
    props = [unicode_prop(0x001A001F, "IPM.Note"), unicode_prop(0x0037001F, subject)]
    if body:
        props.append((0x7E010102).to_bytes(4, "little") + len(body).to_bytes(4, "little") + body)
    b = b"EWSB" + (1).to_bytes(2, "little") + (0).to_bytes(2, "little") + len(props).to_bytes(4, "little") + b"".join(props)
    crc = crc32c(b)
    if corrupt:
        crc ^= 1
    return b + crc.to_bytes(4, "little")


def upload_req(items):
    parts = []
    for action, parent, item, data in items:
        it = f'<t:ItemId Id="{item[0]}"' + (f' ChangeKey="{item[1]}"' if item[1] else "") + "/>" if item else ""
        parts.append(f'<t:Item CreateAction="{action}"><t:ParentFolderId Id="{parent}"/>{it}<t:Data>{data}</t:Data></t:Item>')
    return envelope("<m:UploadItems><m:Items>" + "".join(parts) + "</m:Items></m:UploadItems>",
                    '<t:RequestServerVersion Version="Exchange2010_SP1"/>')


def item_tests():
    inbox = ids("a@example.com", "inbox")[0]
    guid = q("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'a@example.com'")
    # three items, made through ews_soap UploadItems
    datas = [base64.b64encode(blob(f"item {i}", b"x" * (1000 * i))).decode() for i in range(1, 4)]
    r = soap("upload_three", upload_req([("CreateNew", inbox, None, d) for d in datas]))
    ok(r.status == 200 and r.codes() == ["NoError"] * 3 and len(r.x("//m:UploadItemsResponseMessage/m:ItemId[@Id and @ChangeKey]")) == 3,
       "UploadItems CreateNew of 3 items: m:ItemId with Id and ChangeKey each", r.body)
    items = r.x("//m:UploadItemsResponseMessage/m:ItemId/@Id")
    cks = r.x("//m:UploadItemsResponseMessage/m:ItemId/@ChangeKey")

    # seed 000 as published (https:// namespaces), with real ids
    r = soap("seed000_export", template("seed000_export_items.xml", ITEM1=items[0], ITEM2=items[1], ITEM3=items[2]))
    ok(r.status == 200 and r.classes() == ["Success"] * 3 and r.x("//m:ExportItemsResponseMessage/m:ItemId/@Id") == items,
       "seed 000 ExportItems request: three Success messages with the ids in order", r.body)
    ok([[etree.QName(c).localname for c in m] for m in r.x("//m:ExportItemsResponseMessage")] ==
       [["ResponseCode", "ItemId", "Data"]] * 3 and r.x("//m:ExportItemsResponseMessage/m:ItemId/@ChangeKey") == cks,
       "each message: ResponseCode, m:ItemId with the current ChangeKey, m:Data (the seed's shape)", r.body[:1500])
    sql_data = q("SELECT string_agg(replace(encode(data, 'base64'), E'\\n', ''), ',' ORDER BY o) FROM ews_export_items(ARRAY['"
                 + "','".join(items) + "']) WITH ORDINALITY e(a, b, data, c, d, f, g, o)").split(",")
    ok(r.x("//m:Data/text()") == sql_data, "m:Data is the base64 of exactly the bytes ews_export_items returns")
    big = base64.b64encode(blob("random", bytes(random.Random(5).getrandbits(8) for _ in range(100003)))).decode()
    r2 = soap("upload_big", upload_req([("CreateNew", inbox, None, big)]))
    big_id = r2.x("//m:ItemId/@Id")
    r2 = soap("export_big", envelope(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{big_id[0] if big_id else ""}"/></m:ItemIds></m:ExportItems>'))
    sql_big = q(f"SELECT replace(encode(data, 'base64'), E'\\n', '') FROM ews_export_items(ARRAY['{big_id[0] if big_id else ''}'])")
    ok(r2.codes() == ["NoError"] and r2.x("//m:Data/text()") == [sql_big] and len(sql_big) > 130000,
       "a 100 KB item of random bytes: the vectorized base64 equals PostgreSQL's encode()", r2.body[:500])
    got = base64.b64decode(r.x("//m:Data/text()")[0])
    ok(got[:4] == b"EWSB" and b"item 1" in got, "the exported blob is the uploaded item (magic, subject)")

    # the seed's error response: a bad change key and an item of an unknown mailbox
    other = str(uuid.uuid4())
    req = template("seed000_export_items.xml", ITEM1=items[0], ITEM2=items[1] + '" ChangeKey="CQAAAA==', ITEM3=ews_id(other, 2, 5))
    r = soap("seed000_export_errors", req)
    ok(r.status == 200 and r.classes() == ["Success", "Error", "Error"] and
       r.codes() == ["NoError", "ErrorInvalidChangeKey", "ErrorNonExistentMailbox"],
       "seed 000 error example: Success, ErrorInvalidChangeKey, ErrorNonExistentMailbox in HTTP 200", r.body[:3000])
    ok(r.x("//m:ExportItemsResponseMessage[2]/m:MessageText/text()") == ["The change key is invalid."] and
       [etree.QName(c).localname for c in r.x("//m:ExportItemsResponseMessage[2]/*")] ==
       ["MessageText", "ResponseCode", "DescriptiveLinkKey"] and
       r.x("//m:ExportItemsResponseMessage[3]/m:MessageText/text()") == ["No mailbox with such guid."] and
       r.x("//m:ExportItemsResponseMessage[3]/m:MessageXml/t:Value[@Name='MailboxGuid']/text()") == [other],
       "error messages as in the seed: texts, DescriptiveLinkKey, MessageXml with the MailboxGuid", r.body[-1500:])
    r = soap("export_folder_id", envelope(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{inbox}"/></m:ItemIds></m:ExportItems>'))
    ok(r.codes() == ["ErrorCannotUseFolderIdForItemId"], "ExportItems of a folder id: ErrorCannotUseFolderIdForItemId", r.body)

    # UploadItems Update: current change key, stale change key, no ItemId, corrupt data
    new = base64.b64encode(blob("item 1, edited")).decode()
    r = soap("upload_update", upload_req([("Update", inbox, (items[0], cks[0]), new)]))
    new_ck = r.x("//m:ItemId/@ChangeKey")
    ok(r.codes() == ["NoError"] and r.x("//m:ItemId/@Id") == [items[0]] and new_ck != [cks[0]],
       "UploadItems Update with the current ChangeKey: same id, new ChangeKey", r.body)
    r = soap("upload_stale", upload_req([("Update", inbox, (items[0], cks[0]), new)]))
    ok(r.status == 200 and r.codes() == ["ErrorIrresolvableConflict"], "Update with a stale ChangeKey: ErrorIrresolvableConflict", r.body)
    before = q("SELECT count(*) FROM ews.item")
    r = soap("upload_update_no_itemid", upload_req([("CreateNew", inbox, None, new), ("Update", inbox, None, new)]))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation" and "ItemId" in r.fault_message(),
       "UploadItems Update without t:ItemId: ErrorSchemaValidation fault", r.body)
    r = soap("upload_not_base64", upload_req([("CreateNew", inbox, None, "not base64!")]))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation", "t:Data that is not base64: fault", r.body)
    r = soap("upload_corrupt", upload_req([("CreateNew", inbox, None, base64.b64encode(blob("bad", corrupt=True)).decode()),
                                           ("CreateNew", ews_id(guid, 1, 999999999), None, new)]))
    ok(r.status == 200 and r.codes()[0] == "ErrorCorruptData" and r.codes()[1] != "NoError",
       "a blob with a wrong CRC: ErrorCorruptData; a missing parent: an error", r.codes())
    ok(q("SELECT count(*) FROM ews.item") == before, "refused uploads and faults write nothing")
    r = soap("upload_wrapped", upload_req([("CreateNew", inbox, None, "\n  ".join(new[i:i + 60] for i in range(0, len(new), 60)))]))
    ok(r.codes() == ["NoError"], "t:Data wrapped in white space is accepted (xs:base64Binary)", r.body)


def move_tests():
    inbox, junk, deleted = ids("a@example.com", "inbox", "junkemail", "deleteditems")
    mk = lambda parent, name: q(f"SELECT folder_id FROM ews_create_folder('{parent}', '{name}')")
    f = mk(inbox, "Seed move")
    old_ck = q(f"SELECT change_key FROM ews_get_folder(ARRAY['{f}'])")
    r = soap("seed003_move", template("seed003_move_folder.xml", FOLDER=f), mailbox="a@example.com")
    ok(r.status == 200 and r.classes() == ["Success"] and r.x("//m:MoveFolderResponseMessage/m:Folders/t:Folder/t:FolderId/@Id") == [f],
       "seed 003 MoveFolder request: Success with the folder's (unchanged) FolderId", r.body)
    new_ck = r.x("//t:FolderId/@ChangeKey")
    now = q(f"SELECT parent_folder_id || ' ' || change_key FROM ews_get_folder(ARRAY['{f}'])")
    ok(now == f"{junk} {new_ck[0] if new_ck else ''}" and new_ck != [old_ck],
       "the folder is now under junkemail, and the response carries its new ChangeKey", now)
    r = soap("seed003_move_distinguished", template("seed003_move_folder.xml", FOLDER=inbox), mailbox="a@example.com")
    ok(r.status == 200 and r.codes() == ["ErrorMoveDistinguishedFolder"] and
       r.x("//m:MessageText/text()") == ["Cannot move distinguished folder."] and
       [etree.QName(c).localname for c in r.x("//m:MoveFolderResponseMessage/*")] ==
       ["MessageText", "ResponseCode", "DescriptiveLinkKey", "Folders"] and not r.x("//m:Folders/*"),
       "seed 003 error example: ErrorMoveDistinguishedFolder with its text and an empty m:Folders", r.body)
    a = mk(inbox, "Move A")
    b = mk(inbox, "Move B")
    req = envelope(f'<m:MoveFolder><m:ToFolderId>{fid(b)}</m:ToFolderId><m:FolderIds>{fid(a)}</m:FolderIds></m:MoveFolder>')
    r1 = soap("move_a_under_b", req)
    req = envelope(f'<m:MoveFolder><m:ToFolderId>{fid(a)}</m:ToFolderId><m:FolderIds>{fid(b)}{fid(a)}</m:FolderIds></m:MoveFolder>')
    r = soap("move_cycle", req)
    ok(r1.codes() == ["NoError"] and r.codes() == ["ErrorMoveCopyFailed", "ErrorMoveCopyFailed"],
       "moving B (A's new parent) under A, or A into itself: ErrorMoveCopyFailed", r.body)
    c = mk(inbox, "Batch C")
    d = mk(inbox, "Batch D")
    req = envelope(f'<m:MoveFolder><m:ToFolderId>{fid(d)}</m:ToFolderId><m:FolderIds>{fid(c)}</m:FolderIds></m:MoveFolder>'
                   .replace("</m:FolderIds>", "</m:FolderIds>"))
    r = soap("move_batch_cycle", envelope(
        f'<m:MoveFolder><m:ToFolderId>{fid(d)}</m:ToFolderId><m:FolderIds>{fid(c)}</m:FolderIds></m:MoveFolder>'))
    r2 = soap("move_batch_cycle_2", envelope(
        f'<m:CopyFolder><m:ToFolderId>{fid(c)}</m:ToFolderId><m:FolderIds>{fid(d)}</m:FolderIds></m:CopyFolder>'))
    ok(r.codes() == ["NoError"] and r2.codes() == ["ErrorMoveCopyFailed"], "copying D into its own descendant C: ErrorMoveCopyFailed", r2.body)
    src = mk(inbox, "Copy me")
    mk(src, "Child")
    r = soap("copy_folder", envelope(
        f'<m:CopyFolder><m:ToFolderId>{dfid("deleteditems")}</m:ToFolderId><m:FolderIds>{fid(src)}{dfid("calendar")}</m:FolderIds></m:CopyFolder>'),
        mailbox="a@example.com")
    copies = r.x("//m:CopyFolderResponseMessage/m:Folders/*/t:FolderId/@Id")
    ok(r.codes() == ["NoError", "NoError"] and len(copies) == 2 and src not in copies and
       etree.QName(r.x("//m:CopyFolderResponseMessage[2]/m:Folders/*")[0]).localname == "CalendarFolder",
       "CopyFolder: new ids; a distinguished folder can be copied (the calendar copy is a t:CalendarFolder)", r.body)
    kids = q(f"SELECT count(*) FROM ews_find_folder('{copies[0]}', 'Shallow')") if copies else "0"
    ok(kids == "1", "the copy has the subfolder too", kids)
    r = soap("move_to_missing", envelope(
        f'<m:MoveFolder><m:ToFolderId>{fid(ews_id(q("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = $$a@example.com$$"), 1, 999999999))}'
        f'</m:ToFolderId><m:FolderIds>{fid(src)}</m:FolderIds></m:MoveFolder>'))
    ok(r.codes() == ["ErrorToFolderNotFound"], "a missing target: ErrorToFolderNotFound", r.body)


# ---- acting for a user: delegates, EffectiveRights, refusals (README "Access control") ----

def access_tests():
    # dave may impersonate alice and bob; bob makes alice a reviewer
    psql("SELECT ews_grant('bob@example.com', 'ews_fx_dave', 'impersonate');"
         "SELECT ews_add_delegate('bob@example.com', 'alice@example.com', 'reviewer');")
    bob_inbox, = ids("bob@example.com", "inbox")
    bob2_inbox, = ids("bob2@example.com", "inbox")
    bob2_guid = q("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'bob2@example.com'")
    r = soap("acting_reviewer_get", template("get_folder.xml", VERSION="Exchange2016", SHAPE="AllProperties",
                                             IDS=fid(bob_inbox)), mailbox="alice@example.com", role="ews_fx_dave")
    rights = {etree.QName(e).localname: e.text for e in r.x("//t:EffectiveRights/*")}
    ok(r.status == 200 and r.codes() == ["NoError"] and rights == {
        "CreateAssociated": "false", "CreateContents": "false", "CreateHierarchy": "false", "Delete": "false",
        "Modify": "false", "Read": "true", "ViewPrivateItems": "false"},
       "acting for alice, bob's reviewer: GetFolder of bob's inbox, EffectiveRights Read only", r.body)
    r = soap("acting_reviewer_create", envelope(
        f'<m:CreateFolder><m:ParentFolderId>{fid(bob_inbox)}</m:ParentFolderId><m:Folders><t:Folder>'
        '<t:DisplayName>Nope</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>'),
        mailbox="alice@example.com", role="ews_fx_dave")
    ok(r.status == 200 and r.codes() == ["ErrorAccessDenied"] and r.x("//m:Folders") and not r.x("//t:FolderId"),
       "acting for alice, bob's reviewer: CreateFolder in bob's inbox is ErrorAccessDenied", r.body)
    r = soap("acting_other_convert", envelope(
        f'<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="{bob2_inbox}" '
        'Mailbox="bob2@example.com"/></m:SourceIds></m:ConvertId>'), mailbox="alice@example.com", role="ews_fx_dave")
    ok(r.status == 200 and r.codes() == ["ErrorNonExistentMailbox"] and
       r.x("//m:MessageXml/t:Value[@Name='MailboxGuid']/text()") == [bob2_guid],
       "acting for alice: ConvertId of a mailbox she may not reach is ErrorNonExistentMailbox", r.body)
    r = soap("acting_two_users", template("headers.xml", HEADERS='<t:RequestServerVersion Version="Exchange2013"/>'
             '<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>bob@example.com</t:PrimarySmtpAddress>'
             '</t:ConnectingSID></t:ExchangeImpersonation>'), mailbox="alice@example.com", role="ews_fx_dave")
    ok(r.status == 500 and r.fault() == "ErrorImpersonateUserDenied",
       "the mailbox argument and ExchangeImpersonation naming two users: ErrorImpersonateUserDenied fault", r.body)


EXTRA = [item_tests, move_tests, access_tests]

if __name__ == "__main__":
    sys.exit(main())
