/**
 * The grammar of every command the server knows (RFC 3501 §6, §9 and the extensions it
 * announces), turning a {@link RawCommand} into a typed {@link Command}. A syntax error
 * becomes `{ kind: "bad" }` with the tag when one could be read, so the session can answer
 * a tagged BAD, or an untagged one when not (RFC 3501 §7.1.3).
 */
import { decodeMutf7 } from "../mail/store/mutf7.js";
import { parseFetchItems, type FetchItem } from "./fetch.js";
import { Cursor, ImapSyntaxError, type RawCommand, type SequenceSet } from "./parser.js";
import { parseSearch, type SearchProgram } from "./search.js";

/** LIST's selection and return options (RFC 5258 §3, RFC 6154 §3, RFC 5819). */
export interface ListOptions {
  /** LIST-EXTENDED syntax was used (options or several patterns): answer with its rules. */
  readonly extended: boolean;
  readonly subscribed: boolean;
  readonly recursiveMatch: boolean;
  readonly specialUseOnly: boolean;
  readonly returnSubscribed: boolean;
  readonly returnChildren: boolean;
  readonly returnSpecialUse: boolean;
  /** RFC 5819 LIST-STATUS: STATUS items for each selectable mailbox listed. */
  readonly returnStatus: readonly StatusItem[] | undefined;
}

/** STATUS items (RFC 3501 §6.3.10, RFC 8438 SIZE, RFC 9051 DELETED). */
export type StatusItem = "MESSAGES" | "RECENT" | "UIDNEXT" | "UIDVALIDITY" | "UNSEEN" | "SIZE" | "DELETED";
const STATUS_ITEMS = new Set<string>([
  "MESSAGES",
  "RECENT",
  "UIDNEXT",
  "UIDVALIDITY",
  "UNSEEN",
  "SIZE",
  "DELETED",
]);

/** A mailbox name as a client sent it, and as the store names it (Unicode). */
export interface MailboxName {
  /** The Unicode name, or undefined when the wire form is not valid modified UTF-7. */
  readonly name: string | undefined;
  /** The name as sent (for error messages and responses). */
  readonly wire: string;
}

/** A parsed command. `uid` marks the UID variants (RFC 3501 §6.4.8). */
export type Command = { readonly tag: string } & (
  | {
      readonly name:
        "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS" | "CHECK" | "CLOSE" | "UNSELECT" | "IDLE" | "NAMESPACE";
    }
  | { readonly name: "EXPUNGE"; readonly uids: SequenceSet | undefined }
  | { readonly name: "LOGIN"; readonly user: Buffer; readonly password: Buffer }
  | { readonly name: "AUTHENTICATE"; readonly mechanism: string; readonly initial: string | undefined }
  | { readonly name: "SELECT" | "EXAMINE"; readonly mailbox: MailboxName }
  | { readonly name: "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"; readonly mailbox: MailboxName }
  | { readonly name: "RENAME"; readonly from: MailboxName; readonly to: MailboxName }
  | {
      readonly name: "LIST";
      readonly reference: string;
      readonly patterns: readonly string[];
      readonly options: ListOptions;
    }
  | { readonly name: "LSUB"; readonly reference: string; readonly pattern: string }
  | { readonly name: "STATUS"; readonly mailbox: MailboxName; readonly items: readonly StatusItem[] }
  | {
      readonly name: "APPEND";
      readonly mailbox: MailboxName;
      readonly flags: readonly string[];
      readonly date: Date | undefined;
    }
  | { readonly name: "SEARCH"; readonly uid: boolean; readonly program: SearchProgram }
  | {
      readonly name: "FETCH";
      readonly uid: boolean;
      readonly set: SequenceSet;
      readonly items: readonly FetchItem[];
    }
  | {
      readonly name: "STORE";
      readonly uid: boolean;
      readonly set: SequenceSet;
      readonly mode: "set" | "add" | "remove";
      readonly silent: boolean;
      readonly flags: readonly string[];
    }
  | {
      readonly name: "COPY" | "MOVE";
      readonly uid: boolean;
      readonly set: SequenceSet;
      readonly mailbox: MailboxName;
    }
  | { readonly name: "ENABLE"; readonly capabilities: readonly string[] }
  | { readonly name: "ID"; readonly params: ReadonlyMap<string, string | null> | null }
);

/** What parseCommand() gives: a command, or why it is not one. */
export type ParseResult =
  | { readonly kind: "command"; readonly command: Command }
  | { readonly kind: "bad"; readonly tag: string | undefined; readonly text: string }
  /** The verb is not one the server knows (still a tagged BAD, but logged differently). */
  | { readonly kind: "unknown"; readonly tag: string; readonly verb: string };

const NO_ARGS = new Set([
  "CAPABILITY",
  "NOOP",
  "LOGOUT",
  "STARTTLS",
  "CHECK",
  "CLOSE",
  "UNSELECT",
  "IDLE",
  "NAMESPACE",
]);

/** Parses one command (RFC 3501 §9 `command`). */
export function parseCommand(raw: RawCommand): ParseResult {
  const cursor = new Cursor(raw);
  let tag: string | undefined;
  try {
    tag = cursor.tag();
    cursor.sp();
  } catch {
    return { kind: "bad", tag: undefined, text: "Error in IMAP command: no valid tag" };
  }
  let verb: string;
  try {
    verb = cursor.atom("a command").toUpperCase();
  } catch {
    return { kind: "bad", tag, text: "Error in IMAP command: no command name" };
  }
  try {
    let uid = false;
    if (verb === "UID") {
      cursor.sp();
      verb = cursor.atom("a command").toUpperCase();
      uid = true;
      if (!["FETCH", "SEARCH", "STORE", "COPY", "MOVE", "EXPUNGE"].includes(verb)) {
        return { kind: "bad", tag, text: `Error in IMAP command UID: unknown command UID ${verb}` };
      }
    }
    const command = parseArguments(cursor, tag, verb, uid);
    if (command === undefined) return { kind: "unknown", tag, verb };
    cursor.end();
    return { kind: "command", command };
  } catch (error) {
    if (error instanceof ImapSyntaxError) {
      return { kind: "bad", tag, text: `Error in IMAP command ${verb}: ${error.message}` };
    }
    throw error;
  }
}

function parseArguments(c: Cursor, tag: string, verb: string, uid: boolean): Command | undefined {
  if (NO_ARGS.has(verb)) return { tag, name: verb as "NOOP" };
  switch (verb) {
    case "EXPUNGE":
      if (!uid) return { tag, name: "EXPUNGE", uids: undefined };
      c.sp();
      return { tag, name: "EXPUNGE", uids: c.sequenceSet() };
    case "LOGIN": {
      c.sp();
      const user = c.astring("a user name");
      c.sp();
      return { tag, name: "LOGIN", user, password: c.astring("a password") };
    }
    case "AUTHENTICATE": {
      c.sp();
      const mechanism = c.atom("a SASL mechanism").toUpperCase();
      let initial: string | undefined;
      // RFC 4959 §3: the initial response is base64, or "=" for an empty one.
      if (c.accept(0x20)) initial = c.atom("an initial response");
      return { tag, name: "AUTHENTICATE", mechanism, initial };
    }
    case "SELECT":
    case "EXAMINE": {
      c.sp();
      const mailbox = mailboxName(c);
      if (c.accept(0x20)) {
        // RFC 4466 select-params: we announce none (no CONDSTORE, QRESYNC), so any is unknown.
        c.list(() => {
          throw new ImapSyntaxError(`unknown ${verb} parameter ${c.atom()}`);
        });
      }
      return { tag, name: verb, mailbox };
    }
    case "CREATE": {
      c.sp();
      const mailbox = mailboxName(c);
      if (c.accept(0x20)) {
        c.list(() => {
          throw new ImapSyntaxError(`unknown CREATE parameter ${c.atom()}`);
        });
      }
      return { tag, name: "CREATE", mailbox };
    }
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      c.sp();
      return { tag, name: verb, mailbox: mailboxName(c) };
    case "RENAME": {
      c.sp();
      const from = mailboxName(c);
      c.sp();
      return { tag, name: "RENAME", from, to: mailboxName(c) };
    }
    case "LIST":
      return parseList(c, tag);
    case "LSUB": {
      c.sp();
      const reference = mailboxText(c.astring("a reference name"));
      c.sp();
      return { tag, name: "LSUB", reference, pattern: mailboxText(c.listMailbox()) };
    }
    case "STATUS": {
      c.sp();
      const mailbox = mailboxName(c);
      c.sp();
      return { tag, name: "STATUS", mailbox, items: statusItems(c) };
    }
    case "APPEND":
      return parseAppendHead(c, tag);
    case "SEARCH":
      c.sp();
      return { tag, name: "SEARCH", uid, program: parseSearch(c) };
    case "FETCH": {
      c.sp();
      const set = c.sequenceSet();
      c.sp();
      return { tag, name: "FETCH", uid, set, items: parseFetchItems(c) };
    }
    case "STORE":
      return parseStore(c, tag, uid);
    case "COPY":
    case "MOVE": {
      c.sp();
      const set = c.sequenceSet();
      c.sp();
      return { tag, name: verb, uid, set, mailbox: mailboxName(c) };
    }
    case "ENABLE": {
      const capabilities: string[] = [];
      do {
        c.sp();
        capabilities.push(c.atom("a capability").toUpperCase());
      } while (!c.atEnd());
      return { tag, name: "ENABLE", capabilities };
    }
    case "ID":
      c.sp();
      return { tag, name: "ID", params: parseId(c) };
    default:
      return undefined;
  }
}

/** mailbox = "INBOX" / astring, in modified UTF-7 (RFC 3501 §5.1.3). */
function mailboxName(c: Cursor): MailboxName {
  const bytes = c.astring("a mailbox name");
  const wire = bytes.toString("utf8");
  return { name: decodeMailbox(wire), wire };
}

/**
 * The Unicode name of a wire name: modified UTF-7 decoded. A name holding 8-bit octets was
 * sent as UTF-8 by a client that does not know better; it is taken as it is.
 */
export function decodeMailbox(wire: string): string | undefined {
  let eightBit = false;
  for (let i = 0; i < wire.length; i++) {
    const c = wire.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
    if (c > 0x7e) eightBit = true;
  }
  if (eightBit) return wire;
  try {
    return decodeMutf7(wire);
  } catch {
    return undefined;
  }
}

/** A reference or pattern, decoded like a name but kept as sent when it is not valid mUTF-7. */
function mailboxText(bytes: Buffer): string {
  const wire = bytes.toString("utf8");
  return decodeMailbox(wire) ?? wire;
}

function statusItems(c: Cursor): StatusItem[] {
  const items: StatusItem[] = [];
  c.list(() => {
    const item = c.atom("a STATUS item").toUpperCase();
    if (!STATUS_ITEMS.has(item)) throw new ImapSyntaxError(`unknown STATUS item ${item}`);
    items.push(item as StatusItem);
  }, false);
  return items;
}

/**
 * LIST, basic (RFC 3501 §6.3.8) or extended (RFC 5258 §3):
 *   list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
 */
function parseList(c: Cursor, tag: string): Command {
  let extended = false;
  const select = new Set<string>();
  c.sp();
  if (c.peek() === 0x28) {
    extended = true;
    c.list(() => {
      const option = c.atom("a selection option").toUpperCase();
      if (!["SUBSCRIBED", "RECURSIVEMATCH", "SPECIAL-USE", "REMOTE"].includes(option)) {
        throw new ImapSyntaxError(`unknown LIST selection option ${option}`);
      }
      select.add(option);
    });
    // RFC 5258 §3.1: RECURSIVEMATCH needs another option to modify.
    if (select.has("RECURSIVEMATCH") && !select.has("SUBSCRIBED") && !select.has("SPECIAL-USE")) {
      throw new ImapSyntaxError("RECURSIVEMATCH needs SUBSCRIBED");
    }
    c.sp();
  }
  const reference = mailboxText(c.astring("a reference name"));
  c.sp();
  const patterns: string[] = [];
  if (c.peek() === 0x28) {
    extended = true;
    c.list(() => patterns.push(mailboxText(c.listMailbox())), false);
  } else {
    patterns.push(mailboxText(c.listMailbox()));
  }
  let returnSubscribed = false;
  let returnChildren = false;
  let returnSpecialUse = false;
  let returnStatus: StatusItem[] | undefined;
  if (c.accept(0x20)) {
    extended = true;
    const word = c.atom("RETURN").toUpperCase();
    if (word !== "RETURN") throw new ImapSyntaxError("Expected RETURN");
    c.sp();
    c.list(() => {
      const option = c.atom("a return option").toUpperCase();
      if (option === "SUBSCRIBED") returnSubscribed = true;
      else if (option === "CHILDREN") returnChildren = true;
      else if (option === "SPECIAL-USE") returnSpecialUse = true;
      else if (option === "STATUS") {
        c.sp();
        returnStatus = statusItems(c);
      } else throw new ImapSyntaxError(`unknown LIST return option ${option}`);
    });
  }
  return {
    tag,
    name: "LIST",
    reference,
    patterns,
    options: {
      extended,
      subscribed: select.has("SUBSCRIBED"),
      recursiveMatch: select.has("RECURSIVEMATCH"),
      specialUseOnly: select.has("SPECIAL-USE"),
      returnSubscribed,
      returnChildren,
      returnSpecialUse,
      returnStatus,
    },
  };
}

/**
 * APPEND up to its message literal (RFC 3501 §6.3.11):
 *   append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
 * The server parses this part when the literal is announced, before reading it.
 */
function parseAppendHead(c: Cursor, tag: string): Command {
  c.sp();
  const mailbox = mailboxName(c);
  c.sp();
  let flags: string[] = [];
  let date: Date | undefined;
  if (c.peek() === 0x28) {
    flags = c.flagList();
    for (const flag of flags) {
      if (flag.toLowerCase() === "\\recent") throw new ImapSyntaxError("\\Recent cannot be set");
    }
    c.sp();
  }
  if (c.peek() === 0x22) {
    date = c.dateTime();
    c.sp();
  }
  if (!c.atLiteral()) throw new ImapSyntaxError("Expected the message as a literal");
  return { tag, name: "APPEND", mailbox, flags, date };
}

/** The APPEND arguments before the message literal, from the partial command. */
export function parseAppend(
  raw: RawCommand,
): { kind: "ok"; command: Extract<Command, { name: "APPEND" }> } | { kind: "bad"; text: string } {
  const c = new Cursor(raw);
  try {
    const tag = c.tag();
    c.sp();
    c.atom();
    const command = parseAppendHead(c, tag);
    return { kind: "ok", command: command as Extract<Command, { name: "APPEND" }> };
  } catch (error) {
    if (error instanceof ImapSyntaxError)
      return { kind: "bad", text: `Error in IMAP command APPEND: ${error.message}` };
    throw error;
  }
}

/** store = "STORE" SP sequence-set SP store-att-flags (RFC 3501 §6.4.6). */
function parseStore(c: Cursor, tag: string, uid: boolean): Command {
  c.sp();
  const set = c.sequenceSet();
  c.sp();
  const item = c.atom("FLAGS").toUpperCase();
  const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!match) throw new ImapSyntaxError(`unknown STORE item ${item}`);
  const mode = match[1] === "+" ? "add" : match[1] === "-" ? "remove" : "set";
  c.sp();
  let flags: string[];
  if (c.peek() === 0x28) {
    flags = c.flagList();
  } else {
    flags = [c.flag()];
    while (c.accept(0x20)) flags.push(c.flag());
  }
  return { tag, name: "STORE", uid, set, mode, silent: match[2] !== undefined, flags };
}

/** RFC 2971 §4: id-params-list = "(" *(string SP nstring) ")" / nil. */
function parseId(c: Cursor): Map<string, string | null> | null {
  if (c.peek() !== 0x28) {
    const word = c.atom("NIL or a list").toUpperCase();
    if (word !== "NIL") throw new ImapSyntaxError("Expected NIL or a list");
    return null;
  }
  const params = new Map<string, string | null>();
  c.list(() => {
    const key = c.string("a field name").toString("utf8");
    c.sp();
    const value = c.nstring();
    if (params.size < 30)
      params.set(key.slice(0, 30), value === null ? null : value.toString("utf8").slice(0, 1024));
  });
  return params;
}
