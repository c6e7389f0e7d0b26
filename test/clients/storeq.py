#!/usr/bin/python3
"""storeq: the store's side for the JavaScript client test, as JSON on stdout.

  storeq.py folder-id SMTP DISTINGUISHED      the FolderId of a distinguished folder
  storeq.py folders SMTP                      every folder of the mailbox
  storeq.py items SMTP FOLDER_ID              the items of a folder (clientlib.Store.items)
  storeq.py item ITEM_ID                      one item, or null
  storeq.py create-item FOLDER_ID BASE64MIME  ews_create_item, as a delivery agent would: the new ItemId
  storeq.py validate-trace DIR                ews-validate over the front's trace: {"count": N, "bad": [...]}
  storeq.py serve                             one JSON array [command, args...] per input line,
                                              one JSON answer per output line ({"error": ...} on failure)

PG* from the environment name the database (as the superuser).  Items are
written with their MIME in base64 and the properties the test compares.
"""
import base64
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import (PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_FLAGS, PS_PUBLIC_STRINGS, VALIDATE, Store,  # noqa: E402
                       Trace, filetime_to_unix)


def item_json(i):
    if i is None:
        return None
    b = i["blob"]
    when = b.get(PR_MESSAGE_DELIVERY_TIME)
    return {"id": i["id"], "change_key": i["change_key"], "subject": i["subject"], "is_read": i["is_read"],
            "article": i.get("article"), "mime": base64.b64encode(i["mime"]).decode() if i["mime"] else None,
            "size": len(i["mime"]) if i["mime"] else None, "flags": b.get(PR_MESSAGE_FLAGS),
            "received": filetime_to_unix(when) if when is not None else None,
            "categories": b.named(PS_PUBLIC_STRINGS, "Keywords", 0x101F)}


def run(store, cmd, *args):
    if cmd == "validate-trace":
        files = [p for _, _, _, p in Trace(args[0]).entries()]
        bad = []
        for i in range(0, len(files), 200):
            r = subprocess.run(["/usr/bin/python3", VALIDATE] + files[i:i + 200], capture_output=True, text=True)
            bad += [line for line in r.stdout.splitlines() if not line.endswith(": ok")]
        return {"count": len(files), "bad": bad}
    if cmd == "folder-id":
        return store.folder_id(*args)
    if cmd == "folders":
        return store.folders(*args)
    if cmd == "items":
        return [item_json(i) for i in store.items(*args)]
    if cmd == "item":
        return item_json(store.item(*args))
    if cmd == "create-item":
        return store.create_item(args[0], base64.b64decode(args[1]))
    raise ValueError(f"unknown command {cmd}")


def main(cmd, *args):
    store = Store()
    if cmd != "serve":
        json.dump(run(store, cmd, *args), sys.stdout)
        return
    # one process for a whole test: starting Python and connecting costs more than a query
    for line in sys.stdin:
        try:
            out = {"ok": run(store, *json.loads(line))}
        except Exception as e:  # noqa: BLE001 - the client test reports it
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(*sys.argv[1:])
