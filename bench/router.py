#!/usr/bin/python3
"""bench/router.py (run by bench/router.sh): requests through the PL/Proxy
router against the same requests sent straight to a node, in one run.

Three throwaway node clusters and a router database (test/router/cluster.py),
one mailbox per node with 100 items of 4 KiB each.  Every number is the
client's view: pgbench -n, one client, BENCH_SECONDS (default 3) per
measurement, average latency; BENCH_ROUNDS rounds (default 5) in which the
two sides of each comparison run back to back, in alternating order; the
ratio is taken per round and the median printed.

  SOAP, small requests (ews_soap in the select list, as the README says):
    GetFolder (Default shape) of one folder, and ExportItems of one 4 KiB
    item: through the router vs straight to the node.
  SQL, SELECT * FROM ews_export_items(100 ids): ids of mailboxes on 3
    nodes through the router vs ids of one mailbox through the router (which
    goes whole to its node) vs the same straight to the node; every row and
    blob goes to the client.  (One SOAP request naming mailboxes of three nodes is
    refused with ErrorCrossSiteRequest: only the SQL face splits batches.)
"""
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "router"))
from cluster import Node, bindir, workdir_for_postgres  # noqa: E402

import psycopg2  # noqa: E402

ROUTER_DB = "ews_router_bench"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
NS = ('xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
      'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" '
      'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"')


def envelope(body):
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope {NS}><soap:Header>'
            f'<t:RequestServerVersion Version="Exchange2016"/></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>')


def crc32c(data):
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    reg = 0xFFFFFFFF
    for b in data:
        reg = t[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


def blob4k(k):
    cls = "IPM.Note".encode()
    subj = f"bench item {k}".encode()
    body = (b"0123456789abcdef" * 256)[:4096 - 60 - len(subj)]
    props = [(0x001A001F).to_bytes(4, "little") + len(cls).to_bytes(4, "little") + cls,
             (0x0037001F).to_bytes(4, "little") + len(subj).to_bytes(4, "little") + subj,
             (0x7E010102).to_bytes(4, "little") + len(body).to_bytes(4, "little") + body]
    b = b"EWSB" + (1).to_bytes(2, "little") + (0).to_bytes(2, "little") + (3).to_bytes(4, "little") + b"".join(props)
    return b + crc32c(b).to_bytes(4, "little")


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def pgbench(script, conninfo):
    """average latency in ms of script, one client, SECONDS seconds"""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        args = [os.path.join(bindir(), "pgbench"), "-n", "-T", str(SECONDS), "-f", path] + conninfo
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0 or "latency average" not in r.stdout:
            raise RuntimeError(f"pgbench: {r.stdout} {r.stderr}")
        for line in r.stdout.splitlines():
            if line.startswith("latency average"):
                return float(line.split("=")[1].split()[0])
    finally:
        os.unlink(path)


def main():
    workdir = workdir_for_postgres("ews_router_bench.")
    # the same transport for every hop: TCP when the router is reached by TCP
    # (pg_virtualenv sets PGHOST=localhost), else unix sockets
    tcp = not os.environ.get("PGHOST", "/").startswith("/")
    nodes = [Node(i, workdir, "ews_node") for i in range(3)]
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    try:
        for n in nodes:
            n.start(tcp=tcp)
            q(n.conn("postgres"), "CREATE DATABASE ews_node")
            q(n.conn(), "CREATE EXTENSION ews")
        q(admin, f"DROP DATABASE IF EXISTS {ROUTER_DB}")
        q(admin, f"CREATE DATABASE {ROUTER_DB}")
        r = psycopg2.connect(dbname=ROUTER_DB)
        r.autocommit = True
        q(r, "CREATE EXTENSION ews_router CASCADE")
        for n in nodes:
            q(r, "SELECT ews_router_add_node(%s, %s)", (n.name, n.connstr(tcp=tcp)))
        q(r, "SELECT ews_router_sync()")
        ids, inbox = [], []
        for k in range(3):
            addr = f"bench{k}@example.com"
            q(r, "SELECT ews_create_mailbox(%s)", (addr,))
            ib = q(r, "SELECT ews_folder_id(%s, 'inbox')", (addr,))[0][0]
            inbox.append(ib)
            ids.append([x[0] for x in q(r, "SELECT item_id FROM ews_upload_items(%s, %s)",
                                        ([ib] * 100, [psycopg2.Binary(blob4k(j)) for j in range(100)]))])
        homes = [q(r, "SELECT node_id FROM ews_router.mailbox WHERE smtp_address = %s", (f"bench{k}@example.com",))[0][0]
                 for k in range(3)]
        assert sorted(homes) == [0, 1, 2], homes
        node0 = nodes[homes[0]]
        router_ci = [ROUTER_DB]
        node_ci = ["-h", "127.0.0.1" if tcp else workdir, "-p", str(node0.port), "-U", "postgres", "ews_node"]

        def soap_script(req):
            return "SELECT (r).status, length((r).response) FROM (SELECT ews_soap($req$" + req + "$req$) AS r OFFSET 0) s;\n"

        get_folder = envelope('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                              f'<m:FolderIds><t:FolderId Id="{inbox[0]}"/></m:FolderIds></m:GetFolder>')
        export_one = envelope(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{ids[0][0]}"/></m:ItemIds></m:ExportItems>')
        for req in (get_folder, export_one):
            a = q(r, "SELECT (r).status, (r).response FROM (SELECT ews_soap(%s) AS r OFFSET 0) s", (req,))[0]
            b = q(node0.conn(), "SELECT (r).status, (r).response FROM (SELECT ews_soap(%s) AS r OFFSET 0) s", (req,))[0]
            assert a == b and a[0] == 200 and "NoError" in a[1], (a, b)
        one_node = ids[0]
        three_nodes = [ids[j % 3][j // 3] for j in range(100)]
        # every row and column to the client, blobs included, as a client asks for them
        export_sql = "SELECT * FROM ews_export_items('{%s}'::text[]);\n"
        for lst in (one_node, three_nodes):
            got = q(r, "SELECT count(*), sum(length(data)), bool_and(response_code = 'NoError') FROM ews_export_items(%s)", (lst,))[0]
            assert got[0] == 100 and got[2], got

        cases = [
            ("SOAP GetFolder, one folder", soap_script(get_folder), router_ci, soap_script(get_folder), node_ci),
            ("SOAP ExportItems, one 4 KiB item", soap_script(export_one), router_ci, soap_script(export_one), node_ci),
            ("SQL ews_export_items, 100 ids: 3 nodes vs 1 node, both through the router",
             export_sql % ",".join(three_nodes), router_ci, export_sql % ",".join(one_node), router_ci),
            ("SQL ews_export_items, 100 ids of 1 node: router vs straight to the node",
             export_sql % ",".join(one_node), router_ci, export_sql % ",".join(one_node), node_ci),
        ]
        results = {c[0]: ([], [], []) for c in cases}
        for rnd in range(ROUNDS):
            for name, s1, c1, s2, c2 in cases:
                if rnd % 2 == 0:
                    a = pgbench(s1, c1)
                    b = pgbench(s2, c2)
                else:
                    b = pgbench(s2, c2)
                    a = pgbench(s1, c1)
                results[name][0].append(a)
                results[name][1].append(b)
                results[name][2].append(a / b)
        print(f"# {ROUNDS} rounds of pgbench -n -T {SECONDS}, one client, over {'TCP' if tcp else 'unix sockets'}; medians")
        print("| request | measured ms | baseline ms | ratio (median of per-round ratios) |")
        print("|---|---|---|---|")
        for name, *_ in cases:
            a, b, ratio = results[name]
            print(f"| {name} | {statistics.median(a):.3f} | {statistics.median(b):.3f} | "
                  f"**{statistics.median(ratio):.2f}** ({', '.join(f'{x:.2f}' for x in ratio)}) |")
        r.close()
    finally:
        for n in nodes:
            n.stop()
        q(admin, f"DROP DATABASE IF EXISTS {ROUTER_DB} WITH (FORCE)")
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    sys.exit(main())
