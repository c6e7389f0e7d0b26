// End-to-end test of ews with ews-javascript-api (npm, the JavaScript port of
// Microsoft's EWS Managed API), over plain HTTP with Basic credentials
// (WebCredentials: sent with every request), against the HTTP front in
// pooled mode.  Run by test/sh/ejs.sh:
//
//   node ejs_e2e.js ENDPOINT USER PASSWORD SMTP TRACE_DIR
//
// Every check is compared with what the store holds, read as the superuser
// through test/clients/storeq.py (the SQL functions).  Checks that need an
// operation listed in test/clients/missing-operations are expected failures.
"use strict";
const path = require("path");
const { spawn } = require("child_process");
const readline = require("readline");
const ews = require("ews-javascript-api");
const { Tap } = require("./tap");

const tap = new Tap();
const check = tap.check.bind(tap);
const step = tap.step.bind(tap);
const guard = tap.guard.bind(tap);
const STOREQ = path.join(__dirname, "..", "storeq.py");

// one storeq.py process for the whole test, a JSON line per question and answer
const helper = spawn("/usr/bin/python3", [STOREQ, "serve"], { stdio: ["pipe", "pipe", "inherit"] });
const waiting = [];
readline.createInterface({ input: helper.stdout }).on("line", (line) => {
  const answer = JSON.parse(line);
  const { resolve, reject } = waiting.shift();
  if ("error" in answer) reject(new Error("storeq: " + answer.error));
  else resolve(answer.ok);
});
function storeq(...args) {
  return new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    helper.stdin.write(JSON.stringify(args) + "\n");
  });
}

function rawMessage(subject, date, body, msgid) {
  return Buffer.from(
    `From: Carol Sender <carol@example.com>\r\nTo: ejs-user@example.com\r\nSubject: ${subject}\r\n` +
      `Date: ${date}\r\nMessage-ID: <${msgid}@example.com>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
    "utf8"
  );
}

const deliver = (folderId, raw) => storeq("create-item", folderId, raw.toString("base64"));
const sameSet = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

async function main(endpoint, user, password, smtp, traceDir) {
  const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013_SP1);
  service.Url = new ews.Uri(endpoint);
  service.Credentials = new ews.WebCredentials(user, password);

  const inboxId = await storeq("folder-id", smtp, "inbox");
  const topId = await storeq("folder-id", smtp, "msgfolderroot");
  const junkId = await storeq("folder-id", smtp, "junkemail");
  const folders = () => storeq("folders", smtp);
  const childrenOf = async (id) => (await folders()).filter((f) => f.parent === id);
  const items = (id) => storeq("items", smtp, id);

  // ---- Folder.Bind: GetFolder AllProperties
  const inbox = await step("Folder.Bind", () => ews.Folder.Bind(service, ews.WellKnownFolderName.Inbox));
  await guard("Folder.Bind(Inbox): its id, DisplayName, TotalCount and UnreadCount as the store has them", async () => {
    const s = (await folders()).find((f) => f.id === inboxId);
    return [inbox.Id.UniqueId === inboxId && inbox.DisplayName === "Inbox" && inbox.TotalCount === s.total &&
      inbox.UnreadCount === s.unread, [inbox && inbox.DisplayName, inbox && inbox.TotalCount, s]];
  });

  // ---- FindFolders with paging
  const pages = [];
  const found = await step("FindFolders", async () => {
    const names = [];
    let offset = 0;
    for (;;) {
      const r = await service.FindFolders(ews.WellKnownFolderName.MsgFolderRoot, new ews.FolderView(3, offset));
      pages.push([r.TotalCount, r.MoreAvailable, r.Folders.length]);
      names.push(...r.Folders.map((f) => f.Id.UniqueId));
      if (!r.MoreAvailable || pages.length > 20) break;
      offset += r.Folders.length; // FindFolders leaves NextPageOffset unset (a bug of 0.15.3)
    }
    return names;
  });
  const top = (await childrenOf(topId)).map((f) => f.id);
  check(found && found.length === top.length && sameSet(found, top) &&
    pages.length === Math.ceil(top.length / 3) && pages.every((p) => p[0] === top.length),
    `FindFolders(MsgFolderRoot, FolderView(3)) page by page: the ${top.length} children, each once, ` +
    `TotalCount on every page, MoreAvailable until the last`, pages);
  const deep = await step("FindFolders Deep", async () => {
    const view = new ews.FolderView(1000);
    view.Traversal = ews.FolderTraversal.Deep;
    return (await service.FindFolders(ews.WellKnownFolderName.MsgFolderRoot, view)).Folders.map((f) => f.Id.UniqueId);
  });
  await guard("FindFolders Deep: every folder below Top of Information Store", async () => {
    const all = await folders();
    const below = new Set();
    const walk = (id) => all.filter((f) => f.parent === id).forEach((f) => { below.add(f.id); walk(f.id); });
    walk(topId);
    return [sameSet(deep, below), [deep && deep.length, below.size]];
  });

  // ---- folder Save, Update, Move, Copy, Delete, Empty
  const folder = new ews.Folder(service);
  folder.DisplayName = "ejs folder";
  await step("Folder.Save", () => folder.Save(ews.WellKnownFolderName.Inbox));
  const folderId = folder.Id && folder.Id.UniqueId;
  check(folderId && (await childrenOf(inboxId)).some((f) => f.id === folderId && f.name === "ejs folder"),
    "Folder.Save(Inbox): the store has the folder below the inbox");
  folder.DisplayName = "ejs renamed";
  await step("Folder.Update", () => folder.Update(), ["UpdateFolder"]);
  check((await childrenOf(inboxId)).some((f) => f.id === folderId && f.name === "ejs renamed"),
    "folder.Update() of DisplayName: renamed in the store, same id", await childrenOf(inboxId), ["UpdateFolder"]);
  const moved = await step("Folder.Move", () => folder.Move(ews.WellKnownFolderName.JunkEmail));
  check(moved && moved.Id.UniqueId === folderId && (await childrenOf(junkId)).some((f) => f.id === folderId),
    "folder.Move(JunkEmail): the same folder id, now below junk in the store");
  await deliver(folderId, rawMessage("in the copied folder", "Mon, 02 Feb 2026 10:00:00 +0000", "x", "cf1"));
  const copy = await step("Folder.Copy", () => (moved || folder).Copy(ews.WellKnownFolderName.Inbox));
  const copyId = copy && copy.Id.UniqueId;
  await guard("folder.Copy(Inbox): a new folder below the inbox, with a copy of the item", async () =>
    [copyId && copyId !== folderId && (await childrenOf(inboxId)).some((f) => f.id === copyId) && (await items(copyId)).length === 1,
      copyId]);
  await step("Folder.Delete", () => copy.Delete(ews.DeleteMode.HardDelete));
  check(copyId && !(await folders()).some((f) => f.id === copyId), "folder.Delete(HardDelete): the copy is gone from the store");
  await deliver(folderId, rawMessage("to be emptied", "Mon, 02 Feb 2026 11:00:00 +0000", "y", "cf2"));
  await step("Folder.Empty", () => (moved || folder).Empty(ews.DeleteMode.HardDelete, false), ["EmptyFolder"]);
  await guard("folder.Empty(HardDelete, false): the folder has no items left in the store",
    async () => { const left = await items(folderId); return [left.length === 0, left.length]; }, ["EmptyFolder"]);

  // ---- FindItems with views, filters, sorting
  const box = new ews.Folder(service);
  box.DisplayName = "ejs find";
  await step("Folder.Save ejs find", () => box.Save(ews.WellKnownFolderName.Inbox));
  const boxId = box.Id && box.Id.UniqueId;
  const seeds = [["Quarterly report", 3], ["Grüße aus Köln", 7], ["quarterly numbers", 11], ["Lunch", 14], ["Party", 20]];
  for (const [i, [subject, day]] of seeds.entries()) {
    await deliver(boxId, rawMessage(subject, `Tue, ${String(day).padStart(2, "0")} Feb 2026 09:00:00 +0000`, `Body ${i}`, `f${i}`));
  }
  const stored = await items(boxId);
  const byDate = [...stored].sort((a, b) => a.received - b.received);
  const paged = [];
  const all = await step("FindItems paged", async () => {
    const ids = [];
    let offset = 0;
    for (;;) {
      const r = await service.FindItems(new ews.FolderId(boxId), new ews.ItemView(2, offset));
      paged.push([r.TotalCount, r.MoreAvailable, r.NextPageOffset, r.Items.length]);
      ids.push(...r.Items.map((x) => x.Id.UniqueId));
      if (!r.MoreAvailable || paged.length > 10) break;
      offset = r.NextPageOffset;
    }
    return ids;
  }, ["FindItem"]);
  check(all && all.length === 5 && sameSet(all, stored.map((x) => x.id)) &&
    JSON.stringify(paged.map((p) => p[2])) === JSON.stringify([2, 4, null]) && paged.every((p) => p[0] === 5),
    "FindItems(ItemView(2)) page by page: the 5 items each once, TotalCount 5, NextPageOffset 2, 4, then the end",
    paged, ["FindItem"]);
  const summary = await step("FindItems AllProperties", () => service.FindItems(new ews.FolderId(boxId), new ews.ItemView(10)),
    ["FindItem"]);
  await guard("FindItems' AllProperties: Subject, DateTimeReceived, Size and IsRead of each item as stored", async () => {
    const bad = summary.Items.filter((x) => {
      const s = stored.find((y) => y.id === x.Id.UniqueId);
      return !s || x.Subject !== s.subject || x.DateTimeReceived.valueOf() !== s.received * 1000 ||
        x.Size !== s.size || x.IsRead !== s.is_read;
    });
    return [summary.Items.length === 5 && bad.length === 0, bad.map((x) => x.Subject)];
  }, ["FindItem"]);
  const sorted = await step("FindItems sorted", () => {
    const view = new ews.ItemView(3);
    view.OrderBy.Add(ews.ItemSchema.DateTimeReceived, ews.SortDirection.Descending);
    view.PropertySet = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.Subject]);
    return service.FindItems(new ews.FolderId(boxId), view);
  }, ["FindItem"]);
  await guard("FindItems ordered by DateTimeReceived descending, IdOnly + Subject: the 3 newest, newest first", async () =>
    [JSON.stringify(sorted.Items.map((x) => [x.Id.UniqueId, x.Subject])) ===
      JSON.stringify(byDate.slice().reverse().slice(0, 3).map((x) => [x.id, x.subject])),
      sorted.Items.map((x) => x.Subject)], ["FindItem"]);
  const contains = await step("FindItems ContainsSubstring", () => service.FindItems(new ews.FolderId(boxId),
    new ews.SearchFilter.ContainsSubstring(ews.ItemSchema.Subject, "QUARTERLY", ews.ContainmentMode.Substring,
      ews.ComparisonMode.IgnoreCase), new ews.ItemView(10)), ["FindItem"]);
  await guard("FindItems with ContainsSubstring(Subject, QUARTERLY, IgnoreCase): the two quarterly items", async () =>
    [sameSet(contains.Items.map((x) => x.Id.UniqueId),
      stored.filter((x) => x.subject.toLowerCase().includes("quarterly")).map((x) => x.id)),
    contains.Items.map((x) => x.Subject)], ["FindItem"]);
  const cut = Date.UTC(2026, 1, 10);
  const later = await step("FindItems IsGreaterThan", () => service.FindItems(new ews.FolderId(boxId),
    new ews.SearchFilter.IsGreaterThan(ews.ItemSchema.DateTimeReceived, new ews.DateTime(cut)),
    new ews.ItemView(10)), ["FindItem"]);
  await guard("FindItems with IsGreaterThan(DateTimeReceived, 2026-02-10): the items received after it", async () =>
    [sameSet(later.Items.map((x) => x.Id.UniqueId), stored.filter((x) => x.received * 1000 > cut).map((x) => x.id)),
      later.Items.map((x) => x.Subject)], ["FindItem"]);
  const both = await step("FindItems And/Not", () => {
    const f = new ews.SearchFilter.SearchFilterCollection(ews.LogicalOperator.And, [
      new ews.SearchFilter.IsGreaterThanOrEqualTo(ews.ItemSchema.DateTimeReceived, new ews.DateTime(cut)),
      new ews.SearchFilter.Not(new ews.SearchFilter.IsEqualTo(ews.ItemSchema.Subject, "Lunch"))]);
    return service.FindItems(new ews.FolderId(boxId), f, new ews.ItemView(10));
  }, ["FindItem"]);
  await guard("FindItems with And(IsGreaterThanOrEqualTo, Not(IsEqualTo Subject Lunch))", async () =>
    [sameSet(both.Items.map((x) => x.Id.UniqueId),
      stored.filter((x) => x.received * 1000 >= cut && x.subject !== "Lunch").map((x) => x.id)),
    both.Items.map((x) => x.Subject)], ["FindItem"]);

  // ---- Item.Bind with property sets: GetItem
  const first = byDate[0];
  const bound = await step("Item.Bind", () => ews.Item.Bind(service, new ews.ItemId(first.id),
    new ews.PropertySet(ews.BasePropertySet.FirstClassProperties, [ews.ItemSchema.MimeContent])), ["GetItem"]);
  await guard("Item.Bind(FirstClassProperties + MimeContent): Subject, IsRead, DateTimeReceived, Size as stored, " +
    "the MimeContent byte for byte", async () =>
    [bound.Subject === first.subject && bound.IsRead === first.is_read && bound.Size === first.size &&
      bound.DateTimeReceived.valueOf() === first.received * 1000 &&
      Buffer.from(bound.MimeContent.Content, "base64").equals(Buffer.from(first.mime, "base64")),
    [bound && bound.Subject]], ["GetItem"]);
  const slim = await step("EmailMessage.Bind IdOnly", () => ews.EmailMessage.Bind(service, new ews.ItemId(first.id),
    new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.Subject, ews.EmailMessageSchema.From])), ["GetItem"]);
  await guard("EmailMessage.Bind(IdOnly + Subject, From): those two, the sender as in the message", async () =>
    [slim.Subject === first.subject && slim.From.Address === "carol@example.com" && slim.From.Name === "Carol Sender",
      [slim && slim.Subject, slim && slim.From && slim.From.Address]], ["GetItem"]);

  // ---- EmailMessage Save, Update, Move, Copy, Delete
  const draftsId = await storeq("folder-id", smtp, "drafts");
  const msg = new ews.EmailMessage(service);
  msg.Subject = "Written by ews-javascript-api";
  msg.Body = new ews.MessageBody(ews.BodyType.Text, "Hello from Node");
  msg.ToRecipients.Add("dave@example.com");
  await step("EmailMessage.Save", () => msg.Save(), ["CreateItem"]);
  const msgId = msg.Id && msg.Id.UniqueId;
  await guard("EmailMessage.Save() without a folder: a new item in Drafts with that subject, MIME made by the store", async () => {
    const s = (await items(draftsId)).find((x) => x.id === msgId);
    const mime = Buffer.from(s.mime, "base64").toString("utf8");
    return [s.subject === "Written by ews-javascript-api" && mime.includes("Hello from Node") &&
      mime.includes("dave@example.com"), s];
  }, ["CreateItem"]);
  msg.Subject = "Updated by ews-javascript-api";
  await step("EmailMessage.Update", () => msg.Update(ews.ConflictResolutionMode.AutoResolve), ["CreateItem", "UpdateItem"]);
  await guard("EmailMessage.Update(AutoResolve): same id, the new subject in the store", async () => {
    const s = await storeq("item", msgId);
    return [msg.Id.UniqueId === msgId && s.subject === "Updated by ews-javascript-api", s];
  }, ["CreateItem", "UpdateItem"]);
  const copied = await step("EmailMessage.Copy", () => msg.Copy(ews.WellKnownFolderName.JunkEmail), ["CreateItem", "CopyItem"]);
  await guard("EmailMessage.Copy(JunkEmail): a new item in junk with the same message, the original stays", async () => {
    const c = await storeq("item", copied.Id.UniqueId);
    return [c.mime === (await storeq("item", msgId)).mime && (await items(junkId)).some((x) => x.id === copied.Id.UniqueId), c];
  }, ["CreateItem", "CopyItem"]);
  const movedMsg = await step("EmailMessage.Move", () => msg.Move(ews.WellKnownFolderName.Inbox), ["CreateItem", "MoveItem"]);
  await guard("EmailMessage.Move(Inbox): the item is in the inbox under a new id, the old id is gone", async () => {
    const newId = movedMsg.Id.UniqueId;
    return [newId !== msgId && (await storeq("item", msgId)) === null && (await items(inboxId)).some((x) => x.id === newId), newId];
  }, ["CreateItem", "MoveItem"]);
  await step("EmailMessage.Delete", () => movedMsg.Delete(ews.DeleteMode.HardDelete), ["CreateItem", "MoveItem", "DeleteItem"]);
  await guard("Item.Delete(HardDelete): the item is gone from the store", async () =>
    [(await storeq("item", movedMsg.Id.UniqueId)) === null, null], ["CreateItem", "MoveItem", "DeleteItem"]);

  // ---- SyncFolderHierarchy, SyncFolderItems: from nothing to done, then one change
  const syncAll = async (call) => {
    const changes = [];
    let state = null;
    for (let n = 0; n < 50; n++) {
      const r = await call(state);
      changes.push(...r.GetEnumerator());
      state = r.SyncState;
      if (!r.MoreChangesAvailable) break;
    }
    return { changes, state };
  };
  const hierarchy = (state) => service.SyncFolderHierarchy(new ews.FolderId(ews.WellKnownFolderName.MsgFolderRoot),
    ews.PropertySet.IdOnly, state);
  const h1 = await step("SyncFolderHierarchy", () => syncAll(hierarchy), ["SyncFolderHierarchy"]);
  await guard("SyncFolderHierarchy(MsgFolderRoot) from no state: one Create per folder below it", async () => {
    const all = await folders();
    const below = [];
    const walk = (id) => all.filter((f) => f.parent === id).forEach((f) => { below.push(f.id); walk(f.id); });
    walk(topId);
    return [h1.changes.every((c) => c.ChangeType === ews.ChangeType.Create) &&
      sameSet(h1.changes.map((c) => c.FolderId.UniqueId), below), h1.changes.length];
  }, ["SyncFolderHierarchy"]);
  const h2 = await step("SyncFolderHierarchy again", () => hierarchy(h1.state), ["SyncFolderHierarchy"]);
  check(h2 && h2.Count === 0 && !h2.MoreChangesAvailable, "SyncFolderHierarchy with its state and nothing changed: no changes",
    h2 && h2.Count, ["SyncFolderHierarchy"]);
  const itemsOf = (state) => service.SyncFolderItems(new ews.FolderId(boxId), ews.PropertySet.IdOnly, null, 2,
    ews.SyncFolderItemsScope.NormalItems, state);
  const i1 = await step("SyncFolderItems", () => syncAll(itemsOf), ["SyncFolderItems"]);
  await guard("SyncFolderItems(MaxChangesReturned 2) from no state: each of the 5 items once, as a Create", async () =>
    [i1.changes.length === 5 && i1.changes.every((c) => c.ChangeType === ews.ChangeType.Create) &&
      sameSet(i1.changes.map((c) => c.ItemId.UniqueId), stored.map((x) => x.id)), i1.changes.length],
  ["SyncFolderItems"]);
  const added = await deliver(boxId, rawMessage("after the sync", "Sat, 28 Feb 2026 09:00:00 +0000", "new", "f9"));
  const i2 = await step("SyncFolderItems again", () => itemsOf(i1.state), ["SyncFolderItems"]);
  await guard("SyncFolderItems with its state after one delivery: one Create, of that item", async () =>
    [i2.Count === 1 && i2.GetEnumerator()[0].ChangeType === ews.ChangeType.Create &&
      i2.GetEnumerator()[0].ItemId.UniqueId === added, i2.Count], ["SyncFolderItems"]);

  // ---- every response ews-javascript-api received
  const v = await storeq("validate-trace", traceDir);
  check(v.count > 0 && v.bad.length === 0, `ews-javascript-api: all ${v.count} responses it received pass ews-validate`,
    v.bad.slice(0, 20).join("\n"));
}

main(...process.argv.slice(2, 7))
  .catch((e) => tap.check(false, "the test ran to its end", String(e && e.stack || e)))
  .finally(() => { helper.stdin.end(); process.exitCode = tap.summary(); });
