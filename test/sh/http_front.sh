#!/usr/bin/env bash
# The HTTP front (test/http/ews_http_front.py) does what a web backend must:
# 401 + WWW-Authenticate without credentials, ews_soap's status and body with
# text/xml, a SOAP fault (not a reset) for an oversized body, no redirects,
# concurrent requests.  Every XML answer passes ews-validate.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
VALIDATE=test/tools/ews-validate
db=ews_http_front
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION ews;
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_http_alice;
CREATE ROLE ews_http_alice LOGIN PASSWORD 'alice-pw' IN ROLE ews_user;
SELECT ews_create_mailbox('http-alice@example.com', 'Alice', 'ews_http_alice');
SQL
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY test/http/ews_http_front.py --port "$port" --dsn "dbname=$db" --max-request-size 65536 >/tmp/ews_front.$$ 2>&1 &
front=$!
trap 'kill $front 2>/dev/null; wait $front 2>/dev/null; rm -f /tmp/ews_front.$$; dropdb --if-exists $db >/dev/null 2>&1' EXIT
for _ in $(seq 50); do grep -q listening /tmp/ews_front.$$ && break; sleep 0.1; done

$PY - "$port" "$VALIDATE" <<'PY'
import base64, http.client, subprocess, sys, threading
port, validate = int(sys.argv[1]), sys.argv[2]
passed = failed = 0
def check(cond, what, detail=""):
    global passed, failed
    n = passed + failed + 1
    if cond: passed += 1; print(f"ok {n} - {what}")
    else: failed += 1; print(f"not ok {n} - {what}"); detail and print("#   " + str(detail)[:2000])
def valid(body):
    r = subprocess.run([validate, "-"], input=body, capture_output=True)
    return r.returncode == 0, r.stdout.decode() + r.stderr.decode()
def post(body, auth=("ews_http_alice", "alice-pw"), path="/EWS/Exchange.asmx", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": "text/xml; charset=utf-8"}
    if auth: h["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    h.update(headers or {})
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r, data
GET = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
       'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" '
       'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header>'
       '<t:RequestServerVersion Version="Exchange2016"/></soap:Header><soap:Body><m:GetFolder>'
       '<m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>'
       '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>').encode()

r, data = post(GET, auth=None)
check(r.status == 401 and r.getheader("WWW-Authenticate", "").lower().startswith("basic"),
      "no credentials: 401 with WWW-Authenticate: Basic", (r.status, r.getheaders()))
r, data = post(GET, auth=("ews_http_alice", "wrong"))
check(r.status == 401, "wrong password: 401", r.status)
r, data = post(GET)
ok, why = valid(data)
check(r.status == 200 and r.getheader("Content-Type") == "text/xml; charset=utf-8" and b"NoError" in data and ok,
      "GetFolder inbox: 200, text/xml; charset=utf-8, NoError, valid", (r.status, data[:400], why))
r, data = post(GET, path="/owa/redirect")
check(r.status == 404 and r.getheader("Location") is None, "another path: 404, no redirect", r.status)
big = GET.replace(b"<soap:Body>", b"<soap:Body><!--" + b"x" * 70000 + b"-->")
r, data = post(big)
ok, why = valid(data)
check(r.status == 500 and b"ErrorInvalidRequest" in data and ok,
      "a body over the limit: HTTP 500 SOAP fault, not a dropped connection", (r.status, data[:300], why))
r, data = post(b"<not-xml")
ok, why = valid(data)
check(r.status == 500 and ok, "not XML: ews_soap's fault, passed through", (r.status, data[:300], why))
results = []
def worker():
    for _ in range(10):
        rr, dd = post(GET)
        results.append(rr.status == 200 and b"NoError" in dd)
ts = [threading.Thread(target=worker) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
check(len(results) == 80 and all(results), "80 requests from 8 concurrent clients all answered", results.count(False))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
