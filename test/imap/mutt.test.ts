/**
 * mutt (Debian package mutt) on the Maildir that Portico's IMAP server keeps: flags set over
 * IMAP must be what a local Maildir reader sees (the ":2,FLAGS" info of the file names, as the
 * Maildir spec and Dovecot write them), and flags mutt writes must be what IMAP then reports.
 *
 * mutt is a full-screen program with no batch mode for reading. The reliable way found: run it
 * under `script` (util-linux; mutt needs a terminal), with a muttrc whose `push` tags the
 * messages matching a pattern (~F flagged, ~R read, …) and pipes them to `cat > FILE`, one
 * file per pattern, then quits. The `<tag-prefix><pipe-message>` of an empty tag set would act
 * on the current message instead, so every pattern used here matches at least one message, and
 * the files are compared as sets of Subject lines. "^" is avoided in the pushed keys: mutt
 * reads "^X" there as Control-X.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DataLayout } from "../../src/core/layout.js";
import { message, PASSWORD, python, startServer, USER } from "./support.js";

/** Runs mutt on `maildir` with `muttrc` (under a pseudo-terminal); rejects on failure. */
function runMutt(home: string, muttrc: string, maildir: string, readOnly: boolean): Promise<void> {
  const mutt = ["mutt", "-n", "-F", muttrc, ...(readOnly ? ["-R"] : []), "-f", maildir].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", mutt, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TERM: "vt100", LANG: "C.UTF-8" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("latin1")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("latin1")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`mutt exited ${code ?? signal}; screen:\n${output.slice(-2000)}`));
    });
  });
}

/** The pushed keys that pipe the messages matching each pattern into `dir/NAME`. */
function pipeByPattern(dir: string, patterns: Readonly<Record<string, string>>): string {
  return Object.entries(patterns)
    .map(
      ([name, pattern]) =>
        `<tag-pattern>${pattern}<enter><tag-prefix><pipe-message>cat > ${join(dir, name)}<enter>` +
        "<untag-pattern>~A<enter>",
    )
    .join("");
}

/** The Subject values in a file of piped messages, sorted. */
async function subjects(file: string): Promise<string[]> {
  const text = await readFile(file, "latin1");
  return [...text.matchAll(/^Subject: (.*?)\r?$/gm)].map((m) => m[1]!).sort();
}

const MUTTRC = (dir: string, push: string): string =>
  [
    "set mbox_type=Maildir",
    `set folder=${dir}`,
    "set mark_old=no",
    "set pipe_split=no",
    "set wait_key=no",
    "set quit=yes",
    "set confirmappend=no",
    `push "${push}"`,
    "",
  ].join("\n");

test("mutt reads the flags set over Portico's IMAP from the Maildir", async (t) => {
  const server = await startServer(t);
  const store = server.store();
  for (const s of ["plain", "seen", "flagged", "answered", "deleted"]) await store.deliver(message(s));
  await python(
    `
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select("INBOX")
def ok(r):
    if r[0] != "OK": raise SystemExit(repr(r))
ok(m.uid("STORE", "2", "+FLAGS", "(\\\\Seen)"))
ok(m.uid("STORE", "3", "+FLAGS", "(\\\\Seen \\\\Flagged)"))
ok(m.uid("STORE", "4", "+FLAGS", "(\\\\Answered)"))
ok(m.uid("STORE", "5", "+FLAGS", "(\\\\Deleted)"))
m.logout()
`,
    [server.port, USER, PASSWORD],
  );

  const home = await mkdtemp(join(tmpdir(), "portico-mutt-"));
  t.after(() => rm(home, { recursive: true, force: true }));
  const muttrc = join(home, "muttrc");
  const patterns = { all: "~A", flagged: "~F", read: "~R", unread: "~U", replied: "~Q", deleted: "~D" };
  await writeFile(muttrc, MUTTRC(home, `${pipeByPattern(home, patterns)}<quit>`));
  await runMutt(home, muttrc, new DataLayout(server.dir).maildir(USER), true);

  assert.deepEqual(await subjects(join(home, "all")), ["answered", "deleted", "flagged", "plain", "seen"]);
  assert.deepEqual(await subjects(join(home, "flagged")), ["flagged"]);
  assert.deepEqual(await subjects(join(home, "read")), ["flagged", "seen"]);
  assert.deepEqual(await subjects(join(home, "unread")), ["answered", "deleted", "plain"]);
  assert.deepEqual(await subjects(join(home, "replied")), ["answered"]);
  assert.deepEqual(await subjects(join(home, "deleted")), ["deleted"]);
});

test("flags mutt writes into the Maildir are what Portico's IMAP reports", async (t) => {
  const server = await startServer(t);
  const store = server.store();
  for (const s of ["one", "two", "three"]) await store.deliver(message(s));

  // mutt flags the message "two" and clears "three"'s new flag (read), then syncs the Maildir and quits.
  const home = await mkdtemp(join(tmpdir(), "portico-mutt-"));
  t.after(() => rm(home, { recursive: true, force: true }));
  const muttrc = join(home, "muttrc");
  await writeFile(
    muttrc,
    MUTTRC(
      home,
      "<tag-pattern>~s two<enter><tag-prefix><flag-message><untag-pattern>~A<enter>" +
        "<tag-pattern>~s three<enter><tag-prefix><clear-flag>N<untag-pattern>~A<enter>" +
        "<sync-mailbox><quit>",
    ),
  );
  await runMutt(home, muttrc, new DataLayout(server.dir).maildir(USER), false);

  const out = await python(
    `
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select("INBOX")
typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
for item in data:
    if isinstance(item, tuple):
        flags = b" ".join(imaplib.ParseFlags(item[0])).decode()
        print(item[1].decode().strip(), "|", flags)
m.logout()
`,
    [server.port, USER, PASSWORD],
  );
  const lines = out.trim().split("\n").sort();
  assert.equal(lines.length, 3, out);
  assert.match(lines[0]!, /^Subject: one \| (\\Recent)?$/);
  assert.match(lines[1]!, /^Subject: three \| .*\\Seen/);
  assert.doesNotMatch(lines[1]!, /\\Flagged/);
  assert.match(lines[2]!, /^Subject: two \| .*\\Flagged/);
});
