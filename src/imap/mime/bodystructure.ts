/**
 * IMAP ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) from a message's MIME structure.
 * Values are the header data as stored (RFC 2047 encoded words are not decoded), with the
 * defaults RFC 2045 §5.2 and §6.1 give, and Dovecot's conventions where the RFC leaves a
 * choice, so clients see what they see from Dovecot.
 */
import { Joined, type Wire } from "../response.js";
import { parseAddressList, type EnvelopeAddress } from "./address.js";
import { firstField, unfold, type HeaderField } from "./header.js";
import { parseMimeValue, type MimeParam } from "./rfc822.js";
import type { MimePart } from "./structure.js";

/** A header value as an nstring: NIL when the field is absent. */
function rawValue(fields: readonly HeaderField[], key: string): Buffer | null {
  const field = firstField(fields, key);
  return field === undefined ? null : unfold(field.value);
}

/**
 * An ENVELOPE date, message-id or in-reply-to: the value as stored, line ends removed.
 * Leading whitespace goes on a one-line value; of a folded one only the single space after
 * the colon does (Dovecot's reading, which clients have long seen).
 */
function envelopeValue(fields: readonly HeaderField[], key: string): Buffer | null {
  const field = firstField(fields, key);
  if (field === undefined) return null;
  const value = field.value;
  let start = 0;
  if (value.includes(0x0a)) {
    if (value[0] === 0x20 || value[0] === 0x09) start = 1;
  } else {
    while (start < value.length && (value[start] === 0x20 || value[start] === 0x09)) start++;
  }
  const out: number[] = [];
  for (let i = start; i < value.length; i++) if (value[i] !== 0x0d && value[i] !== 0x0a) out.push(value[i]!);
  return Buffer.from(out);
}

/** The ENVELOPE subject: whitespace runs (folding included) as one space, trimmed. */
function subjectValue(fields: readonly HeaderField[]): Buffer | null {
  const field = firstField(fields, "subject");
  if (field === undefined) return null;
  return Buffer.from(
    field.value
      .toString("latin1")
      .replace(/[ \t\r\n]+/g, " ")
      .trim(),
    "latin1",
  );
}

function latin1(text: string | null): Buffer | null {
  return text === null ? null : Buffer.from(text, "latin1");
}

function addressWire(list: readonly EnvelopeAddress[]): Wire {
  if (list.length === 0) return null;
  // RFC 3501 §9: env-from = "(" 1*address ")": the addresses follow each other without spaces.
  return [new Joined(list.map((a) => [latin1(a.name), latin1(a.route), latin1(a.mailbox), latin1(a.host)]))];
}

function addresses(fields: readonly HeaderField[], key: string): Wire {
  const field = firstField(fields, key);
  return field === undefined ? null : addressWire(parseAddressList(field.value));
}

/**
 * ENVELOPE (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id. Sender and Reply-To default to From when absent or empty.
 */
export function envelope(fields: readonly HeaderField[]): Wire {
  const from = addresses(fields, "from");
  const sender = addresses(fields, "sender");
  const replyTo = addresses(fields, "reply-to");
  return [
    envelopeValue(fields, "date"),
    subjectValue(fields),
    from,
    sender ?? from,
    replyTo ?? from,
    addresses(fields, "to"),
    addresses(fields, "cc"),
    addresses(fields, "bcc"),
    envelopeValue(fields, "in-reply-to"),
    envelopeValue(fields, "message-id"),
  ];
}

function paramsWire(params: readonly MimeParam[]): Wire {
  if (params.length === 0) return null;
  const out: Wire[] = [];
  for (const p of params) out.push(Buffer.from(p.name, "latin1"), Buffer.from(p.value, "latin1"));
  return out;
}

/** body-fld-dsp: ("type" params) or NIL (RFC 2183). */
function disposition(fields: readonly HeaderField[]): Wire {
  const field = firstField(fields, "content-disposition");
  if (field === undefined) return null;
  const parsed = parseMimeValue(field.value, false);
  if (parsed === undefined) return null;
  return [Buffer.from(parsed.type, "latin1"), paramsWire(parsed.params)];
}

/** body-fld-lang: the language tags of Content-Language (RFC 3282) as a list, or NIL. */
function language(fields: readonly HeaderField[]): Wire {
  const value = rawValue(fields, "content-language");
  if (value === null) return null;
  const tags = value
    .toString("latin1")
    .replace(/\([^)]*\)/g, "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return tags.length === 0 ? null : tags.map((t) => Buffer.from(t, "latin1"));
}

/** The text/plain a multipart without parts is shown as (Dovecot's choice; RFC 3501 requires 1*body). */
const EMPTY_PART: Wire[] = ["text", "plain", ["charset", "us-ascii"], null, null, "7bit", 0, 0];

/**
 * BODYSTRUCTURE (`extensible`) or BODY of a part, without the outer parentheses' meaning
 * changing: the value is the parenthesised list RFC 3501 §9 `body` describes.
 */
export function bodyStructure(part: MimePart, extensible: boolean): Wire {
  // Outside MIME (no MIME-Version, no Content-Type) the Content-* fields mean nothing.
  const fields = part.mime ? part.fields : [];
  const type = part.contentType;
  if (part.kind === "multipart") {
    const children =
      part.children.length > 0
        ? part.children.map((c) => bodyStructure(c, extensible))
        : [extensible ? [...EMPTY_PART, null, null, null, null] : EMPTY_PART];
    const out: Wire[] = [new Joined(children), Buffer.from(type.subtype, "latin1")];
    if (extensible) {
      out.push(
        paramsWire(type.params),
        disposition(fields),
        language(fields),
        rawValue(fields, "content-location"),
      );
    }
    return out;
  }
  const isText = type.type.toLowerCase() === "text";
  const params =
    isText && !type.params.some((p) => p.name.toLowerCase() === "charset")
      ? [...type.params, { name: "charset", value: "us-ascii" }]
      : type.params;
  const encoding = transferEncoding(fields);
  const out: Wire[] = [
    Buffer.from(type.type, "latin1"),
    Buffer.from(type.subtype, "latin1"),
    paramsWire(params),
    rawValue(fields, "content-id"),
    rawValue(fields, "content-description"),
    Buffer.from(encoding, "latin1"),
    part.bodyEnd - part.bodyStart,
  ];
  if (part.kind === "message") {
    const inner = part.children[0];
    if (inner === undefined) {
      out.push(
        [null, null, null, null, null, null, null, null, null, null],
        extensible ? [...EMPTY_PART, null, null, null, null] : EMPTY_PART,
      );
    } else {
      out.push(envelope(inner.fields), bodyStructure(inner, extensible));
    }
    out.push(part.bodyLines);
  } else if (isText) {
    out.push(part.bodyLines);
  }
  if (extensible) {
    out.push(
      rawValue(fields, "content-md5"),
      disposition(fields),
      language(fields),
      rawValue(fields, "content-location"),
    );
  }
  return out;
}

/** Content-Transfer-Encoding (RFC 2045 §6.1), "7bit" when absent. */
export function transferEncoding(fields: readonly HeaderField[], mime = true): string {
  if (!mime) return "7bit";
  const value = rawValue(fields, "content-transfer-encoding");
  if (value === null) return "7bit";
  const text = value
    .toString("latin1")
    .replace(/\([^)]*\)/g, "")
    .trim();
  return text === "" ? "7bit" : text;
}
