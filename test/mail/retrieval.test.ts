// The seeds' last step across services of one Portico: a message delivered by SMTP reaches an
// IDLE-ing IMAP session at once; flags set over IMAP are letters in the Maildir file names; a
// message deleted over POP3 is gone for IMAP too.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { parseConfig } from "../../src/core/config/load.js";
import { startPortico } from "../../src/portico.js";
import { freePort, tempDir } from "../support/cli.js";
import { imapFlow } from "../support/imapflow.js";

const run = promisify(execFile);
const USER = "user2@organization.test";
const PASSWORD = "pw-user2";

test("SMTP → IMAP IDLE, IMAP flags → Maildir names, POP3 DELE → gone for IMAP", async (t) => {
  const dir = await tempDir();
  const [smtp, pop3, imap] = [await freePort(), await freePort(), await freePort()];
  const file = join(dir, "portico.toml");
  await writeFile(
    file,
    `hostname = "mail.organization.test"\ndata_dir = "data"\n[[users]]\naddress = "${USER}"\npassword = "${PASSWORD}"\n` +
      `[smtp]\nlisten = ["127.0.0.1:${smtp}"]\nsubmission = []\nsubmissions = []\nlocal_domains = ["organization.test"]\n` +
      `[pop3]\nlisten = ["127.0.0.1:${pop3}"]\nlisten_tls = []\n[imap]\nlisten = ["127.0.0.1:${imap}"]\nlisten_tls = []\n`,
  );
  const portico = await startPortico(parseConfig(await readFile(file, "utf8"), file));
  t.after(() => portico.stop(0));

  const client = await imapFlow(t, { port: imap, tls: "starttls", user: USER, pass: PASSWORD });
  const lock = await client.getMailboxLock("INBOX");
  try {
    const arrived = new Promise<number>((resolve) => {
      client.on("exists", (data: { count: number }) => {
        if (data.count >= 2) resolve(data.count);
      });
    });
    void client.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sentAt = Date.now();
    for (const subject of ["first by smtp", "second by smtp"]) {
      await run("swaks", [
        "--server",
        `127.0.0.1:${smtp}`,
        "--to",
        USER,
        "--from",
        "user1@isp.test",
        "--header",
        `Subject: ${subject}`,
      ]);
    }
    const count = await Promise.race([
      arrived,
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error("no EXISTS within 5 s of the SMTP delivery"));
        }, 5_000),
      ),
    ]);
    t.diagnostic(`EXISTS ${count} pushed ${Date.now() - sentAt} ms after the first swaks started`);
    assert.equal(count, 2);

    // Flags over IMAP → Maildir info letters.
    await client.messageFlagsAdd({ all: true }, ["\\Seen", "\\Flagged"]);
    const cur = join(dir, "data", "mail", "organization.test", "user2", "cur");
    let names: string[] = [];
    for (let i = 0; i < 50; i++) {
      names = await readdir(cur).catch(() => []);
      if (names.length === 2 && names.every((n) => n.endsWith(":2,FS"))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(names.length, 2, names.join(" "));
    for (const name of names) assert.match(name, /:2,FS$/);
  } finally {
    lock.release();
  }
  await client.logout();

  // POP3 deletes the first message (at QUIT); IMAP no longer has it.
  const { stdout } = await run("python3", [
    "-c",
    `import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.user(sys.argv[2]); p.pass_(sys.argv[3])
count, _ = p.stat()
first = b"\\n".join(p.retr(1)[1])
p.dele(1); p.quit()
print(count, b"Subject: first by smtp" in first)`,
    String(pop3),
    USER,
    PASSWORD,
  ]);
  assert.equal(stdout.trim(), "2 True");
  const again = await imapFlow(t, { port: imap, tls: "starttls", user: USER, pass: PASSWORD });
  const mailbox = await again.mailboxOpen("INBOX");
  assert.equal(mailbox.exists, 1);
  const subjects: string[] = [];
  for await (const m of again.fetch("1:*", { envelope: true })) subjects.push(m.envelope?.subject ?? "");
  assert.deepEqual(subjects, ["second by smtp"]);
  await again.logout();
});
