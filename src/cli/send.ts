import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { parsePort } from "../core/address.js";
import { connectSmtp, replyToText, SmtpReplyError, SmtpUnsupportedError } from "../smtp/client/index.js";
import type { SmtpAuth, SmtpTlsMode } from "../smtp/client/index.js";
import { UsageError } from "./errors.js";
import { promptPassword } from "./prompt.js";
import { rfc5322Date } from "../mail/date.js";

export const SEND_HELP = `usage: portico send --server HOST[:PORT] --from ADDR --to ADDR [--to ADDR ...] [OPTIONS]

  Sends one message: read from standard input, or built from --subject/--body.
  --server HOST[:PORT]   the SMTP server (port 25; 465 with --tls)
  --from ADDR            the envelope sender (and From: of a built message)
  --to ADDR              a recipient; repeat for more
  --subject S, --body T  build the message (Date:, Message-ID:, From:, To: added)
  --user U               authenticate as U (AUTH PLAIN or LOGIN)
  --password-stdin       the password is the first line of standard input
  --starttls             require STARTTLS          --tls   implicit TLS (port 465)
  --insecure             do not verify the server's certificate
  --helo NAME            the EHLO name (default: this host's name)
  --trace                print the dialogue (C:/S: lines, AUTH redacted) on stderr

Prints the server's final reply. Exit status: 0 sent to every recipient, 1 refused (wholly or
for some recipients) or failed, 2 usage error.`;

/** What `sendCommand()` reads and writes; tests substitute it. */
export interface SendIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  stdout(text: string): void;
  stderr(text: string): void;
  now(): Date;
}

const processIo: SendIo = {
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  now: () => new Date(),
};

/** `portico send`: one message to one server, like a mail user agent's submission. */
export async function sendCommand(args: string[], io: SendIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      from: { type: "string" },
      to: { type: "string", multiple: true },
      subject: { type: "string" },
      body: { type: "string" },
      user: { type: "string" },
      "password-stdin": { type: "boolean" },
      starttls: { type: "boolean" },
      tls: { type: "boolean" },
      insecure: { type: "boolean" },
      helo: { type: "string" },
      trace: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    io.stdout(`${SEND_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`Cannot send: unexpected "${positionals.join(" ")}"\n${SEND_HELP}`);
  if (values.server === undefined) throw new UsageError(`Cannot send: --server is missing\n${SEND_HELP}`);
  if (values.from === undefined) throw new UsageError(`Cannot send: --from is missing\n${SEND_HELP}`);
  const to = values.to ?? [];
  if (to.length === 0) throw new UsageError(`Cannot send: --to is missing\n${SEND_HELP}`);
  if (values.starttls === true && values.tls === true)
    throw new UsageError("Cannot send: --starttls and --tls exclude each other");
  if (values["password-stdin"] === true && values.user === undefined) {
    throw new UsageError("Cannot send: --password-stdin needs --user");
  }
  const tls: SmtpTlsMode =
    values.tls === true ? "implicit" : values.starttls === true ? "starttls-required" : "none";
  const { host, port } = parseServer(values.server, tls === "implicit" ? 465 : 25);

  let input = io.stdin;
  let auth: SmtpAuth | undefined;
  if (values.user !== undefined) {
    let password: string;
    if (values["password-stdin"] === true) {
      const split = await splitFirstLine(io.stdin);
      password = split.line;
      input = split.rest;
    } else {
      password = await promptPassword("Password: ");
    }
    if (password === "") throw new UsageError("Cannot send: the password is empty");
    auth = { username: values.user, password };
  }

  const built = values.subject !== undefined || values.body !== undefined;
  const text = built
    ? buildMessage({
        from: values.from,
        to,
        subject: values.subject ?? "",
        body: values.body ?? "",
        now: io.now(),
      })
    : undefined;
  const connection = await connectSmtp({
    host,
    port,
    helo: values.helo ?? hostname(),
    tls,
    verify: values.insecure !== true,
    ...(auth !== undefined && { auth }),
    ...(values.trace === true && {
      trace: (event) => {
        io.stderr(`${event.direction}: ${event.line}\n`);
      },
    }),
  });
  try {
    const result = await connection.send({
      from: values.from,
      recipients: to,
      content: text ?? input,
      ...(text !== undefined && {
        size: Buffer.byteLength(text),
        body: /[^\x20-\x7e\r\n\t]/.test(text) ? "8BITMIME" : "7BIT",
      }),
    });
    io.stdout(`${replyToText(result.finalReply)}\n`);
    for (const { rcpt, reply } of result.rejected)
      io.stderr(`portico: ${rcpt} refused: ${replyToText(reply)}\n`);
    return result.rejected.length === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof SmtpReplyError) {
      for (const { rcpt, reply } of error.rejected)
        io.stderr(`portico: ${rcpt} refused: ${replyToText(reply)}\n`);
      io.stderr(
        `portico: the server refused ${error.stage}: ${replyToText({ code: error.reply.code, lines: error.lines, ...(error.enhanced !== undefined && { enhanced: error.enhanced }) })}\n`,
      );
      return 1;
    }
    if (error instanceof SmtpUnsupportedError) {
      io.stderr(`portico: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await connection.quit();
  }
}

/** `HOST`, `HOST:PORT`, `[IPv6]:PORT`. */
function parseServer(text: string, defaultPort: number): { host: string; port: number } {
  try {
    if (text.startsWith("[")) {
      const close = text.indexOf("]");
      if (close < 0) throw new TypeError(`"${text}" has "[" without "]"`);
      const rest = text.slice(close + 1);
      return {
        host: text.slice(1, close),
        port: rest === "" ? defaultPort : parsePort(rest.replace(/^:/, "")),
      };
    }
    const colon = text.lastIndexOf(":");
    if (colon < 0 || text.indexOf(":") !== colon) return { host: text, port: defaultPort };
    return { host: text.slice(0, colon), port: parsePort(text.slice(colon + 1)) };
  } catch (error) {
    throw new UsageError(`Cannot send: --server ${(error as Error).message}`);
  }
}

/** Reads up to the first LF; the rest of the input (from that point) stays readable. */
async function splitFirstLine(
  input: AsyncIterable<Buffer | string>,
): Promise<{ line: string; rest: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let leftover: Buffer = Buffer.alloc(0);
  let ended = false;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    const lf = chunk.indexOf(0x0a);
    if (lf === -1) {
      head.push(chunk);
      continue;
    }
    head.push(chunk.subarray(0, lf));
    leftover = chunk.subarray(lf + 1);
    break;
  }
  const line = Buffer.concat(head).toString("utf8").replace(/\r$/, "");
  async function* rest(): AsyncGenerator<Buffer> {
    if (leftover.length > 0) yield leftover;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    }
  }
  return { line, rest: rest() };
}

/** An RFC 5322 message: header fields, a blank line, the body with CR LF line endings. */
export function buildMessage(options: {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly body: string;
  readonly now: Date;
  readonly host?: string;
}): string {
  const host = options.host ?? hostname();
  const eightBit = /[^\x20-\x7e\r\n\t]/.test(options.body);
  const id = `${options.now.getTime().toString(36)}.${randomBytes(8).toString("hex")}@${host}`;
  const header = [
    `Date: ${rfc5322Date(options.now)}`,
    `From: ${options.from}`,
    `To: ${options.to.join(", ")}`,
    `Subject: ${encodeWord(options.subject)}`,
    `Message-ID: <${id}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Transfer-Encoding: ${eightBit ? "8bit" : "7bit"}`,
  ];
  let body = options.body.replace(/\r?\n/g, "\r\n");
  if (!body.endsWith("\r\n")) body += "\r\n";
  return `${header.join("\r\n")}\r\n\r\n${body}`;
}

export { rfc5322Date };

/** A header text as is when ASCII, else as RFC 2047 encoded-words (B encoding, UTF-8). */
function encodeWord(text: string): string {
  if (!/[^\x20-\x7e]/.test(text)) return text;
  // RFC 2047 §2: an encoded-word is at most 75 characters; split on character boundaries.
  const words: string[] = [];
  let current = "";
  for (const ch of text) {
    if (Buffer.byteLength(current + ch) > 45) {
      words.push(current);
      current = "";
    }
    current += ch;
  }
  if (current !== "") words.push(current);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString("base64")}?=`).join("\r\n ");
}
