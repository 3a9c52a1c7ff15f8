/**
 * Delivery status notifications: the bounce, delay warning or success report an MTA sends to
 * a message's envelope sender. The format is RFC 3464 (a multipart/report of RFC 6522 with
 * report-type delivery-status: a human-readable explanation, the message/delivery-status
 * fields, and the original message or its headers), with the SMTP rules of RFC 3461 §6 and,
 * for internationalised mail, RFC 6533.
 *
 * The field set follows Postfix's bounce daemon (Reporting-MTA, Arrival-Date, a queue id
 * extension field; per recipient Final-Recipient, Original-Recipient when ORCPT was given,
 * Action, Status, Remote-MTA, Diagnostic-Code, Will-Retry-Until for delays), in the order of
 * RFC 3464's grammar (§2.2, §2.3), which Postfix does not keep for Original-Envelope-Id and
 * Original-Recipient.
 */
import { randomHex } from "../../core/random.js";
import { formatReply, isEnhancedStatusCode, type Reply } from "../../core/line/index.js";
import { rfc5322Date } from "../date.js";
import { CrlfNormalizer } from "../store/crlf.js";
import { uniqueBoundary } from "./boundary.js";
import { describeStatus } from "./status.js";
import { decodeUtf8AddrXtext, decodeXtext, encodeUtf8AddrXtext } from "./xtext.js";

/** Which report this is; it sets the Subject, the explanation and what is returned. */
export type DsnKind = "failure" | "delay" | "success";

/** RFC 3464 §2.3.3 action-value. */
export type DsnAction = "failed" | "delayed" | "delivered" | "relayed" | "expanded";

/** A diagnostic that is not an SMTP reply (RFC 3464 §2.3.6), e.g. a local delivery error. */
export interface DsnDiagnostic {
  /** The diagnostic-type, an atom: "x-portico", "x-unix". */
  readonly type: string;
  readonly text: string;
}

/** What happened for one recipient. */
export interface DsnRecipient {
  /** The envelope recipient as the reporting MTA accepted it (RFC 3464 §2.3.2). */
  readonly finalRecipient: string;
  /** The RCPT ORCPT parameter as received, `addr-type;xtext` (RFC 3461 §4.2); shown decoded. */
  readonly originalRecipient?: string;
  readonly action: DsnAction;
  /** RFC 3463 status code, e.g. "5.1.1". */
  readonly status: string;
  /** The host that answered, for the Remote-MTA field (type "dns"). */
  readonly remoteMta?: string;
  /**
   * The remote server's reply (every line is quoted, as RFC 3461 §9.2 shows): parsed, or as
   * text with one reply line per line (`"550-5.1.1 No such user\n550 5.1.1 Bye"`); or another
   * kind of diagnostic. RFC 3461 §6.3(i) requires the reply for a failed relay attempt.
   */
  readonly diagnosticCode?: Reply | string | DsnDiagnostic;
  /** The command the reply answered ("RCPT TO", "end of DATA"), for the explanation. */
  readonly inReplyTo?: string;
  readonly lastAttemptDate?: Date;
  readonly finalLogId?: string;
  /** Only with action "delayed" (RFC 3464 §2.3.9). */
  readonly willRetryUntil?: Date;
}

/** Everything a DSN says. */
export interface DsnInput {
  /** This MTA's host name (Reporting-MTA, From: MAILER-DAEMON@…, Message-ID). */
  readonly reportingMta: string;
  /** The original envelope sender: the DSN goes to it. Never "" (no DSN about a DSN). */
  readonly sender: string;
  readonly kind: DsnKind;
  readonly recipients: readonly DsnRecipient[];
  /**
   * The original message, CRLF or LF line ends. It may be only the start of a larger one:
   * then `originalSize` is the whole size and only headers are returned. Reading the first
   * `returnLimit + 1` bytes is always enough.
   */
  readonly original: Buffer;
  readonly originalSize?: number;
  /** When the message arrived at this MTA (Arrival-Date). */
  readonly arrivalDate: Date;
  /** The MAIL ENVID parameter as received (xtext); shown decoded (RFC 3461 §6.3(a)). */
  readonly envid?: string;
  /** MAIL RET: HDRS returns headers only; FULL or unspecified the message (failures only). */
  readonly ret?: "FULL" | "HDRS";
  /** The message came with SMTPUTF8 (RFC 6531): the report uses RFC 6533's global types. */
  readonly smtputf8?: boolean;
  /** Who handed the message to us (Received-From-MTA: the HELO name, the address as comment). */
  readonly receivedFrom?: { readonly helo: string; readonly address?: string };
  /** Our queue id, as the X-Portico-Queue-ID extension field (RFC 3464 §2.4 (c)). */
  readonly queueId?: string;
  /** The DSN's Date (default: now). */
  readonly date?: Date;
  /** The DSN's Message-ID, with angle brackets (default: generated). */
  readonly messageId?: string;
  /** Whom the explanation tells the sender to write to (default postmaster@reportingMta). */
  readonly postmaster?: string;
  /** Largest original returned whole (default DSN_RETURN_LIMIT); larger: headers only. */
  readonly returnLimit?: number;
  /** Dates in UTC rather than local time. */
  readonly utc?: boolean;
}

/** A built DSN and how to send it. */
export interface Dsn {
  /** The whole RFC 5322 message, CRLF line ends. */
  readonly message: Buffer;
  /**
   * The envelope: the null reverse-path (RFC 3461 §6.1, RFC 5321 §4.5.5) to the original
   * sender, with BODY=8BITMIME when the content has 8-bit octets and SMTPUTF8 when the report
   * is internationalised (RFC 6533 §6).
   */
  readonly envelope: {
    readonly from: "";
    readonly to: string;
    readonly body: "7BIT" | "8BITMIME";
    readonly smtputf8: boolean;
  };
  readonly messageId: string;
  /** Whether the original message went back whole or only its header section. */
  readonly returned: "message" | "headers";
}

/**
 * RFC 3461 §6.2 lets an MTA return only the headers "if the length of the message is greater
 * than some implementation-specified length". 100 KiB returns most text mail whole while a
 * bounce storm cannot send back large attachments (Postfix returns 50 000 bytes, Exim 100 KiB).
 */
export const DSN_RETURN_LIMIT = 100 * 1024;

/** Longest text taken from one diagnostic line: RFC 5322 §2.1.1 caps lines at 998 octets. */
const MAX_TEXT = 900;
/** RFC 5322 §2.1.1: lines SHOULD be no longer than 78 characters. */
const FOLD_WIDTH = 78;

const ACTIONS: readonly string[] = ["failed", "delayed", "delivered", "relayed", "expanded"];
const SUBJECTS: Readonly<Record<DsnKind, string>> = {
  failure: "Undelivered Mail Returned to Sender",
  delay: "Delayed Mail (still being retried)",
  success: "Successful Mail Delivery Report",
};

/** Builds a DSN; see {@link composeDsn} for the envelope to send it with. */
export function buildDsn(input: DsnInput): Buffer {
  return composeDsn(input).message;
}

/**
 * Builds a DSN (RFC 3464) and the envelope to send it with. Misuse (an empty sender, no
 * recipients, a malformed status code, Will-Retry-Until on a recipient that is not delayed)
 * throws TypeError or RangeError.
 */
export function composeDsn(input: DsnInput): Dsn {
  validate(input);
  const international =
    input.smtputf8 === true ||
    !isAscii(input.sender) ||
    input.recipients.some((r) => !isAscii(r.finalRecipient));
  const date = input.date ?? new Date();
  const dateOptions = { utc: input.utc ?? false };
  const messageId = input.messageId ?? newMessageId(date, input.reportingMta);

  const returned = returnedContent(input);
  const text = explanation(input, returned.why, dateOptions);
  const status = deliveryStatus(input, international, dateOptions);

  // Part types: RFC 3464 §2.1 and RFC 6522 for ASCII mail; RFC 6533 §6.1-6.3 when the report
  // or the message may hold UTF-8 in header fields.
  const textIs8bit = !isAscii(text);
  const statusIs8bit = !isAscii(status);
  const returnedIs8bit = has8bit(returned.content);
  const returnedType =
    returned.why === "full"
      ? international
        ? "message/global"
        : "message/rfc822"
      : international
        ? "message/global-headers"
        : "text/rfc822-headers";
  const undelivered = input.kind === "success" ? "" : "Undelivered ";
  const parts: { headers: string[]; body: Buffer }[] = [
    {
      headers: [
        "Content-Description: Notification",
        `Content-Type: text/plain; charset=${textIs8bit ? "utf-8" : "us-ascii"}`,
        ...(textIs8bit ? ["Content-Transfer-Encoding: 8bit"] : []),
      ],
      body: Buffer.from(text, "utf8"),
    },
    {
      headers: [
        "Content-Description: Delivery report",
        `Content-Type: ${international ? "message/global-delivery-status" : "message/delivery-status"}`,
        ...(statusIs8bit ? ["Content-Transfer-Encoding: 8bit"] : []),
      ],
      body: Buffer.from(status, "utf8"),
    },
    {
      headers: [
        `Content-Description: ${undelivered}${returned.why === "full" ? "Message" : "Message Headers"}`,
        `Content-Type: ${returnedType}`,
        ...(returnedIs8bit ? ["Content-Transfer-Encoding: 8bit"] : []),
      ],
      body: returned.content,
    },
  ];
  const boundary = uniqueBoundary(parts.map((p) => p.body));
  const any8bit = textIs8bit || statusIs8bit || returnedIs8bit;

  const head = [
    `Date: ${rfc5322Date(date, dateOptions)}`,
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `Subject: ${SUBJECTS[input.kind]}`,
    fold(`To: ${clean(input.sender, international)}`),
    // RFC 3834 §5: a report generated automatically in reply to a message.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    ...(any8bit ? ["Content-Transfer-Encoding: 8bit"] : []),
    fold(`Message-ID: ${messageId}`),
  ];
  const chunks: Buffer[] = [
    Buffer.from(`${head.join("\r\n")}\r\n\r\nThis is a MIME-encapsulated message.\r\n`),
  ];
  for (const part of parts) {
    // RFC 2046 §5.1.1: the CRLF before "--" belongs to the delimiter, not to the part.
    chunks.push(Buffer.from(`\r\n--${boundary}\r\n${part.headers.join("\r\n")}\r\n\r\n`), part.body);
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    message: Buffer.concat(chunks),
    envelope: { from: "", to: input.sender, body: any8bit ? "8BITMIME" : "7BIT", smtputf8: international },
    messageId,
    returned: returned.why === "full" ? "message" : "headers",
  };
}

function validate(input: DsnInput): void {
  if (input.sender === "") {
    throw new RangeError(
      "Cannot build a DSN: the sender is the null reverse-path (a DSN is never sent about a DSN)",
    );
  }
  if (input.reportingMta === "" || hasControl(input.reportingMta) || /\s/.test(input.reportingMta)) {
    throw new TypeError(
      `Cannot build a DSN: reporting MTA ${JSON.stringify(input.reportingMta)} is not a host name`,
    );
  }
  if (input.recipients.length === 0) throw new RangeError("Cannot build a DSN: no recipients");
  if (input.returnLimit !== undefined && !(input.returnLimit >= 0)) {
    throw new RangeError(`Cannot build a DSN: returnLimit ${input.returnLimit} is not a size`);
  }
  for (const r of input.recipients) {
    if (!ACTIONS.includes(r.action)) throw new RangeError(`Cannot build a DSN: unknown action "${r.action}"`);
    if (!isEnhancedStatusCode(r.status)) {
      throw new RangeError(`Cannot build a DSN: "${r.status}" is not an RFC 3463 status code`);
    }
    if (r.willRetryUntil !== undefined && r.action !== "delayed") {
      throw new RangeError(
        "Cannot build a DSN: Will-Retry-Until is only for delayed recipients (RFC 3464 §2.3.9)",
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// The original message

type ReturnReason = "full" | "hdrs" | "not-failure" | "too-large" | "binary";

/**
 * What goes back (RFC 3461 §6.2): the whole message for a failure unless RET=HDRS, it is over
 * the limit, or it cannot be carried in a message/rfc822 part (NUL, bare CR, a line over 998
 * octets: BINARYMIME content); otherwise, and always for delay and success reports ("only the
 * headers"), the header section.
 */
function returnedContent(input: DsnInput): { content: Buffer; why: ReturnReason } {
  const content = new CrlfNormalizer().push(input.original);
  const size = input.originalSize ?? input.original.length;
  const partial = size > input.original.length;
  const limit = input.returnLimit ?? DSN_RETURN_LIMIT;
  let why: ReturnReason = "full";
  if (input.kind !== "failure") why = "not-failure";
  else if (input.ret === "HDRS") why = "hdrs";
  else if (size > limit || partial) why = "too-large";
  else if (isBinary(content)) why = "binary";
  return { content: why === "full" ? content : lineSafe(headerSection(content, partial)), why };
}

/** The header section with its last CRLF, without the blank line (RFC 5322 §2.1). */
function headerSection(message: Buffer, partial: boolean): Buffer {
  if (message.length >= 2 && message[0] === 0x0d && message[1] === 0x0a) return message.subarray(0, 0);
  const end = message.indexOf("\r\n\r\n");
  if (end >= 0) return message.subarray(0, end + 2);
  if (!partial) return message;
  // Only the start of the message is at hand: keep whole lines.
  const last = message.lastIndexOf("\r\n");
  return message.subarray(0, last < 0 ? 0 : last + 2);
}

/**
 * The header section as a text part can carry it: a NUL becomes "?", a bare CR a space, and
 * a line over 998 octets is cut there (RFC 5322 §2.1.1). Mail that came over SMTP has none of
 * these, so this nearly always returns `headers` itself.
 */
function lineSafe(headers: Buffer): Buffer {
  if (!isBinary(headers)) return headers;
  const lines: Buffer[] = [];
  let from = 0;
  while (from < headers.length) {
    const crlf = headers.indexOf("\r\n", from);
    const end = crlf < 0 ? headers.length : crlf;
    const line = Buffer.from(headers.subarray(from, Math.min(end, from + 998)));
    for (let i = 0; i < line.length; i++) {
      if (line[i] === 0) line[i] = 0x3f;
      else if (line[i] === 0x0d) line[i] = 0x20;
    }
    lines.push(line, Buffer.from(crlf < 0 ? "" : "\r\n"));
    from = crlf < 0 ? headers.length : crlf + 2;
  }
  return Buffer.concat(lines);
}

function isBinary(content: Buffer): boolean {
  if (content.includes(0)) return true;
  let lineStart = 0;
  for (let cr = content.indexOf(0x0d); cr >= 0; cr = content.indexOf(0x0d, cr + 1)) {
    if (content[cr + 1] !== 0x0a) return true;
    if (cr - lineStart > 998) return true;
    lineStart = cr + 2;
  }
  return content.length - lineStart > 998;
}

function has8bit(content: Buffer): boolean {
  for (const c of content) if (c >= 0x80) return true;
  return false;
}

// ---------------------------------------------------------------------------------------
// The human-readable part

function explanation(input: DsnInput, why: ReturnReason, dateOptions: { utc: boolean }): string {
  const postmaster = clean(input.postmaster ?? `postmaster@${input.reportingMta}`, true);
  const out: string[] = [`This is the mail system at host ${input.reportingMta}.`, ""];
  const attached =
    why === "full"
      ? "It is attached at the end of this report."
      : why === "too-large"
        ? `Its headers are attached at the end of this report; at ${input.originalSize ?? input.original.length} ` +
          "bytes it is too large to be returned whole."
        : why === "binary"
          ? "Its headers are attached at the end of this report; its binary content cannot be returned."
          : "Its headers are attached at the end of this report.";
  switch (input.kind) {
    case "failure":
      out.push(
        ...wrap(
          `Your message could not be delivered to one or more of its recipients; the details follow. ${attached}`,
        ),
        "",
        ...wrap(`If you need help, write to <${postmaster}> and include this report.`),
      );
      break;
    case "delay": {
      const until = input.recipients
        .map((r) => r.willRetryUntil)
        .filter((d): d is Date => d !== undefined)
        .sort((a, b) => b.getTime() - a.getTime())[0];
      out.push(
        "THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE.",
        "",
        ...wrap(
          `Your message of ${rfc5322Date(input.arrivalDate, dateOptions)} could not be delivered yet to one or ` +
            "more recipients. The mail system will keep trying" +
            (until === undefined ? "." : ` until ${rfc5322Date(until, dateOptions)}.`) +
            ` ${attached}`,
        ),
      );
      break;
    }
    case "success":
      out.push(...wrap(`Your message was delivered to the recipients below, as you asked. ${attached}`));
      break;
  }
  out.push("", "                   The mail system");
  for (const r of input.recipients) out.push("", ...recipientExplanation(r));
  return `${out.map((line) => sanitize(line, true)).join("\r\n")}\r\n`;
}

/** `<rcpt>: host mx said:` and the reply quoted line by line, or what else is known. */
function recipientExplanation(r: DsnRecipient): string[] {
  const who = `<${clean(r.finalRecipient, true)}>`;
  const host = r.remoteMta === undefined ? undefined : clean(r.remoteMta, true);
  const d = r.diagnosticCode;
  if (d !== undefined && (typeof d === "string" || "lines" in d)) {
    const lines = [
      ...wrap(`${who}: host ${host ?? "(unknown)"} said:`, 4),
      ...replyLines(d).map((l) => `    ${l}`),
    ];
    if (r.inReplyTo !== undefined) lines.push(`    (in reply to the ${clean(r.inReplyTo, true)} command)`);
    return lines;
  }
  const what =
    r.action === "delivered"
      ? "delivered"
      : r.action === "relayed"
        ? `relayed${host === undefined ? "" : ` to ${host}`}, no further notice will follow`
        : r.action === "expanded"
          ? "delivered and forwarded to further recipients"
          : d !== undefined
            ? clean(d.text, true)
            : r.action === "delayed"
              ? "delivery delayed"
              : "delivery failed";
  return wrap(`${who}: ${what} (${r.status}: ${describeStatus(r.status)})`, 4);
}

/** The reply as the server sent it, one entry per line, enhanced code on each (RFC 2034 §4). */
function replyLines(reply: Reply | string): string[] {
  if (typeof reply === "string") {
    const lines = reply.split(/\r?\n/).map((line) => clean(line, true).trimEnd());
    while (lines.length > 1 && lines.at(-1) === "") lines.pop();
    return lines;
  }
  // Controls become "?" first: a CR or LF in the text must not start a line of its own.
  const lines = reply.lines.map((line) => clean(line, true));
  return formatReply(reply.code, lines, reply.enhanced)
    .split("\r\n")
    .slice(0, -1)
    .map((line) => line.trimEnd());
}

/** Cuts text to MAX_TEXT octets of UTF-8 (whole characters), marking the cut. */
function truncate(text: string): string {
  if (text.length * 3 <= MAX_TEXT || Buffer.byteLength(text) <= MAX_TEXT) return text;
  let octets = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (octets + size > MAX_TEXT) break;
    octets += size;
    end += ch.length;
  }
  return `${text.slice(0, end)} [...]`;
}

/** Word-wraps `text` at 72 columns; lines after the first indented by `indent`. */
function wrap(text: string, indent = 0): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > 72) {
      out.push(line);
      line = " ".repeat(indent) + word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  out.push(line);
  return out;
}

// ---------------------------------------------------------------------------------------
// The message/delivery-status part

function deliveryStatus(input: DsnInput, international: boolean, dateOptions: { utc: boolean }): string {
  const fields: string[] = [];
  // RFC 3464 §2.2 per-message-fields, in the grammar's order.
  if (input.envid !== undefined) fields.push(`Original-Envelope-Id: ${envelopeId(input.envid)}`);
  fields.push(`Reporting-MTA: dns; ${input.reportingMta}`);
  if (input.receivedFrom !== undefined) {
    const { helo, address } = input.receivedFrom;
    const comment = address === undefined ? "" : ` (${clean(address, false).replace(/[()\\]/g, "?")})`;
    fields.push(`Received-From-MTA: dns; ${clean(helo, international).replace(/[()\\]/g, "?")}${comment}`);
  }
  fields.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate, dateOptions)}`);
  if (input.queueId !== undefined) fields.push(`X-Portico-Queue-ID: ${clean(input.queueId, false)}`);

  let out = block(fields);
  for (const r of input.recipients) {
    // RFC 3464 §2.3 per-recipient-fields, in the grammar's order.
    const f: string[] = [];
    if (r.originalRecipient !== undefined) {
      f.push(`Original-Recipient: ${originalRecipient(r.originalRecipient, international)}`);
    }
    const type = isAscii(r.finalRecipient) ? "rfc822" : "utf-8";
    f.push(`Final-Recipient: ${type}; ${clean(r.finalRecipient, international)}`);
    f.push(`Action: ${r.action}`, `Status: ${r.status}`);
    if (r.remoteMta !== undefined) f.push(`Remote-MTA: dns; ${clean(r.remoteMta, international)}`);
    const d = r.diagnosticCode;
    if (d !== undefined) {
      // RFC 3461 §9.2: each line after the first of a multi-line reply begins with a space,
      // which is a folding point, so a reader unfolds the reply to one line.
      const text =
        typeof d === "string" || "lines" in d
          ? `smtp; ${replyLines(d)
              .map((line) => clean(line, international))
              .join("\r\n ")}`
          : `${clean(d.type, false).replace(/[\s;]/g, "-")}; ${clean(d.text, international)}`;
      f.push(`Diagnostic-Code: ${text}`);
    }
    if (r.lastAttemptDate !== undefined)
      f.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptDate, dateOptions)}`);
    if (r.finalLogId !== undefined) f.push(`Final-Log-ID: ${clean(r.finalLogId, international)}`);
    if (r.willRetryUntil !== undefined)
      f.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil, dateOptions)}`);
    out += `\r\n${block(f)}`;
  }
  return out;
}

function block(fields: readonly string[]): string {
  return fields
    .map(
      (field) =>
        `${field
          .split("\r\n")
          .map((line, i) => fold(line, i === 0))
          .join("\r\n")}\r\n`,
    )
    .join("");
}

/** RFC 3461 §6.3(a): the ENVID decoded from xtext; left encoded if that is not printable ASCII. */
function envelopeId(envid: string): string {
  try {
    const decoded = decodeXtext(envid);
    if (isPrintableAscii(decoded)) return clean(decoded, false);
  } catch {
    // Not xtext after all: shown as received, made safe.
  }
  return clean(envid, false);
}

/**
 * RFC 3461 §6.3(d): the ORCPT value, xtext-decoded. For RFC 6533's `utf-8` type the decoded
 * text is itself utf-8-addr-xtext/unitext: a global report shows the address, an ASCII one its
 * 7-bit utf-8-addr-xtext form. A value that cannot be shown as it is stays xtext.
 */
function originalRecipient(orcpt: string, international: boolean): string {
  const semi = orcpt.indexOf(";");
  const type = semi < 0 ? "rfc822" : clean(orcpt.slice(0, semi).trim(), false);
  const xtext = (semi < 0 ? orcpt : orcpt.slice(semi + 1)).trim();
  let value: string;
  try {
    value = decodeXtext(xtext);
  } catch {
    return `${type}; ${clean(xtext, false)}`;
  }
  if (type.toLowerCase() === "utf-8") {
    try {
      const address = decodeUtf8AddrXtext(value);
      if (!hasControl(address)) {
        return `utf-8; ${clean(international ? address : encodeUtf8AddrXtext(address), international)}`;
      }
    } catch {
      // Fall through: shown as xtext.
    }
    return `${type}; ${clean(xtext, false)}`;
  }
  const printable = international ? !hasControl(value) : isPrintableAscii(value);
  return `${type}; ${clean(printable ? value : xtext, international)}`;
}

// ---------------------------------------------------------------------------------------
// Shared pieces

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** C0 controls and DEL. */
function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

/** Text from the caller or a remote server, made safe and short enough for one line. */
function clean(text: string, utf8: boolean): string {
  return truncate(sanitize(text, utf8));
}

/**
 * Makes text safe for a header field or a line of the report: a tab becomes a space, other
 * controls (CR and LF above all, RFC 3464 §2.3.2) "?", and so does non-ASCII unless UTF-8 is
 * allowed here.
 */
function sanitize(text: string, utf8: boolean): string {
  const unsafe = (c: number): boolean => isControl(c) || (!utf8 && c > 0x7e);
  let i = 0;
  while (i < text.length && !unsafe(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (const ch of text.slice(i)) {
    const c = ch.codePointAt(0)!;
    out += c === 0x09 ? " " : unsafe(c) ? "?" : ch;
  }
  return out;
}

/**
 * Folds a header line at whitespace so that no line is longer than 78 characters where a
 * space allows it (RFC 5322 §2.2.3): the CRLF goes before the space, which begins the next
 * line. A word longer than the width stays whole.
 */
function fold(line: string, first = true): string {
  if (line.length <= FOLD_WIDTH) return line;
  let out = "";
  let rest = line;
  // The value begins after "Name: "; a continuation line after its leading blank.
  let from = first ? line.indexOf(":") + 2 : 1;
  while (rest.length > FOLD_WIDTH) {
    // A fold must leave something other than blanks before it (RFC 5322 §3.2.2).
    let lowest = from;
    while (lowest < rest.length && rest.charCodeAt(lowest) === 0x20) lowest++;
    lowest++;
    let at = rest.lastIndexOf(" ", FOLD_WIDTH);
    if (at < lowest) at = rest.indexOf(" ", lowest);
    if (at < 0) break;
    out += `${rest.slice(0, at)}\r\n`;
    rest = rest.slice(at);
    from = 1;
  }
  return out + rest;
}

function newMessageId(date: Date, host: string): string {
  const stamp = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `<${stamp}.${randomHex(8)}@${host}>`;
}
