import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliver } from "./deliver.js";
import { MailStoreError } from "./errors.js";
import { FolderRegistry } from "./folder-state.js";
import { MailStore } from "./store.js";

interface TestContext {
  after(fn: () => unknown): void;
}

async function setup(
  t: TestContext,
  delimiter: "/" | "." = "/",
): Promise<{ maildir: string; store: MailStore }> {
  const dir = await mkdtemp(join(tmpdir(), "portico-store-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "Maildir");
  return { maildir, store: new MailStore(maildir, { registry, delimiter }) };
}

function reason(expected: string): (error: unknown) => boolean {
  return (error) => error instanceof MailStoreError && error.reason === expected;
}

async function names(store: MailStore): Promise<string[]> {
  return (await store.list()).map((f) => `${f.name} ${f.attributes.join(" ")}`);
}

test("create makes a Maildir++ folder with maildirfolder; list shows the hierarchy", async (t) => {
  const { maildir, store } = await setup(t);
  await store.create("Work");
  await store.create("Work/Projects/2024");
  assert.deepEqual((await readdir(maildir)).filter((n) => n.startsWith(".")).sort(), [
    ".Work",
    ".Work.Projects.2024",
  ]);
  for (const dir of [".Work", ".Work.Projects.2024"]) {
    assert.deepEqual((await readdir(join(maildir, dir))).sort(), ["cur", "maildirfolder", "new", "tmp"]);
    assert.equal((await stat(join(maildir, dir))).mode & 0o777, 0o700);
  }
  assert.deepEqual(await names(store), [
    "INBOX \\HasNoChildren",
    "Work \\HasChildren",
    "Work/Projects \\NonExistent \\Noselect \\HasChildren",
    "Work/Projects/2024 \\HasNoChildren",
  ]);
  await assert.rejects(store.create("Work"), reason("exists"));
  await assert.rejects(store.create("inbox"), reason("exists"));
  await assert.rejects(store.open("Work/Projects"), reason("nonexistent"));
});

test("folder names: INBOX in any case, bad names refused, the delimiter is configurable", async (t) => {
  const { maildir, store } = await setup(t, ".");
  assert.equal(store.canonicalName("inbox"), "INBOX");
  assert.equal(store.canonicalName("Inbox.sub"), "INBOX.sub");
  await store.create("Archive.2024");
  assert.ok((await stat(join(maildir, ".Archive.2024"))).isDirectory());
  assert.deepEqual(
    (await store.list()).map((f) => f.name),
    ["INBOX", "Archive", "Archive.2024"],
  );
  for (const bad of ["a/b", "a..b", ".a", "a*", "b%", "tab\there", ""]) {
    await assert.rejects(store.create(bad), reason("invalid-name"), bad);
  }
  const slash = new MailStore(maildir);
  assert.deepEqual(
    (await slash.list()).map((f) => f.name),
    ["INBOX", "Archive", "Archive/2024"],
  );
  await assert.rejects(slash.create("a.b"), reason("invalid-name"));
  await assert.rejects(slash.create("x".repeat(300)), reason("limit"));
});

test("non-ASCII names are modified UTF-7 on disk, as Dovecot writes them", async (t) => {
  const { maildir, store } = await setup(t);
  await store.create("Entwürfe/台北");
  assert.ok((await stat(join(maildir, ".Entw&APw-rfe.&U,BTFw-"))).isDirectory());
  assert.ok((await store.list()).some((f) => f.name === "Entwürfe/台北" && f.selectable));
  await store.create("R&D");
  assert.ok((await stat(join(maildir, ".R&-D"))).isDirectory());
});

test("rename moves a folder with its children, its messages and its subscriptions", async (t) => {
  const { maildir, store } = await setup(t);
  await store.create("Projects");
  await store.create("Projects/A");
  await store.create("Projects/A/Old");
  await store.create("ProjectsX");
  await store.subscribe("Projects/A");
  await store.subscribe("ProjectsX");
  await deliver(maildir, Buffer.from("Subject: a\r\n\r\n"), { folder: "Projects/A" });
  const open = await store.open("Projects/A");
  t.after(() => {
    open.close();
  });
  const uidValidity = open.uidValidity;
  await store.rename("Projects", "Work/Done");
  assert.deepEqual(await names(store), [
    "INBOX \\HasNoChildren",
    "ProjectsX \\HasNoChildren \\Subscribed",
    "Work \\NonExistent \\Noselect \\HasChildren",
    "Work/Done \\HasChildren",
    "Work/Done/A \\HasChildren \\Subscribed",
    "Work/Done/A/Old \\HasNoChildren",
  ]);
  assert.deepEqual((await store.subscriptions()).sort(), ["ProjectsX", "Work/Done/A"]);
  // The open view follows its files; UIDs and UIDVALIDITY went along.
  assert.deepEqual((await open.sync()).expunged, []);
  assert.equal(open.messages.length, 1);
  const moved = await store.open("Work/Done/A");
  t.after(() => {
    moved.close();
  });
  assert.equal(moved.uidValidity, uidValidity);
  assert.equal(moved.messages[0]!.uid, 1);
  await assert.rejects(store.rename("Nope", "Other"), reason("nonexistent"));
  await store.create("Taken");
  await assert.rejects(store.rename("ProjectsX", "Taken"), reason("exists"));
});

test("renaming INBOX moves its messages into a new folder and leaves INBOX empty", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 0; i < 3; i++)
    await deliver(maildir, Buffer.from(`Subject: ${i}\r\n\r\n`), { flags: i === 0 ? ["Keep"] : [] });
  await store.rename("INBOX", "Old Mail");
  const inbox = await store.open("INBOX");
  const old = await store.open("Old Mail");
  t.after(() => {
    inbox.close();
    old.close();
  });
  assert.equal(inbox.messages.length, 0);
  assert.equal(old.messages.length, 3);
  assert.ok(old.messages.some((m) => m.flags.includes("Keep")));
});

test("delete: a folder with children becomes \\Noselect; INBOX and \\Noselect names cannot go", async (t) => {
  const { maildir, store } = await setup(t);
  await store.create("A");
  await store.create("A/B");
  await deliver(maildir, Buffer.from("x\r\n"), { folder: "A" });
  const view = await store.open("A");
  t.after(() => {
    view.close();
  });
  await store.delete("A");
  assert.deepEqual(await names(store), [
    "INBOX \\HasNoChildren",
    "A \\NonExistent \\Noselect \\HasChildren",
    "A/B \\HasNoChildren",
  ]);
  assert.deepEqual((await view.sync()).expunged, [1]);
  await assert.rejects(view.setFlags([1], ["\\Seen"]), reason("nonexistent"));
  await assert.rejects(store.delete("A"), reason("cannot"));
  await assert.rejects(store.delete("INBOX"), reason("cannot"));
  await assert.rejects(store.delete("Z"), reason("nonexistent"));
  await store.delete("A/B");
  assert.deepEqual(await names(store), ["INBOX \\HasNoChildren"]);
  assert.deepEqual((await readdir(join(maildir, "tmp"))).length, 0);
  // A re-created folder of the same name gets a new UIDVALIDITY (RFC 3501 §2.3.1.1).
  await store.create("A");
  const again = await store.open("A");
  t.after(() => {
    again.close();
  });
  assert.notEqual(again.uidValidity, view.uidValidity);
  await store.create("C/D");
  await store.delete("C", { recursive: true });
  assert.ok(!(await store.list()).some((f) => f.name.startsWith("C")));
});

test("subscriptions use Dovecot's version 2 file and read version 1", async (t) => {
  const { maildir, store } = await setup(t);
  await store.subscribe("INBOX");
  await store.subscribe("Lists/Dövecot");
  await store.subscribe("Lists/Dövecot");
  assert.equal(await readFile(join(maildir, "subscriptions"), "utf8"), "V\t2\n\nINBOX\nLists\tD&APY-vecot\n");
  await store.unsubscribe("INBOX");
  assert.deepEqual(await store.subscriptions(), ["Lists/Dövecot"]);
  await writeFile(join(maildir, "subscriptions"), "INBOX\nOld.Style\n");
  assert.deepEqual(await store.subscriptions(), ["INBOX", "Old/Style"]);
});

test("special-use folders are created on demand with their RFC 6154 attributes", async (t) => {
  const { maildir, store } = await setup(t);
  assert.deepEqual(await store.ensureSpecialUse(["\\Sent", "\\Trash"]), ["Sent", "Trash"]);
  assert.ok((await stat(join(maildir, ".Sent"))).isDirectory());
  await store.ensureSpecialUse();
  const list = await store.list();
  const uses = Object.fromEntries(list.map((f) => [f.name, f.specialUse]));
  assert.deepEqual(uses, {
    INBOX: undefined,
    Archive: "\\Archive",
    Drafts: "\\Drafts",
    Junk: "\\Junk",
    Sent: "\\Sent",
    Trash: "\\Trash",
  });
  assert.ok(list.find((f) => f.name === "Sent")!.attributes.includes("\\Sent"));
  assert.ok(list.find((f) => f.name === "Sent")!.subscribed);
  const custom = new MailStore(maildir, { specialUse: { "\\Sent": "Sent Items" } });
  assert.equal(custom.specialUseName("\\Sent"), "Sent Items");
});

test("status counts messages, unseen, recent and size without a view", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, Buffer.from("a\r\n"));
  await deliver(maildir, Buffer.from("bb\r\n"), { flags: ["\\Seen"] });
  const status = await store.status("INBOX");
  assert.equal(status.messages, 2);
  assert.equal(status.unseen, 1);
  assert.equal(status.recent, 1);
  assert.equal(status.size, 7);
  assert.equal(status.uidNext, 3);
  assert.ok(status.uidValidity > 0);
  await assert.rejects(store.status("Nope"), reason("nonexistent"));
});

test("store.deliver uses the store's delimiter", async (t) => {
  const { maildir, store } = await setup(t, ".");
  const delivered = await store.deliver(Buffer.from("x\r\n"), { folder: "Lists.node" });
  assert.equal(delivered.folderDir, join(maildir, ".Lists.node"));
});
