#!/usr/bin/python3
"""The HTTP front's own behaviour, in both modes (run by test/sh/http_front.sh).

Usage: front_checks.py LOGIN_PORT POOLED_PORT USERS_FILE TRACE_DIR

LOGIN_PORT: a front in login mode (Basic credentials are PostgreSQL logins; role
ews_http_alice owns http-alice@example.com).  POOLED_PORT: a front in pooled
mode (role ews_http_web, which may impersonate alice@example.com and
bob@example.com; users alice and bob in USERS_FILE).  Both trace into
TRACE_DIR; every XML answer is validated at the end.
"""
import base64
import http.client
import os
import re
import subprocess
import sys
import threading
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients"))
from clientlib import Store, Tap, Trace, decode_id, encode_id  # noqa: E402

tap = Tap()
check, guard = tap.check, tap.guard
XML = "text/xml; charset=utf-8"
ENVELOPE = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" '
            'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header>'
            '<t:RequestServerVersion Version="Exchange2016"/>{header}</soap:Header><soap:Body>{body}</soap:Body>'
            '</soap:Envelope>')


def envelope(body, header=""):
    return ENVELOPE.format(body=body, header=header).encode()


def get_folder(folder_xml):
    return envelope('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
                    f'<m:FolderIds>{folder_xml}</m:FolderIds></m:GetFolder>')


INBOX = get_folder('<t:DistinguishedFolderId Id="inbox"/>')


def request(port, method="POST", body=None, auth=None, path="/EWS/Exchange.asmx", headers=None, chunked=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": XML} if body is not None else {}
    if auth:
        h["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    h.update(headers or {})
    if chunked:
        c.putrequest(method, path)
        for k, v in dict(h, **{"Transfer-Encoding": "chunked"}).items():
            c.putheader(k, v)
        c.endheaders()
        for i in range(0, len(body), 100):
            part = body[i:i + 100]
            c.send(b"%x\r\n%s\r\n" % (len(part), part))
        c.send(b"0\r\n\r\n")
    else:
        c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def folder_id_of(data):
    m = re.search(rb'<t:FolderId Id="([^"]+)"', data)
    return m.group(1).decode() if m else None


def code_of(data):
    m = re.search(rb"<m:ResponseCode>([^<]+)<|<e:ResponseCode[^>]*>([^<]+)<", data)
    return (m.group(1) or m.group(2)).decode() if m else None


def main(login_port, pooled_port, users_file, trace_dir):
    login_port, pooled_port = int(login_port), int(pooled_port)
    alice_pg = ("ews_http_alice", "alice-pw")

    # ---- login mode: what every EWS client needs of an endpoint
    r, data = request(login_port, body=INBOX)
    check(r.status == 401 and re.match(r'Basic realm="[^"]+"', r.getheader("WWW-Authenticate", ""))
          and r.getheader("Content-Type") == XML,
          "POST without credentials: 401, WWW-Authenticate: Basic realm=..., text/xml; charset=utf-8",
          (r.status, r.getheaders()))
    r, data = request(login_port, method="GET")
    check(r.status == 401 and r.getheader("WWW-Authenticate", "").startswith("Basic realm=")
          and r.getheader("Content-Type") == XML,
          "GET without credentials (DavMail's check before every IMAP connection): 401 with the Basic challenge",
          (r.status, r.getheaders()))
    r, data = request(login_port, method="HEAD")
    check(r.status == 401 and r.getheader("WWW-Authenticate", "").startswith("Basic"), "HEAD without credentials: 401",
          r.status)
    r, data = request(login_port, body=INBOX, auth=("ews_http_alice", "wrong"))
    check(r.status == 401, "POST with a wrong password: 401", r.status)
    r, data = request(login_port, method="GET", auth=alice_pg)
    check(r.status == 200, "GET with valid credentials: 200 (a short service page)", r.status)
    r, data = request(login_port, method="PUT", body=b"x", auth=alice_pg)
    check(r.status == 405 and "POST" in r.getheader("Allow", "") and r.getheader("Content-Type") == XML,
          "PUT with valid credentials: 405 with Allow", (r.status, r.getheaders()))
    r, data = request(login_port, body=INBOX, auth=alice_pg)
    check(r.status == 200 and r.getheader("Content-Type") == XML and code_of(data) == "NoError",
          "GetFolder inbox: 200, Content-Type exactly text/xml; charset=utf-8, NoError", (r.status, data[:400]))
    for path in ("/ews/exchange.asmx", "/EWS/EXCHANGE.ASMX", "/Ews/Exchange.Asmx", "/EWS/Exchange.asmx?x=1"):
        r, data = request(login_port, body=INBOX, auth=alice_pg, path=path)
        check(r.status == 200 and code_of(data) == "NoError", f"the path matched case-insensitively: {path}",
              r.status)
    for method in ("POST", "GET"):
        r, data = request(login_port, method=method, body=INBOX if method == "POST" else None, path="/owa/redirect")
        check(r.status == 404 and r.getheader("Location") is None,
              f"{method} to another path: 404, no redirect, no challenge", (r.status, r.getheaders()))
    big = INBOX.replace(b"<soap:Body>", b"<soap:Body><!--" + b"x" * 70000 + b"-->")
    r, data = request(login_port, body=big, auth=alice_pg)
    check(r.status == 500 and code_of(data) == "ErrorInvalidRequest" and r.getheader("Content-Type") == XML,
          "a body over the limit: HTTP 500 SOAP fault (text/xml; charset=utf-8), not a dropped connection",
          (r.status, data[:300]))
    r, data = request(login_port, body=big, auth=alice_pg, chunked=True)
    check(r.status == 500 and code_of(data) == "ErrorInvalidRequest",
          "a chunked body over the limit: the same fault", (r.status, data[:300]))
    r, data = request(login_port, body=INBOX, auth=alice_pg, chunked=True)
    check(r.status == 200 and code_of(data) == "NoError", "a chunked request body is read", (r.status, data[:300]))
    r, data = request(login_port, body=b"<not-xml", auth=alice_pg)
    check(r.status == 500 and r.getheader("Content-Type") == XML and code_of(data) == "ErrorSchemaValidation",
          "not XML: ews_soap's fault passed through, HTTP 500, text/xml; charset=utf-8", (r.status, data[:300]))
    c = http.client.HTTPConnection("127.0.0.1", login_port, timeout=60)
    c.putrequest("POST", "/EWS/Exchange.asmx")
    c.putheader("Authorization", "Basic " + base64.b64encode(b"ews_http_alice:alice-pw").decode())
    c.endheaders()
    r = c.getresponse()
    r.read()
    c.close()
    check(r.status == 411 and r.getheader("Content-Type") == XML, "POST without a body length: 411", r.status)

    results = []

    def worker():
        for _ in range(10):
            rr, dd = request(login_port, body=INBOX, auth=alice_pg)
            results.append(rr.status == 200 and code_of(dd) == "NoError")
    ts = [threading.Thread(target=worker) for _ in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    check(len(results) == 80 and all(results), "80 requests from 8 concurrent clients all answered",
          results.count(False))

    # ---- pooled mode: the front checks the user, the user is the acting user
    store = Store()
    mine = {u: store.folder_id(f"{u}@example.com", "inbox") for u in ("alice", "bob")}
    users = {"alice": ("alice", "alice-secret"), "bob": ("bob", "bob-secret")}
    for u in ("alice", "bob"):
        r, data = request(pooled_port, body=INBOX, auth=users[u])
        check(r.status == 200 and folder_id_of(data) == mine[u],
              f"pooled: {u}'s inbox (DistinguishedFolderId without a mailbox) is {u}'s own", (r.status, data[:400]))
    r, data = request(pooled_port, body=INBOX, auth=("alice", "bob-secret"))
    check(r.status == 401, "pooled: alice with bob's password: 401", r.status)
    r, data = request(pooled_port, body=INBOX, auth=("mallory", "x"))
    check(r.status == 401, "pooled: a user not in the list: 401", r.status)
    r, data = request(pooled_port, body=INBOX, auth=("ews_http_web", "web-pw"))
    check(r.status == 401, "pooled: the pooled role's own PostgreSQL login is not a user of the front", r.status)
    r, data = request(pooled_port, method="GET")
    check(r.status == 401 and r.getheader("WWW-Authenticate", "").startswith("Basic realm="),
          "pooled: GET without credentials: 401 with the Basic challenge", r.status)
    # the list is read again when it changes: a user added while the front runs
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "ews_http_front.py"), "--users", users_file,
                    "--add-user", "carol", "bob@example.com"], input=b"carol-secret\n", check=True)
    r, data = request(pooled_port, body=INBOX, auth=("carol", "carol-secret"))
    check(r.status == 200 and folder_id_of(data) == mine["bob"],
          "pooled: a user added to the list while the front runs can log in at once", (r.status, data[:300]))

    # ---- pooled mode: two users of one pooled role cannot reach each other
    # (issue 11).  Each answer must be the one a mailbox that does not exist
    # gets: the same request with the GUID of no mailbox, the GUIDs blanked
    guid_bob, kind, local = decode_id(mine["bob"])
    nobody = encode_id(str(uuid.uuid4()), kind, local)
    blank = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|AAMk[A-Za-z0-9+/=]+"
                       rb"|(?:bob|nobody)@example\.com")

    def same_as_missing(req_bob, req_nobody):
        r1, d1 = request(pooled_port, body=req_bob, auth=users["alice"])
        r2, d2 = request(pooled_port, body=req_nobody, auth=users["alice"])
        return (r1.status == r2.status and code_of(d1) in ("ErrorNonExistentMailbox",)
                and blank.sub(b"G", d1) == blank.sub(b"G", d2)), (r1.status, d1[-500:], r2.status, d2[-500:])
    guard("pooled: alice asking for bob's inbox by FolderId gets what a mailbox that does not exist gets",
          lambda: same_as_missing(get_folder(f'<t:FolderId Id="{mine["bob"]}"/>'),
                                  get_folder(f'<t:FolderId Id="{nobody}"/>')))
    guard("pooled: alice naming bob's mailbox in a DistinguishedFolderId gets what an unknown address gets",
          lambda: same_as_missing(
              get_folder('<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>bob@example.com'
                         '</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>'),
              get_folder('<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>nobody@example.com'
                         '</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>')))

    def impersonating(address):
        return ENVELOPE.format(
            header='<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>' + address +
                   '</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>',
            body='<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
                 '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>').encode()
    # the front acts for alice (ews_soap's mailbox argument): a header naming
    # another user is refused, before any lookup, so bob and nobody get the same
    def two_users(req_bob, req_nobody):
        r1, d1 = request(pooled_port, body=req_bob, auth=users["alice"])
        r2, d2 = request(pooled_port, body=req_nobody, auth=users["alice"])
        return (r1.status == r2.status == 500 and code_of(d1) == "ErrorImpersonateUserDenied"
                and blank.sub(b"G", d1) == blank.sub(b"G", d2)), (r1.status, d1[-500:], r2.status, d2[-500:])
    guard("pooled: alice sending ExchangeImpersonation of bob is refused (two users named), as for an unknown address",
          lambda: two_users(impersonating("bob@example.com"), impersonating("nobody@example.com")))
    item = store.items("bob@example.com", mine["bob"])[0]["id"]
    _, ik, il = decode_id(item)

    def export(iid):
        return envelope(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{iid}"/></m:ItemIds></m:ExportItems>')
    guard("pooled: alice exporting one of bob's items gets what a mailbox that does not exist gets",
          lambda: same_as_missing(export(item), export(encode_id(str(uuid.uuid4()), ik, il))))
    r, data = request(pooled_port, body=export(item), auth=users["bob"])
    check(r.status == 200 and code_of(data) == "NoError", "pooled: bob exports his own item", (r.status, data[-300:]))

    # ---- pooled mode: what bob shares with alice, alice reaches through the front
    store.q("SELECT ews_add_delegate('bob@example.com', 'alice@example.com', 'reviewer')")
    r, data = request(pooled_port, body=export(item), auth=users["alice"])
    check(r.status == 200 and code_of(data) == "NoError",
          "pooled: once bob makes alice a reviewer, alice exports bob's item", (r.status, data[-300:]))
    create = envelope(f'<m:CreateFolder><m:ParentFolderId><t:FolderId Id="{mine["bob"]}"/></m:ParentFolderId>'
                      '<m:Folders><t:Folder><t:DisplayName>From alice</t:DisplayName></t:Folder></m:Folders>'
                      '</m:CreateFolder>')
    r, data = request(pooled_port, body=create, auth=users["alice"])
    check(r.status == 200 and code_of(data) == "ErrorAccessDenied",
          "pooled: a reviewer's CreateFolder in bob's inbox is ErrorAccessDenied", (r.status, data[-300:]))
    store.q("SELECT ews_remove_delegate('bob@example.com', 'alice@example.com')")
    r, data = request(pooled_port, body=export(item), auth=users["alice"])
    check(r.status == 200 and code_of(data) == "ErrorNonExistentMailbox",
          "pooled: once bob removes the grant, alice's next request answers as for a missing mailbox", (r.status, data[-300:]))

    Trace(trace_dir).validate(tap, "HTTP front")


if __name__ == "__main__":
    main(*sys.argv[1:5])
    sys.exit(tap.summary())
