/**
 * Address lists (RFC 5322 §3.4) as IMAP ENVELOPE shows them (RFC 3501 §7.4.2): each
 * mailbox as (name, route, mailbox, host); a group as a start marker (host NIL, mailbox the
 * group name) and an end marker (all NIL). Broken addresses are kept with the parts that
 * are missing filled in as Dovecot does ("MISSING_MAILBOX", "MISSING_DOMAIN"), so a client
 * always gets a well-formed envelope.
 */
import { Rfc822Reader } from "./rfc822.js";

/** One element of an envelope address list; strings are latin1 (one char per octet). */
export interface EnvelopeAddress {
  readonly name: string | null;
  readonly route: string | null;
  readonly mailbox: string | null;
  readonly host: string | null;
}

const MISSING_MAILBOX = "MISSING_MAILBOX";
const MISSING_DOMAIN = "MISSING_DOMAIN";

interface Draft {
  name: string | null;
  route: string | null;
  mailbox: string | null;
  host: string | null;
}

function emptyDraft(): Draft {
  return { name: null, route: null, mailbox: null, host: null };
}

/** Parses an address-list value; an empty list is []. At most `max` entries are read. */
export function parseAddressList(value: Buffer, max = 1000): EnvelopeAddress[] {
  const r = new Rfc822Reader(value);
  const out: EnvelopeAddress[] = [];
  if (!r.skipCfws()) return out;
  while (out.length < max) {
    if (!parseAddress(r, out)) break;
    if (r.peek() !== 0x2c) break;
    r.pos++;
    if (!r.skipCfws()) break;
  }
  return out;
}

/** address = mailbox / group. Returns false at the end of the data. */
function parseAddress(r: Rfc822Reader, out: EnvelopeAddress[]): boolean {
  const start = r.pos;
  const group = parseGroup(r, out);
  if (group !== undefined) return group;
  r.pos = start;
  return parseMailbox(r, out);
}

/** group = display-name ":" [mailbox-list / CFWS] ";" [CFWS]; undefined if it is not a group. */
function parseGroup(r: Rfc822Reader, out: EnvelopeAddress[]): boolean | undefined {
  const name = r.phrase();
  if (name === "" || r.peek() !== 0x3a) return undefined;
  r.pos++;
  let more = r.skipCfws();
  out.push({ name: null, route: null, mailbox: name, host: null });
  if (more && r.peek() !== 0x3b) {
    for (;;) {
      more = parseMailbox(r, out);
      if (!more || r.peek() !== 0x2c) break;
      r.pos++;
      more = r.skipCfws();
      if (!more) break;
    }
  }
  if (r.peek() === 0x3b) {
    r.pos++;
    more = r.skipCfws();
  }
  out.push({ name: null, route: null, mailbox: null, host: null });
  return more && !r.atEnd();
}

/** mailbox = name-addr / addr-spec; always adds one entry. Returns false at the end. */
function parseMailbox(r: Rfc822Reader, out: EnvelopeAddress[]): boolean {
  const start = r.pos;
  const draft = emptyDraft();
  const name = r.phrase();
  if (r.peek() === 0x3c) {
    draft.name = name === "" ? null : name;
    parseAngleAddr(r, draft);
  } else {
    r.pos = start;
    r.lastComment = "";
    parseAddrSpec(r, draft);
    if (r.lastComment !== "") draft.name = r.lastComment;
  }
  out.push({
    name: draft.name,
    route: draft.route,
    mailbox: draft.mailbox ?? MISSING_MAILBOX,
    host: draft.host ?? MISSING_DOMAIN,
  });
  return !r.atEnd();
}

/** angle-addr = "<" [obs-route] addr-spec ">"; obs-route = obs-domain-list ":". */
function parseAngleAddr(r: Rfc822Reader, draft: Draft): void {
  r.pos++;
  r.skipCfws();
  if (r.peek() === 0x40) {
    const route: string[] = [];
    while (r.peek() === 0x40) {
      r.pos++;
      r.skipCfws();
      route.push(`@${r.domain()}`);
      while (r.peek() === 0x2c) {
        r.pos++;
        r.skipCfws();
      }
    }
    draft.route = route.join(",");
    if (r.peek() !== 0x3a) {
      skipPast(r, 0x3e);
      return;
    }
    r.pos++;
    r.skipCfws();
  }
  parseAddrSpec(r, draft);
  if (r.peek() !== 0x3e) {
    skipPast(r, 0x3e);
    return;
  }
  r.pos++;
  r.skipCfws();
}

/** addr-spec = local-part "@" domain. */
function parseAddrSpec(r: Rfc822Reader, draft: Draft): void {
  const local = r.dotAtom();
  if (local !== "") draft.mailbox = local;
  if (r.peek() === 0x40) {
    r.pos++;
    r.skipCfws();
    const domain = r.domain();
    if (domain !== "") draft.host = domain;
  }
}

/** Recovers from a broken construct: skips to after `c`, or to the next ",". */
function skipPast(r: Rfc822Reader, c: number): void {
  while (!r.atEnd() && r.peek() !== c && r.peek() !== 0x2c) r.pos++;
  if (r.peek() === c) r.pos++;
  r.skipCfws();
}
