#!/usr/bin/python3
"""ews_http_front: a small HTTP front for ews_soap(), the way a web backend does it.

    POST /EWS/Exchange.asmx   body -> ews_soap(body): (status, response)
                              answer: that status, that response,
                              Content-Type: text/xml; charset=utf-8

HTTP Basic credentials are PostgreSQL login credentials: the front connects as
that role (a small pool of connections per role), so PostgreSQL checks the
password and ews checks the role's access to the mailbox it acts for. The
acting mailbox is the one the role owns, or the one named in the request's
ExchangeImpersonation header when the role has an impersonate grant for it.

  - no or bad credentials: 401 with WWW-Authenticate: Basic
  - a body over ews.max_request_size: a SOAP fault (HTTP 500), after reading
    and discarding the body, so the client gets an answer, not a reset
  - concurrent requests: one thread per request (ThreadingHTTPServer)
  - redirects: never issued; the only path is /EWS/Exchange.asmx (case-
    insensitive, as IIS treats it), everything else is 404

It is both the test harness for real EWS clients (test/sh/exchangelib.sh) and
the README's example of how a web backend calls ews_soap().

Usage: ews_http_front.py [--host 127.0.0.1] [--port 8080] [--dsn 'host=... dbname=...']
"""
import argparse
import base64
import hashlib
import http.server
import queue
import sys
import threading
from xml.sax.saxutils import escape

import psycopg2

EWS_PATH = "/ews/exchange.asmx"
FAULT = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
    # every response carries ServerVersionInfo, the front's own faults too (as ews_soap writes it)
    '<s:Header><t:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1118"'
    ' MinorBuildNumber="7" Version="Exchange2016"'
    ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body><s:Fault>'
    "<faultcode>s:Client</faultcode><faultstring>{msg}</faultstring><detail>"
    '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{code}</e:ResponseCode>'
    '<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{msg}</e:Message>'
    "</detail></s:Fault></s:Body></s:Envelope>"
)


class Pools:
    """A few open connections per (role, password): logging in per request would cost more than the request."""

    def __init__(self, dsn, per_role=8):
        self.dsn = dsn
        self.per_role = per_role
        self.lock = threading.Lock()
        self.pools = {}

    def key(self, user, password):
        return user, hashlib.sha256(password.encode()).hexdigest()

    def get(self, user, password):
        k = self.key(user, password)
        with self.lock:
            pool = self.pools.setdefault(k, queue.LifoQueue())
        try:
            return k, pool.get_nowait()
        except queue.Empty:
            conn = psycopg2.connect(self.dsn, user=user, password=password,
                                    application_name="ews_http_front")
            conn.autocommit = True
            return k, conn

    def put(self, k, conn):
        pool = self.pools[k]
        if conn.closed or pool.qsize() >= self.per_role:
            conn.close()
        else:
            pool.put(conn)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ews-front/0.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def reply(self, status, body, extra=()):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self, why):
        self.reply(401, FAULT.format(code="ErrorAccessDenied", msg=escape(why)),
                   [("WWW-Authenticate", 'Basic realm="ews"')])

    def credentials(self):
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return (user, password) if user else None

    def drain(self, length):
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def do_GET(self):
        self.reply(405, FAULT.format(code="ErrorInvalidRequest", msg="Use POST."), [("Allow", "POST")])

    def do_POST(self):
        if self.path.split("?", 1)[0].lower() != EWS_PATH:
            length = int(self.headers.get("Content-Length") or 0)
            self.drain(length)
            self.reply(404, FAULT.format(code="ErrorInvalidRequest", msg="Not an EWS endpoint."))
            return
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or "Content-Length" not in self.headers:
            self.close_connection = True
            self.reply(411, FAULT.format(code="ErrorInvalidRequest", msg="A Content-Length is required."))
            return
        try:
            length = int(self.headers["Content-Length"])
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self.reply(400, FAULT.format(code="ErrorInvalidRequest", msg="Bad Content-Length."))
            return
        creds = self.credentials()
        if creds is None:
            self.drain(length)
            self.unauthorized("Credentials are required.")
            return
        if length > self.server.max_request_size:
            # read it all: a client still sending gets an answer, not a reset
            self.drain(length)
            self.reply(500, FAULT.format(
                code="ErrorInvalidRequest",
                msg=f"The request is {length} bytes; the limit (ews.max_request_size) is "
                    f"{self.server.max_request_size} bytes."))
            return
        body = self.rfile.read(length)
        try:
            k, conn = self.server.pools.get(*creds)
        except psycopg2.OperationalError:
            self.unauthorized("The credentials were not accepted.")
            return
        try:
            with conn.cursor() as cur:
                # the body goes in as bytes decoded leniently: ews_soap itself
                # refuses what is not well-formed UTF-8 XML with a fault
                # in the select list, not in FROM: a function in FROM puts its
                # result row into a tuplestore first, which spills a large
                # response (ExportItems) to a temporary file
                cur.execute("SELECT (r).status, (r).response FROM (SELECT ews_soap(%s) AS r OFFSET 0) s",
                            (body.decode("utf-8", errors="replace"),))
                status, response = cur.fetchone()
        except psycopg2.Error as e:
            conn.close()
            self.reply(500, FAULT.format(code="ErrorInternalServerError",
                                         msg=escape(str(e).strip().splitlines()[0] if str(e) else "database error")))
            return
        finally:
            self.server.pools.put(k, conn)
        if self.server.trace:
            self.server.trace_request(body, status, response)
        self.reply(status, response)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    trace = None
    trace_lock = threading.Lock()
    trace_n = 0

    def trace_request(self, body, status, response):
        """--trace DIR: keep every request and response, numbered, for debugging clients."""
        import os
        with self.trace_lock:
            self.trace_n += 1
            n = self.trace_n
        with open(os.path.join(self.trace, f"{n:04d}-request.xml"), "wb") as f:
            f.write(body)
        with open(os.path.join(self.trace, f"{n:04d}-response-{status}.xml"), "w", encoding="utf-8") as f:
            f.write(response)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--dsn", default="", help="libpq connection string without user/password")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--trace", metavar="DIR", help="write every request and response into DIR")
    ap.add_argument("--max-request-size", type=int, default=None,
                    help="bytes; default: the server's ews.max_request_size")
    args = ap.parse_args(argv)

    srv = Server((args.host, args.port), Handler)
    srv.verbose = args.verbose
    srv.trace = args.trace
    srv.pools = Pools(args.dsn)
    # the front refuses what ews_soap would refuse, before reading it into
    # memory: ews.max_request_size, as the server has it set (the setting
    # exists once the ews library is loaded: LOAD needs the right to, so
    # --max-request-size can give it instead)
    srv.max_request_size = args.max_request_size
    if srv.max_request_size is None:
        with psycopg2.connect(args.dsn) as c, c.cursor() as cur:
            cur.execute("LOAD 'ews'")
            cur.execute("SELECT pg_catalog.current_setting('ews.max_request_size')")
            value = cur.fetchone()[0]
        units = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
        num = value.rstrip("kMGB")
        srv.max_request_size = int(num) * units.get(value[len(num):] or "B", 1)
    print(f"listening on http://{args.host}:{srv.server_address[1]}/EWS/Exchange.asmx", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
