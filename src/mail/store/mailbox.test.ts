import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rename, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { text } from "node:stream/consumers";
import { deliver } from "./deliver.js";
import { MailStoreError } from "./errors.js";
import { type FolderChange, FolderRegistry } from "./folder-state.js";
import { MailStore } from "./store.js";

interface TestContext {
  after(fn: () => unknown): void;
}

async function setup(
  t: TestContext,
): Promise<{ maildir: string; registry: FolderRegistry; store: MailStore }> {
  const dir = await mkdtemp(join(tmpdir(), "portico-mailbox-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "Maildir");
  return { maildir, registry, store: new MailStore(maildir, { registry, pollIntervalMs: 50 }) };
}

/** A second store on the same Maildir with its own index: another process, as far as we can tell. */
function otherProcess(t: TestContext, maildir: string): MailStore {
  const registry = new FolderRegistry();
  t.after(() => {
    registry.close();
  });
  return new MailStore(maildir, { registry, pollIntervalMs: 50 });
}

function message(n: number): Buffer {
  return Buffer.from(`Subject: message ${n}\r\nFrom: a@example.org\r\n\r\nBody ${n}\r\n`);
}

test("sync moves new/ to cur/ with :2, and gives UIDs in delivery order", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 3; i++) await deliver(maildir, message(i));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  assert.deepEqual(
    box.messages.map((m) => m.uid),
    [1, 2, 3],
  );
  assert.deepEqual(await readdir(join(maildir, "new")), []);
  const cur = await readdir(join(maildir, "cur"));
  assert.equal(cur.length, 3);
  assert.ok(cur.every((n) => n.endsWith(":2,")));
  for (const m of box.messages) {
    assert.equal(await text(await box.openMessage(m.uid)), message(m.uid).toString());
    assert.equal(m.size, message(m.uid).length);
  }
  assert.equal(box.recentCount, 3);
  const uidlist = await readFile(join(maildir, "dovecot-uidlist"), "utf8");
  assert.match(uidlist, /^3 V\d+ N\d+ G[0-9a-f]{32}\n1 :\S+,S=\d+,W=\d+\n2 :/);
});

test("UIDs and UIDVALIDITY persist across reopen and across processes", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 3; i++) await deliver(maildir, message(i));
  const first = await store.open("INBOX");
  const validity = first.uidValidity;
  const byName = new Map(first.messages.map((m) => [m.filename, m.uid]));
  first.close();
  await deliver(maildir, message(4));
  const other = await otherProcess(t, maildir).open("INBOX");
  t.after(() => {
    other.close();
  });
  assert.equal(other.uidValidity, validity);
  for (const m of other.messages.slice(0, 3)) assert.equal(byName.get(m.filename), m.uid);
  assert.deepEqual(
    other.messages.map((m) => m.uid),
    [1, 2, 3, 4],
  );
  assert.equal(other.uidNext, 5);
});

test("flags round-trip through file names (letters sorted), keywords through dovecot-keywords", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, message(1));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const [info] = await box.setFlags(
    [1],
    ["\\Seen", "\\Deleted", "\\Draft", "\\Flagged", "\\Answered", "$Forwarded", "Work"],
  );
  assert.deepEqual(info!.flags, [
    "\\Draft",
    "\\Flagged",
    "$Forwarded",
    "\\Answered",
    "\\Seen",
    "\\Deleted",
    "Work",
  ]);
  const [name] = await readdir(join(maildir, "cur"));
  assert.match(name!, /:2,DFPRSTa$/);
  assert.equal(await readFile(join(maildir, "dovecot-keywords"), "utf8"), "0 Work\n");
  await box.setFlags([1], ["\\Deleted", "work"], "remove");
  assert.deepEqual(box.get(1)!.flags, ["\\Draft", "\\Flagged", "$Forwarded", "\\Answered", "\\Seen"]);
  assert.match((await readdir(join(maildir, "cur")))[0]!, /:2,DFPRS$/);
  await box.setFlags([1], ["\\Seen"], "set");
  const reopened = await otherProcess(t, maildir).open("INBOX");
  t.after(() => {
    reopened.close();
  });
  assert.deepEqual(reopened.get(1)!.flags, ["\\Seen"]);
});

test("unknown flag letters and a ',<other>' part survive a flag change", async (t) => {
  const { maildir, store } = await setup(t);
  const d = await deliver(maildir, message(1));
  await rename(d.path, join(maildir, "cur", `${d.name}:2,SZ,xyz`));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  await box.setFlags([1], ["\\Flagged"], "add");
  assert.deepEqual(await readdir(join(maildir, "cur")), [`${d.name}:2,FSZ,xyz`]);
});

test("expunge unlinks; other views learn it at their next sync", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 3; i++) await deliver(maildir, message(i));
  const a = await store.open("INBOX");
  const b = await store.open("INBOX");
  t.after(() => {
    a.close();
    b.close();
  });
  assert.deepEqual(await a.expunge([2, 99]), [2]);
  assert.deepEqual(
    a.messages.map((m) => m.uid),
    [1, 3],
  );
  assert.equal((await readdir(join(maildir, "cur"))).length, 2);
  // b still shows UID 2 until it syncs (IMAP sequence numbers stay put), but cannot read it.
  assert.equal(b.messages.length, 3);
  await assert.rejects(
    b.openMessage(2),
    (e: unknown) => e instanceof MailStoreError && e.reason === "expunged",
  );
  const changes = await b.sync();
  assert.deepEqual(changes.expunged, [2]);
  assert.equal(b.messages.length, 2);
});

test("copy and move give new UIDs in the target and keep flags, keywords and date", async (t) => {
  const { maildir, store } = await setup(t);
  const date = new Date("2020-01-02T03:04:05Z");
  for (let i = 1; i <= 3; i++) await deliver(maildir, message(i), { internalDate: date });
  await store.create("Archive");
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  await box.setFlags([1, 2], ["\\Seen", "Project"], "add");
  const copied = await box.copy([1, 2], "Archive");
  const archive = await store.open("Archive");
  t.after(() => {
    archive.close();
  });
  assert.equal(copied.uidValidity, archive.uidValidity);
  assert.deepEqual(copied.pairs, [
    [1, 1],
    [2, 2],
  ]);
  assert.deepEqual(archive.get(1)!.flags, ["\\Seen", "Project"]);
  assert.equal((await archive.internalDate(1)).getTime(), date.getTime());
  assert.equal(await text(await archive.openMessage(2)), message(2).toString());
  assert.equal(box.messages.length, 3);

  const moved = await box.move([3], "Archive");
  assert.deepEqual(moved.pairs, [[3, 3]]);
  assert.deepEqual(
    box.messages.map((m) => m.uid),
    [1, 2],
  );
  assert.equal((await readdir(join(maildir, "cur"))).length, 2);
  const changes = await archive.sync();
  assert.deepEqual(
    changes.added.map((m) => m.uid),
    [3],
  );
  await assert.rejects(
    box.copy([1], "Nowhere"),
    (e: unknown) => e instanceof MailStoreError && e.reason === "nonexistent",
  );
});

test("append stores flags and INTERNALDATE and returns the UID", async (t) => {
  const { store } = await setup(t);
  await store.create("Drafts");
  const date = new Date("2023-06-07T08:09:10Z");
  const result = await store.append("Drafts", Buffer.from("Subject: draft\n\nhello\n"), {
    flags: ["\\Draft", "\\Seen"],
    internalDate: date,
  });
  const box = await store.open("Drafts");
  t.after(() => {
    box.close();
  });
  assert.equal(result.uidValidity, box.uidValidity);
  const info = box.get(result.uid)!;
  assert.deepEqual(info.flags, ["\\Draft", "\\Seen"]);
  assert.equal(info.size, "Subject: draft\r\n\r\nhello\r\n".length);
  assert.equal((await box.internalDate(result.uid)).getTime(), date.getTime());
  assert.equal(box.isRecent(result.uid), true);
});

test("readHeader reads the header section only; ranges read parts", async (t) => {
  const { maildir, store } = await setup(t);
  const body = "x".repeat(100_000);
  await deliver(maildir, Buffer.from(`Subject: big\r\nX-A: 1\r\n\r\n${body}`));
  await deliver(maildir, Buffer.from("\r\nno header"));
  await deliver(maildir, Buffer.from("Subject: only header\r\n"));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  assert.equal((await box.readHeader(1)).toString(), "Subject: big\r\nX-A: 1\r\n\r\n");
  assert.equal((await box.readHeader(2)).toString(), "\r\n");
  assert.equal((await box.readHeader(3)).toString(), "Subject: only header\r\n");
  assert.equal(await text(await box.openMessage(1, { start: 9, end: 12 })), "big");
  assert.equal(await text(await box.openMessage(1, { start: 200_000 })), "");
});

test("a foreign file with LF line ends is served in CRLF form with the right size", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, Buffer.from("seed\r\n")); // creates the Maildir
  await writeFile(join(maildir, "new", "1700000000.foreign.host"), "Subject: lf\n\nline\n");
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const foreign = box.messages.find((m) => m.filename.startsWith("1700000000"))!;
  assert.equal(foreign.size, "Subject: lf\r\n\r\nline\r\n".length);
  assert.equal(await text(await box.openMessage(foreign.uid)), "Subject: lf\r\n\r\nline\r\n");
  assert.equal(await text(await box.openMessage(foreign.uid, { start: 11, end: 15 })), "\r\n\r\n");
  assert.equal((await box.readHeader(foreign.uid)).toString(), "Subject: lf\r\n\r\n");
  // The CRLF size is remembered in the uidlist (W field), as Dovecot does.
  assert.match(await readFile(join(maildir, "dovecot-uidlist"), "utf8"), / W21 :1700000000\.foreign\.host\n/);
});

test("another process renaming files (flag changes) is seen as flags, not as expunges", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 20; i++) await deliver(maildir, message(i));
  const mine = await store.open("INBOX");
  const theirs = await otherProcess(t, maildir).open("INBOX");
  t.after(() => {
    mine.close();
    theirs.close();
  });
  const uids = mine.messages.map((m) => m.uid);
  // Both change flags at once, on the same messages, each through its own index.
  await Promise.all([
    ...uids.map((uid) => theirs.setFlags([uid], ["\\Seen"], "add")),
    ...uids.map((uid) => mine.setFlags([uid], ["\\Flagged"], "add")),
  ]);
  const changes = await mine.sync();
  assert.deepEqual(changes.expunged, []);
  await theirs.sync();
  for (const uid of uids) {
    assert.deepEqual(mine.get(uid)!.flags, ["\\Flagged", "\\Seen"]);
    assert.deepEqual(theirs.get(uid)!.flags, ["\\Flagged", "\\Seen"]);
  }
  // A rename behind our back between reads: reading still finds the file.
  const [name] = (await readdir(join(maildir, "cur"))).filter((n) =>
    n.startsWith(mine.get(5)!.filename.split(":")[0]!),
  );
  await rename(join(maildir, "cur", name!), join(maildir, "cur", `${name!.split(":")[0]!}:2,FRS`));
  assert.equal(await text(await mine.openMessage(5)), message(5).toString());
  assert.deepEqual(
    (await mine.sync()).changed.map((m) => m.uid),
    [5],
  );
});

test("a file removed by another program is reported as expunged", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 2; i++) await deliver(maildir, message(i));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  await unlink(join(maildir, "cur", box.get(1)!.filename));
  assert.deepEqual((await box.sync()).expunged, [1]);
});

test("two processes assigning UIDs at once never give one UID twice", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, message(0));
  const a = await store.open("INBOX");
  const b = await otherProcess(t, maildir).open("INBOX");
  t.after(() => {
    a.close();
    b.close();
  });
  const deliveries = Array.from({ length: 30 }, (_, i) => deliver(maildir, message(i + 1)));
  await Promise.all([...deliveries, a.sync(), b.sync(), a.sync(), b.sync()]);
  await Promise.all([a.sync(), b.sync()]);
  const mapA = new Map(a.messages.map((m) => [m.filename.split(":")[0], m.uid]));
  assert.equal(a.messages.length, 31);
  assert.equal(b.messages.length, 31);
  for (const m of b.messages) assert.equal(mapA.get(m.filename.split(":")[0]), m.uid);
  assert.equal(new Set(a.messages.map((m) => m.uid)).size, 31);
});

test("watch: a delivery by this process is announced at once", async (t) => {
  const { maildir, store } = await setup(t);
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const seen = new Promise<FolderChange>((resolve) => {
    const stop = box.watch((change) => {
      stop();
      resolve(change);
    });
  });
  const started = Date.now();
  await deliver(maildir, message(1));
  const change = await seen;
  assert.equal(change.type, "exists");
  assert.deepEqual(change.uids, [1]);
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(
    (await box.sync()).added.map((m) => m.uid),
    [1],
  );
});

test("watch: another process's delivery and flag change are found by polling", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, message(1));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const changes: FolderChange[] = [];
  const stop = box.watch((change) => changes.push(change));
  t.after(stop);
  // A real other process: node delivering with the compiled module.
  const deliverJs = fileURLToPath(new URL("./deliver.js", import.meta.url));
  const script = `import(${JSON.stringify(deliverJs)}).then((m) => m.deliver(${JSON.stringify(maildir)}, Buffer.from("Subject: child\\r\\n\\r\\n")))`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { stdio: "inherit" });
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`child exited ${code}`));
    });
  });
  const started = Date.now();
  while (!changes.some((c) => c.type === "exists") && Date.now() - started < 2000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(
    changes.some((c) => c.type === "exists" && c.uids.includes(2)),
    "exists seen within 2 s",
  );
  const name = box.get(1)!.filename;
  await rename(join(maildir, "cur", name), join(maildir, "cur", `${name.split(":")[0]!}:2,S`));
  while (!changes.some((c) => c.type === "flags") && Date.now() - started < 4000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(changes.some((c) => c.type === "flags" && c.uids.includes(1)));
});

test("watch: other views hear of flag changes and expunges made through this process", async (t) => {
  const { maildir, store } = await setup(t);
  for (let i = 1; i <= 2; i++) await deliver(maildir, message(i));
  const a = await store.open("INBOX");
  const b = await store.open("INBOX");
  t.after(() => {
    a.close();
    b.close();
  });
  const heard: string[] = [];
  b.watch((change) => heard.push(`${change.type}:${change.uids.join(",")}`));
  await a.setFlags([1], ["\\Seen"], "add");
  await a.expunge([2]);
  assert.deepEqual(heard, ["flags:1", "expunge:2"]);
  const changes = await b.sync();
  assert.deepEqual(
    changes.changed.map((m) => m.uid),
    [1],
  );
  assert.deepEqual(changes.expunged, [2]);
});

test("\\Recent goes to the first read-write session only", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, message(1));
  const examine = await store.open("INBOX", { readOnly: true });
  const first = await store.open("INBOX");
  const second = await store.open("INBOX");
  t.after(() => {
    examine.close();
    first.close();
    second.close();
  });
  assert.equal(examine.isRecent(1), false);
  assert.equal(first.isRecent(1), true);
  assert.equal(second.isRecent(1), false);
  await assert.rejects(
    examine.setFlags([1], ["\\Seen"]),
    (e: unknown) => e instanceof MailStoreError && e.reason === "read-only",
  );
});

test("sync of a 10,000-message folder with no changes is fast", async (t) => {
  const { maildir, store } = await setup(t);
  await deliver(maildir, message(0));
  // Files made directly: 10,000 deliveries with fsync would only measure the disk.
  const names: string[] = [];
  for (let i = 0; i < 10_000; i++) names.push(`${1_700_000_000 + i}.M${i}P1.host,S=10,W=10:2,S`);
  for (const n of names) writeFileSync(join(maildir, "cur", n), "Subject: \r\n");
  let started = performance.now();
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const firstOpen = performance.now() - started;
  assert.equal(box.messages.length, 10_001);
  // Age the directories out of the "may change again within this tick" window, as if the
  // last change had been a while ago; the next sync reads them once more, then trusts them.
  const past = new Date(Date.now() - 60_000);
  await utimes(join(maildir, "cur"), past, past);
  await utimes(join(maildir, "new"), past, past);
  await box.sync();
  started = performance.now();
  for (let i = 0; i < 100; i++) await box.sync();
  const perSync = (performance.now() - started) / 100;
  assert.ok(firstOpen < 5000, `first open took ${firstOpen} ms`);
  assert.ok(perSync < 5, `a no-change sync took ${perSync} ms`);
});
