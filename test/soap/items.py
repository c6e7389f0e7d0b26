#!/usr/bin/python3
"""FindItem, GetItem and ConvertId through ews_soap(): shapes, restrictions (every
operator), sort orders, paging edges, access, bad input; every response checked
with test/tools/ews-validate.

Run by test/sh/soap_items.sh inside the test cluster (PGHOST etc. set)."""
import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "..", "tools", "ews-validate")
DB = "ews_soap_items"
MBX = "fi@example.com"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}

passed = failed = 0
outdir = tempfile.mkdtemp(prefix="ews_soap_items.")
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

    def fault(self):
        c = self.x("/s:Envelope/s:Body/s:Fault/detail/e:ResponseCode")
        return c[0].text if c else None

    def items(self, msg=1):
        return self.x(f"//m:ResponseMessages/*[{msg}]/m:RootFolder/t:Items/*")

    def subjects(self, msg=1):
        return [(i.findtext("t:Subject", namespaces=NS)) for i in self.items(msg)]

    def root(self, attr, msg=1):
        v = self.x(f"//m:ResponseMessages/*[{msg}]/m:RootFolder/@{attr}")
        return v[0] if v else None


def envelope(body):
    return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + NS["s"] +
            '" xmlns:m="' + NS["m"] + '" xmlns:t="' + NS["t"] + '"><soap:Header>'
            '<t:RequestServerVersion Version="Exchange2013_SP1"/></soap:Header><soap:Body>' + body +
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


def fid(ident):
    return f'<t:FolderId Id="{ident}"/>'


def iid(ident, ck=None):
    return f'<t:ItemId Id="{ident}"' + (f' ChangeKey="{ck}"' if ck else "") + "/>"


def find(shape="IdOnly", extra="", view="", restriction="", sort="", parent='<t:DistinguishedFolderId Id="inbox"/>',
         traversal="Shallow", shape_extra=""):
    add = f"<t:AdditionalProperties>{extra}</t:AdditionalProperties>" if extra else ""
    return (f'<m:FindItem Traversal="{traversal}"><m:ItemShape><t:BaseShape>{shape}</t:BaseShape>{shape_extra}{add}</m:ItemShape>'
            f'{view}' + (f"<m:Restriction>{restriction}</m:Restriction>" if restriction else "") +
            (f"<m:SortOrder>{sort}</m:SortOrder>" if sort else "") +
            f'<m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindItem>')


def get(ids, shape="IdOnly", extra="", shape_extra=""):
    add = f"<t:AdditionalProperties>{extra}</t:AdditionalProperties>" if extra else ""
    return (f'<m:GetItem><m:ItemShape><t:BaseShape>{shape}</t:BaseShape>{shape_extra}{add}</m:ItemShape>'
            f'<m:ItemIds>{"".join(ids)}</m:ItemIds></m:GetItem>')


def indexed(maxn=None, offset=0, base="Beginning"):
    m = f' MaxEntriesReturned="{maxn}"' if maxn is not None else ""
    return f'<m:IndexedPageItemView{m} Offset="{offset}" BasePoint="{base}"/>'


def fu(uri):
    return f'<t:FieldURI FieldURI="{uri}"/>'


def xt(**attrs):
    return "<t:ExtendedFieldURI " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>"


def const(v):
    return f'<t:FieldURIOrConstant><t:Constant Value="{v}"/></t:FieldURIOrConstant>'


def cmp(op, path, v):
    return f"<t:{op}>{path}{const(v)}</t:{op}>"


def contains(path, v, mode="Substring", comparison="IgnoreCase"):
    attrs = (f' ContainmentMode="{mode}"' if mode else "") + (f' ContainmentComparison="{comparison}"' if comparison else "")
    return f'<t:Contains{attrs}>{path}<t:Constant Value="{v}"/></t:Contains>'


def order(path, direction="Ascending"):
    return f'<t:FieldOrder Order="{direction}">{path}</t:FieldOrder>'


# ---- the item blob (README "Item blob format"), built here independently of the C codec ----

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


def prop(tag, value):
    t = tag & 0xFFFF
    if t == 0x0003:
        return struct.pack("<Ii", tag, value)
    if t == 0x000B:
        return struct.pack("<IB", tag, 1 if value else 0)
    if t in (0x0014, 0x0040):
        return struct.pack("<Iq", tag, value)
    if t == 0x001F:
        v = value.encode()
        return struct.pack("<II", tag, len(v)) + v
    if t == 0x0102:
        return struct.pack("<II", tag, len(value)) + value
    raise ValueError(hex(tag))


def blob(props):
    props = sorted(props, key=lambda p: p[0])
    body = b"EWSB" + struct.pack("<HHI", 1, 0, len(props)) + b"".join(prop(t, v) for t, v in props)
    return body + struct.pack("<I", crc32c(body))


def filetime(iso):
    q_ = q(f"SELECT (extract(epoch FROM '{iso}'::timestamptz) * 10000000)::bigint + 116444736000000000")
    return int(q_)


def mime(subject, date, body, msgid, sender="Alice Example <alice@example.com>", to="Bob <bob@example.com>",
         cc=None, extra=()):
    lines = [f"From: {sender}", f"To: {to}"] + ([f"Cc: {cc}"] if cc else []) + \
        [f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{msgid}@example.com>", "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"] + list(extra) + [""]
    return ("\r\n".join(lines) + "\r\n" + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


def create_item(folder, msg):
    hexed = msg.hex()
    return q(f"SELECT item_id FROM ews_create_item('{folder}', '\\x{hexed}'::bytea)")


def upload(folder, data, associated=False):
    return q(f"SELECT item_id FROM ews_upload_items(ARRAY['{folder}'], ARRAY['\\x{data.hex()}'::bytea], "
             f"is_associated => ARRAY[{'true' if associated else 'false'}])")


# a message with text and HTML bodies, an attachment, recipients, In-Reply-To
RICH = ("From: Alice Example <alice@example.com>\r\nSender: Secretary <sec@example.com>\r\n"
        "To: Bob <bob@example.com>, carol@example.com\r\nCc: \"Dan, D.\" <dan@example.com>\r\n"
        "Reply-To: replies@example.com\r\nSubject: =?utf-8?b?UmljaCDDvGJlciBhbGxlcw==?=\r\n"
        "Date: Mon, 05 Jan 2026 10:00:00 +0000\r\nMessage-ID: <rich1@example.com>\r\n"
        "In-Reply-To: <rich0@example.com>\r\nReferences: <rich00@example.com> <rich0@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n"
        "--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello <plain> & more\r\n"
        "--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>html</b></p>\r\n--b2--\r\n"
        "--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n").encode()


# ---- setup ----

ITEMS = {}


def setup():
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    psql("""
DO $$ BEGIN CREATE ROLE ews_fi_owner; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ews_fi_stranger; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE EXTENSION ews;
""")
    psql(f"SELECT ews_create_mailbox('{MBX}', 'Find Items', 'ews_fi_owner')")
    psql("SELECT ews_create_mailbox('stranger@example.com', 'Stranger', 'ews_fi_stranger')")
    # a role that may use neither mailbox but may call the functions, whatever 0.2's EXECUTE rules are
    for role in ("ews_fi_owner", "ews_fi_stranger"):
        psql(f"DO $$ BEGIN EXECUTE 'GRANT ews_user TO {role}'; EXCEPTION WHEN undefined_object THEN NULL; END $$")
    inbox = q(f"SELECT ews_folder_id('{MBX}', 'inbox')")
    ITEMS["inbox"] = inbox
    ITEMS["m1"] = create_item(inbox, mime("Quarterly report", "Sat, 10 Jan 2026 09:00:00 +0000",
                                          "The numbers.\nSee you.", "q1", cc="Carol <carol@example.com>"))
    ITEMS["m2"] = create_item(inbox, mime("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "Sun, 15 Feb 2026 12:30:00 +0100",
                                          "Hallo Welt", "k1", sender="Bob <bob@example.com>"))
    ITEMS["m3"] = create_item(inbox, mime("Lunch on Friday", "Fri, 20 Mar 2026 11:00:00 +0000", "Noon?", "l1",
                                          sender="carol@example.com"))
    ITEMS["m4"] = create_item(inbox, mime("quarterly numbers, revised", "Wed, 01 Apr 2026 08:15:00 +0000",
                                          "Revised numbers.", "q2"))
    # uploaded with properties DavMail writes (read flag, \\Answered, urlcompname, \\Flagged, importance)
    ITEMS["u1"] = upload(inbox, blob([(0x001A001F, "IPM.Note"), (0x0037001F, "Uploaded and read"),
                                       (0x0E060040, filetime("2026-05-01T10:00:00Z")), (0x0E070003, 1),
                                       (0x10810003, 102), (0x10F3001F, "c1036513.EML"), (0x10900003, 2),
                                       (0x00170003, 2), (0x0FF90102, b"\x01\x02\x03")]))
    ITEMS["u2"] = upload(inbox, blob([(0x001A001F, "IPM.Appointment"), (0x0037001F, "Team meeting"),
                                       (0x0E060040, filetime("2025-12-01T08:00:00Z"))]))
    ITEMS["u3"] = upload(inbox, blob([(0x001A001F, "IPM.Configuration.Test"), (0x0037001F, "hidden config")]),
                         associated=True)
    ITEMS["u4"] = upload(inbox, blob([(0x001A001F, "IPM.Contact"), (0x0037001F, "Dora Contact"),
                                       (0x0E060040, filetime("2025-11-01T08:00:00Z"))]))
    ITEMS["empty"] = q(f"SELECT folder_id FROM ews_create_folder('{inbox}', 'Empty')")
    rich = q(f"SELECT folder_id FROM ews_create_folder('{inbox}', 'Rich')")
    ITEMS["rich"] = create_item(rich, RICH)
    paging = q(f"SELECT folder_id FROM ews_create_folder('{inbox}', 'Paging')")
    ITEMS["paging"] = paging
    psql(f"""
SELECT count(*) FROM (SELECT ews_create_item('{paging}', convert_to(
  format(E'Subject: Page %s\\r\\nMessage-ID: <p%s@example.com>\\r\\nDate: Thu, 1 Jan 2026 %s:%s:00 +0000\\r\\n\\r\\nitem %s\\r\\n',
         lpad(g::text, 2, '0'), g, lpad((g / 60)::text, 2, '0'), lpad((g % 60)::text, 2, '0'), g), 'UTF8'))
  FROM generate_series(1, 25) g) s""")


def validate_all():
    files = [f for f, _ in responses]
    r = subprocess.run(["/usr/bin/python3", VALIDATE] + files, capture_output=True)
    lines = r.stdout.decode().splitlines()
    bad = [ln for ln in lines if not ln.endswith(": ok")]
    ok(r.returncode == 0 and not bad and len(lines) == len(files),
       f"every response ({len(files)}) validates against the EWS schema (test/tools/ews-validate)", "\n".join(bad))


# ---- FindItem ----

def shape_tests():
    r = soap("find_idonly", find())
    items = r.items()
    ok(r.status == 200 and r.codes() == ["NoError"] and len(items) == 7,
       "FindItem IdOnly Shallow of the inbox: the 7 normal items (not the associated one)", r.body)
    ok(r.root("TotalItemsInView") == "7" and r.root("IncludesLastItemInRange") == "true" and
       r.root("IndexedPagingOffset") == "7", "m:RootFolder: TotalItemsInView 7, IncludesLastItemInRange, IndexedPagingOffset", r.body)
    ok(all([etree.QName(c).localname for c in i] == ["ItemId"] for i in items),
       "IdOnly: each item holds its t:ItemId and nothing else", r.body)
    kinds = sorted(etree.QName(i).localname for i in items)
    ok(kinds == ["CalendarItem", "Contact", "Message", "Message", "Message", "Message", "Message"],
       "items are written as their class calls for: IPM.Note a t:Message, IPM.Appointment a t:CalendarItem, "
       "IPM.Contact a t:Contact", kinds)
    ids = [i.find("t:ItemId", NS) for i in items]
    ok(all(x.get("Id", "").startswith("AAMkA") and x.get("ChangeKey") for x in ids),
       "every t:ItemId carries Id and ChangeKey", r.body)
    # newest first without a sort order
    r = soap("find_default", find("Default"))
    dates = [i.findtext("t:DateTimeReceived", namespaces=NS) for i in r.items()]
    ok(dates == sorted(dates, reverse=True) and len(dates) == 7 and all(len(d) == 20 and d.endswith("Z") for d in dates),
       "Default shape without a sort order: newest first, dates as YYYY-MM-DDTHH:MM:SSZ", dates)
    m = [i for i in r.items() if i.findtext("t:Subject", namespaces=NS) == "Uploaded and read"]
    names = [etree.QName(c).localname for c in m[0]] if m else []
    ok(names[:4] == ["ItemId", "ParentFolderId", "ItemClass", "Subject"] and "IsRead" == names[-1] and
       "Body" not in names and "MimeContent" not in names,
       "Default shape of a message: ItemId, ParentFolderId, ItemClass, Subject, ..., IsRead last; no Body or MimeContent",
       names)
    ok(m and m[0].findtext("t:IsRead", namespaces=NS) == "true" and m[0].findtext("t:Importance", namespaces=NS) == "High"
       and m[0].findtext("t:Size", namespaces=NS).isdigit(),
       "its IsRead (from PidTagMessageFlags), Importance (2 = High) and Size", r.body)
    contact = [i for i in r.items() if etree.QName(i).localname == "Contact"]
    ok(contact and contact[0].find("t:IsRead", NS) is None and contact[0].find("t:Subject", NS) is not None,
       "a t:Contact is answered without the message elements (IsRead)", r.body)
    r2 = soap("find_all", find("AllProperties"))
    ok(r2.codes() == ["NoError"] and len(r2.items()) == 7 and not r2.x("//t:Body") and not r2.x("//t:MimeContent"),
       "AllProperties in FindItem: the summary properties, no Body, no MimeContent", r2.body)

    # AdditionalProperties: kept ones added, ones in the schema we do not keep left out, others a fault
    r = soap("find_extra", find(extra=fu("item:Subject") + fu("calendar:Start") + fu("contacts:Surname") +
                                fu("item:Body") + fu("message:IsRead") + '<t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>'))
    names = sorted({etree.QName(c).localname for i in r.items() for c in i})
    ok(r.codes() == ["NoError"] and names == ["IsRead", "ItemId", "Subject"],
       "IdOnly + item:Subject, calendar:Start, contacts:Surname, item:Body, message:IsRead, an IndexedFieldURI: "
       "Subject and IsRead; the others left out, never refused", names)
    r = soap("find_bad_fielduri", find(extra=fu("item:NoSuchThing")))
    ok(r.status == 500 and r.fault() == "ErrorSchemaValidation",
       "a FieldURI that is not in the schema: ErrorSchemaValidation fault", r.body)

    # ExtendedFieldURI: echoed exactly as written
    ext = (xt(PropertyTag="0xe23", PropertyType="Integer") + xt(PropertyTag="0x0E23", PropertyType="Integer") +
           xt(PropertyTag="3619", PropertyType="Integer") + xt(PropertyType="Integer", PropertyTag="0X1081") +
           xt(PropertyTag="0x10f3", PropertyType="String") + xt(PropertyTag="0xe06", PropertyType="SystemTime") +
           xt(PropertyTag="0xff9", PropertyType="Binary") + xt(PropertyTag="0xe08", PropertyType="Integer"))
    r = soap("find_extended", find(extra=ext, sort=order(xt(PropertyTag="0xe23", PropertyType="Integer"))))
    u1 = [i for i in r.items() if i.find("t:ItemId", NS).get("Id") == ITEMS["u1"]]
    eps = u1[0].findall("t:ExtendedProperty", NS) if u1 else []
    echoed = [dict(e.find("t:ExtendedFieldURI", NS).attrib) for e in eps]
    ok([list(a.items()) for a in echoed[:4]] == [[("PropertyTag", "0xe23"), ("PropertyType", "Integer")],
                                                  [("PropertyTag", "0x0E23"), ("PropertyType", "Integer")],
                                                  [("PropertyTag", "3619"), ("PropertyType", "Integer")],
                                                  [("PropertyType", "Integer"), ("PropertyTag", "0X1081")]],
       "t:ExtendedFieldURI comes back with the attributes exactly as sent, in their order (0xe23, 0x0E23, 3619, 0X1081)",
       echoed)
    vals = [e.findtext("t:Value", namespaces=NS) for e in eps]
    art = q(f"SELECT article_number FROM ews.item WHERE item_id = (SELECT (('x' || encode(substring(decode('{ITEMS['u1']}', 'base64') from 45 for 8), 'hex'))::bit(64))::bigint)")
    ok(len(vals) == 8 and vals[0] == vals[1] == vals[2] == art and vals[3] == "102" and vals[4] == "c1036513.EML" and
       vals[5] == "2026-05-01T10:00:00Z" and vals[6] == base64.b64encode(b"\x01\x02\x03").decode(),
       "values: the article number (0xe23, three spellings), PidTagLastVerbExecuted 102, urlcompname, the delivery time, "
       "binary as base64", vals)
    arts = [int(i.find("t:ExtendedProperty/t:Value", NS).text) for i in r.items()]
    ok(arts == sorted(arts) and len(set(arts)) == 7 and min(arts) > 0,
       "sorted by 0xe23 ascending; article numbers > 0 and distinct", arts)
    m1 = [i for i in r.items() if i.find("t:ItemId", NS).get("Id") == ITEMS["m1"]]
    ok(m1 and len(m1[0].findall("t:ExtendedProperty", NS)) == 5,
       "a property an item does not have is left out (m1 has no 0x1081, urlcompname, 0xff9)",
       etree.tostring(m1[0]).decode() if m1 else r.body)
    r = soap("find_ext_bad_tag", find(extra=xt(PropertyTag="0x12345", PropertyType="Integer")))
    r2 = soap("find_ext_bad_type", find(extra=xt(PropertyTag="0x1000", PropertyType="Text")))
    r3 = soap("find_ext_both", find(extra=xt(PropertyTag="0x1000", PropertySetId="00062008-0000-0000-C000-000000000046",
                                              PropertyType="String")))
    r4 = soap("find_ext_named_range", find(extra=xt(PropertyTag="0x8570", PropertyType="Integer")))
    ok(all(x.status == 500 and x.fault() == "ErrorSchemaValidation" for x in (r, r2, r3, r4)),
       "ExtendedFieldURI with a 5-digit tag, an unknown type, a tag and a set, a tag in the named range: faults",
       [x.fault() for x in (r, r2, r3, r4)])


def paging_tests():
    paging = fid(ITEMS["paging"])
    by_art = order(xt(PropertyTag="0xe23", PropertyType="Integer"))
    r = soap("page_first", find(extra=fu("item:Subject"), view=indexed(10, 0), sort=by_art, parent=paging))
    ok(r.subjects() == [f"Page {n:02d}" for n in range(1, 11)] and r.root("IndexedPagingOffset") == "10" and
       r.root("TotalItemsInView") == "25" and r.root("IncludesLastItemInRange") == "false",
       "25 items, 10 from 0: items 1-10, next offset 10, not the last page", r.body)
    r = soap("page_last", find(extra=fu("item:Subject"), view=indexed(10, 20), sort=by_art, parent=paging))
    ok(r.subjects() == [f"Page {n:02d}" for n in range(21, 26)] and r.root("IndexedPagingOffset") == "25" and
       r.root("IncludesLastItemInRange") == "true", "10 from 20: the last 5, IncludesLastItemInRange true", r.body)
    r = soap("page_past_end", find(view=indexed(10, 30), sort=by_art, parent=paging))
    ok(r.codes() == ["NoError"] and r.items() == [] and len(r.x("//m:RootFolder/t:Items")) == 1 and
       r.root("IncludesLastItemInRange") == "true" and r.root("TotalItemsInView") == "25",
       "an offset past the end: an empty t:Items, IncludesLastItemInRange true", r.body)
    r = soap("page_end", find(extra=fu("item:Subject"), view=indexed(10, 0, "End"), sort=by_art, parent=paging))
    ok(r.subjects() == [f"Page {n:02d}" for n in range(16, 26)] and r.root("IndexedPagingOffset") == "10" and
       r.root("IncludesLastItemInRange") == "false",
       "BasePoint End, 10 from 0: the last 10 items in view order, next offset 10", r.body)
    seen, offset, rounds = [], 0, 0
    while rounds < 10:
        r = soap(f"page_end_walk{rounds}", find(extra=fu("item:Subject"), view=indexed(7, offset, "End"), sort=by_art,
                                                parent=paging))
        seen = r.subjects() + seen
        rounds += 1
        if r.root("IncludesLastItemInRange") == "true":
            break
        offset = int(r.root("IndexedPagingOffset"))
    ok(seen == [f"Page {n:02d}" for n in range(1, 26)] and rounds == 4,
       "paging from the End in pages of 7 until IncludesLastItemInRange: every item once, 4 pages", seen)
    seen, offset, rounds = [], 0, 0
    while rounds < 10:
        r = soap(f"page_walk{rounds}", find(extra=xt(PropertyTag="0xe23", PropertyType="Integer"), view=indexed(7, offset),
                                            sort=by_art, parent=paging))
        seen += [int(i.find("t:ExtendedProperty/t:Value", NS).text) for i in r.items()]
        rounds += 1
        if r.root("IncludesLastItemInRange") == "true":
            break
        offset = int(r.root("IndexedPagingOffset"))
    ok(len(seen) == 25 and seen == sorted(set(seen)) and rounds == 4,
       "DavMail's loop: pages of 7 by 0xe23 until IncludesLastItemInRange, every item once, ascending", seen)
    r = soap("page_fraction", find(extra=fu("item:Subject"), sort=by_art, parent=paging,
                                   view='<m:FractionalPageItemView MaxEntriesReturned="5" Numerator="1" Denominator="2"/>'))
    ok(r.subjects() == [f"Page {n:02d}" for n in range(13, 18)] and r.root("NumeratorOffset") == "17" and
       r.root("AbsoluteDenominator") == "25" and r.root("IncludesLastItemInRange") == "false",
       "FractionalPageItemView 1/2, 5 entries: items 13-17, NumeratorOffset 17, AbsoluteDenominator 25", r.body)
    r = soap("page_empty", find(view=indexed(10, 0), parent=fid(ITEMS["empty"])))
    ok(r.codes() == ["NoError"] and r.root("TotalItemsInView") == "0" and r.root("IncludesLastItemInRange") == "true"
       and len(r.x("//m:RootFolder/t:Items")) == 1 and r.items() == [],
       "an empty folder: TotalItemsInView 0, IncludesLastItemInRange true, an empty t:Items", r.body)
    r = soap("page_no_view", find(parent=paging))
    ok(len(r.items()) == 25 and r.root("IncludesLastItemInRange") == "true", "no view: all 25", r.root("TotalItemsInView"))
    r1 = soap("page_max0", find(view=indexed(0, 0), parent=paging))
    r2 = soap("page_neg", find(view=indexed(5, -1), parent=paging))
    r3 = soap("page_frac_bad", find(parent=paging, view='<m:FractionalPageItemView Numerator="3" Denominator="2"/>'))
    r4 = soap("page_not_int", find(parent=paging, view='<m:IndexedPageItemView Offset="x" BasePoint="Beginning"/>'))
    ok(r1.codes() == ["ErrorInvalidPagingMaxRows"] and r2.codes() == ["ErrorInvalidIndexedPagingParameters"] and
       r3.codes() == ["ErrorInvalidFractionalPagingParameters"] and r4.fault() == "ErrorSchemaValidation",
       "MaxEntriesReturned 0, Offset -1, fraction 3/2: paging errors; Offset x: a fault",
       [r1.codes(), r2.codes(), r3.codes(), r4.fault()])
    r = soap("page_two_parents", find(parent=paging + fid("bogus") + fid(ITEMS["empty"])))
    ok(r.codes() == ["NoError", "ErrorInvalidIdMalformed", "NoError"] and r.root("TotalItemsInView", 3) == "0",
       "several parent folders: one message each, in order", r.codes())


def sort_tests():
    r = soap("sort_received_asc", find(extra=fu("item:DateTimeReceived"), sort=order(fu("item:DateTimeReceived"))))
    dates = [i.findtext("t:DateTimeReceived", namespaces=NS) for i in r.items()]
    ok(dates == sorted(dates) and len(dates) == 7, "sort by item:DateTimeReceived ascending", dates)
    r = soap("sort_subject", find(extra=fu("item:Subject"), sort=order(fu("item:Subject"), "Descending")))
    subj = r.subjects()
    ok(subj == sorted(subj, key=str.lower, reverse=True), "sort by item:Subject descending, case ignored", subj)
    r = soap("sort_two_keys", find(extra=fu("message:IsRead") + fu("item:Subject"),
                                   sort=order(fu("message:IsRead"), "Descending") + order(fu("item:Subject"))))
    pairs = [(i.findtext("t:IsRead", namespaces=NS), i.findtext("t:Subject", namespaces=NS)) for i in r.items()]
    ok(pairs[0] == ("true", "Uploaded and read") and
       [p[1] for p in pairs[1:]] == sorted([p[1] for p in pairs[1:]], key=str.lower),
       "two FieldOrders: IsRead descending, then Subject", pairs)
    r = soap("sort_blob_prop", find(extra=xt(PropertyTag="0x10f3", PropertyType="String"),
                                    sort=order(xt(PropertyTag="0x10f3", PropertyType="String"))))
    ok(r.codes() == ["NoError"] and len(r.items()) == 7 and
       r.items()[0].findtext("t:ExtendedProperty/t:Value", namespaces=NS) == "c1036513.EML",
       "sort by a property without a column (0x10f3): the one item that has it first, the rest after (the slow path)",
       r.body)
    r = soap("sort_categories", find(sort=order(fu("item:Categories"))))
    r2 = soap("sort_attachments", find(sort=order(fu("item:Attachments"))))
    ok(r.codes() == ["ErrorUnsupportedPathForSortGroup"] and r2.codes() == ["ErrorUnsupportedPathForSortGroup"],
       "sort by item:Categories (several values) or item:Attachments: ErrorUnsupportedPathForSortGroup",
       [r.codes(), r2.codes()])
    r = soap("sort_bad_order", find(sort='<t:FieldOrder Order="Sideways">' + fu("item:Subject") + "</t:FieldOrder>"))
    ok(r.fault() == "ErrorSchemaValidation", "Order=Sideways: a fault", r.body)


def restriction_tests():
    def subjects(restriction, name):
        r = soap(name, find(extra=fu("item:Subject"), restriction=restriction, sort=order(fu("item:Subject"))))
        if r.codes() != ["NoError"]:
            return r.codes()
        return sorted(r.subjects(), key=lambda s: (s or "").lower())

    subj, recv, size = fu("item:Subject"), fu("item:DateTimeReceived"), fu("item:Size")
    checks = [
        (cmp("IsEqualTo", subj, "quarterly REPORT"), ["Quarterly report"], "IsEqualTo on a string ignores case"),
        (cmp("IsNotEqualTo", subj, "Quarterly report"),
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "quarterly numbers, revised", "Team meeting",
          "Uploaded and read"], "IsNotEqualTo"),
        (cmp("IsGreaterThan", recv, "2026-03-20T11:00:00Z"), ["quarterly numbers, revised", "Uploaded and read"],
         "IsGreaterThan a date excludes the date itself"),
        (cmp("IsGreaterThanOrEqualTo", recv, "2026-03-20T11:00:00Z"),
         ["Lunch on Friday", "quarterly numbers, revised", "Uploaded and read"], "IsGreaterThanOrEqualTo includes it"),
        (cmp("IsLessThan", recv, "2026-01-10T09:00:00.000Z"), ["Dora Contact", "Team meeting"],
         "IsLessThan, a constant with milliseconds (as DavMail writes them)"),
        (cmp("IsLessThanOrEqualTo", recv, "2026-01-10T10:00:00+01:00"), ["Dora Contact", "Quarterly report", "Team meeting"],
         "IsLessThanOrEqualTo, a constant with an offset"),
        (cmp("IsEqualTo", fu("message:IsRead"), "true"), ["Uploaded and read"], "IsEqualTo message:IsRead true"),
        (cmp("IsEqualTo", fu("message:IsRead"), "0"),
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised",
          "Team meeting"], "IsEqualTo message:IsRead 0 (booleans in as 1/0 too)"),
        (cmp("IsEqualTo", fu("item:Importance"), "High"), ["Uploaded and read"], "IsEqualTo item:Importance High"),
        ("<t:Exists>" + xt(PropertyTag="0x1081", PropertyType="Integer") + "</t:Exists>", ["Uploaded and read"],
         "Exists of a blob property (0x1081)"),
        ("<t:Not><t:Exists>" + xt(DistinguishedPropertySetId="Common", PropertyId="34160", PropertyType="Integer") +
         "</t:Exists></t:Not>",
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised",
          "Team meeting", "Uploaded and read"], "DavMail's UNDELETED: Not Exists PidLidImapDeleted"),
        ("<t:Not>" + cmp("IsEqualTo", xt(PropertyTag="0x1081", PropertyType="Integer"), "102") + "</t:Not>",
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised",
          "Team meeting"], "Not of a comparison with a missing property is true (two-valued logic)"),
        (cmp("IsEqualTo", xt(PropertyTag="0x1081", PropertyType="Integer"), "102"), ["Uploaded and read"],
         "IsEqualTo on a blob property, the slow path"),
        (contains(subj, "QUARTERLY"), ["Quarterly report", "quarterly numbers, revised"], "Contains Substring IgnoreCase"),
        (contains(subj, "quarterly", comparison="Exact"), ["quarterly numbers, revised"], "Contains Substring Exact"),
        (contains(subj, "lunch", mode="Prefixed"), ["Lunch on Friday"], "Contains Prefixed"),
        (contains(subj, "lunch on friday", mode="FullString"), ["Lunch on Friday"], "Contains FullString"),
        (contains(subj, "lunch", mode="FullString"), [], "Contains FullString needs the whole string"),
        (contains(subj, "Lunch on Friday", mode=None, comparison=None), ["Lunch on Friday"],
         "Contains without attributes: the whole string, exactly"),
        (contains(subj, "numb", mode="PrefixOnWords"), ["quarterly numbers, revised"], "Contains PrefixOnWords"),
        (contains(subj, "üße", comparison="Loose"), ["Grüße aus Köln"], "Contains on UTF-8 text (RFC 2047 decoded)"),
        (contains(fu("message:From"), "alice"), ["Quarterly report", "quarterly numbers, revised"],
         "Contains on message:From (from_text)"),
        (contains(fu("item:DisplayTo"), "bob"),
         ["Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised"],
         "Contains on item:DisplayTo"),
        (contains(fu("item:Body"), "numbers"), ["Quarterly report", "quarterly numbers, revised"],
         "Contains on item:Body (the body's text)"),
        (contains(fu("message:InternetMessageId"), "&lt;q1@"), ["Quarterly report"], "Contains on message:InternetMessageId"),
        (contains(xt(PropertyTag="0x7d", PropertyType="String"), "Message-ID: &lt;l1@example.com&gt;"), ["Lunch on Friday"],
         "Contains on 0x007D with \"Name: value\" (DavMail's HEADER search)"),
        ("<t:Excludes>" + xt(PropertyTag="0xe07", PropertyType="Integer") + '<t:Bitmask Value="0x1"/></t:Excludes>',
         ["Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised"],
         "Excludes 0x1 of PidTagMessageFlags: the unread ones among those that have the property"),
        ("<t:And>" + contains(subj, "quarterly") + cmp("IsGreaterThan", recv, "2026-02-01T00:00:00Z") + "</t:And>",
         ["quarterly numbers, revised"], "And"),
        ("<t:Or>" + cmp("IsEqualTo", subj, "Lunch on Friday") + cmp("IsEqualTo", subj, "Team meeting") +
         cmp("IsEqualTo", subj, "nothing") + "</t:Or>", ["Lunch on Friday", "Team meeting"], "Or"),
        ("<t:Not><t:Or>" + contains(subj, "e") + contains(subj, "ü") + "</t:Or></t:Not>",
         ["Dora Contact", "Lunch on Friday"], "Not of Or"),
        (cmp("IsGreaterThan", size, "0"), ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report",
                                           "quarterly numbers, revised", "Team meeting", "Uploaded and read"],
         "IsGreaterThan item:Size 0"),
        (cmp("IsEqualTo", fu("calendar:Start"), "2026-01-01T00:00:00Z"), [],
         "a property in the schema that no item has: no match"),
        ("<t:Not>" + cmp("IsEqualTo", fu("calendar:Start"), "2026-01-01T00:00:00Z") + "</t:Not>",
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised",
          "Team meeting", "Uploaded and read"], "... and its Not matches every item"),
        ("<t:IsGreaterThanOrEqualTo>" + recv + "<t:FieldURIOrConstant>" + fu("item:DateTimeReceived") +
         "</t:FieldURIOrConstant></t:IsGreaterThanOrEqualTo>",
         ["Dora Contact", "Grüße aus Köln", "Lunch on Friday", "Quarterly report", "quarterly numbers, revised",
          "Team meeting", "Uploaded and read"], "a comparison with a path on the right (FieldURIOrConstant/FieldURI)"),
    ]
    for i, (restriction, want, what) in enumerate(checks):
        got = subjects(restriction, f"restrict_{i:02d}")
        ok(got == sorted(want, key=str.lower), f"restriction: {what}", got)

    r = soap("restrict_total", find(restriction=contains(subj, "quarterly"), view=indexed(1, 0)))
    ok(r.root("TotalItemsInView") == "2" and len(r.items()) == 1 and r.root("IncludesLastItemInRange") == "false",
       "with a restriction, TotalItemsInView counts the matching items", r.body)
    bad = [
        ("restrict_unknown_op", "<t:IsBetween>" + subj + const("a") + "</t:IsBetween>", "fault", "ErrorSchemaValidation",
         "an unknown operator"),
        ("restrict_no_value", "<t:IsEqualTo>" + subj + "</t:IsEqualTo>", "fault", "ErrorSchemaValidation",
         "IsEqualTo without FieldURIOrConstant"),
        ("restrict_two", "<t:IsEqualTo>" + subj + const("a") + const("b") + "</t:IsEqualTo>", "fault",
         "ErrorSchemaValidation", "IsEqualTo with two values"),
        ("restrict_empty_and", "<t:And/>", "fault", "ErrorSchemaValidation", "an empty And"),
        ("restrict_bad_uri", cmp("IsEqualTo", fu("item:Nope"), "x"), "fault", "ErrorSchemaValidation",
         "a FieldURI outside the schema"),
        ("restrict_bad_mode", contains(subj, "x", mode="Somewhere"), "fault", "ErrorSchemaValidation",
         "an unknown ContainmentMode"),
        ("restrict_no_constant_value", "<t:Contains>" + subj + "<t:Constant/></t:Contains>", "fault",
         "ErrorSchemaValidation", "a t:Constant without Value"),
        ("restrict_contains_int", contains(size, "1"), "code", "ErrorContainsFilterWrongType", "Contains on item:Size"),
        ("restrict_attachments", cmp("IsEqualTo", fu("item:Attachments"), "x"), "code", "ErrorUnsupportedPathForQuery",
         "a restriction on item:Attachments"),
        ("restrict_bad_date", cmp("IsGreaterThan", recv, "yesterday"), "code", "ErrorInvalidValueForProperty",
         "a date constant that is not one"),
        ("restrict_bad_int", cmp("IsGreaterThan", size, "12a"), "code", "ErrorInvalidValueForProperty",
         "an integer constant that is not one"),
        ("restrict_bad_bool", cmp("IsEqualTo", fu("message:IsRead"), "yes"), "code", "ErrorInvalidValueForProperty",
         "a boolean constant that is not one"),
        ("restrict_excludes_text", "<t:Excludes>" + subj + '<t:Bitmask Value="1"/></t:Excludes>', "code",
         "ErrorUnsupportedPathForQuery", "Excludes on a string"),
    ]
    for name, restriction, kind, code, what in bad:
        r = soap(name, find(restriction=restriction))
        got = r.fault() if kind == "fault" else (r.codes()[0] if r.codes() else None)
        ok(got == code and (r.status == 500) == (kind == "fault"),
           f"{what}: {'a fault' if kind == 'fault' else 'an error message'} {code}", r.body)
    deep = "<t:Not>" * 300 + cmp("IsEqualTo", subj, "x") + "</t:Not>" * 300
    r = soap("restrict_deep", find(restriction=deep))
    ok(r.status == 500 and r.fault() is not None, "a restriction nested 300 deep: a fault, not a crash", r.body[:300])
    wide = "<t:Or>" + "".join(cmp("IsEqualTo", subj, f"s{n}") for n in range(5000)) + "</t:Or>"
    r = soap("restrict_wide", find(restriction=wide))
    ok(r.status == 500 and r.fault() == "ErrorInvalidRestriction",
       "a restriction of more than 4096 expressions: ErrorInvalidRestriction", r.body[:300])
    wide = "<t:Or>" + "".join(cmp("IsEqualTo", subj, f"s{n}") for n in range(2000)) + cmp("IsEqualTo", subj, "Lunch on Friday") + "</t:Or>"
    r = soap("restrict_wide_ok", find(extra=fu("item:Subject"), restriction=wide))
    ok(r.codes() == ["NoError"] and r.subjects() == ["Lunch on Friday"], "an Or of 2001 comparisons works", r.codes())
    hostile = "x'); DROP TABLE ews.item; --"
    r = soap("restrict_quote", find(restriction=cmp("IsEqualTo", subj, hostile.replace("'", "&apos;"))))
    ok(r.codes() == ["NoError"] and r.items() == [] and q("SELECT count(*) FROM ews.item") != "0",
       "a constant with quotes and SQL in it is a value, not SQL", r.body)


def associated_tests():
    r = soap("find_associated", find(extra=fu("item:Subject") + fu("item:IsAssociated"), traversal="Associated"))
    ok(r.codes() == ["NoError"] and r.subjects() == ["hidden config"] and r.root("TotalItemsInView") == "1" and
       r.x("//t:IsAssociated/text()") == ["true"], "Traversal Associated: the folder's associated item alone", r.body)
    r = soap("find_softdeleted", find(traversal="SoftDeleted"))
    ok(r.status == 500 and r.fault() == "ErrorInvalidOperation", "Traversal SoftDeleted: a fault naming it", r.body)


# ---- GetItem ----

def get_tests():
    stored = q(f"SELECT encode(mime, 'base64') FROM ews_get_items(ARRAY['{ITEMS['m1']}'])").replace("\n", "")
    r = soap("get_mime", get([iid(ITEMS["m1"])], shape_extra="<t:IncludeMimeContent>true</t:IncludeMimeContent>"))
    mc = r.x("//t:MimeContent")
    ok(r.codes() == ["NoError"] and mc and mc[0].text == stored and mc[0].get("CharacterSet") == "UTF-8" and
       base64.b64decode(mc[0].text).startswith(b"From: Alice Example"),
       "GetItem IdOnly + IncludeMimeContent: t:MimeContent is the stored message, byte for byte", r.body[:500])
    raw = base64.b64decode(ITEMS["m1"])
    missing = base64.b64encode(raw[:44] + (999999999).to_bytes(8, "big")).decode()
    ck = q(f"SELECT change_key FROM ews_get_items(ARRAY['{ITEMS['m2']}'])")
    ids = [iid(ITEMS["m1"]), iid("bogus"), iid(missing), iid(ITEMS["m2"], ck), iid(ITEMS["m1"], "CQAAAAEAAAAAAAAA"),
           iid(ITEMS["m1"], "nonsense"), iid(q(f"SELECT ews_folder_id('{MBX}', 'inbox')"))]
    r = soap("get_many", get(ids, "Default"))
    ok(r.codes() == ["NoError", "ErrorInvalidIdMalformed", "ErrorItemNotFound", "NoError", "NoError",
                     "ErrorInvalidChangeKey", "ErrorCannotUseFolderIdForItemId"],
       "GetItem of 7 ids: one message per id, in order (an old ChangeKey is fine on a read)", r.codes())
    ok(r.x("//m:GetItemResponseMessage[2]/m:Items") and not r.x("//m:GetItemResponseMessage[2]/m:Items/*") and
       r.x("//m:GetItemResponseMessage[1]/m:Items/t:Message/t:Subject/text()") == ["Quarterly report"] and
       r.x("//m:GetItemResponseMessage[4]/m:Items/t:Message/t:Subject/text()") == ["Grüße aus Köln"],
       "each success holds its item; an error holds an empty m:Items", r.body[:2000])
    ok(r.x("//m:GetItemResponseMessage[4]//t:ItemId/@ChangeKey") == [ck],
       "the current ChangeKey comes back", r.body[:2000])

    # exchangelib's GetItem: IdOnly and every FieldURI of its models, most of them not kept
    uris = ["item:Subject", "item:DateTimeReceived", "item:Size", "item:Categories", "item:Importance",
            "item:ItemClass", "item:Sensitivity", "item:DateTimeSent", "item:DateTimeCreated", "item:HasAttachments",
            "item:Culture", "item:EffectiveRights", "item:LastModifiedName", "item:LastModifiedTime", "item:IsAssociated",
            "item:WebClientReadFormQueryString", "item:ConversationId", "item:UniqueBody", "item:ReminderIsSet",
            "item:ReminderDueBy", "item:ReminderMinutesBeforeStart", "item:ResponseObjects", "item:InReplyTo",
            "item:DisplayTo", "item:DisplayCc", "item:InternetMessageHeaders", "item:ParentFolderId",
            "item:IsDraft", "item:IsFromMe", "item:IsResend", "item:IsSubmitted", "item:IsUnmodified",
            "message:IsRead", "message:InternetMessageId", "message:References", "message:IsResponseRequested",
            "message:ConversationIndex", "message:ConversationTopic", "message:IsReadReceiptRequested",
            "message:IsDeliveryReceiptRequested", "message:ReceivedBy", "message:ReceivedRepresenting",
            "message:From", "calendar:Start", "calendar:End", "calendar:Location", "meeting:IsDelegated",
            "meetingRequest:MeetingRequestType", "item:Flag", "item:Preview"]
    r = soap("get_exchangelib", get([iid(ITEMS["m1"]), iid(ITEMS["u1"])], extra="".join(fu(u) for u in uris)))
    m1 = r.x("//m:GetItemResponseMessage[1]/m:Items/t:Message")
    names = [etree.QName(c).localname for c in m1[0]] if m1 else []
    ok(r.codes() == ["NoError", "NoError"] and "Subject" in names and "Start" not in names and
       "Location" not in names and "UniqueBody" not in names,
       "GetItem with 50 FieldURIs, many not kept: answered, the unkept left out", names)
    ok(m1 and m1[0].findtext("t:InternetMessageId", namespaces=NS) == "<q1@example.com>" and
       m1[0].findtext("t:DateTimeSent", namespaces=NS) == "2026-01-10T09:00:00Z" and
       m1[0].find("t:From/t:Mailbox/t:EmailAddress", NS) is not None and
       m1[0].findtext("t:From/t:Mailbox/t:EmailAddress", namespaces=NS) == "alice@example.com" and
       m1[0].findtext("t:From/t:Mailbox/t:Name", namespaces=NS) == "Alice Example",
       "m1: InternetMessageId, DateTimeSent from Date:, From as a t:Mailbox with Name and EmailAddress",
       etree.tostring(m1[0]).decode() if m1 else r.body)
    heads = {h.get("HeaderName"): h.text for h in (m1[0].findall("t:InternetMessageHeaders/t:InternetMessageHeader", NS)
                                                   if m1 else [])}
    ok(heads.get("Message-ID") == "<q1@example.com>" and heads.get("Subject") == "Quarterly report" and
       heads.get("Cc") == "Carol <carol@example.com>",
       "item:InternetMessageHeaders: the message's header fields by name", heads)
    u1 = r.x("//m:GetItemResponseMessage[2]/m:Items/t:Message")
    ok(u1 and u1[0].findtext("t:Flag/t:FlagStatus", namespaces=NS) == "Flagged" and
       u1[0].findtext("t:IsRead", namespaces=NS) == "true" and
       u1[0].findtext("t:LastModifiedTime", namespaces=NS) is not None,
       "u1: Flag (PidTagFlagStatus 2 = Flagged), IsRead, LastModifiedTime", etree.tostring(u1[0]).decode() if u1 else r.body)

    ext = (xt(PropertyTag="0x7d", PropertyType="String") +
           xt(DistinguishedPropertySetId="InternetHeaders", PropertyName="content-class", PropertyType="String") +
           xt(DistinguishedPropertySetId="InternetHeaders", PropertyName="from", PropertyType="String") +
           xt(PropertyTag="0x10f3", PropertyType="String") + xt(PropertyTag="0x37", PropertyType="String"))
    r = soap("get_davmail_headers", get([iid(ITEMS["m1"]), iid(ITEMS["u1"])], extra=ext))
    eps = r.x("//m:GetItemResponseMessage[1]//t:ExtendedProperty")
    vals = {e.find("t:ExtendedFieldURI", NS).get("PropertyTag") or e.find("t:ExtendedFieldURI", NS).get("PropertyName"):
            e.findtext("t:Value", namespaces=NS) for e in eps}
    ok("message-id: <q1@example.com>" in (vals.get("0x7d") or "").lower() and "\r\n" in (vals.get("0x7d") or "") and
       vals.get("from") == "Alice Example <alice@example.com>" and vals.get("0x37") == "Quarterly report" and
       "content-class" not in vals and "0x10f3" not in vals,
       "DavMail's header fetch: 0x7d is the header block (CR kept), InternetHeaders 'from' the From field, 0x37 the "
       "subject; content-class and 0x10f3 absent are left out", vals)
    ok("&#13;" in r.body, "CR in the header block is written as &#13; so it survives XML end-of-line handling",
       r.body[:800])
    eps = r.x("//m:GetItemResponseMessage[2]//t:ExtendedProperty")
    ok([e.findtext("t:Value", namespaces=NS) for e in eps] == ["c1036513.EML", "Uploaded and read"],
       "u1 (uploaded, no MIME): 0x10f3 and 0x37 from its blob", r.body)

    r = soap("get_contact", get([iid(ITEMS["u4"]), iid(ITEMS["u2"])], "AllProperties"))
    ok(r.codes() == ["NoError", "NoError"] and r.x("//m:GetItemResponseMessage[1]/m:Items/t:Contact/t:Subject/text()") ==
       ["Dora Contact"] and r.x("//m:GetItemResponseMessage[2]/m:Items/t:CalendarItem") and not r.x("//t:IsRead"),
       "AllProperties of a contact and an appointment: t:Contact and t:CalendarItem, no message elements", r.body)
    r = soap("get_no_ids", '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds/></m:GetItem>')
    r2 = soap("get_bad_shape", get([iid(ITEMS["m1"])], "Everything"))
    r3 = soap("get_bad_bodytype", get([iid(ITEMS["m1"])], shape_extra="<t:BodyType>RTF</t:BodyType>"))
    r4 = soap("get_folder_id", '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>' +
              fid(ITEMS["inbox"]) + '</m:ItemIds></m:GetItem>')
    ok(all(x.status == 500 and x.fault() == "ErrorSchemaValidation" for x in (r, r2, r3, r4)),
       "GetItem without ids, with BaseShape Everything, BodyType RTF, a t:FolderId among the ids: schema faults",
       [x.fault() for x in (r, r2, r3, r4)])


def rich_tests():
    rid = iid(ITEMS["rich"])
    r = soap("get_rich_default", get([rid], "Default", extra=fu("item:TextBody") + fu("item:InReplyTo") +
                                     fu("message:References") + fu("message:ReplyTo")))
    m = r.x("//t:Message")
    m = m[0] if m else None
    names = [etree.QName(c).localname for c in m] if m is not None else []
    ok(r.codes() == ["NoError"] and m is not None and m.findtext("t:Subject", namespaces=NS) == "Rich über alles",
       "GetItem Default of a multipart message: the decoded subject", r.body[:1500])
    body = m.find("t:Body", NS) if m is not None else None
    ok(body is not None and body.get("BodyType") == "HTML" and body.text == "<p>Hello <b>html</b></p>",
       "item:Body, BodyType Best: the HTML part, as it is", etree.tostring(body).decode() if body is not None else names)
    tb = m.find("t:TextBody", NS) if m is not None else None
    ok(tb is not None and tb.get("BodyType") == "Text" and tb.text == "Hello <plain> & more",
       "item:TextBody: the text part", etree.tostring(tb).decode() if tb is not None else names)
    att = m.findall("t:Attachments/t:FileAttachment", NS) if m is not None else []
    ok(len(att) == 1 and att[0].findtext("t:Name", namespaces=NS) == "a.pdf" and
       att[0].findtext("t:ContentType", namespaces=NS) == "application/pdf" and
       att[0].findtext("t:Size", namespaces=NS) == "9" and att[0].findtext("t:IsInline", namespaces=NS) == "false" and
       att[0].find("t:AttachmentId", NS).get("RootItemId") == ITEMS["rich"],
       "item:Attachments: the PDF as a t:FileAttachment with name, type, decoded size", r.body[:3000])
    rec = lambda path: [(mb.findtext("t:Name", namespaces=NS), mb.findtext("t:EmailAddress", namespaces=NS))
                        for mb in (m.findall(path, NS) if m is not None else [])]
    ok(rec("t:ToRecipients/t:Mailbox") == [("Bob", "bob@example.com"), (None, "carol@example.com")] and
       rec("t:CcRecipients/t:Mailbox") == [("Dan, D.", "dan@example.com")] and
       rec("t:Sender/t:Mailbox") == [("Secretary", "sec@example.com")] and
       rec("t:ReplyTo/t:Mailbox") == [(None, "replies@example.com")] and not rec("t:BccRecipients/t:Mailbox"),
       "recipients, Sender (the Sender field) and ReplyTo from the message; no Bcc element when there is none",
       [rec(p_) for p_ in ("t:ToRecipients/t:Mailbox", "t:CcRecipients/t:Mailbox", "t:Sender/t:Mailbox")])
    ok(m is not None and m.findtext("t:InReplyTo", namespaces=NS) == "<rich0@example.com>" and
       m.findtext("t:References", namespaces=NS) == "<rich00@example.com> <rich0@example.com>",
       "InReplyTo and References from the message's fields", names)
    ok(names.index("Body") < names.index("Attachments") < names.index("DateTimeReceived") <
       names.index("Sender") < names.index("ToRecipients") < names.index("IsRead") if m is not None and
       {"Body", "Attachments", "Sender", "ToRecipients", "IsRead"} <= set(names) else False,
       "elements in types.xsd order (ItemType's, then MessageType's)", names)
    r = soap("get_rich_text", get([rid], shape_extra="<t:BodyType>Text</t:BodyType>", extra=fu("item:Body")))
    r2 = soap("get_plain_html", get([iid(ITEMS["m1"])], shape_extra="<t:BodyType>HTML</t:BodyType>", extra=fu("item:Body")))
    b2 = r2.x("//t:Body")
    ok(r.x("//t:Body/@BodyType") == ["Text"] and r.x("//t:Body/text()") == ["Hello <plain> & more"] and
       b2 and b2[0].get("BodyType") == "HTML" and "The numbers." in (b2[0].text or "") and "<" in (b2[0].text or ""),
       "BodyType Text of the multipart: its text part; BodyType HTML of a text message: the text rendered as HTML",
       [r.body[-600:], r2.body[-600:]])
    r = soap("get_u1_mime", get([iid(ITEMS["u1"])], shape_extra="<t:IncludeMimeContent>true</t:IncludeMimeContent>"))
    mc = r.x("//t:MimeContent/text()")
    gen = base64.b64decode(mc[0]) if mc else b""
    r2 = soap("get_u1_mime_again", get([iid(ITEMS["u1"])], shape_extra="<t:IncludeMimeContent>true</t:IncludeMimeContent>"))
    ok(b"Subject: Uploaded and read\r\n" in gen and b"Importance: high" in gen and b"MIME-Version: 1.0" in gen and
       r2.x("//t:MimeContent/text()") == mc,
       "an item uploaded without MIME: MimeContent generated from its properties (subject, importance), the same "
       "bytes every time", gen[:600])


def folder_tests():
    davmail_props = ("".join(xt(PropertyTag=t, PropertyType=ty) for t, ty in (
        ("0x10f3", "String"), ("0x3008", "SystemTime"), ("0x3613", "String"), ("0x670a", "SystemTime"),
        ("0x3602", "Integer"), ("0x3603", "Integer"), ("0x360a", "Boolean"), ("0x6751", "Integer"),
        ("0x6752", "Integer"), ("0x1234", "Integer"))) + fu("folder:DisplayName") + fu("folder:ParentFolderId"))
    body = ('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' + davmail_props +
            '</t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/>'
            '<t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>')
    r = soap("folder_davmail_props", body)

    def props(msg):
        return {e.find("t:ExtendedFieldURI", NS).get("PropertyTag"): e.findtext("t:Value", namespaces=NS)
                for e in r.x(f"//m:GetFolderResponseMessage[{msg}]//t:ExtendedProperty")}
    inbox = props(1)
    state = q(f"SELECT total_count || ' ' || unread_count || ' ' || next_article FROM ews.folder f "
              f"JOIN ews.mailbox m USING (mailbox_id) WHERE m.smtp_address = '{MBX}' AND f.distinguished = 'inbox'").split()
    ok(r.codes() == ["NoError", "NoError"] and inbox.get("0x3602") == state[0] == "7" and inbox.get("0x3603") == state[1]
       and inbox.get("0x6751") == state[2] and inbox.get("0x6752") == str(int(state[2]) - 1) and
       inbox.get("0x3613") == "IPF.Note" and inbox.get("0x10f3") == "Inbox" and inbox.get("0x360a") == "true" and
       len(inbox.get("0x670a") or "") == 20 and inbox.get("0x3008") == inbox.get("0x670a") and "0x1234" not in inbox,
       "GetFolder answers DavMail's folder properties: count 0x3602, unread 0x3603, UIDNEXT 0x6751, highest UID 0x6752, "
       "class, name, has subfolders, ctag 0x670a; an unknown one left out", inbox)
    cal = props(2)
    ok(cal.get("0x3613") == "IPF.Appointment" and cal.get("0x360a") == "false" and cal.get("0x3602") == "0",
       "... and the calendar's", cal)
    names = [etree.QName(c).localname for c in r.x("//m:GetFolderResponseMessage[1]/m:Folders/t:Folder/*")]
    ok(names[:3] == ["FolderId", "ParentFolderId", "DisplayName"] and set(names[3:]) == {"ExtendedProperty"},
       "t:ExtendedProperty after DisplayName (BaseFolderType order)", names)
    # the ctag and counts of a folder move on with its content
    ctag_folder = q(f"SELECT folder_id FROM ews_create_folder(ews_folder_id('{MBX}', 'calendar'), 'Ctag')")
    body = body.replace('<t:DistinguishedFolderId Id="inbox"/><t:DistinguishedFolderId Id="calendar"/>', fid(ctag_folder))
    r = soap("folder_ctag_before", body)
    before = props(1)
    psql("SELECT pg_sleep(1.1)")
    create_item(ctag_folder, mime("ctag check", "Mon, 02 Feb 2026 10:00:00 +0000", "x", "c1"))
    r = soap("folder_ctag_after", body)
    after = props(1)
    ok(before.get("0x3602") == "0" and before.get("0x6751") == "1" and after.get("0x3602") == "1" and
       after.get("0x3603") == "1" and after.get("0x670a") != before.get("0x670a") and after.get("0x6751") == "2" and
       after.get("0x6752") == "1",
       "after a new item: the count, the ctag and UIDNEXT moved on (DavMail polls them)", [before, after])

    # FindFolder restrictions: DavMail's LIST and its path lookup
    klass = xt(PropertyTag="0x3613", PropertyType="String")
    listing = ("<t:Or>" + cmp("IsEqualTo", klass, "IPF.Note") + cmp("IsEqualTo", klass, "IPF.Note.Microsoft.Conversation") +
               "<t:Not><t:Exists>" + klass + "</t:Exists></t:Not></t:Or>")
    ff = lambda restriction, traversal="Deep", parent='<t:DistinguishedFolderId Id="msgfolderroot"/>', view="": (
        f'<m:FindFolder Traversal="{traversal}"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        f'{fu("folder:DisplayName")}{klass}</t:AdditionalProperties></m:FolderShape>{view}'
        f'<m:Restriction>{restriction}</m:Restriction><m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>')
    r = soap("folder_list", ff(listing, view='<m:IndexedPageFolderView MaxEntriesReturned="500" Offset="0" BasePoint="Beginning"/>'))
    got = sorted(r.x("//t:Folders/*/t:DisplayName/text()"))
    want = sorted(q(f"SELECT string_agg(display_name, '|') FROM ews_find_folder(ews_folder_id('{MBX}', 'msgfolderroot'), 'Deep') "
                    "WHERE folder_class IS NULL OR folder_class IN ('IPF.Note', 'IPF.Note.Microsoft.Conversation')").split("|"))
    ok(r.codes() == ["NoError"] and got == want and "Empty" in got and "Calendar" not in got and
       r.x("//m:RootFolder/@TotalItemsInView") == [str(len(want))] and r.x("//m:RootFolder/@IncludesLastItemInRange") == ["true"],
       "DavMail's LIST: FindFolder Deep from msgfolderroot, class IPF.Note, IPF.Note.Microsoft.Conversation or none: "
       "those folders, subfolders of the others included", got)
    r = soap("folder_lookup", ff(cmp("IsEqualTo", fu("folder:DisplayName"), "rich"), "Shallow",
                                 '<t:DistinguishedFolderId Id="inbox"/>',
                                 '<m:IndexedPageFolderView MaxEntriesReturned="1" Offset="0" BasePoint="Beginning"/>'))
    ok(r.x("//t:Folders/*/t:DisplayName/text()") == ["Rich"] and r.x("//m:RootFolder/@TotalItemsInView") == ["1"],
       "DavMail's path lookup: IsEqualTo folder:DisplayName (case ignored), MaxEntriesReturned 1", r.body)
    r = soap("folder_contains", ff(contains(fu("folder:DisplayName"), "ITEMS") + ""))
    r2 = soap("folder_count", ff(cmp("IsGreaterThan", fu("folder:TotalCount"), "0")))
    r3 = soap("folder_not", ff("<t:Not>" + contains(fu("folder:DisplayName"), "e") + "</t:Not>", "Shallow",
                               '<t:DistinguishedFolderId Id="inbox"/>'))
    ok(sorted(r.x("//t:DisplayName/text()")) == ["Deleted Items", "Sent Items"] and
       sorted(r2.x("//t:DisplayName/text()")) == ["Ctag", "Inbox", "Paging", "Rich"] and
       r3.x("//t:DisplayName/text()") == ["Paging", "Rich"],
       "FindFolder restrictions: Contains on the name, IsGreaterThan on TotalCount, Not",
       [r.x("//t:DisplayName/text()"), r2.x("//t:DisplayName/text()"), r3.x("//t:DisplayName/text()")])
    r = soap("folder_restrict_bad", ff(contains(fu("folder:TotalCount"), "1")))
    r2 = soap("folder_restrict_item_field", ff(cmp("IsEqualTo", fu("item:Subject"), "x")))
    ok(r.codes() == ["ErrorContainsFilterWrongType"] and r2.codes() == ["NoError"] and not r2.x("//t:Folders/*"),
       "Contains on a folder's count: ErrorContainsFilterWrongType; an item property: no folder has it", [r.codes(), r2.body[-400:]])


def convert_tests():
    inbox = ITEMS["inbox"]
    body = ('<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
            f'<t:AlternateId Format="EwsId" Id="{inbox}" Mailbox="blah@blah.com"/>'
            f'<t:AlternateId Format="EwsId" Id="{ITEMS["m1"]}" Mailbox="FI@EXAMPLE.COM"/>'
            '</m:SourceIds></m:ConvertId>')
    r = soap("convert_mailbox", body, mailbox=None)
    ok(r.codes() == ["NoError", "NoError"] and r.x("//m:AlternateId/@Mailbox") == [MBX, MBX],
       "ConvertId answers the mailbox's own primary SMTP address, not what the client sent", r.body)
    r = soap("convert_stranger", body, mailbox=None, role="ews_fi_stranger")
    ok(r.codes() == ["ErrorNonExistentMailbox", "ErrorNonExistentMailbox"] and not r.x("//m:AlternateId"),
       "ConvertId of ids of a mailbox the caller may not use: ErrorNonExistentMailbox, no address", r.body)


def access_tests():
    inbox = ITEMS["inbox"]
    r = soap("stranger_find", find(parent=fid(inbox)), mailbox=None, role="ews_fi_stranger")
    guid = q(f"SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = '{MBX}'")
    ok(r.codes() == ["ErrorNonExistentMailbox"] and not r.x("//m:RootFolder") and
       r.x("//m:MessageXml/t:Value[@Name='MailboxGuid']/text()") == [guid],
       "a stranger's FindItem in the mailbox: ErrorNonExistentMailbox, as for a mailbox that does not exist", r.body)
    r = soap("stranger_get", get([iid(ITEMS["m1"])]), mailbox=None, role="ews_fi_stranger")
    ok(r.codes() == ["ErrorNonExistentMailbox"] and not r.x("//t:Message"),
       "a stranger's GetItem of an item of the mailbox: ErrorNonExistentMailbox, no item", r.body)
    r = soap("stranger_find_dist", find(parent=f'<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>{MBX}'
                                                '</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>'),
             mailbox=None, role="ews_fi_stranger")
    ok(r.codes() == ["ErrorNonExistentMailbox"], "... and by DistinguishedFolderId with its address", r.body)
    r = soap("owner_find", find(parent=fid(inbox)), mailbox=None, role="ews_fi_owner")
    ok(r.codes() == ["NoError"] and len(r.items()) == 7, "the owner's FindItem by FolderId works", r.codes())
    r = soap("stranger_own", find(), mailbox=None, role="ews_fi_stranger")
    ok(r.codes() == ["NoError"] and r.root("TotalItemsInView") == "0",
       "the stranger's own inbox (the acting mailbox): empty", r.body)


def main():
    setup()
    try:
        shape_tests()
        paging_tests()
        sort_tests()
        restriction_tests()
        associated_tests()
        get_tests()
        rich_tests()
        folder_tests()
        convert_tests()
        access_tests()
        validate_all()
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres", check=False)
        for role in ("ews_fi_owner", "ews_fi_stranger"):
            psql(f"DROP ROLE IF EXISTS {role}", db="postgres", check=False)
        if failed == 0:
            shutil.rmtree(outdir, ignore_errors=True)
        else:
            print(f"# responses kept in {outdir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
