import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { deliver } from "./deliver.js";
import { MailStoreError } from "./errors.js";
import { parseName } from "./filename.js";

async function tempMaildir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "portico-deliver-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "Maildir");
}

test("deliver creates the Maildir (0700) and writes a complete file into new/", async (t) => {
  const maildir = await tempMaildir(t);
  const message = Buffer.from("Subject: hi\r\n\r\nbody\r\n");
  const delivered = await deliver(maildir, message);
  for (const sub of ["cur", "new", "tmp"]) {
    assert.equal((await stat(join(maildir, sub))).mode & 0o777, 0o700);
  }
  assert.deepEqual(await readdir(join(maildir, "new")), [delivered.name]);
  assert.deepEqual(await readdir(join(maildir, "tmp")), []);
  assert.deepEqual(await readFile(delivered.path), message);
  assert.equal(delivered.size, message.length);
  const parsed = parseName(delivered.name);
  assert.equal(parsed.size, message.length);
  assert.equal(parsed.vsize, message.length);
  assert.match(delivered.name, /^\d+\.M\d+P\d+Q\d+R[0-9a-f]{16}\.[^/:]+,S=\d+,W=\d+$/);
});

test("deliver stores bare LF line ends as CRLF, also across chunk boundaries", async (t) => {
  const maildir = await tempMaildir(t);
  const chunks = ["Subject: x\n", "\n", "line1\r", "\nline2\n"].map((c) => Buffer.from(c));
  const delivered = await deliver(maildir, Readable.from(chunks));
  const expected = "Subject: x\r\n\r\nline1\r\nline2\r\n";
  assert.equal(await readFile(delivered.path, "latin1"), expected);
  assert.equal(delivered.size, expected.length);
});

test("a source that fails midway leaves nothing in new/ and nothing in tmp/", async (t) => {
  const maildir = await tempMaildir(t);
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from("Subject: half\r\n\r\n");
    await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.alloc(100_000, 0x61);
    throw new Error("connection reset");
  }
  await assert.rejects(deliver(maildir, failing()), /connection reset/);
  assert.deepEqual(await readdir(join(maildir, "new")), []);
  assert.deepEqual(await readdir(join(maildir, "cur")), []);
  assert.deepEqual(await readdir(join(maildir, "tmp")), []);
});

test("maxSize refuses an oversized message and cleans up", async (t) => {
  const maildir = await tempMaildir(t);
  await assert.rejects(
    deliver(maildir, Buffer.alloc(2000, 0x61), { maxSize: 1000 }),
    (error: unknown) => error instanceof MailStoreError && error.reason === "limit",
  );
  assert.deepEqual(await readdir(join(maildir, "new")), []);
  assert.deepEqual(await readdir(join(maildir, "tmp")), []);
});

test("1,000 parallel deliveries get 1,000 distinct names", async (t) => {
  const maildir = await tempMaildir(t);
  await deliver(maildir, Buffer.from("first\r\n"));
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => deliver(maildir, Buffer.from(`Subject: ${i}\r\n\r\n${i}\r\n`))),
  );
  const names = new Set(results.map((r) => r.name));
  assert.equal(names.size, 1000);
  assert.equal((await readdir(join(maildir, "new"))).length, 1001);
  assert.deepEqual(await readdir(join(maildir, "tmp")), []);
  for (const r of results.slice(0, 20)) {
    const body = await readFile(r.path, "latin1");
    assert.match(body, /^Subject: (\d+)\r\n\r\n\1\r\n$/);
  }
});

test("flags put the message in cur/ with sorted letters; keywords get dovecot-keywords", async (t) => {
  const maildir = await tempMaildir(t);
  const date = new Date("2024-03-01T12:00:00Z");
  const delivered = await deliver(maildir, Buffer.from("x\r\n"), {
    flags: ["\\Seen", "\\Flagged", "$Junk", "\\Answered", "\\Recent"],
    internalDate: date,
    folder: "Archive/2024",
  });
  assert.equal(delivered.folderDir, join(maildir, ".Archive.2024"));
  assert.match(delivered.path, /\/cur\/[^/]+:2,FRSa$/);
  assert.equal((await stat(delivered.path)).mtime.getTime(), date.getTime());
  assert.equal(await readFile(join(maildir, ".Archive.2024", "dovecot-keywords"), "utf8"), "0 $Junk\n");
  assert.equal(await readFile(join(maildir, ".Archive.2024", "maildirfolder"), "utf8"), "");
});

test("a prefix (an MDA's Return-Path) is written before the message and counted", async (t) => {
  const maildir = await tempMaildir(t);
  const delivered = await deliver(maildir, Buffer.from("Subject: p\r\n\r\n"), {
    prefix: "Return-Path: <a@b>\n",
  });
  assert.equal(await readFile(delivered.path, "latin1"), "Return-Path: <a@b>\r\nSubject: p\r\n\r\n");
  assert.equal(delivered.size, 34);
});

test("a large stream is written in order", async (t) => {
  const maildir = await tempMaildir(t);
  const chunks = Array.from({ length: 200 }, (_, i) => Buffer.alloc(10_000, 0x41 + (i % 26)));
  const delivered = await deliver(maildir, Readable.from(chunks));
  assert.deepEqual(await readFile(delivered.path), Buffer.concat(chunks));
});
