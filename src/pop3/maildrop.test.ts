import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MailStoreError } from "../mail/store/errors.js";
import { FolderRegistry } from "../mail/store/folder-state.js";
import { MailStore } from "../mail/store/store.js";
import { formatUidl, openMaildrop } from "./maildrop.js";

test("formatUidl is Dovecot's %08Xu%08Xv", () => {
  assert.equal(formatUidl(1, 1700000000), "000000016553f100");
  assert.equal(formatUidl(0xffffffff, 1), "ffffffff00000001");
  assert.match(formatUidl(42, 0x7fffffff), /^[\x21-\x7e]{1,70}$/, "RFC 1939 §7 unique-id characters");
});

test("openMaildrop: locks, snapshots INBOX, marks \\Seen, removes, releases", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-pop3-drop-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "mail", "example.org", "user");
  const store = new MailStore(maildir, { registry });
  await store.deliver(Buffer.from("Subject: one\n\nfirst\n"));
  await store.deliver(Buffer.from("Subject: two\r\n\r\nsecond\r\n"), { flags: ["\\Seen"] });

  const drop = await openMaildrop(maildir, { registry });
  const view = await store.open("INBOX");
  t.after(() => {
    view.close();
  });
  assert.deepEqual(
    drop.messages.map((m) => [m.uid, m.size, m.seen, m.uidl]),
    [
      [1, 23, false, formatUidl(1, view.uidValidity)],
      [2, 24, true, formatUidl(2, view.uidValidity)],
    ],
    "sizes count CRLF line ends (RFC 1939 §11)",
  );

  // RFC 1939 §4: one POP3 session per maildrop.
  await assert.rejects(
    openMaildrop(maildir, { registry }),
    (error: unknown) => error instanceof MailStoreError && error.reason === "in-use",
  );

  // Later deliveries wait for the next session: message-numbers stay put.
  await store.deliver(Buffer.from("Subject: three\r\n\r\nthird\r\n"));
  assert.equal(drop.messages.length, 2);

  const chunks: Buffer[] = [];
  for await (const chunk of (await drop.open(1)) as AsyncIterable<Buffer>) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).toString(), "Subject: one\r\n\r\nfirst\r\n");

  await drop.markSeen([1]);
  await view.sync();
  assert.deepEqual(view.get(1)?.flags, ["\\Seen"]);

  await view.expunge([2]);
  await assert.rejects(
    drop.open(2),
    (error: unknown) => error instanceof MailStoreError && error.reason === "expunged",
  );
  await drop.remove([1, 2]);
  await view.sync();
  assert.deepEqual(
    view.messages.map((m) => m.uid),
    [3],
  );

  await drop.release();
  await drop.release();
  const again = await openMaildrop(maildir, { registry });
  assert.deepEqual(
    again.messages.map((m) => m.uid),
    [3],
  );
  await again.release();
});

test("openMaildrop makes an empty Maildir for an account that never had mail", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-pop3-drop-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const drop = await openMaildrop(join(dir, "new-user"), { registry });
  assert.deepEqual(drop.messages, []);
  await drop.release();
});
