import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FolderRegistry } from "./folder-state.js";
import { MailStore } from "./store.js";

// Dovecot itself (doveadm, Debian package dovecot-core, pulled in by dovecot-imapd) reads
// our dovecot-uidlist and dovecot-keywords, and we read its changes: the two can share a
// Maildir. doveadm refuses root, so the Maildir is handed to "nobody" for it.

const NOBODY = "65534";

function doveadm(dir: string, args: string[]): string {
  return execFileSync(
    "doveadm",
    ["-c", join(dir, "dovecot.conf"), "-o", `mail_uid=${NOBODY}`, "-o", `mail_gid=${NOBODY}`, ...args],
    { encoding: "utf8", env: { ...process.env, HOME: dir, USER: "portico" }, timeout: 20_000 },
  );
}

test("Dovecot sees our UIDs, UIDVALIDITY, flags and keywords, and we see its flag changes", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-dovecot-"));
  await chmod(dir, 0o755);
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "Maildir");
  await writeFile(
    join(dir, "dovecot.conf"),
    [
      `mail_location = maildir:${maildir}`,
      "ssl = no",
      "log_path = /dev/stderr",
      `base_dir = ${join(dir, "run")}`,
      `state_dir = ${join(dir, "state")}`,
      "",
    ].join("\n"),
  );
  const store = new MailStore(maildir, { registry });
  await store.deliver(Buffer.from("Subject: one\r\n\r\nfirst\r\n"));
  await store.deliver(Buffer.from("Subject: two\r\n\r\nsecond\r\n"));
  await store.create("Archive/2024");
  const box = await store.open("INBOX");
  await box.setFlags([1], ["\\Seen", "Work"]);
  const uidValidity = box.uidValidity;
  box.close();
  execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, maildir]);

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
