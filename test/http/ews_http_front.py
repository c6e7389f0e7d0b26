#!/usr/bin/python3
"""ews_http_front: a small HTTP front for ews_soap(), the way a web backend does it.

    POST /EWS/Exchange.asmx   body -> ews_soap(body[, mailbox]): (status, response)
                              answer: that status, that response,
                              Content-Type: text/xml; charset=utf-8

Two ways to check the HTTP Basic credentials:

  login mode (default): the credentials are a PostgreSQL login.  The front
      connects as that role (a few pooled connections per role), so PostgreSQL
      checks the password and ews checks the role's access.  ews_soap is called
      without a mailbox: the acting mailbox is the one the role owns, or the one
      an ExchangeImpersonation header names.

  pooled mode (--users FILE): how a deployment runs it.  The front connects as
      one pooled login role (the --dsn names it), checks the credentials against
      its own user list (user, scrypt hash of the password, SMTP address) and
      calls ews_soap(body, mailbox => that user's address): the authenticated
      user is the acting user.  Make the list with --add-user (the password is
      read from standard input); the file is read again when it changes.

What an EWS endpoint does for real clients (DavMail, exchangelib, the EWS
Managed API's JavaScript port), in this order:

  - the path /ews/exchange.asmx is matched case-insensitively (as IIS does);
    any other path: 404, never a redirect;
  - any request without valid credentials, GET included: 401 with
    WWW-Authenticate: Basic realm="ews" (DavMail sends none until challenged,
    and GETs the URL before every IMAP connection: it accepts 200, 401, 3xx);
  - GET or HEAD with valid credentials: 200 and a short text/html page;
    other methods than POST: 405;
  - a body over ews.max_request_size: a SOAP fault (HTTP 500), after reading
    and discarding the body, so the client gets an answer, not a reset;
    Content-Length or chunked bodies, anything else 411;
  - every XML answer, the front's own faults included, carries
    Content-Type: text/xml; charset=utf-8 exactly (DavMail parses nothing
    else) and t:ServerVersionInfo;
  - one thread per request (ThreadingHTTPServer).

It is the test harness for real EWS clients (test/sh/exchangelib.sh,
davmail.sh, ejs.sh) and the README's example of how a web backend calls
ews_soap().

Usage:
  ews_http_front.py [--host 127.0.0.1] [--port 8080] [--dsn 'dbname=...']
                    [--users FILE] [--trace DIR] [--max-request-size BYTES]
  ews_http_front.py --users FILE --add-user USER SMTP  < password
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import os
import queue
import re
import secrets
import sys
import threading
from xml.sax.saxutils import escape

import psycopg2

EWS_PATH = "/ews/exchange.asmx"
# the front's own faults look like ews_soap's (soapwrite.c): ServerVersionInfo in
# the header, the code in detail/e:ResponseCode, so ews-validate accepts them and
# exchangelib maps the code to its exception class
FAULT = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
    '<t:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1118" MinorBuildNumber="7" '
    'Version="Exchange2016" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>'
    '<s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">'
    'a:{code}</faultcode><faultstring xml:lang="en-US">{msg}</faultstring><detail>'
    '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{code}</e:ResponseCode>'
    '<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{msg}</e:Message>'
    "</detail></s:Fault></s:Body></s:Envelope>"
)
PAGE = ("<!DOCTYPE html><html><head><title>EWS</title></head><body><p>Exchange Web Services "
        "endpoint (ews_soap): POST SOAP 1.1 requests to this URL.</p></body></html>")
XML_TYPE = "text/xml; charset=utf-8"
# an SMTP address as the user list holds it (no spaces, no colon, one @)
SMTP_RE = re.compile(r"[^\s:@]+@[^\s:@]+\Z")
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def fault(code, msg):
    return FAULT.format(code=code, msg=escape(msg))


# ---------------------------------------------------------------- user list

def hash_password(password):
    """scrypt$N$r$p$salt$hash (base64), the form the user list stores."""
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return "scrypt${n}${r}${p}${salt}${hash}".format(
        salt=base64.b64encode(salt).decode(), hash=base64.b64encode(h).decode(), **SCRYPT)


def password_matches(stored, password):
    try:
        kind, n, r, p, salt, want = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(base64.b64decode(want)), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(want))


def read_users(path):
    """The user list: lines 'user:scrypt$...:smtp'; '#' starts a comment."""
    users = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(":")
            if len(parts) != 3 or not parts[0] or not SMTP_RE.match(parts[2]):
                raise SystemExit(f"{path}:{n}: not 'user:scrypt$...:smtp'")
            users[parts[0]] = (parts[1], parts[2])
    return users


def add_user(path, user, smtp, password):
    if not user or ":" in user or any(c.isspace() for c in user):
        raise SystemExit("a user name must be non-empty, without ':' or spaces")
    if not SMTP_RE.match(smtp):
        raise SystemExit(f"not an SMTP address: {smtp!r}")
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.split(":", 1)[0] != user]
    lines.append(f"{user}:{hash_password(password)}:{smtp}\n")
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        os.chmod(tmp, 0o600)
        f.writelines(lines)
    os.replace(tmp, path)


class UserList:
    """Checks Basic credentials against the user list; remembers what it verified.

    scrypt costs ~50 ms on purpose, and DavMail sends the credentials with every
    request, so a verified (user, password) is kept, under a keyed hash with a
    key of this process, until the file changes.  Failures are not kept."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.key = secrets.token_bytes(32)
        self.mtime = None
        self.users = {}
        self.verified = {}
        # what an unknown user's password is checked against
        self.dummy = hash_password(secrets.token_hex(8))
        self.reload()

    def reload(self):
        st = os.stat(self.path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self.mtime:
            users = read_users(self.path)
            with self.lock:
                self.users, self.verified, self.mtime = users, {}, stamp

    def check(self, user, password):
        """The user's SMTP address, or None."""
        self.reload()
        tag = hmac.new(self.key, f"{user}\0{password}".encode("utf-8"), hashlib.sha256).digest()
        with self.lock:
            if tag in self.verified:
                return self.verified[tag]
            entry = self.users.get(user)
        if entry is None:
            # the same work as for a wrong password: the answer's timing does
            # not tell which user names exist
            password_matches(self.dummy, password)
            return None
        if not password_matches(entry[0], password):
            return None
        with self.lock:
            self.verified[tag] = entry[1]
        return entry[1]


# ---------------------------------------------------------------- connections

class AuthFailed(Exception):
    pass


def connect(dsn, **kw):
    try:
        conn = psycopg2.connect(dsn, application_name="ews_http_front", **kw)
    except psycopg2.OperationalError as e:
        text = str(e)
        # what libpq reports for bad credentials, as against a server that is down
        if any(s in text for s in ("password authentication failed", "does not exist",
                                   "no password supplied", "not permitted to log in",
                                   "authentication failed")):
            raise AuthFailed(text) from None
        raise
    conn.autocommit = True
    return conn


class Pools:
    """A few open connections per login: logging in per request would cost more than the request."""

    def __init__(self, dsn, per_key=8):
        self.dsn = dsn
        self.per_key = per_key
        self.lock = threading.Lock()
        self.pools = {}

    def get(self, key, **login):
        with self.lock:
            pool = self.pools.setdefault(key, queue.LifoQueue())
        try:
            return pool.get_nowait()
        except queue.Empty:
            return connect(self.dsn, **login)

    def put(self, key, conn):
        with self.lock:
            pool = self.pools.setdefault(key, queue.LifoQueue())
        if conn.closed or pool.qsize() >= self.per_key:
            conn.close()
        else:
            pool.put(conn)


# ---------------------------------------------------------------- HTTP

class BodyTooLarge(Exception):
    pass


class BadFraming(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ews-front/0.2"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def reply(self, status, body, ctype=XML_TYPE, extra=(), request=b""):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        if self.server.trace and ctype == XML_TYPE:
            self.server.trace_exchange(self.command, request, status, data)

    def credentials(self):
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, sep, password = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return (user, password) if user and sep else None

    def read_body(self):
        """The request body, at most max_request_size bytes (BodyTooLarge after
        reading the rest), from Content-Length or chunked framing."""
        limit = self.server.max_request_size
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts, size, too_large = [], 0, False
            while True:
                line = self.rfile.readline(1024)
                try:
                    n = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadFraming("bad chunk size") from None
                if n == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                size += n
                if size > limit:
                    too_large = True
                    self.drain(n)
                else:
                    parts.append(self.rfile.read(n))
                self.rfile.readline(8)
            if too_large:
                raise BodyTooLarge(size)
            return b"".join(parts)
        if "Content-Length" not in self.headers:
            if self.command in ("GET", "HEAD", "OPTIONS", "DELETE"):
                return b""
            raise BadFraming("A Content-Length is required.")
        try:
            length = int(self.headers["Content-Length"])
            if length < 0:
                raise ValueError
        except ValueError:
            raise BadFraming("Bad Content-Length.") from None
        if length > limit:
            # read it all: a client still sending gets an answer, not a reset
            self.drain(length)
            raise BodyTooLarge(length)
        return self.rfile.read(length)

    def drain(self, length):
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def handle_any(self):
        try:
            body = self.read_body()
        except BadFraming as e:
            self.close_connection = True
            self.reply(411 if "Content-Length" in str(e) else 400, fault("ErrorInvalidRequest", str(e)))
            return
        except BodyTooLarge as e:
            too_large, body = e.args[0], None
        else:
            too_large = None
        if self.path.split("?", 1)[0].lower() != EWS_PATH:
            self.reply(404, fault("ErrorInvalidRequest", "Not an EWS endpoint."), request=body or b"")
            return
        who = self.authenticate()
        if who is None:
            self.reply(401, fault("ErrorAccessDenied", "Valid credentials are required."),
                       extra=[("WWW-Authenticate", 'Basic realm="ews"')], request=body or b"")
            return
        if self.command in ("GET", "HEAD"):
            self.reply(200, PAGE, ctype="text/html; charset=utf-8")
            return
        if self.command != "POST":
            self.reply(405, fault("ErrorInvalidRequest", "Use POST."), extra=[("Allow", "GET, HEAD, POST")],
                       request=body or b"")
            return
        if too_large is not None:
            self.reply(500, fault("ErrorInvalidRequest",
                                  f"The request is {too_large} bytes; the limit (ews.max_request_size) is "
                                  f"{self.server.max_request_size} bytes."))
            return
        self.soap(who, body)

    def authenticate(self):
        """(pool key, connect arguments, acting mailbox), or None: 401."""
        creds = self.credentials()
        if creds is None:
            return None
        user, password = creds
        if self.server.users is not None:
            smtp = self.server.users.check(user, password)
            return None if smtp is None else ("pooled", {}, smtp)
        key = (user, hashlib.sha256(password.encode("utf-8")).hexdigest())
        try:
            conn = self.server.pools.get(key, user=user, password=password)
        except AuthFailed:
            return None
        except psycopg2.Error:
            conn = None  # the server is down: answered by soap() as a 500 fault
        if conn is not None:
            self.server.pools.put(key, conn)
        return key, {"user": user, "password": password}, None

    def soap(self, who, body):
        key, login, mailbox = who
        try:
            conn = self.server.pools.get(key, **login)
        except (psycopg2.Error, AuthFailed) as e:
            self.reply(500, fault("ErrorInternalServerError", first_line(e)), request=body)
            return
        try:
            with conn.cursor() as cur:
                # the body goes in decoded leniently: ews_soap itself refuses
                # what is not well-formed UTF-8 XML with a fault.  In the select
                # list, not in FROM: a function in FROM puts its result row into
                # a tuplestore first, which spills a large response
                # (ExportItems) to a temporary file
                cur.execute("SELECT (r).status, (r).response FROM (SELECT ews_soap(%s, %s) AS r OFFSET 0) s",
                            (body.decode("utf-8", errors="replace"), mailbox))
                status, response = cur.fetchone()
        except psycopg2.Error as e:
            conn.close()
            self.reply(500, fault("ErrorInternalServerError", first_line(e)), request=body)
            return
        finally:
            self.server.pools.put(key, conn)
        self.reply(status, response, request=body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_any


def first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else "database error"


OP_RE = re.compile(rb"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    trace = None
    trace_lock = threading.Lock()
    trace_n = 0

    def trace_exchange(self, method, request, status, response):
        """--trace DIR: every XML answer with its request, numbered:
        NNNNN-OPERATION-request.xml and NNNNN-OPERATION-response-STATUS.xml."""
        m = OP_RE.search(request[:4096]) if request else None
        op = m.group(1).decode("ascii", "replace") if m else method
        with self.trace_lock:
            self.trace_n += 1
            n = self.trace_n
        base = os.path.join(self.trace, f"{n:05d}-{op}")
        with open(base + "-request.xml", "wb") as f:
            f.write(request)
        with open(f"{base}-response-{status}.xml", "wb") as f:
            f.write(response)


def server_limit(dsn):
    """ews.max_request_size as the server has it set.  The setting exists once the
    ews library is loaded; LOAD needs a superuser, so a call of ews_soap (a fault
    for an empty request) loads it for any role that may use ews."""
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        cur.execute("SELECT (ews_soap('')).status")
        cur.execute("SELECT pg_catalog.current_setting('ews.max_request_size')")
        value = cur.fetchone()[0]
    units = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    num = value.rstrip("kMGB")
    return int(num) * units.get(value[len(num):] or "B", 1)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--dsn", default="",
                    help="libpq connection string; login mode: without user/password; "
                         "pooled mode: the pooled role's login")
    ap.add_argument("--users", metavar="FILE", help="pooled mode: the user list (user:scrypt$...:smtp lines)")
    ap.add_argument("--add-user", nargs=2, metavar=("USER", "SMTP"),
                    help="add or replace USER in --users FILE, password from standard input, and exit")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--trace", metavar="DIR", help="write every XML answer and its request into DIR")
    ap.add_argument("--max-request-size", type=int, default=None,
                    help="bytes; default: the server's ews.max_request_size")
    args = ap.parse_args(argv)

    if args.add_user:
        if not args.users:
            ap.error("--add-user needs --users FILE")
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            ap.error("no password on standard input")
        add_user(args.users, args.add_user[0], args.add_user[1], password)
        return

    srv = Server((args.host, args.port), Handler)
    srv.verbose = args.verbose
    srv.trace = args.trace
    srv.pools = Pools(args.dsn)
    srv.users = UserList(args.users) if args.users else None
    if srv.users is not None:
        # the pooled role must log in now: a wrong --dsn is a start-up error,
        # not a 401 for every user
        srv.pools.put("pooled", connect(args.dsn))
    srv.max_request_size = args.max_request_size
    if srv.max_request_size is None:
        srv.max_request_size = server_limit(args.dsn)
    mode = f"pooled, {len(srv.users.users)} users" if srv.users is not None else "login"
    print(f"listening on http://{args.host}:{srv.server_address[1]}/EWS/Exchange.asmx ({mode})", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
