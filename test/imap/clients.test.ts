/**
 * Wire tests with third-party IMAP clients: curl (imap:// with STARTTLS required, imaps://),
 * ImapFlow (the Node.js client of Nodemailer/EmailEngine), and fetchmail (Debian package
 * `fetchmail`).
 */
import assert from "node:assert/strict";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { imapFlow } from "../support/imapflow.js";
import { message, PASSWORD, run, startServer, USER } from "./support.js";

test("curl: list, fetch by UID and search over STARTTLS (--ssl-reqd) and IMAPS", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("curl one", "first body"));
  await server.store().deliver(message("curl two", "second body"));
  const auth = ["--user", `${USER}:${PASSWORD}`, "-k", "-s", "-S", "--max-time", "20"];
  const list = await run("curl", [...auth, "--ssl-reqd", `imap://127.0.0.1:${server.port}/`]);
  assert.match(list.stdout, /\* LIST \(\\HasNoChildren\) "\/" "?INBOX"?/);
  assert.match(list.stdout, /\\Sent/);
  const fetched = await run("curl", [...auth, "--ssl-reqd", `imap://127.0.0.1:${server.port}/INBOX;UID=2`]);
  assert.match(fetched.stdout, /Subject: curl two/);
  assert.match(fetched.stdout, /second body/);
  const search = await run("curl", [...auth, `imaps://127.0.0.1:${server.tlsPort}/INBOX?SUBJECT%20one`]);
  assert.match(search.stdout, /\* SEARCH 1\r?\n/);
  const section = await run("curl", [
    ...auth,
    `imaps://127.0.0.1:${server.tlsPort}/INBOX;UID=1;SECTION=TEXT`,
  ]);
  assert.equal(section.stdout, "first body\r\n");
  // Upload (APPEND with a synchronising literal), then read it back.
  const file = join(server.dir, "upload.eml");
  await writeFile(file, "Subject: uploaded by curl\r\n\r\nhello\r\n");
  await run("curl", [...auth, "-T", file, `imaps://127.0.0.1:${server.tlsPort}/Sent`]);
  const sent = await run("curl", [...auth, `imaps://127.0.0.1:${server.tlsPort}/Sent;UID=1`]);
  assert.equal(sent.stdout, "Subject: uploaded by curl\r\n\r\nhello\r\n");
  // The STARTTLS exchange really happened (the trace has the command, then no plaintext LOGIN).
  assert.ok(server.traces.some((e) => e.direction === "C" && / STARTTLS$/.test(e.line)));
});

test("ImapFlow: login, list, fetch, append, move, and IDLE hears of deliver()", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("flow one", "body one"));
  const client = await imapFlow(t, { port: server.tlsPort, tls: "implicit", user: USER, pass: PASSWORD });
  const folders = await client.list();
  assert.ok(folders.some((f) => f.path === "INBOX"));
  assert.equal(folders.find((f) => f.specialUse === "\\Sent")?.path, "Sent");
  const lock = await client.getMailboxLock("INBOX");
  try {
    const messages = [];
    for await (const m of client.fetch("1:*", {
      uid: true,
      envelope: true,
      bodyStructure: true,
      source: true,
      flags: true,
    })) {
      messages.push(m);
    }
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.envelope?.subject, "flow one");
    assert.equal(messages[0]!.envelope?.from?.[0]?.address, "alice@example.net");
    assert.match(messages[0]!.source?.toString() ?? "", /body one/);
    assert.equal(messages[0]!.bodyStructure?.type, "text/plain");

    const appended = await client.append("INBOX", "Subject: appended\r\n\r\nhi\r\n", ["\\Seen"]);
    assert.equal(appended && appended.uid, 2);

    // IDLE: a delivery in this process is pushed as EXISTS.
    const exists = new Promise<number>((resolve) => {
      client.on("exists", (data: { count: number }) => {
        if (data.count === 3) resolve(data.count);
      });
    });
    const idle = client.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.store().deliver(message("flow three"));
    const timer = new Promise<never>((_, reject) =>
      setTimeout(() => {
        reject(new Error("no EXISTS within a second"));
      }, 1500),
    );
    assert.equal(await Promise.race([exists, timer]), 3);
    void idle;

    const moved = await client.messageMove("1", "Archive", { uid: true });
    assert.ok(moved);
    assert.deepEqual([...(moved as { uidMap: Map<number, number> }).uidMap.entries()], [[1, 1]]);
    const status = await client.status("Archive", { messages: true });
    assert.equal(status && status.messages, 1);
  } finally {
    lock.release();
  }
});

test("fetchmail retrieves every message over IMAP (STARTTLS) and marks them seen", async (t) => {
  const server = await startServer(t);
  for (const s of ["fm one", "fm two", "fm three"]) await server.store().deliver(message(s, `body of ${s}`));
  const out = join(server.dir, "fetched.mbox");
  const rc = join(server.dir, "fetchmailrc");
  await writeFile(
    rc,
    [
      `poll 127.0.0.1 protocol IMAP service ${server.port}`,
      `  user "${USER}" password "${PASSWORD}"`,
      '  sslproto "tls1.2+" no sslcertck',
      `  mda "cat >> ${out}"`,
      "  fetchall keep",
      "",
    ].join("\n"),
  );
  await chmod(rc, 0o600);
  const result = await run(
    "fetchmail",
    ["-f", rc, "--nodetach", "-v", "--idfile", join(server.dir, "fetchids")],
    {
      env: { ...process.env, HOME: server.dir, FETCHMAILHOME: server.dir },
      timeout: 30_000,
    },
  ).catch((error: unknown) => error);
  const mbox = await readFile(out, "utf8").catch(() => "");
  assert.match(mbox, /Subject: fm one[\s\S]*Subject: fm two[\s\S]*Subject: fm three/, JSON.stringify(result));
  assert.match(mbox, /body of fm three/);
  assert.ok(
    server.traces.some((e) => e.direction === "C" && / STARTTLS$/.test(e.line)),
    "fetchmail used STARTTLS",
  );
  const box = await server.store().open("INBOX");
  t.after(() => {
    box.close();
  });
  assert.ok(box.messages.every((m) => m.flags.includes("\\Seen")));
});
