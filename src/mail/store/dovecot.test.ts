import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chownToDovecot, doveadm, writeDovecotConfig } from "../../../test/support/doveadm.js";
import { FolderRegistry } from "./folder-state.js";
import { MailStore } from "./store.js";

// Dovecot itself (doveadm, Debian package dovecot-core, pulled in by dovecot-imapd) reads
// our dovecot-uidlist and dovecot-keywords, and we read its changes: the two can share a
// Maildir. doveadm refuses root, so the Maildir is handed to "nobody" for it.

test("Dovecot sees our UIDs, UIDVALIDITY, flags and keywords, and we see its flag changes", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-dovecot-"));
  await chmod(dir, 0o755);
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "Maildir");
  await writeDovecotConfig(dir, maildir);
  const store = new MailStore(maildir, { registry });
  await store.deliver(Buffer.from("Subject: one\r\n\r\nfirst\r\n"));
  await store.deliver(Buffer.from("Subject: two\r\n\r\nsecond\r\n"));
  await store.create("Archive/2024");
  const box = await store.open("INBOX");
  await box.setFlags([1], ["\\Seen", "Work"]);
  const uidValidity = box.uidValidity;
  box.close();
  chownToDovecot(maildir);

  const fetched = doveadm(dir, ["fetch", "uid flags hdr.subject", "mailbox", "INBOX", "ALL"]);
  assert.match(fetched, /uid: 1\nflags: \\Seen Work\nhdr\.subject: one\n/);
  assert.match(fetched, /uid: 2\nflags: \nhdr\.subject: two\n/);
  const status = doveadm(dir, ["mailbox", "status", "uidvalidity uidnext messages", "INBOX"]);
  assert.equal(status.trim(), `INBOX messages=2 uidnext=3 uidvalidity=${uidValidity}`);
  assert.match(doveadm(dir, ["mailbox", "list"]), /Archive\.2024/);

  doveadm(dir, ["flags", "add", "\\Flagged $Junk", "mailbox", "INBOX", "uid", "2"]);
  const again = await new MailStore(maildir, { registry }).open("INBOX");
  t.after(() => {
    again.close();
  });
  assert.equal(again.uidValidity, uidValidity);
  assert.deepEqual(again.get(1)?.flags, ["\\Seen", "Work"]);
  assert.deepEqual(again.get(2)?.flags, ["\\Flagged", "$Junk"]);
});
