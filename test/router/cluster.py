"""Throwaway PostgreSQL clusters for the scale-out test and benchmark
(test/router/router.py, bench/router.py): initdb and pg_ctl of the
PostgreSQL that pg_config names, run as the postgres OS user when we are
root (initdb refuses root), on a free port, with the unix socket in a
directory of our own and trust authentication on it (the router connects
to the nodes as the calling role; see README "Scale-out" for real setups)."""
import os
import pwd
import socket
import subprocess
import tempfile

import psycopg2

AS_POSTGRES = os.geteuid() == 0


def bindir():
    pg_config = os.environ.get("PG_CONFIG", "pg_config")
    return subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()


def run_pg(args, **kw):
    if AS_POSTGRES:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, capture_output=True, text=True, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def workdir_for_postgres(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    if AS_POSTGRES:
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    return d


class Node:
    def __init__(self, i, workdir, db):
        self.i = i
        self.name = f"n{i}"
        self.workdir = workdir
        self.db = db
        self.data = os.path.join(workdir, self.name)
        self.port = free_port()
        self.started = False

    def start(self, conf="", tcp=False):
        b = bindir()
        r = run_pg([os.path.join(b, "initdb"), "-D", self.data, "-U", "postgres", "-E", "UTF8",
                    "--locale=C.UTF-8", "--auth=trust", "-N"])
        if r.returncode != 0:
            raise RuntimeError(f"initdb {self.name}: {r.stderr}")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"port = {self.port}\nlisten_addresses = '{'127.0.0.1' if tcp else ''}'\n"
                    f"unix_socket_directories = '{self.workdir}'\n"
                    f"fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n{conf}")
        r = run_pg([os.path.join(b, "pg_ctl"), "-D", self.data, "-l", self.data + ".log", "-w", "start"])
        if r.returncode != 0:
            log = open(self.data + ".log").read()[-2000:] if os.path.exists(self.data + ".log") else ""
            raise RuntimeError(f"pg_ctl start {self.name}: {r.stderr} {log}")
        self.started = True

    def stop(self):
        if self.started:
            run_pg([os.path.join(bindir(), "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
            self.started = False

    def connstr(self, db=None, tcp=False):
        return f"host={'127.0.0.1' if tcp else self.workdir} port={self.port} dbname={db or self.db}"

    def conn(self, db=None, user="postgres"):
        c = psycopg2.connect(self.connstr(db) + f" user={user}")
        c.autocommit = True
        return c
