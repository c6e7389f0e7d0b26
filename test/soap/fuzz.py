#!/usr/bin/python3
"""Mutation fuzzing of ews_soap(): mutated versions of valid requests (byte
flips, truncations, duplicated, removed, renamed and shuffled elements,
swapped namespaces, huge numbers, random ids, injected markup) are loaded
into a table and fed through ews_soap() by one plpgsql loop, each call in
its own subtransaction so that an exception is counted, not fatal.  Then:
every status is 200 or 500, no call raised, a sample of the responses
validates against the schema, the server is up and the mailbox invariants
hold.  Run by test/sh/soap_fuzz.sh; EWS_SOAP_FUZZ_N sets the count."""
import base64
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import uuid

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixtures as fx  # noqa: E402  (helpers: psql, q, envelope, ids)

DB = "ews_soap_fuzz"
N = int(os.environ.get("EWS_SOAP_FUZZ_N", "10000"))
SEED = int(os.environ.get("EWS_SOAP_FUZZ_SEED", "20261121"))
rng = random.Random(SEED)
NSS = [fx.NS["s"], fx.NS["m"], fx.NS["t"], "https://schemas.microsoft.com/exchange/services/2006/types",
       "https://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope", "urn:x", ""]
passed = failed = 0


def ok(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {what}")
    else:
        failed += 1
        print(f"not ok {passed + failed} - {what}")
        if detail:
            print("# " + str(detail)[:3000].replace("\n", "\n# "))


def q(sql):
    return fx.q(sql, db=DB)


def base_requests(ids):
    E = fx.envelope
    inbox, junk, root, guid, other = ids["inbox"], ids["junkemail"], ids["root"], ids["guid"], ids["other"]
    hdr = '<t:RequestServerVersion Version="Exchange2013_SP1"/>'
    reqs = [
        E('<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds>'
          f'{fx.fid(inbox)}{fx.dfid("junkemail")}{fx.fid(other)}{fx.dfid("inbox", "fuzz@example.com")}</m:FolderIds></m:GetFolder>', hdr),
        E('<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
          '<m:IndexedPageFolderView MaxEntriesReturned="10" Offset="3" BasePoint="Beginning"/>'
          f'<m:ParentFolderIds>{fx.fid(root)}</m:ParentFolderIds></m:FindFolder>', hdr),
        E('<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
          '<m:FractionalPageFolderView MaxEntriesReturned="4" Numerator="1" Denominator="3"/>'
          f'<m:ParentFolderIds>{fx.dfid("msgfolderroot")}</m:ParentFolderIds></m:FindFolder>'),
        E(f'<m:CreateFolder><m:ParentFolderId>{fx.fid(inbox)}</m:ParentFolderId><m:Folders>'
          '<t:Folder><t:DisplayName>F1</t:DisplayName></t:Folder><t:CalendarFolder><t:DisplayName>C1</t:DisplayName>'
          '</t:CalendarFolder><t:Folder><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>F2</t:DisplayName>'
          '</t:Folder></m:Folders></m:CreateFolder>', hdr),
        E(f'<m:DeleteFolder DeleteType="SoftDelete"><m:FolderIds>{fx.fid(ids["victim"])}{fx.dfid("inbox")}'
          '</m:FolderIds></m:DeleteFolder>'),
        E('<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
          f'<t:AlternateId Format="EwsId" Id="{inbox}" Mailbox="fuzz@example.com"/></m:SourceIds></m:ConvertId>', hdr),
        E('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
          f'{fx.dfid("inbox")}</m:FolderIds></m:GetFolder>',
          hdr + '<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>fuzz@example.com'
          '</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>'),
        E(f'<m:MoveFolder><m:ToFolderId>{fx.dfid("junkemail")}</m:ToFolderId><m:FolderIds>{fx.fid(ids["mover"])}'
          f'{fx.dfid("inbox")}{fx.fid(ids["victim"])}</m:FolderIds></m:MoveFolder>'),
        E(f'<m:MoveFolder><m:ToFolderId>{fx.fid(inbox)}</m:ToFolderId><m:FolderIds>{fx.fid(ids["mover"])}'
          '</m:FolderIds></m:MoveFolder>', hdr),
        E(f'<m:CopyFolder><m:ToFolderId>{fx.dfid("deleteditems")}</m:ToFolderId><m:FolderIds>{fx.fid(ids["mover"])}'
          f'{fx.dfid("calendar")}</m:FolderIds></m:CopyFolder>', hdr),
        E(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{ids["item"]}"/><t:ItemId Id="{ids["item"]}" ChangeKey="{ids["item_ck"]}"/>'
          f'<t:ItemId Id="{inbox}"/></m:ItemIds></m:ExportItems>', hdr),
        fx.upload_req([("CreateNew", inbox, None, ids["data"]), ("Update", inbox, (ids["item"], ids["item_ck"]), ids["data"]),
                       ("UpdateOrCreate", junk, (ids["item"], None), ids["data"])]),
    ]
    for extra in EXTRA_BASES:
        reqs.extend(extra(ids))
    return reqs


EXTRA_BASES = []


def random_id(ids):
    c = rng.randrange(6)
    if c == 0:
        return fx.ews_id(ids["guid"], rng.choice([1, 2, 3]), rng.randrange(0, 1 << 63))
    if c == 1:
        return fx.ews_id(str(uuid.UUID(int=rng.getrandbits(128))), 1, rng.randrange(100))
    if c == 2:
        return base64.b64encode(rng.randbytes(rng.randrange(0, 80))).decode()
    if c == 3:
        return "".join(rng.choice("AZaz09+/=!<>&\"' \t") for _ in range(rng.randrange(0, 100)))
    if c == 4:
        return ""
    return ids["inbox"][:-4] + "AAA="


def tree_mutation(req, ids):
    try:
        doc = etree.fromstring(req.encode())
    except etree.XMLSyntaxError:
        return req
    els = list(doc.iter())
    el = rng.choice(els)
    parent = el.getparent()
    c = rng.randrange(9)
    if c == 0 and parent is not None:
        parent.insert(parent.index(el) + 1, etree.fromstring(etree.tostring(el)))
    elif c == 1 and parent is not None:
        parent.remove(el)
    elif c == 2:
        ns = rng.choice(NSS)
        el.tag = (f"{{{ns}}}" if ns else "") + etree.QName(el).localname
    elif c == 3:
        el.tag = etree.QName(el).namespace and f"{{{etree.QName(el).namespace}}}" + rng.choice(
            ["Folder", "FolderId", "ItemId", "Data", "Body", "Header", "X", "GetFolder", "MoveFolder", "ExportItems"]) or "X"
    elif c == 4 and len(el):
        kids = list(el)
        rng.shuffle(kids)
        for k in kids:
            el.remove(k)
            el.append(k)
    elif c == 5:
        for a in list(el.attrib) or ["Id"]:
            el.set(a, rng.choice(["99999999999999999999999", "-1", "-2147483649", "0", "2147483647", "1e9",
                                  random_id(ids), "", "Shallow", "Deep", "End", "true", "Exchange2019"]))
    elif c == 6:
        el.text = rng.choice(["", "x" * rng.randrange(1, 5000), "IdOnly", "Default", "&<>", "\u00e9\u4e2d\U0001F600", random_id(ids)])
    elif c == 7:
        el.append(etree.Element(f"{{{rng.choice(NSS[:3])}}}" + rng.choice(["FolderId", "DistinguishedFolderId", "Mailbox", "Whatever"]),
                                Id=rng.choice(["inbox", "junkemail", random_id(ids)])))
    else:
        for _ in range(rng.randrange(1, 4)):
            sub = rng.choice(els)
            if "Id" in sub.attrib:
                sub.set("Id", random_id(ids))
    return etree.tostring(doc, encoding="unicode")


def text_mutation(req):
    if not req:
        return rng.choice(["<", "<a/>", fx.envelope("")])
    c = rng.randrange(5)
    if c == 0:
        return req[: rng.randrange(len(req) + 1)]
    b = list(req)
    if c == 1:
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] = rng.choice("<>&/\"'=:xX \n;#\u00e9")
        return "".join(b)
    if c == 2:
        i = rng.randrange(len(req))
        return req[:i] + rng.choice(["<!DOCTYPE x>", "<!--", "]]>", "<![CDATA[", "&#0;", "&lol;", "&#x110000;",
                                     "<?xml version='1.0'?>", "</soap:Body>", "<a>" * 300]) + req[i:]
    if c == 3:
        i, j = sorted(rng.randrange(len(req)) for _ in range(2))
        return req[:i] + req[j:]
    return req.replace(rng.choice(["http://", "https://", "/types", "/messages", "envelope/"]),
                       rng.choice(["https://", "http://", "/type", "/message", "envelope"]), 1)


def main():
    fx.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    fx.psql(f"CREATE DATABASE {DB}", db="postgres")
    try:
        run()
    finally:
        fx.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres", check=False)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run():
    fx.psql("CREATE EXTENSION ews; SELECT ews_create_mailbox('fuzz@example.com', 'Fuzz');"
            "SELECT ews_create_mailbox('other@example.com', 'Other');", db=DB)
    for prepare in EXTRA_SETUP:
        prepare(DB)
    ids = {n: q(f"SELECT ews_folder_id('fuzz@example.com', '{n}')") for n in ("inbox", "junkemail", "root")}
    ids["guid"] = q("SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'fuzz@example.com'")
    ids["other"] = q("SELECT ews_folder_id('other@example.com', 'inbox')")
    ids["victim"] = q(f"SELECT folder_id FROM ews_create_folder('{ids['inbox']}', 'Victim')")
    ids["mover"] = q(f"SELECT folder_id FROM ews_create_folder('{ids['inbox']}', 'Mover')")
    q(f"SELECT folder_id FROM ews_create_folder('{ids['mover']}', 'Mover child')")
    ids["data"] = base64.b64encode(fx.blob("fuzz item", b"body " * 50)).decode()
    ids["item"], ids["item_ck"] = q(f"SELECT item_id || ' ' || change_key FROM ews_upload_items(ARRAY['{ids['inbox']}'], "
                                    f"ARRAY[decode('{ids['data']}', 'base64')])").split()
    for more in EXTRA_IDS:
        more(ids, q)
    bases = base_requests(ids)

    rows = []
    for i in range(N):
        req = rng.choice(bases)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            req = tree_mutation(req, ids) if rng.random() < 0.55 else text_mutation(req)
        rows.append((i, req.replace("\x00", "")))
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
        path = f.name
    sql = f"""
CREATE TABLE fuzz_req (n int PRIMARY KEY, req text);
CREATE TABLE fuzz_res (n int PRIMARY KEY, status int, response text, error text);
\\copy fuzz_req FROM '{path}' WITH (FORMAT csv)
DO $$
DECLARE r record; s int; resp text;
BEGIN
  FOR r IN SELECT n, req FROM fuzz_req ORDER BY n LOOP
    BEGIN
      SELECT status, response INTO s, resp FROM ews_soap(r.req, 'fuzz@example.com');
      INSERT INTO fuzz_res VALUES (r.n, s, resp, NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO fuzz_res VALUES (r.n, NULL, NULL, SQLSTATE || ': ' || SQLERRM);
    END;
  END LOOP;
END $$;
"""
    res = fx.psql(sql, db=DB, check=False)
    os.unlink(path)
    ok(res.returncode == 0, f"{N} mutated requests ran through ews_soap in one session", res.stderr.decode()[-2000:])
    ok(b"WARNING" not in res.stderr, "hostile input raises no PostgreSQL warnings (no log flooding)", res.stderr.decode()[:2000])
    ok(q("SELECT count(*) FROM fuzz_res") == str(N), f"every one of the {N} requests got an answer")
    errors = q("SELECT count(*) FROM fuzz_res WHERE error IS NOT NULL")
    ok(errors == "0", "no request raised a PostgreSQL error",
       q("SELECT string_agg(n || ': ' || error, E'\\n') FROM (SELECT * FROM fuzz_res WHERE error IS NOT NULL LIMIT 10) x"))
    ok(q("SELECT count(*) FROM fuzz_res WHERE status NOT IN (200, 500)") == "0", "every status is 200 or 500")
    ok(q("SELECT count(*) FROM fuzz_res WHERE status = 500 AND response NOT LIKE '%<s:Fault>%'") == "0" and
       q("SELECT count(*) FROM fuzz_res WHERE status = 200 AND response LIKE '%<s:Fault>%'") == "0",
       "500 always carries a SOAP fault, 200 never does")
    counts = q("SELECT count(*) FILTER (WHERE status = 200) || ' ' || count(*) FILTER (WHERE status = 500) FROM fuzz_res")
    s200, s500 = map(int, counts.split())
    ok(s200 >= N // 20 and s500 >= N // 20, f"the mutations reach both the operations and the faults ({s200} answered, {s500} faults)")
    ok(q("SELECT count(*) FROM fuzz_res WHERE response LIKE '%root:x:0:0%'") == "0", "no response holds a file's content")

    # a sample of the responses, answered and faulted, against the schema
    outdir = tempfile.mkdtemp(prefix="ews_soap_fuzz.")
    files = []
    r = fx.psql("COPY (SELECT n, response FROM fuzz_res WHERE response IS NOT NULL ORDER BY md5(n::text) LIMIT 400) TO STDOUT WITH (FORMAT csv)", db=DB)
    for n, resp in csv.reader(io.StringIO(r.stdout.decode())):
        fn = os.path.join(outdir, f"{int(n):05d}.xml")
        with open(fn, "w") as f:
            f.write(resp)
        files.append(fn)
    v = subprocess.run([fx.VALIDATE] + files, capture_output=True, text=True)
    bad = [l for l in v.stdout.splitlines() if not l.endswith(": ok")]
    ok(len(files) == 400 and not bad, f"ews-validate: a sample of {len(files)} responses validates", "\n".join(bad[:10]))
    if not bad:
        for fn in files:
            os.unlink(fn)
        os.rmdir(outdir)

    ok(q("SELECT 1") == "1", "the server is up")
    inv = q("""
WITH RECURSIVE down AS (
  SELECT mailbox_id, folder_id, 0 AS depth FROM ews.folder WHERE parent_id IS NULL
  UNION ALL
  SELECT f.mailbox_id, f.folder_id, d.depth + 1 FROM down d
    JOIN ews.folder f ON f.mailbox_id = d.mailbox_id AND f.parent_id = d.folder_id WHERE d.depth < 1000)
SELECT (SELECT count(*) FROM ews.folder) - (SELECT count(*) FROM down)
     + (SELECT count(*) FROM (SELECT mailbox_id FROM ews.folder WHERE parent_id IS NULL GROUP BY 1 HAVING count(*) <> 1) x)
     + (SELECT count(*) FROM ews.mailbox m WHERE (SELECT count(DISTINCT distinguished) FROM ews.folder f
          WHERE f.mailbox_id = m.mailbox_id AND f.distinguished IS NOT NULL) <> 23)
     + (SELECT count(*) FROM ews.item i WHERE NOT EXISTS (SELECT 1 FROM ews.folder f
          WHERE f.mailbox_id = i.mailbox_id AND f.folder_id = i.folder_id))""")
    ok(inv == "0", "mailbox invariants: every folder reachable from its root once, one root, all 23 distinguished folders, no orphaned items", inv)
    tree = q("SELECT count(*) FROM ews_find_folder(ews_folder_id('fuzz@example.com', 'root'), 'Deep')")
    ok(int(tree) >= 22, f"the fuzzed mailbox still answers FindFolder ({tree} folders)")


EXTRA_SETUP = []
EXTRA_IDS = []

if __name__ == "__main__":
    sys.exit(main())
