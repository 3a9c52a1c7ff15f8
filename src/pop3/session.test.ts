import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { describe, it } from "node:test";
import { FakeMaildrop } from "../../test/pop3/fake-maildrop.js";
import { MailStoreError } from "../mail/store/errors.js";
import type { Maildrop } from "./maildrop.js";
import { Pop3Session, type Pop3Output, type Pop3SessionOptions } from "./session.js";

const ONE = "Subject: one\r\n\r\nfirst\r\n";
const TWO = "Subject: two\r\n\r\n.dotted\r\nsecond\r\n";
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

interface Harness {
  readonly session: Pop3Session;
  readonly drop: FakeMaildrop;
  readonly errors: string[];
  /** Sends a line, returns the output. */
  readonly send: (line: string | Buffer) => Promise<Pop3Output>;
  /** Sends a line, returns the reply text. */
  readonly say: (line: string) => Promise<string>;
  /** Logs in with USER/PASS. */
  readonly login: () => Promise<void>;
}

function harness(options: Partial<Pop3SessionOptions> = {}, drop = new FakeMaildrop([ONE, TWO])): Harness {
  const errors: string[] = [];
  const session = new Pop3Session({
    hostname: "pop.example.org",
    loopback: false,
    tls: true,
    stls: true,
    authenticate: (username, password) => {
      if (username === "blocked@example.org") return Promise.resolve({ ok: false, blocked: true });
      if (username.toLowerCase() === "user@example.org" && password === "s3cret pass") {
        return Promise.resolve({ ok: true, user: "user@example.org" });
      }
      return Promise.resolve({ ok: false, blocked: false });
    },
    openMaildrop: () => Promise.resolve(drop),
    onError: (_error, during) => errors.push(during),
    ...options,
  });
  const send = (line: string | Buffer): Promise<Pop3Output> =>
    session.command(typeof line === "string" ? Buffer.from(line, "utf8") : line);
  const say = async (line: string): Promise<string> => (await send(line)).replies;
  return {
    session,
    drop,
    errors,
    send,
    say,
    login: async () => {
      assert.equal(await say("USER user@example.org"), "+OK Send PASS\r\n");
      assert.match(await say("PASS s3cret pass"), /^\+OK Logged in; /);
    },
  };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

void describe("Pop3Session: AUTHORIZATION state", () => {
  void it("greets with +OK and no APOP timestamp", () => {
    const { session } = harness();
    assert.equal(session.greeting(), "+OK pop.example.org POP3 server ready (Portico)\r\n");
    assert.doesNotMatch(session.greeting(), /</);
  });

  void it("CAPA announces USER and SASL only where logins are allowed, STLS until TLS is up", async () => {
    const plain = harness({ tls: false });
    assert.equal(
      await plain.say("CAPA"),
      "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nSTLS\r\nIMPLEMENTATION Portico\r\n.\r\n",
    );
    const loopback = harness({ tls: false, loopback: true });
    assert.match(await loopback.say("capa"), /\r\nUSER\r\nSASL PLAIN LOGIN\r\nSTLS\r\n/);
    const secure = harness({ tls: true });
    const capa = await secure.say("CAPA");
    assert.match(capa, /\r\nUSER\r\nSASL PLAIN LOGIN\r\n/);
    assert.doesNotMatch(capa, /STLS/);
    const noCert = harness({ tls: false, loopback: true, stls: false });
    assert.doesNotMatch(await noCert.say("CAPA"), /STLS/);
  });

  void it("refuses USER, PASS and AUTH with [AUTH] before TLS unless on loopback", async () => {
    const { say } = harness({ tls: false });
    const refused = "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections\r\n";
    assert.equal(await say("USER user@example.org"), refused);
    assert.equal(await say("PASS s3cret pass"), refused);
    assert.equal(await say(`AUTH PLAIN ${b64("\0user@example.org\0s3cret pass")}`), refused);
    assert.equal(await say("AUTH"), refused);
    const loopback = harness({ tls: false, loopback: true });
    await loopback.login();
    assert.equal(loopback.session.user, "user@example.org");
  });

  void it("USER/PASS: PASS needs a USER just before it; a failure uses it up", async () => {
    const { say, session } = harness();
    assert.equal(await say("PASS s3cret pass"), "-ERR No username given; send USER first\r\n");
    assert.equal(await say("USER"), "-ERR Syntax: USER name\r\n");
    assert.equal(await say("USER user@example.org"), "+OK Send PASS\r\n");
    assert.equal(await say("PASS wrong"), "-ERR [AUTH] Authentication failed\r\n");
    assert.equal(await say("PASS s3cret pass"), "-ERR No username given; send USER first\r\n");
    assert.equal(await say("USER nobody@example.org"), "+OK Send PASS\r\n", "never tells which users exist");
    assert.equal(await say("USER User@Example.org"), "+OK Send PASS\r\n", "a second USER replaces the first");
    assert.equal(await say("PASS"), "-ERR Syntax: PASS password\r\n");
    await say("USER user@example.org");
    // RFC 1939 §7: the password is the whole rest of the line, spaces included.
    assert.equal(await say("PASS s3cret pass"), "+OK Logged in; 2 messages (56 octets)\r\n");
    assert.equal(session.state, "transaction");
  });

  void it("answers a throttled address with [SYS/TEMP], a busy maildrop with [IN-USE]", async () => {
    const blocked = harness();
    await blocked.say("USER blocked@example.org");
    assert.equal(
      await blocked.say("PASS x"),
      "-ERR [SYS/TEMP] Too many failed logins from your address; try again later\r\n",
    );
    const busy = harness({
      openMaildrop: () => Promise.reject(new MailStoreError("Cannot lock: held", "in-use")),
    });
    await busy.say("USER user@example.org");
    assert.equal(
      await busy.say("PASS s3cret pass"),
      "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n",
    );
    assert.equal(busy.session.state, "authorization", "the client may try again or QUIT");
    const broken = harness({ openMaildrop: () => Promise.reject(new Error("EACCES")) });
    await broken.say("USER user@example.org");
    assert.equal(
      await broken.say("PASS s3cret pass"),
      "-ERR [SYS/TEMP] Cannot open the mailbox; try again later\r\n",
    );
    assert.deepEqual(broken.errors, ["opening the maildrop"]);
    const down = harness({ authenticate: () => Promise.reject(new Error("accounts file unreadable")) });
    await down.say("USER user@example.org");
    assert.match(await down.say("PASS s3cret pass"), /^-ERR \[SYS\/TEMP\] /);
  });

  void it("AUTH PLAIN with an initial response, and after an empty challenge (RFC 5034 §4)", async () => {
    const first = harness();
    assert.match(
      await first.say(`AUTH PLAIN ${b64("\0user@example.org\0s3cret pass")}`),
      /^\+OK Logged in; /,
    );
    const second = harness();
    assert.equal(await second.say("AUTH plain"), "+ \r\n");
    assert.equal(second.session.state, "sasl");
    assert.match(await second.say(b64("user@example.org\0user@example.org\0s3cret pass")), /^\+OK Logged in/);
    const wrong = harness();
    assert.equal(
      await wrong.say(`AUTH PLAIN ${b64("\0user@example.org\0nope")}`),
      "-ERR [AUTH] Authentication failed\r\n",
    );
    assert.equal(
      await wrong.say(`AUTH PLAIN ${b64("admin@example.org\0user@example.org\0s3cret pass")}`),
      "-ERR [AUTH] Authentication failed\r\n",
      "no acting as another user",
    );
  });

  void it("AUTH LOGIN prompts for the user name and the password", async () => {
    const { say, session } = harness();
    assert.equal(await say("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
    assert.equal(await say(b64("user@example.org")), "+ UGFzc3dvcmQ6\r\n");
    assert.match(await say(b64("s3cret pass")), /^\+OK Logged in/);
    assert.equal(session.user, "user@example.org");
  });

  void it("AUTH: cancel with *, bad base64, empty initial response, unknown mechanism, listing", async () => {
    const { say, session } = harness();
    await say("AUTH PLAIN");
    assert.equal(await say("*"), "-ERR Authentication cancelled\r\n");
    assert.equal(session.state, "authorization");
    await say("AUTH LOGIN");
    assert.equal(await say("not base64!"), "-ERR Invalid base64 data in the response\r\n");
    assert.equal(await say("AUTH PLAIN ="), "-ERR Malformed authentication response\r\n");
    assert.equal(await say("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism\r\n");
    assert.equal(await say("AUTH PLAIN a b"), "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
    assert.equal(await say("AUTH"), "+OK Supported SASL mechanisms\r\nPLAIN\r\nLOGIN\r\n.\r\n");
  });

  void it("refuses TRANSACTION commands before login, and AUTHORIZATION ones after", async () => {
    const { say, login } = harness();
    for (const verb of ["STAT", "LIST", "UIDL", "RETR 1", "TOP 1 1", "DELE 1", "NOOP", "RSET"]) {
      assert.equal(await say(verb), "-ERR Not logged in; log in first\r\n", verb);
    }
    await login();
    for (const verb of ["USER x", "PASS y", "AUTH PLAIN", "STLS"]) {
      assert.equal(await say(verb), "-ERR Already logged in\r\n", verb);
    }
  });

  void it("answers unknown and malformed commands with -ERR", async () => {
    const { say } = harness({ maxErrors: 100 });
    for (const line of ["", "XYZZY", "HELO x", "AB", "LISTX", " STAT", "STAT\t", "\u00e9t\u00e9", "\0\0\0"]) {
      assert.equal(await say(line), "-ERR Unknown command\r\n", JSON.stringify(line));
    }
  });

  void it("STLS: +OK and the action, then a fresh AUTHORIZATION state", async () => {
    const { say, send, session } = harness({ tls: false });
    assert.equal(await say("STLS now"), "-ERR Syntax: STLS\r\n");
    const output = await send("STLS");
    assert.deepEqual(output, { replies: "+OK Begin TLS negotiation\r\n", action: { kind: "stls" } });
    session.tlsStarted();
    assert.equal(session.tls, true);
    assert.equal(await say("STLS"), "-ERR Command not permitted when TLS active\r\n");
    assert.doesNotMatch(await say("CAPA"), /STLS/);
    const noCert = harness({ tls: false, stls: false });
    assert.equal(await noCert.say("STLS"), "-ERR TLS is not available\r\n");
  });

  void it("QUIT before login signs off without touching any maildrop", async () => {
    const { send, session, drop } = harness();
    assert.deepEqual(await send("QUIT"), {
      replies: "+OK pop.example.org POP3 server signing off\r\n",
      action: { kind: "close" },
    });
    assert.equal(session.closed, true);
    assert.deepEqual(await send("NOOP"), { replies: "" });
    await session.release();
    assert.equal(drop.released, 0);
  });
});

void describe("Pop3Session: TRANSACTION state", () => {
  void it("STAT, LIST, UIDL with and without an argument (RFC 1939 §5, §7)", async () => {
    const { say, login } = harness();
    await login();
    assert.equal(await say("STAT"), "+OK 2 56\r\n");
    assert.equal(await say("LIST"), "+OK 2 messages (56 octets)\r\n1 23\r\n2 33\r\n.\r\n");
    assert.equal(await say("LIST 2"), "+OK 2 33\r\n");
    assert.equal(await say("list  1 "), "+OK 1 23\r\n");
    assert.equal(await say("LIST 3"), "-ERR No such message, only 2 messages in maildrop\r\n");
    assert.equal(await say("LIST 0"), "-ERR No such message, only 2 messages in maildrop\r\n");
    assert.equal(
      await say("UIDL"),
      "+OK Unique-ID listing follows\r\n1 000000016553f100\r\n2 000000026553f100\r\n.\r\n",
    );
    assert.equal(await say("UIDL 2"), "+OK 2 000000026553f100\r\n");
    assert.equal(
      await say("UIDL 99999999999999999999"),
      "-ERR No such message, only 2 messages in maildrop\r\n",
    );
  });

  void it("checks the syntax of every argument", async () => {
    const { say, login } = harness({ maxErrors: 100 });
    await login();
    const cases: [string, string][] = [
      ["STAT 1", "-ERR Syntax: STAT\r\n"],
      ["LIST 1 2", "-ERR Syntax: LIST [message-number]\r\n"],
      ["LIST x", "-ERR Syntax: LIST [message-number]\r\n"],
      ["LIST -1", "-ERR Syntax: LIST [message-number]\r\n"],
      ["LIST +1", "-ERR Syntax: LIST [message-number]\r\n"],
      ["UIDL 1x", "-ERR Syntax: UIDL [message-number]\r\n"],
      ["RETR", "-ERR Syntax: RETR message-number\r\n"],
      ["RETR 1 2", "-ERR Syntax: RETR message-number\r\n"],
      ["TOP 1", "-ERR Syntax: TOP message-number lines\r\n"],
      ["TOP 1 -1", "-ERR Syntax: TOP message-number lines\r\n"],
      ["TOP 1 1 1", "-ERR Syntax: TOP message-number lines\r\n"],
      ["DELE", "-ERR Syntax: DELE message-number\r\n"],
      ["DELE 1.0", "-ERR Syntax: DELE message-number\r\n"],
      ["NOOP x", "-ERR Syntax: NOOP\r\n"],
      ["RSET x", "-ERR Syntax: RSET\r\n"],
    ];
    for (const [line, expected] of cases) assert.equal(await say(line), expected, line);
  });

  void it("RETR hands over the message as a body action and marks it \\Seen at the end", async () => {
    const { send, say, session, drop, login } = harness();
    await login();
    const output = await send("RETR 2");
    assert.equal(output.replies, "+OK 33 octets\r\n");
    assert.equal(output.action?.kind, "body");
    if (output.action?.kind !== "body") return;
    assert.equal(output.action.lines, undefined);
    assert.equal(await readAll(output.action.stream), TWO);
    await assert.rejects(send("NOOP"), TypeError, "no command while the body is going out");
    session.bodySent(true);
    assert.equal(await say("NOOP"), "+OK\r\n");
    const top = await send("TOP 1 0");
    assert.equal(top.replies, "+OK Top of message follows\r\n");
    assert.deepEqual(top.action?.kind === "body" && top.action.lines, 0);
    session.bodySent(true);
    const whole = await send("TOP 1 23");
    assert.deepEqual(
      whole.action?.kind === "body" && whole.action.lines,
      undefined,
      "as many lines as octets",
    );
    session.bodySent(true);
    assert.deepEqual(drop.opened, [2, 1, 1]);
    await session.release();
    assert.deepEqual(drop.seen, [[2]], "RETR marks \\Seen, TOP does not");
    assert.deepEqual(drop.removed, []);
    assert.equal(drop.released, 1);
  });

  void it("a RETR that failed midway marks nothing", async () => {
    const { send, session, drop, login } = harness();
    await login();
    const output = await send("RETR 1");
    if (output.action?.kind === "body") output.action.stream.destroy();
    session.bodySent(false);
    await session.release();
    assert.deepEqual(drop.seen, []);
  });

  void it("a message removed by another session since login gets -ERR", async () => {
    const { say, login, drop } = harness();
    await login();
    drop.gone.add(1);
    assert.equal(await say("RETR 1"), "-ERR Message 1 was removed by another session\r\n");
    assert.equal(await say("TOP 1 1"), "-ERR Message 1 was removed by another session\r\n");
  });

  void it("messages already \\Seen are not marked again", async () => {
    const drop = new FakeMaildrop([{ body: ONE, seen: true }, TWO]);
    const { send, session, login } = harness({}, drop);
    await login();
    for (const n of [1, 2]) {
      await send(`RETR ${n}`);
      session.bodySent(true);
    }
    await session.release();
    assert.deepEqual(drop.seen, [[2]]);
  });

  void it("DELE marks, RSET unmarks; deleted messages vanish from STAT, LIST and UIDL", async () => {
    const { say, login } = harness();
    await login();
    assert.equal(await say("DELE 1"), "+OK Message 1 deleted\r\n");
    assert.equal(await say("DELE 1"), "-ERR Message 1 already deleted\r\n");
    assert.equal(await say("RETR 1"), "-ERR Message 1 already deleted\r\n");
    assert.equal(await say("LIST 1"), "-ERR Message 1 already deleted\r\n");
    assert.equal(await say("STAT"), "+OK 1 33\r\n");
    assert.equal(await say("LIST"), "+OK 1 messages (33 octets)\r\n2 33\r\n.\r\n");
    assert.equal(await say("UIDL"), "+OK Unique-ID listing follows\r\n2 000000026553f100\r\n.\r\n");
    assert.equal(await say("RSET"), "+OK Maildrop has 2 messages (56 octets)\r\n");
    assert.equal(await say("STAT"), "+OK 2 56\r\n");
  });

  void it("QUIT enters the UPDATE state: deleted messages are removed, the lock released", async () => {
    const { send, say, session, drop, login } = harness();
    await login();
    await send("RETR 1");
    session.bodySent(true);
    await send("RETR 2");
    session.bodySent(true);
    await say("DELE 1");
    assert.deepEqual(await send("QUIT"), {
      replies: "+OK pop.example.org POP3 server signing off (1 messages left)\r\n",
      action: { kind: "close" },
    });
    assert.deepEqual(drop.removed, [[1]]);
    assert.deepEqual(drop.seen, [[2]], "the removed message is not flagged first");
    assert.equal(drop.released, 1);
    await session.release();
    assert.equal(drop.released, 1, "release after QUIT does nothing more");
  });

  void it("QUIT with everything deleted says the maildrop is empty; a failed removal says so", async () => {
    const { say, login } = harness();
    await login();
    await say("DELE 1");
    await say("DELE 2");
    assert.equal(await say("QUIT"), "+OK pop.example.org POP3 server signing off (maildrop empty)\r\n");
    const broken = harness();
    broken.drop.failRemove = true;
    await broken.login();
    await broken.say("DELE 2");
    assert.equal(await broken.say("QUIT"), "-ERR [SYS/TEMP] Some deleted messages not removed\r\n");
    assert.equal(broken.drop.released, 1, "the lock is released whatever happened");
    assert.deepEqual(broken.errors, ["removing deleted messages"]);
  });

  void it("a session that ends without QUIT deletes nothing (RFC 1939 §6)", async () => {
    const { say, session, drop, login } = harness();
    await login();
    await say("DELE 1");
    await say("DELE 2");
    await session.release();
    assert.deepEqual(drop.removed, []);
    assert.equal(drop.released, 1);
    assert.equal(session.closed, true);
  });

  void it("shutdown says -ERR [SYS/TEMP] and closes; the maildrop is kept until release()", async () => {
    const { session, drop, login, say } = harness();
    await login();
    await say("DELE 1");
    assert.deepEqual(session.shutdown(), {
      replies: "-ERR [SYS/TEMP] Server shutting down; try again later\r\n",
      action: { kind: "close" },
    });
    assert.equal(session.closed, true);
    assert.equal(drop.released, 0);
    await session.release();
    assert.equal(drop.released, 1);
    assert.deepEqual(drop.removed, []);
  });
});

void describe("Pop3Session: limits and transcript", () => {
  void it("closes after maxErrors -ERR replies, releasing a held maildrop without UPDATE", async () => {
    const { send, session, drop, login } = harness({ maxErrors: 3 });
    await login();
    assert.equal((await send("BAD")).action, undefined);
    assert.equal((await send("LIST 9")).action, undefined);
    assert.deepEqual(await send("WHAT"), {
      replies: "-ERR Too many errors; closing the connection\r\n",
      action: { kind: "close" },
    });
    assert.equal(session.closed, true);
    await session.release();
    assert.equal(drop.released, 1);
  });

  void it("caps command lines at 255 octets with CRLF (RFC 2449 §4), AUTH lines much higher", async () => {
    const { say, session } = harness();
    assert.equal(await say(`USER ${"u".repeat(248)}`), "+OK Send PASS\r\n", "253 octets is fine");
    assert.equal(await say(`USER ${"u".repeat(249)}`), "-ERR Line too long\r\n");
    // A PLAIN initial response past 255 octets: 255-octet fields are allowed (RFC 4616 §2).
    const response = b64(`${"a".repeat(200)}\0user@example.org\0s3cret pass`);
    assert.ok(response.length > 255);
    assert.equal(await say(`AUTH PLAIN ${response}`), "-ERR [AUTH] Authentication failed\r\n");
    assert.match(await say(`AUTH PLAIN ${b64("\0user@example.org\0s3cret pass")}`), /^\+OK/);
    assert.equal(session.state, "transaction");
    const long = harness();
    await long.say("AUTH PLAIN");
    assert.equal(long.session.lineTooLong().replies, "-ERR Line too long\r\n");
    assert.equal(long.session.state, "authorization", "an over-long response ends the exchange");
    assert.equal(long.session.bareCr().replies, "-ERR Bare CR in command line\r\n");
  });

  void it("redacts PASS, AUTH initial responses and SASL responses for the trace", async () => {
    const { session, say } = harness();
    assert.equal(session.redact("PASS s3cret pass"), "PASS ***");
    assert.equal(session.redact("USER user@example.org"), "USER user@example.org");
    assert.equal(session.redact("AUTH PLAIN AHVzZXIAcHc="), "AUTH PLAIN ***");
    await say("AUTH LOGIN");
    assert.equal(session.redact(b64("user@example.org")), "***");
    assert.equal(session.redact("*"), "*");
  });

  void it("a connection lost while the maildrop was being opened releases it at once", async () => {
    const drop = new FakeMaildrop([ONE]);
    let open: (value: Maildrop) => void = () => undefined;
    const { session, say } = harness({
      openMaildrop: () =>
        new Promise<Maildrop>((resolve) => {
          open = resolve;
        }),
    });
    await say("USER user@example.org");
    const pending = say("PASS s3cret pass");
    await new Promise((resolve) => setImmediate(resolve));
    const released = session.release();
    open(drop);
    assert.equal(await pending, "");
    await released;
    assert.equal(drop.released, 1);
  });

  void it("refuses impossible options", () => {
    assert.throws(
      () =>
        new Pop3Session({
          hostname: "x",
          loopback: true,
          tls: false,
          stls: false,
          maxErrors: 0,
          authenticate: () => Promise.resolve({ ok: false, blocked: false }),
          openMaildrop: () => Promise.reject(new Error("no")),
        }),
      RangeError,
    );
  });
});
