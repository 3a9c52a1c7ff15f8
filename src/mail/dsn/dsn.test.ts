/**
 * DSNs checked the way a mail client reads them: each built message is parsed by Python's
 * `email` package (python3 is already needed by the SMTP wire tests), which reports MIME
 * defects, the part tree, the message/delivery-status field groups and the returned message.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, test } from "node:test";
import { composeDsn, DSN_RETURN_LIMIT, type DsnInput, type DsnRecipient } from "./dsn.js";

const PARSE = String.raw`
import sys, json, email, re

def unfold(v):
    # 8-bit header text comes back surrogate-escaped: turn it into the UTF-8 it was.
    text = str(v).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"\r?\n", "", text)

def fields(m):
    return [[k, unfold(v)] for k, v in m.raw_items()]

def blocks(text):
    text = text.replace("\r\n", "\n").strip("\n")
    return [fields(email.message_from_string(b + "\n")) for b in re.split(r"\n\n+", text)]

def part(p):
    info = {"type": p.get_content_type(), "headers": fields(p), "defects": [type(d).__name__ for d in p.defects]}
    ct = p.get_content_type()
    payload = p.get_payload()
    if ct == "message/delivery-status":
        info["blocks"] = [fields(b) for b in payload]
    elif ct == "message/global-delivery-status":
        first = payload[0]
        info["blocks"] = [fields(first)] + blocks(first.get_payload(decode=True).decode("utf-8"))
    elif p.get_content_maintype() == "message":
        inner = payload[0]
        body = inner.get_payload(decode=True)
        info["inner"] = {"headers": fields(inner), "body": body.decode("utf-8", "replace") if body is not None else None}
    else:
        raw = p.get_payload(decode=True)
        info["text"] = raw.decode(p.get_content_charset() or "ascii")
    return info

# One message after another: a line with its length, then its bytes; one JSON line back each.
while True:
    size = sys.stdin.buffer.readline()
    if not size:
        break
    msg = email.message_from_bytes(sys.stdin.buffer.read(int(size)))
    print(json.dumps({
        "type": msg.get_content_type(),
        "reportType": msg.get_param("report-type"),
        "boundary": msg.get_boundary(),
        "headers": fields(msg),
        "defects": [type(d).__name__ for d in msg.defects],
        "parts": [part(p) for p in msg.get_payload()],
    }), flush=True)
`;

interface Part {
  type: string;
  headers: [string, string][];
  defects: string[];
  blocks?: [string, string][][];
  inner?: { headers: [string, string][]; body: string | null };
  text?: string;
}
interface Parsed {
  type: string;
  reportType: string;
  boundary: string;
  headers: [string, string][];
  defects: string[];
  parts: Part[];
}

/** One python3 for the whole file, parsing one message after another. */
const parser = (() => {
  const child = spawn("python3", ["-c", PARSE], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting: { resolve: (parsed: Parsed) => void; reject: (error: Error) => void }[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.resolve(JSON.parse(line) as Parsed);
    }
  });
  child.on("close", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`python3 exited (${code}) without an answer`));
  });
  after(() => {
    child.stdin.end();
  });
  return {
    parse(message: Buffer): Promise<Parsed> {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${message.length}\n`);
        child.stdin.write(message);
      });
    },
  };
})();

const python = (message: Buffer): Promise<Parsed> => parser.parse(message);

const field = (fields: [string, string][], name: string): string | undefined =>
  fields.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
const names = (fields: [string, string][]): string[] => fields.map(([k]) => k);

/** Every line ends in CRLF, none is longer than 998 octets (RFC 5322 §2.1.1, §2.3). */
function assertWellFormedLines(message: Buffer): void {
  const text = message.toString("latin1");
  assert.ok(text.endsWith("\r\n"));
  assert.equal(/\r(?!\n)|(?<!\r)\n/.test(text), false, "bare CR or LF");
  for (const line of text.split("\r\n")) assert.ok(line.length <= 998, `line of ${line.length} octets`);
}

const ORIGINAL = Buffer.from(
  "Received: from client.test (client.test [192.0.2.9])\r\n\tby mta.example.test; Sun, 29 Nov 2026 15:31:44 +0000\r\n" +
    "From: Sender <sender@remote.test>\r\nTo: bad@remote.test\r\nSubject: Lunch\r\n" +
    "Message-ID: <one@remote.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
    "Content-Transfer-Encoding: 8bit\r\n\r\nMeet at the caf\u00e9 at noon.\r\n-- \r\nSender\r\n",
  "utf8",
);

const REPLY = {
  code: 550,
  enhanced: "5.1.1",
  lines: [
    "<bad@remote.test>: Recipient address rejected:",
    "User unknown in virtual mailbox table; see https://remote.test/help/this-is-a-rather-long-url-that-must-fold",
    "Please check the address",
  ],
};

function failure(overrides: Partial<DsnInput> = {}, recipient: Partial<DsnRecipient> = {}): DsnInput {
  return {
    reportingMta: "mta.example.test",
    sender: "sender@remote.test",
    kind: "failure",
    arrivalDate: new Date("2026-11-29T15:31:44Z"),
    date: new Date("2026-11-29T15:40:00Z"),
    utc: true,
    original: ORIGINAL,
    recipients: [
      {
        finalRecipient: "bad@remote.test",
        originalRecipient: "rfc822;Bad+2Balias@remote.test",
        action: "failed",
        status: "5.1.1",
        remoteMta: "mx.remote.test",
        diagnosticCode: REPLY,
        inReplyTo: "RCPT TO",
        lastAttemptDate: new Date("2026-11-29T15:39:59Z"),
        ...recipient,
      },
    ],
    envid: "QQ314159+2Bx",
    queueId: "4F2A9",
    receivedFrom: { helo: "client.test", address: "192.0.2.9" },
    ...overrides,
  };
}

describe("failure reports", () => {
  test("with ORCPT and ENVID: the structure, the fields in RFC 3464 order, the message returned", async () => {
    const dsn = composeDsn(failure());
    assertWellFormedLines(dsn.message);
    const m = await python(dsn.message);
    assert.deepEqual(m.defects, []);
    assert.equal(m.type, "multipart/report");
    assert.equal(m.reportType, "delivery-status");
    assert.equal(field(m.headers, "From"), "Mail Delivery System <MAILER-DAEMON@mta.example.test>");
    assert.equal(field(m.headers, "To"), "sender@remote.test");
    assert.equal(field(m.headers, "Subject"), "Undelivered Mail Returned to Sender");
    assert.equal(field(m.headers, "Auto-Submitted"), "auto-replied");
    assert.equal(field(m.headers, "MIME-Version"), "1.0");
    assert.equal(field(m.headers, "Date"), "Sun, 29 Nov 2026 15:40:00 +0000");
    assert.equal(field(m.headers, "Message-ID"), dsn.messageId);
    assert.match(dsn.messageId, /^<20261129154000\.[0-9a-f]{16}@mta\.example\.test>$/);
    assert.equal(field(m.headers, "Content-Transfer-Encoding"), "8bit");
    assert.deepEqual(dsn.envelope, { from: "", to: "sender@remote.test", body: "8BITMIME", smtputf8: false });
    assert.equal(dsn.returned, "message");

    assert.deepEqual(
      m.parts.map((p) => p.type),
      ["text/plain", "message/delivery-status", "message/rfc822"],
    );
    for (const p of m.parts) assert.deepEqual(p.defects, []);

    // The explanation says what happened and quotes the whole reply.
    const text = m.parts[0]!.text!;
    assert.match(text, /could not be delivered/);
    assert.match(text, /<bad@remote\.test>: host mx\.remote\.test said:/);
    for (const line of [
      "550-5.1.1 <bad@remote.test>: Recipient address rejected:",
      "550 5.1.1 Please check the address",
    ]) {
      assert.ok(text.includes(`    ${line}\r\n`), `${line} quoted`);
    }
    assert.match(text, /\(in reply to the RCPT TO command\)/);

    const [perMessage, perRecipient, ...more] = m.parts[1]!.blocks!;
    assert.equal(more.length, 0);
    assert.deepEqual(perMessage, [
      ["Original-Envelope-Id", "QQ314159+x"],
      ["Reporting-MTA", "dns; mta.example.test"],
      ["Received-From-MTA", "dns; client.test (192.0.2.9)"],
      ["Arrival-Date", "Sun, 29 Nov 2026 15:31:44 +0000"],
      ["X-Portico-Queue-ID", "4F2A9"],
    ]);
    assert.deepEqual(names(perRecipient!), [
      "Original-Recipient",
      "Final-Recipient",
      "Action",
      "Status",
      "Remote-MTA",
      "Diagnostic-Code",
      "Last-Attempt-Date",
    ]);
    assert.equal(field(perRecipient!, "Original-Recipient"), "rfc822; Bad+alias@remote.test");
    assert.equal(field(perRecipient!, "Final-Recipient"), "rfc822; bad@remote.test");
    assert.equal(field(perRecipient!, "Action"), "failed");
    assert.equal(field(perRecipient!, "Status"), "5.1.1");
    assert.equal(field(perRecipient!, "Remote-MTA"), "dns; mx.remote.test");
    // RFC 3461 §9.2: every line, each after the first set off by a space.
    assert.equal(
      field(perRecipient!, "Diagnostic-Code"),
      "smtp; 550-5.1.1 <bad@remote.test>: Recipient address rejected: " +
        "550-5.1.1 User unknown in virtual mailbox table; see https://remote.test/help/this-is-a-rather-long-url-that-must-fold " +
        "550 5.1.1 Please check the address",
    );
    assert.equal(field(perRecipient!, "Last-Attempt-Date"), "Sun, 29 Nov 2026 15:39:59 +0000");

    const returned = m.parts[2]!;
    assert.equal(field(returned.headers, "Content-Transfer-Encoding"), "8bit");
    assert.equal(field(returned.inner!.headers, "Subject"), "Lunch");
    assert.equal(field(returned.inner!.headers, "Message-ID"), "<one@remote.test>");
    assert.equal(returned.inner!.body, "Meet at the caf\u00e9 at noon.\r\n-- \r\nSender\r\n");
  });

  test("a reply given as text, one line per reply line, is quoted the same way", async () => {
    const asText =
      "550-5.1.1 <bad@remote.test>: Recipient address rejected:\n550 5.1.1 Please check the address\n";
    const m = await python(composeDsn(failure({}, { diagnosticCode: asText })).message);
    assert.equal(
      field(m.parts[1]!.blocks![1]!, "Diagnostic-Code"),
      "smtp; 550-5.1.1 <bad@remote.test>: Recipient address rejected: 550 5.1.1 Please check the address",
    );
    assert.match(
      m.parts[0]!.text!,
      /said:\r\n {4}550-5\.1\.1 <bad@remote\.test>: Recipient address rejected:\r\n {4}550 5\.1\.1 Please/,
    );
  });

  test("long fields are folded at 78 columns, and unfold to the same text", () => {
    const dsn = composeDsn(failure());
    const status = dsn.message
      .toString("utf8")
      .split("message/delivery-status\r\n\r\n")[1]!
      .split("\r\n--")[0]!;
    for (const line of status.split("\r\n")) assert.ok(line.length <= 78, `${line.length}: ${line}`);
    assert.match(status, /\r\n 550 5\.1\.1 Please check the address\r\n/);
  });

  test("without ORCPT and ENVID those fields are absent (RFC 3461 §6.3 (a), (d))", async () => {
    const input = failure();
    const { envid: _envid, ...withoutEnvid } = input;
    const { originalRecipient: _orcpt, ...recipient } = input.recipients[0]!;
    const m = await python(composeDsn({ ...withoutEnvid, recipients: [recipient] }).message);
    const [perMessage, perRecipient] = m.parts[1]!.blocks!;
    assert.equal(field(perMessage!, "Original-Envelope-Id"), undefined);
    assert.equal(field(perRecipient!, "Original-Recipient"), undefined);
    assert.equal(names(perRecipient!)[0], "Final-Recipient");
    assert.equal(m.parts[2]!.type, "message/rfc822");
  });

  test("RET=HDRS returns text/rfc822-headers: the header section only", async () => {
    const dsn = composeDsn(failure({ ret: "HDRS" }));
    assert.equal(dsn.returned, "headers");
    const m = await python(dsn.message);
    assert.deepEqual(m.defects, []);
    const returned = m.parts[2]!;
    assert.equal(returned.type, "text/rfc822-headers");
    assert.equal(field(returned.headers, "Content-Description"), "Undelivered Message Headers");
    assert.match(returned.text!, /^Received: from client\.test/);
    assert.match(returned.text!, /Subject: Lunch\r?\n/);
    assert.doesNotMatch(returned.text!, /Meet at the/);
    // No 8-bit octet anywhere now: 7bit throughout.
    assert.equal(field(m.headers, "Content-Transfer-Encoding"), undefined);
    assert.equal(composeDsn(failure({ ret: "HDRS" })).envelope.body, "7BIT");
  });

  test("RET=FULL over the return limit, or only the start at hand: headers, and the text says why", async () => {
    const big = Buffer.concat([ORIGINAL, Buffer.alloc(DSN_RETURN_LIMIT, "x")]);
    for (const input of [
      failure({ ret: "FULL", original: big }),
      failure({ original: ORIGINAL, returnLimit: 100 }),
      failure({ original: ORIGINAL.subarray(0, 200), originalSize: 5_000_000 }),
    ]) {
      const dsn = composeDsn(input);
      assert.equal(dsn.returned, "headers");
      const m = await python(dsn.message);
      assert.equal(m.parts[2]!.type, "text/rfc822-headers");
      assert.match(m.parts[0]!.text!, /too large to be\s+returned whole/);
      assert.ok(m.parts[2]!.text!.endsWith("\n"));
    }
  });

  test("binary content (a NUL, a bare CR) is not returned whole", () => {
    const nul = Buffer.concat([
      Buffer.from("Subject: x\r\n\r\n"),
      Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a]),
    ]);
    assert.equal(composeDsn(failure({ original: nul })).returned, "headers");
    assert.equal(
      composeDsn(failure({ original: Buffer.from("Subject: x\r\n\r\na\rb\r\n") })).returned,
      "headers",
    );
    assert.equal(
      composeDsn(failure({ original: Buffer.from(`Subject: x\r\n\r\n${"y".repeat(999)}\r\n`) })).returned,
      "headers",
    );
    assert.equal(
      composeDsn(failure({ original: Buffer.from(`Subject: x\r\n\r\n${"y".repeat(998)}\r\n`) })).returned,
      "message",
    );
  });

  test("an original with LF line ends comes back with CRLF", async () => {
    const lf = Buffer.from("From: a@remote.test\nSubject: LF only\n\nline one\nline two\n");
    const dsn = composeDsn(failure({ original: lf }));
    assertWellFormedLines(dsn.message);
    const m = await python(dsn.message);
    assert.equal(field(m.parts[2]!.inner!.headers, "Subject"), "LF only");
    assert.equal(m.parts[2]!.inner!.body, "line one\r\nline two\r\n");
    assert.equal(field(m.headers, "Content-Transfer-Encoding"), undefined);
  });

  test("several recipients, one without a remote reply", async () => {
    const input = failure();
    const two = composeDsn({
      ...input,
      recipients: [
        ...input.recipients,
        {
          finalRecipient: "full@example.test",
          action: "failed",
          status: "4.2.2",
          diagnosticCode: { type: "x-portico", text: "mailbox full" },
        },
      ],
    });
    const m = await python(two.message);
    const blocks = m.parts[1]!.blocks!;
    assert.equal(blocks.length, 3);
    assert.equal(field(blocks[2]!, "Final-Recipient"), "rfc822; full@example.test");
    assert.equal(field(blocks[2]!, "Diagnostic-Code"), "x-portico; mailbox full");
    assert.equal(field(blocks[2]!, "Remote-MTA"), undefined);
    assert.match(
      m.parts[0]!.text!,
      /<full@example\.test>: mailbox full \(4\.2\.2: Persistent transient failure:\s+Mailbox full\)/,
    );
  });

  test("text from the remote server cannot add fields or lines of its own", async () => {
    const hostile = { code: 550, lines: ["no such user\r\nX-Injected: yes", "bye\u0000"] };
    const dsn = composeDsn(
      failure({}, { diagnosticCode: hostile, finalRecipient: "bad\r\nX-Evil: 1@remote.test" }),
    );
    assertWellFormedLines(dsn.message);
    const m = await python(dsn.message);
    const blocks = m.parts[1]!.blocks!;
    assert.equal(blocks.length, 2);
    for (const block of blocks) {
      assert.equal(field(block, "X-Injected"), undefined);
      assert.equal(field(block, "X-Evil"), undefined);
    }
    assert.equal(field(blocks[1]!, "Final-Recipient"), "rfc822; bad??X-Evil: 1@remote.test");
  });
});

describe("delay and success reports", () => {
  test("delay: Action delayed, Will-Retry-Until, headers only even with RET=FULL", async () => {
    const dsn = composeDsn(
      failure(
        { kind: "delay", ret: "FULL" },
        {
          action: "delayed",
          status: "4.4.1",
          diagnosticCode: { code: 421, enhanced: "4.4.1", lines: ["mx.remote.test busy, try later"] },
          willRetryUntil: new Date("2026-12-04T15:31:44Z"),
        },
      ),
    );
    assert.equal(dsn.returned, "headers");
    const m = await python(dsn.message);
    assert.deepEqual(m.defects, []);
    assert.equal(field(m.headers, "Subject"), "Delayed Mail (still being retried)");
    const text = m.parts[0]!.text!;
    assert.match(text, /WARNING ONLY/);
    assert.match(text, /keep trying\s+until\s+Fri, 04 Dec 2026 15:31:44 \+0000/);
    assert.match(text, /421 4\.4\.1 mx\.remote\.test busy, try later/);
    const recipient = m.parts[1]!.blocks![1]!;
    assert.equal(field(recipient, "Action"), "delayed");
    assert.equal(field(recipient, "Will-Retry-Until"), "Fri, 04 Dec 2026 15:31:44 +0000");
    assert.equal(names(recipient).at(-1), "Will-Retry-Until");
    assert.equal(m.parts[2]!.type, "text/rfc822-headers");
    assert.equal(field(m.parts[2]!.headers, "Content-Description"), "Undelivered Message Headers");
  });

  test("success: delivered and relayed, headers only", async () => {
    const base = failure({ kind: "success" });
    const { diagnosticCode: _d, inReplyTo: _i, remoteMta: _r, ...plain } = base.recipients[0]!;
    const dsn = composeDsn({
      ...base,
      recipients: [
        { ...plain, action: "delivered", status: "2.0.0" },
        {
          finalRecipient: "far@remote.test",
          action: "relayed",
          status: "2.0.0",
          remoteMta: "mx.remote.test",
        },
      ],
    });
    const m = await python(dsn.message);
    assert.equal(field(m.headers, "Subject"), "Successful Mail Delivery Report");
    assert.match(m.parts[0]!.text!, /<far@remote\.test>: relayed to mx\.remote\.test/);
    const blocks = m.parts[1]!.blocks!;
    assert.equal(field(blocks[1]!, "Action"), "delivered");
    assert.equal(field(blocks[2]!, "Action"), "relayed");
    assert.equal(field(blocks[2]!, "Remote-MTA"), "dns; mx.remote.test");
    assert.equal(m.parts[2]!.type, "text/rfc822-headers");
    assert.equal(field(m.parts[2]!.headers, "Content-Description"), "Message Headers");
  });
});

describe("internationalised mail (RFC 6533)", () => {
  test("a UTF-8 recipient: message/global-delivery-status, the utf-8 address type, message/global", async () => {
    const dsn = composeDsn(
      failure(
        { smtputf8: true },
        {
          finalRecipient: "b\u00fccher@b\u00fccher.example",
          originalRecipient: "utf-8;b\\x{FC}cher@b\\x{FC}cher.example",
        },
      ),
    );
    assert.equal(dsn.envelope.smtputf8, true);
    const m = await python(dsn.message);
    assert.deepEqual(m.defects, []);
    assert.deepEqual(
      m.parts.map((p) => p.type),
      ["text/plain", "message/global-delivery-status", "message/global"],
    );
    assert.equal(field(m.parts[1]!.headers, "Content-Transfer-Encoding"), "8bit");
    const recipient = m.parts[1]!.blocks![1]!;
    assert.equal(field(recipient, "Final-Recipient"), "utf-8; b\u00fccher@b\u00fccher.example");
    assert.equal(field(recipient, "Original-Recipient"), "utf-8; b\u00fccher@b\u00fccher.example");
    assert.match(m.parts[0]!.text!, /<b\u00fccher@b\u00fccher\.example>: host/);
    assert.match(m.parts[0]!.headers.find(([k]) => k === "Content-Type")![1], /charset=utf-8/);
  });

  test("RET=HDRS under SMTPUTF8 returns message/global-headers", async () => {
    const m = await python(composeDsn(failure({ smtputf8: true, ret: "HDRS" })).message);
    assert.deepEqual(m.defects, []);
    assert.equal(m.parts[2]!.type, "message/global-headers");
    assert.equal(field(m.parts[2]!.inner!.headers, "Subject"), "Lunch");
  });

  test("a utf-8 ORCPT in an ASCII report keeps its 7-bit utf-8-addr-xtext form", async () => {
    const dsn = composeDsn(failure({}, { originalRecipient: "utf-8;b\\x{FC}cher@example.test" }));
    assert.equal(dsn.envelope.smtputf8, false);
    const recipient = (await python(dsn.message)).parts[1]!.blocks![1]!;
    assert.equal(field(recipient, "Original-Recipient"), "utf-8; b\\x{FC}cher@example.test");
  });

  test("an ORCPT that does not decode, or decodes to something unprintable, is shown as received", async () => {
    const bad = composeDsn(failure({}, { originalRecipient: "rfc822;a+ZZb@example.test" }));
    const unprintable = composeDsn(failure({}, { originalRecipient: "rfc822;a+0Db@example.test" }));
    assert.equal(
      field((await python(bad.message)).parts[1]!.blocks![1]!, "Original-Recipient"),
      "rfc822; a+ZZb@example.test",
    );
    assert.equal(
      field((await python(unprintable.message)).parts[1]!.blocks![1]!, "Original-Recipient"),
      "rfc822; a+0Db@example.test",
    );
  });
});

test("misuse is a TypeError or RangeError", () => {
  assert.throws(() => composeDsn(failure({ sender: "" })), RangeError);
  assert.throws(() => composeDsn(failure({ recipients: [] })), RangeError);
  assert.throws(() => composeDsn(failure({ reportingMta: "bad host" })), TypeError);
  assert.throws(() => composeDsn(failure({}, { status: "5.01.1" })), RangeError);
  assert.throws(() => composeDsn(failure({}, { status: "550" })), RangeError);
  assert.throws(() => composeDsn(failure({}, { willRetryUntil: new Date() })), RangeError);
  assert.throws(() => composeDsn(failure({ returnLimit: -1 })), RangeError);
});
