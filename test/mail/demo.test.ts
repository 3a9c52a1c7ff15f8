// `portico demo`: the seeds' scenario end to end (DNS, two MTAs on 127.0.0.2/127.0.0.3,
// submission, MX relay, Maildir delivery); the Maildir it leaves is read by Python's mailbox.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { freePort, runPortico, tempDir } from "../support/cli.js";

const run = promisify(execFile);

test("portico demo: user1@isp.test → MX → user2@organization.test, readable by mailbox.Maildir", async () => {
  const dir = await tempDir();
  const port = await freePort();
  const result = await runPortico(["demo", "--port", String(port), "--dir", dir], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const out = result.stdout;
  // Submission, in the seeds' S:/R: notation.
  assert.match(out, /R: 220 mail\.isp\.test ESMTP Portico/);
  assert.match(out, /S: AUTH PLAIN \*\*\*/);
  assert.match(out, /S: MAIL FROM:<user1@isp\.test>/);
  // The MX lookup and the relay between the two servers.
  assert.match(out, /organization\.test\. MX 10 mail\.organization\.test\. +→ +127\.0\.0\.3/);
  assert.match(out, /R: 220 mail\.organization\.test ESMTP Portico/);
  assert.match(out, /S: EHLO mail\.isp\.test/);
  assert.match(out, /S: MAIL FROM:<user1@isp\.test> SIZE=\d+/);
  assert.match(out, /R: 250 2\.0\.0 Ok: queued as \w+/);
  // The delivered message, with its trace headers.
  assert.match(out, /Return-Path: <user1@isp\.test>/);
  assert.match(out, /by mail\.organization\.test \(Portico\) with ESMTPS/);
  assert.match(out, /by mail\.isp\.test \(Portico\) with ESMTPSA/);

  const maildir = join(dir, "mail.organization.test", "mail", "organization.test", "user2");
  const { stdout } = await run("python3", [
    "-c",
    `import mailbox, sys, json
box = mailbox.Maildir(sys.argv[1], create=False)
msgs = [box[k] for k in box.keys()]
print(json.dumps([{"subject": m["subject"], "from": m["from"], "return_path": m["return-path"],
  "received": len(m.get_all("received")), "body": m.get_payload()} for m in msgs]))`,
    maildir,
  ]);
  const messages = JSON.parse(stdout) as {
    subject: string;
    from: string;
    return_path: string;
    received: number;
    body: string;
  }[];
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.subject, "Hello from isp.test");
  assert.equal(messages[0]!.from, "user1@isp.test");
  assert.equal(messages[0]!.return_path, "<user1@isp.test>");
  assert.equal(messages[0]!.received, 2);
  assert.match(messages[0]!.body, /went from mail\.isp\.test to mail\.organization\.test by MX/);
});
