#!/usr/bin/python3
"""storeq: the store's side for the JavaScript client test, as JSON on stdout.

  storeq.py folder-id SMTP DISTINGUISHED      the FolderId of a distinguished folder
  storeq.py folders SMTP                      every folder of the mailbox
  storeq.py items SMTP FOLDER_ID              the items of a folder (clientlib.Store.items)
  storeq.py item ITEM_ID                      one item, or null
  storeq.py create-item FOLDER_ID BASE64MIME  ews_create_item, as a delivery agent would: the new ItemId
  storeq.py validate-trace DIR                ews-validate over the front's trace: {"count": N, "bad": [...]}

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


def main(cmd, *args):
    if cmd == "validate-trace":
        files = [p for _, _, _, p in Trace(args[0]).entries()]
        bad = []
        for i in range(0, len(files), 200):
            r = subprocess.run(["/usr/bin/python3", VALIDATE] + files[i:i + 200], capture_output=True, text=True)
            bad += [line for line in r.stdout.splitlines() if not line.endswith(": ok")]
        json.dump({"count": len(files), "bad": bad}, sys.stdout)
        return
    store = Store()
    if cmd == "folder-id":
        out = store.folder_id(*args)
    elif cmd == "folders":
        out = store.folders(*args)
    elif cmd == "items":
        out = [item_json(i) for i in store.items(*args)]
    elif cmd == "item":
        out = item_json(store.item(*args))
    elif cmd == "create-item":
        out = store.create_item(args[0], base64.b64decode(args[1]))
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
