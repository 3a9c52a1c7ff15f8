/**
 * The same Maildir through Portico's POP3 server and Dovecot's (Debian package
 * dovecot-pop3d, run pre-authenticated on stdin/stdout as `ssh host /usr/lib/dovecot/pop3`
 * would): the UIDLs, sizes and messages must be the same, so a client moving between the
 * two fetches nothing twice. Dovecot refuses root, so the Maildir is handed to "nobody".
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { raw, start, PASSWORD, USER } from "./support.js";

const NOBODY = "65534";
const DOVECOT_POP3 = "/usr/lib/dovecot/pop3";

/** Runs a POP3 session of Dovecot's on `maildir` with `commands`; returns its replies. */
async function dovecotPop3(dir: string, maildir: string, commands: string): Promise<string> {
  const config = join(dir, "dovecot.conf");
  await writeFile(
    config,
    [
      `mail_location = maildir:${maildir}`,
      "ssl = no",
      "log_path = /dev/null",
      `base_dir = ${join(dir, "run")}`,
      `state_dir = ${join(dir, "state")}`,
      "",
    ].join("\n"),
  );
  execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, maildir]);
  // The directories above it (data_dir/mail/DOMAIN) are made 0700 for root.
  for (let up = dirname(maildir); up.startsWith(dir); up = dirname(up)) await chmod(up, 0o755);
  // Through `cat`: Node's stdio pipes are sockets, which Dovecot takes for inetd and refuses.
  const args = ["-c", config, "-o", `mail_uid=${NOBODY}`, "-o", `mail_gid=${NOBODY}`];
  return execFileSync("sh", ["-c", 'cat | "$0" "$@" | cat', DOVECOT_POP3, ...args], {
    input: commands,
    encoding: "latin1",
    env: { ...process.env, HOME: dir, USER: "portico" },
    timeout: 20_000,
  });
}

/**
 * Splits a transcript into its replies, given which are multi-line (RFC 1939 §3: those end
 * with a line holding only "."), and drops each reply's status line.
 */
function replies(transcript: string, multi: readonly boolean[]): string[] {
  const out: string[] = [];
  let pos = 0;
  for (const isMulti of multi) {
    const first = transcript.indexOf("\r\n", pos) + 2;
    const end = isMulti ? transcript.indexOf("\r\n.\r\n", first - 2) + 5 : first;
    out.push(transcript.slice(first, end));
    pos = end;
  }
  return out;
}

test("Dovecot's POP3 server gives the same UIDLs, sizes and messages on our Maildir", async (t) => {
  const { port, dir, layout, put } = await start(t);
  await put("Subject: one\r\n\r\nfirst\r\n");
  await put("Subject: two\r\n\r\n.leading dot\r\nsecond\r\n");
  await put("Subject: three\n\nbare LF line ends\n");
  const commands = "UIDL\r\nLIST\r\nRETR 2\r\nQUIT\r\n";

  const c = await raw(port);
  c.send(`USER ${USER}\r\nPASS ${PASSWORD}\r\n${commands}`);
  await c.closed;
  const ours = c.text();
  const theirs = await dovecotPop3(dir, layout.maildir(USER), commands);

  // Ours: greeting, USER, PASS, then the commands; Dovecot's, pre-authenticated: the commands.
  const [, , , ourUidl, ourList, ourRetr] = replies(ours, [false, false, false, true, true, true]);
  const [theirUidl, theirList, theirRetr] = replies(theirs, [true, true, true]);
  assert.match(
    ourUidl!,
    /^1 00000001[0-9a-f]{8}\r\n2 00000002[0-9a-f]{8}\r\n3 00000003[0-9a-f]{8}\r\n\.\r\n$/,
  );
  assert.equal(ourUidl, theirUidl);
  assert.equal(ourList, theirList);
  assert.equal(ourRetr, theirRetr);
  assert.match(ourRetr!, /^Subject: two\r\n\r\n\.\.leading dot\r\nsecond\r\n\.\r\n$/);
});
