/**
 * Wire tests of the POP3 server against Python's poplib and raw sockets: every command,
 * STLS, POP3S, AUTH, the maildrop lock, the UPDATE state, and bad input.
 */
import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import { eventually, OTHER, PASSWORD, PY_PRELUDE, python, raw, start, USER } from "./support.js";

const ONE = "Subject: one\r\n\r\nfirst\r\n";
const TWO = "Subject: two\r\n\r\n.leading dot\r\nsecond\r\n";

describe("POP3 server on the wire", () => {
  test("poplib: every command, and the UPDATE state at QUIT", async (t) => {
    const { port, put, inbox } = await start(t);
    await put(ONE);
    await put(TWO);
    const out = await python(
      `${PY_PRELUDE}
p = poplib.POP3("127.0.0.1", port)
r = {}
r["welcome"] = p.getwelcome().decode()
r["capa"] = sorted(p.capa().keys())
r["user"] = p.user("${USER}").decode()
r["pass"] = p.pass_("${PASSWORD}").decode()
r["stat"] = list(p.stat())
resp, lines, octets = p.list()
r["list"] = [resp.decode(), [l.decode() for l in lines]]
r["list1"] = p.list(1).decode()
resp, lines, octets = p.uidl()
r["uidl"] = [l.decode() for l in lines]
r["uidl2"] = p.uidl(2).decode()
resp, lines, octets = p.retr(2)
r["retr"] = [resp.decode(), [l.decode() for l in lines], octets]
resp, lines, octets = p.top(1, 0)
r["top"] = [resp.decode(), [l.decode() for l in lines]]
r["dele"] = p.dele(1).decode()
r["retr_deleted"] = err(lambda: p.retr(1))
r["stat_after_dele"] = list(p.stat())
r["noop"] = p.noop().decode()
r["rset"] = p.rset().decode()
r["dele_again"] = p.dele(1).decode()
r["bogus"] = err(lambda: p._shortcmd("XTND XMIT"))
r["quit"] = p.quit().decode()
print(json.dumps(r))
`,
      [port],
    );
    const r = JSON.parse(out) as Record<string, unknown>;
    const uidl = (r.uidl as string[]).map((line) => line.split(" ")[1]!);
    assert.deepEqual(r, {
      welcome: "+OK pop.example.org POP3 server ready (Portico)",
      capa: [
        "AUTH-RESP-CODE",
        "IMPLEMENTATION",
        "PIPELINING",
        "RESP-CODES",
        "SASL",
        "STLS",
        "TOP",
        "UIDL",
        "USER",
      ],
      user: "+OK Send PASS",
      pass: "+OK Logged in; 2 messages (61 octets)",
      stat: [2, 61],
      list: ["+OK 2 messages (61 octets)", ["1 23", "2 38"]],
      list1: "+OK 1 23",
      uidl: [`1 ${uidl[0]}`, `2 ${uidl[1]}`],
      uidl2: `+OK 2 ${uidl[1]}`,
      retr: ["+OK 38 octets", ["Subject: two", "", ".leading dot", "second"], 38],
      top: ["+OK Top of message follows", ["Subject: one", ""]],
      dele: "+OK Message 1 deleted",
      retr_deleted: "-ERR Message 1 already deleted",
      stat_after_dele: [1, 38],
      noop: "+OK",
      rset: "+OK Maildrop has 2 messages (61 octets)",
      dele_again: "+OK Message 1 deleted",
      bogus: "-ERR Unknown command",
      quit: "+OK pop.example.org POP3 server signing off (1 messages left)",
    });
    assert.match(uidl[0]!, /^00000001[0-9a-f]{8}$/, "Dovecot's %08Xu%08Xv");
    // Removed at QUIT; RETR marked the other \Seen (TOP did not count).
    assert.deepEqual(await inbox(), [{ uid: 2, flags: ["\\Seen"] }]);
  });

  test("poplib: STLS, POP3S, AUTH PLAIN and LOGIN, a wrong password, the same UIDL every time", async (t) => {
    const { port, tlsPort, put } = await start(t);
    await put(ONE);
    const out = await python(
      `${PY_PRELUDE}
tls_port = int(sys.argv[2])
r = {}
p = poplib.POP3("127.0.0.1", port)
p.stls(ctx)
r["capa_after_stls"] = sorted(p.capa().keys())
p.user("${USER}")
p.pass_("${PASSWORD}")
r["uidl_stls"] = p.uidl(1).decode()
p.quit()
s = poplib.POP3_SSL("127.0.0.1", tls_port, context=ctx)
r["capa_pop3s"] = s.capa()["SASL"]
r["plain"] = s._shortcmd("AUTH PLAIN " + b64("\\0${USER}\\0${PASSWORD}")).decode()
r["uidl_pop3s"] = s.uidl(1).decode()
s.quit()
s = poplib.POP3_SSL("127.0.0.1", tls_port, context=ctx)
s._putcmd("AUTH LOGIN")
r["login1"] = s._getline()[0].decode()
s._putcmd(b64("${USER}"))
r["login2"] = s._getline()[0].decode()
s._putcmd(b64("${PASSWORD}"))
r["login3"] = s._getresp().decode()
s.quit()
s = poplib.POP3_SSL("127.0.0.1", tls_port, context=ctx)
s._putcmd("AUTH PLAIN")
r["empty_challenge"] = s._getline()[0].decode()
s._putcmd("*")
r["cancel"] = err(lambda: s._getresp())
s.user("${USER}")
r["wrong"] = err(lambda: s.pass_("nope"))
r["stls_on_tls"] = err(lambda: s._shortcmd("STLS"))
s.quit()
print(json.dumps(r))
`,
      [port, tlsPort],
    );
    const r = JSON.parse(out) as Record<string, string>;
    assert.deepEqual(r.capa_after_stls, [
      "AUTH-RESP-CODE",
      "IMPLEMENTATION",
      "PIPELINING",
      "RESP-CODES",
      "SASL",
      "TOP",
      "UIDL",
      "USER",
    ]);
    assert.deepEqual(r.capa_pop3s, ["PLAIN", "LOGIN"]);
    assert.match(r.plain!, /^\+OK Logged in; 1 message \(23 octets\)$/);
    assert.equal(r.uidl_stls, r.uidl_pop3s, "UIDL is stable across sessions");
    assert.equal(r.login1, "+ VXNlcm5hbWU6");
    assert.equal(r.login2, "+ UGFzc3dvcmQ6");
    assert.match(r.login3!, /^\+OK Logged in/);
    assert.equal(r.empty_challenge, "+ ");
    assert.equal(r.cancel, "-ERR Authentication cancelled");
    assert.equal(r.wrong, "-ERR [AUTH] Authentication failed");
    assert.equal(r.stls_on_tls, "-ERR Command not permitted when TLS active");
  });

  test("the maildrop lock: a second session gets -ERR [IN-USE] until the first ends", async (t) => {
    const { port, put } = await start(t);
    await put(ONE);
    const out = await python(
      `${PY_PRELUDE}
r = {}
a = poplib.POP3("127.0.0.1", port)
a.user("${USER}")
a.pass_("${PASSWORD}")
b = poplib.POP3("127.0.0.1", port)
b.user("${USER}")
r["second"] = err(lambda: b.pass_("${PASSWORD}"))
o = poplib.POP3("127.0.0.1", port)
o.user("${OTHER}")
r["other_account"] = o.pass_("x").decode()
o.quit()
a.quit()
b.user("${USER}")
r["after_quit"] = b.pass_("${PASSWORD}").decode()
b.quit()
print(json.dumps(r))
`,
      [port],
    );
    assert.deepEqual(JSON.parse(out), {
      second: "-ERR [IN-USE] Mailbox is locked by another POP3 session",
      other_account: "+OK Logged in; 0 messages (0 octets)",
      after_quit: "+OK Logged in; 1 message (23 octets)",
    });
  });

  test("a dropped connection deletes nothing and releases the lock, over TLS too", async (t) => {
    const { port, tlsPort, put, inbox } = await start(t);
    await put(ONE);
    await put(TWO);
    const c = await raw(port);
    c.send(`USER ${USER}\r\nPASS ${PASSWORD}\r\nDELE 1\r\nDELE 2\r\nRETR 2\r\n`);
    await c.until(/Message 2 deleted\r\n-ERR Message 2 already deleted\r\n/);
    c.socket.destroy();
    // The lock is released once the server has seen the connection go.
    // Until then a login gets -ERR [IN-USE]; a slow login (scrypt on a loaded machine) is
    // waited for, not cut short and retried.
    const login = (): Promise<string> =>
      eventually(async () => {
        const d = await raw(port);
        d.send(`USER ${USER}\r\nPASS ${PASSWORD}\r\n`);
        try {
          const text = await d.until(/\+OK Logged in[^\r]*\r\n|-ERR[^\r]*\r\n/, 10_000);
          if (!/\+OK Logged in/.test(text)) throw new Error(text);
        } finally {
          d.socket.destroy();
        }
        return d.text();
      }, 10_000);
    assert.match(await login(), /Logged in; 2 messages/);
    const secure = tlsConnect({ port: tlsPort, host: "127.0.0.1", rejectUnauthorized: false });
    let text = "";
    secure.on("data", (chunk: Buffer) => (text += chunk.toString()));
    secure.write(`USER ${USER}\r\nPASS ${PASSWORD}\r\nDELE 1\r\n`);
    await eventually(() =>
      /Message 1 deleted\r\n/.test(text) ? Promise.resolve() : Promise.reject(new Error(text)),
    );
    secure.destroy();
    assert.match(await login(), /Logged in; 2 messages/);
    assert.deepEqual(
      (await inbox()).map((m) => m.uid),
      [1, 2],
    );
  });

  test("pipelining: a whole session in one write, answered in order", async (t) => {
    const { port, put, inbox } = await start(t);
    await put(ONE);
    await put(TWO);
    const c = await raw(port);
    c.send(
      `CAPA\r\nUSER ${USER}\r\nPASS ${PASSWORD}\r\nSTAT\r\nRETR 2\r\nTOP 1 0\r\nDELE 1\r\nLIST\r\nQUIT\r\n`,
    );
    await c.closed;
    const transcript = c.text().replace(/^\+OK [^\r]*\r\n/, "");
    assert.match(transcript, /^\+OK Capability list follows\r\n[^]*?\r\n\.\r\n\+OK Send PASS\r\n/);
    assert.ok(
      transcript.endsWith(
        "+OK Logged in; 2 messages (61 octets)\r\n" +
          "+OK 2 61\r\n" +
          "+OK 38 octets\r\nSubject: two\r\n\r\n..leading dot\r\nsecond\r\n.\r\n" +
          "+OK Top of message follows\r\nSubject: one\r\n\r\n.\r\n" +
          "+OK Message 1 deleted\r\n" +
          "+OK 1 messages (38 octets)\r\n2 38\r\n.\r\n" +
          "+OK pop.example.org POP3 server signing off (1 messages left)\r\n",
      ),
      transcript,
    );
    assert.deepEqual(await inbox(), [{ uid: 2, flags: ["\\Seen"] }]);
  });

  test("a 5 MB message is streamed, dot-stuffed, and TOP reads only its start", async (t) => {
    const { port, put } = await start(t);
    const line = `.${"x".repeat(997)}\r\n`;
    const body = line.repeat(5243);
    await put(`Subject: big\r\n\r\n${body}`);
    const out = await python(
      `${PY_PRELUDE}
p = poplib.POP3("127.0.0.1", port)
p.user("${USER}")
p.pass_("${PASSWORD}")
resp, lines, octets = p.retr(1)
body = b"\\r\\n".join(lines[2:]) + b"\\r\\n"
resp, top, _ = p.top(1, 2)
p.quit()
print(json.dumps([resp.decode(), octets, len(body), body.startswith(b".xxx"), [len(l) for l in top]]))
`,
      [port],
    );
    assert.deepEqual(JSON.parse(out), [
      "+OK Top of message follows",
      body.length + 16,
      body.length,
      true,
      [12, 0, 998, 998],
    ]);
  });

  test("a command sent while the server waits for a slow reader is still answered", async (t) => {
    const { port } = await start(t, { trace: undefined });
    const c = await raw(port);
    // Stop reading, and pipeline more replies than the socket buffers hold (4 MB): the server
    // ends up waiting for its writes to drain.
    const N = 40_000;
    c.socket.pause();
    c.send("CAPA\r\n".repeat(N));
    await new Promise((resolve) => setTimeout(resolve, 500));
    c.send("QUIT\r\n");
    await new Promise((resolve) => setTimeout(resolve, 100));
    c.socket.resume();
    await c.until(/\+OK pop\.example\.org POP3 server signing off\r\n$/, 10_000);
    assert.equal(c.text().match(/\+OK Capability list follows/g)?.length, N);
    await c.closed;
  });

  test("bad input gets -ERR and never a crash: long lines, junk, wrong state, too many errors", async (t) => {
    const { port } = await start(t, { limits: { maxErrors: 9 } });
    const c = await raw(port);
    c.send(`NOOP ${"x".repeat(300)}\r\n`);
    await c.until(/-ERR Line too long\r\n$/);
    c.send(`USER ${"y".repeat(20000)}\r\nCAPA\r\n`);
    await c.until(/-ERR Line too long\r\n\+OK Capability list follows\r\n[^]*\r\n\.\r\n$/);
    c.send(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a]));
    await c.until(/-ERR Unknown command\r\n$/);
    c.send("STAT\r\nRETR 1\r\nPASS x\r\n");
    await c.until(
      /-ERR Not logged in; log in first\r\n-ERR Not logged in; log in first\r\n-ERR No username given; send USER first\r\n$/,
    );
    c.send("NOOP\rNOOP\r\n");
    await c.until(/-ERR Bare CR in command line\r\n$/);
    c.send("HELO\r\nEHLO\r\n");
    await c.until(/-ERR Unknown command\r\n-ERR Too many errors; closing the connection\r\n$/);
    await c.closed;
    // A LF-only client is understood.
    const d = await raw(port);
    d.send(`USER ${USER}\nPASS ${PASSWORD}\nSTAT\nQUIT\n`);
    await d.closed;
    assert.match(d.text(), /\+OK Logged in; 0 messages \(0 octets\)\r\n\+OK 0 0\r\n\+OK [^\r]* signing off/);
  });

  test("the idle timeout closes without a reply (RFC 1939 §3); shutdown says -ERR [SYS/TEMP]", async (t) => {
    const { port, service, put, inbox } = await start(t, { limits: { idleTimeoutMs: 300 } });
    await put(ONE);
    const idle = await raw(port);
    idle.send(`USER ${USER}\r\nPASS ${PASSWORD}\r\nDELE 1\r\n`);
    await idle.until(/Message 1 deleted\r\n$/);
    const before = idle.text();
    await idle.closed;
    assert.equal(idle.text(), before, "nothing is sent on the way out");
    const c = await eventually(async () => {
      const client = await raw(port);
      client.send(`USER ${USER}\r\nPASS ${PASSWORD}\r\n`);
      try {
        const text = await client.until(/\+OK Logged in[^\r]*\r\n|-ERR[^\r]*\r\n/, 10_000);
        if (!/\+OK Logged in; 1 message/.test(text)) throw new Error(text);
      } catch (error) {
        client.socket.destroy();
        throw error;
      }
      return client;
    }, 10_000);
    const stopping = service.stop(2000);
    await c.until(/-ERR \[SYS\/TEMP\] Server shutting down; try again later\r\n$/);
    await c.closed;
    await stopping;
    assert.deepEqual(
      (await inbox()).map((m) => m.uid),
      [1],
      "neither timeout nor shutdown deletes",
    );
  });

  test("STLS discards plaintext sent after it (RFC 2595 §4); the trace redacts PASS and AUTH", async (t) => {
    const { port, traces } = await start(t);
    const c = await raw(port);
    c.send("STLS\r\nCAPA\r\n");
    await c.until(/\+OK Begin TLS negotiation\r\n$/);
    c.socket.removeAllListeners("data");
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false });
    let text = "";
    secure.on("data", (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => secure.once("secureConnect", resolve));
    const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64");
    secure.write(`USER ${USER}\r\nPASS ${PASSWORD}\r\nQUIT\r\nAUTH PLAIN ${plain}\r\n`);
    await new Promise((resolve) => secure.once("end", resolve));
    assert.equal(
      text,
      "+OK Send PASS\r\n+OK Logged in; 0 messages (0 octets)\r\n+OK pop.example.org POP3 server signing off (maildrop empty)\r\n",
      "the injected CAPA was never answered",
    );
    secure.destroy();
    const d = await raw(port);
    d.send(`AUTH PLAIN ${plain}\r\nQUIT\r\n`);
    await d.closed;
    const lines = traces.map((e) => `${e.direction}: ${e.line}`);
    assert.ok(lines.includes("C: PASS ***"), lines.join("\n"));
    assert.ok(lines.includes("C: AUTH PLAIN ***"), lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes(PASSWORD) || l.includes(plain)), lines.join("\n"));
  });

  test("a throttled address gets -ERR [SYS/TEMP] even with the right password", async (t) => {
    const { port } = await start(t, { throttle: new LoginThrottle({ maxFailures: 2, baseDelayMs: 1 }) });
    const c = await raw(port);
    c.send(`USER ${USER}\r\nPASS a\r\nUSER ${USER}\r\nPASS b\r\nUSER ${USER}\r\nPASS ${PASSWORD}\r\n`);
    await c.until(/-ERR \[SYS\/TEMP\] Too many failed logins from your address; try again later\r\n$/);
    assert.equal(c.text().match(/-ERR \[AUTH\] Authentication failed/g)?.length, 2);
    c.socket.destroy();
  });

  test("off loopback, USER/PASS and AUTH wait for TLS", async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === "IPv4" && !i.internal);
    if (external === undefined) {
      // The rule itself is tested in session.test.ts; this checks the server applies it.
      t.diagnostic("no non-loopback IPv4 address on this machine; the session tests cover the rule");
      return;
    }
    const { service } = await start(t, {}, [{ host: external.address, port: 0, family: 4 }]);
    const port = service.endpoints.find((e) => e.address.host === external.address)!.address.port;
    const c = await raw(port, external.address);
    c.send(`CAPA\r\nUSER ${USER}\r\nAUTH PLAIN\r\n`);
    const text = await c.until(/-ERR \[AUTH\][^\r]*\r\n-ERR \[AUTH\][^\r]*\r\n$/);
    assert.doesNotMatch(text, /\r\nUSER\r\n|\r\nSASL/);
    assert.match(text, /\r\nSTLS\r\n/);
    assert.match(
      text,
      /-ERR \[AUTH\] Plaintext authentication disallowed on non-secure \(SSL\/TLS\) connections\r\n/,
    );
    c.socket.destroy();
  });
});
