/**
 * The IMAP server session (RFC 3501 with the extensions of {@link capabilities}) as a
 * state machine over a {@link CommandReader}: bytes go in with push(), step() answers one
 * event at a time into a {@link ResponseSink}, and says when the server must act (start
 * TLS, close). It owns no socket and no timer; it does reach the mail store, which is its
 * job, through the account's {@link MailStore}.
 *
 * States (RFC 3501 §3): not authenticated → authenticated ⇄ selected → logout. Inside a
 * state the session may be idling (RFC 2177), in a SASL exchange (AUTHENTICATE), or
 * receiving an APPEND's message literal.
 *
 * Unsolicited updates (EXISTS, RECENT, EXPUNGE, FETCH FLAGS) of the selected mailbox are
 * reported where RFC 3501 §7.4.1 allows: after any command except FETCH, STORE and SEARCH
 * (their UID forms may), and at once to an idling client.
 */
import { PassThrough } from "node:stream";
import type { LoginOutcome } from "../core/accounts/login.js";
import { MailStoreError } from "../mail/store/errors.js";
import type { Mailbox } from "../mail/store/mailbox.js";
import type { FolderInfo, MailStore } from "../mail/store/store.js";
import { isValidKeyword } from "../mail/store/keywords.js";
import { REDACT_RULES, Redactor, redactSaslResponse, startSasl } from "../core/sasl/index.js";
import type { SaslServerExchange, SaslStep } from "../core/sasl/index.js";
import {
  parseAppend,
  parseCommand,
  type Command,
  type ListOptions,
  type MailboxName,
  type StatusItem,
} from "./commands.js";
import {
  discardFetch,
  isExpunged,
  MessageCache,
  prepareFetch,
  setsSeen,
  writeFetch,
  type PreparedFetch,
  type ResponseSink,
} from "./fetch.js";
import type { ImapLimits } from "./limits.js";
import { Cursor, CommandReader, type RawCommand, type ReaderEvent } from "./parser.js";
import { flagList, imapString, mailboxWire, safeText } from "./response.js";
import { runSearch, SEARCH_CHARSETS } from "./search.js";
import { byUid, bySequence, formatUidSet, type Selected } from "./sequence.js";

/** The result of checking a password (the shared login of src/core/accounts/login.ts). */
export type AuthOutcome = LoginOutcome;

/** Options of an {@link ImapSession}. */
export interface ImapSessionOptions {
  readonly hostname: string;
  /** The connection is encrypted (implicit TLS). */
  readonly tls: boolean;
  /** STARTTLS can be offered (there is a certificate). */
  readonly starttls: boolean;
  /** The client is on loopback: passwords may go in clear (LOGINDISABLED is not announced). */
  readonly loopback: boolean;
  /** The largest message APPEND takes (APPENDLIMIT, RFC 7889). */
  readonly maxMessageSize: number;
  readonly limits: ImapLimits;
  /** Checks a user's password (through the account store and the login throttle). */
  authenticate(user: string, password: string): Promise<AuthOutcome>;
  /** The mail store of an authenticated account. */
  openStore(user: string): MailStore;
  /** Called when the selected mailbox changed (the server then calls notify() if idling). */
  readonly wake?: () => void;
  /** Receives the client's side of the dialogue, redacted (passwords, SASL data, literal contents). */
  readonly trace?: (line: string) => void;
}

/** What the server must do after step(). */
export type SessionAction =
  /** Send what was written, discard buffered input, handshake, then call tlsStarted(). */
  | "starttls"
  /** Send what was written and close. */
  | "close";

/** One step's outcome: whether an event was handled, and an action to carry out. */
export interface StepResult {
  readonly progressed: boolean;
  readonly action?: SessionAction;
}

interface SelectedMailbox {
  readonly mailbox: Mailbox;
  readonly cache: MessageCache;
  readonly unwatch: () => void;
  /** What the client was last told: message count, recent count, keywords. */
  exists: number;
  recent: number;
  keywords: string;
}

type State =
  | { readonly kind: "not-authenticated" }
  | { readonly kind: "authenticated"; readonly user: string; readonly store: MailStore }
  | {
      readonly kind: "selected";
      readonly user: string;
      readonly store: MailStore;
      readonly selected: SelectedMailbox;
    }
  | { readonly kind: "logout" };

type Mode =
  | { readonly kind: "command" }
  | { readonly kind: "idle"; readonly tag: string }
  | { readonly kind: "sasl"; readonly tag: string; readonly exchange: SaslServerExchange }
  | {
      readonly kind: "append";
      readonly tag: string;
      readonly target: string;
      readonly stream: PassThrough;
      readonly result: Promise<{ uid: number; uidValidity: number } | Error>;
      received: number;
    };

/** The command of a given name (narrowed even where one shape serves several names). */
type CommandOf<N extends Command["name"]> = Command & { readonly name: N };
type Authed = Extract<State, { kind: "authenticated" | "selected" }>;
type InSelected = Extract<State, { kind: "selected" }>;
type Handler<C extends Command = Command> = (
  session: ImapSession,
  command: C,
  out: ResponseSink,
) => Promise<StepResult>;

const NONE: StepResult = { progressed: true };
/** Messages a FETCH reads ahead of the one it writes (open files: at most this many more). */
const FETCH_READ_AHEAD = 8;
const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];
const STORABLE_SYSTEM = new Set(SYSTEM_FLAGS.map((f) => f.toLowerCase()));
const REDACTOR = new Redactor(REDACT_RULES.imap);

/** Which states a command is valid in (RFC 3501 §6). */
const ANY = new Set(["CAPABILITY", "NOOP", "LOGOUT", "ID"]);
const NOT_AUTHENTICATED = new Set(["STARTTLS", "LOGIN", "AUTHENTICATE"]);
const SELECTED = new Set([
  "CHECK",
  "CLOSE",
  "UNSELECT",
  "EXPUNGE",
  "SEARCH",
  "FETCH",
  "STORE",
  "COPY",
  "MOVE",
]);

/** A refusal: the tagged NO (or BAD) a command ends with. */
class Refusal extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    readonly text: string,
  ) {
    super(text);
  }
}

/** The response code and text for a store refusal (RFC 5530 codes). */
function storeRefusal(error: unknown, what: string): Refusal {
  if (!(error instanceof MailStoreError)) throw error;
  const code: Record<string, string> = {
    nonexistent: "NONEXISTENT",
    exists: "ALREADYEXISTS",
    "in-use": "INUSE",
    "invalid-name": "CANNOT",
    expunged: "EXPUNGEISSUED",
    limit: "LIMIT",
    "read-only": "READ-ONLY",
    cannot: "CANNOT",
  };
  // The store's messages already say what failed ("Cannot create a: it already exists").
  return new Refusal(
    "NO",
    `[${code[error.reason] ?? "SERVERBUG"}] ${error.message.startsWith("Cannot") ? error.message : `${what}: ${error.message}`}`,
  );
}

/**
 * A server-side IMAP session. Call greeting() once, push() received bytes, and step()
 * until it makes no progress; carry out each action it returns.
 */
export class ImapSession {
  readonly #options: ImapSessionOptions;
  readonly #reader: CommandReader;
  #state: State = { kind: "not-authenticated" };
  #mode: Mode = { kind: "command" };
  #tls: boolean;
  #bad = 0;
  #commands = 0;
  #changed = false;
  #enabled = new Set<string>();

  constructor(options: ImapSessionOptions) {
    if (!(options.maxMessageSize > 0)) {
      throw new RangeError(
        `Cannot create ImapSession: maxMessageSize must be positive, got ${options.maxMessageSize}`,
      );
    }
    this.#options = options;
    this.#tls = options.tls;
    this.#reader = new CommandReader({
      maxLineLength: options.limits.maxLineLength,
      maxLiteralSize: options.limits.maxLiteralSize,
      maxCommandSize: options.limits.maxCommandSize,
    });
  }

  /** The state's name (for logs and tests). */
  get state(): State["kind"] {
    return this.#state.kind;
  }

  /** The authenticated user, if any. */
  get user(): string | undefined {
    return this.#state.kind === "authenticated" || this.#state.kind === "selected"
      ? this.#state.user
      : undefined;
  }

  /** In IDLE: the server should call notify() on wake. */
  get idling(): boolean {
    return this.#mode.kind === "idle";
  }

  /** Receiving an APPEND literal (the server uses the longer data timeout then). */
  get inLiteral(): boolean {
    return this.#mode.kind === "append";
  }

  get authenticated(): boolean {
    return this.user !== undefined;
  }

  get closed(): boolean {
    return this.#state.kind === "logout";
  }

  /** Bytes received and not yet processed. */
  get bufferedLength(): number {
    return this.#reader.bufferedLength;
  }

  /** RFC 3501 §7.1.1: the greeting, with the capabilities (saves clients a round trip). */
  greeting(): string {
    return `* OK [CAPABILITY ${this.capabilities().join(" ")}] ${this.#options.hostname} Portico IMAP ready\r\n`;
  }

  /** The capabilities in the current state (RFC 3501 §6.1.1 and each extension's). */
  capabilities(): string[] {
    const caps = ["IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE"];
    if (this.#state.kind === "not-authenticated") {
      if (!this.#tls && this.#options.starttls) caps.push("STARTTLS");
      // RFC 3501 §6.2.3: no clear-text passwords over an unencrypted, non-loopback link.
      if (this.#passwordsDisabled()) caps.push("LOGINDISABLED");
      else caps.push("AUTH=PLAIN", "AUTH=LOGIN");
      return caps;
    }
    caps.push(
      "NAMESPACE",
      "UNSELECT",
      "UIDPLUS",
      "MOVE",
      "CHILDREN",
      "SPECIAL-USE",
      "LIST-EXTENDED",
      "LIST-STATUS",
      "STATUS=SIZE",
      `APPENDLIMIT=${this.#options.maxMessageSize}`,
    );
    return caps;
  }

  #passwordsDisabled(): boolean {
    return !this.#tls && !this.#options.loopback;
  }

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    this.#reader.push(chunk);
  }

  /** After STARTTLS's handshake: plaintext sent after the command is dropped (RFC 3501 §6.2.1). */
  tlsStarted(): number {
    this.#tls = true;
    return this.#reader.discardBuffered();
  }

  /** The autologout (RFC 3501 §5.4). */
  timeout(): string {
    this.#end();
    return "* BYE Autologout; idle for too long\r\n";
  }

  /** The server is stopping. */
  shutdown(): string {
    this.#end();
    return "* BYE Server shutting down\r\n";
  }

  /** Releases the selected mailbox (the connection is gone). */
  close(): void {
    if (this.#mode.kind === "append") this.#mode.stream.destroy(new Error("connection closed"));
    this.#end();
  }

  #end(): void {
    this.#deselect();
    this.#state = { kind: "logout" };
    this.#mode = { kind: "command" };
  }

  /** Handles the next input event, if any. */
  async step(out: ResponseSink): Promise<StepResult> {
    if (this.#state.kind === "logout") return { progressed: false };
    const event = this.#reader.next();
    if (event === null) return { progressed: false };
    return this.#handleEvent(event, out);
  }

  async #handleEvent(event: ReaderEvent, out: ResponseSink): Promise<StepResult> {
    switch (event.kind) {
      case "too-long":
        this.#trace(`<${event.what} too long>`);
        out.write(`* BYE [TOOBIG] Command ${event.what} too long\r\n`);
        this.#end();
        return { progressed: true, action: "close" };
      case "skipped":
        return NONE;
      case "line":
        return this.#line(event.line, out);
      case "literal":
        return this.#literal(event, out);
      case "data":
        return this.#appendData(event.chunk);
      case "data-end":
        return this.#appendEnd();
      case "command":
        if (this.#mode.kind === "append") return this.#appendFinish(event.command, out);
        return this.#command(event.command, out);
    }
  }

  #trace(line: string): void {
    this.#options.trace?.(line);
  }

  #traceCommand(raw: RawCommand): void {
    if (this.#options.trace === undefined) return;
    raw.lines.forEach((line, i) => {
      let text = line.toString("utf8");
      if (i === 0) text = REDACTOR.redact(text);
      else if (/^\S+ (LOGIN|AUTHENTICATE)\b/i.test(raw.lines[0]!.toString("latin1"))) text = "***";
      const literal = raw.literals[i];
      this.#trace(text);
      if (literal !== undefined && literal.length > 0) this.#trace(`<literal: ${literal.length} octets>`);
    });
  }

  /** A raw line: an AUTHENTICATE response or IDLE's DONE. */
  async #line(line: Buffer, out: ResponseSink): Promise<StepResult> {
    const mode = this.#mode;
    if (mode.kind === "sasl") {
      const text = line.toString("latin1");
      this.#trace(redactSaslResponse(text));
      return this.#saslStep(mode.tag, mode.exchange.step(text), out, mode.exchange);
    }
    if (mode.kind === "idle") {
      const text = line.toString("latin1");
      this.#trace(text);
      this.#mode = { kind: "command" };
      if (text.toUpperCase() !== "DONE") {
        this.#tagged(out, mode.tag, "BAD", "Expected DONE");
        return NONE;
      }
      await this.#report(out, true);
      this.#tagged(out, mode.tag, "OK", "Idle completed");
      return NONE;
    }
    return NONE;
  }

  /**
   * A literal is announced: decide before reading it. APPEND's message is streamed into the
   * store; a synchronising one over a limit is refused without the "+" (so the client never
   * sends it); a non-synchronising one over the limit ends the session (RFC 7888 §4).
   */
  async #literal(event: Extract<ReaderEvent, { kind: "literal" }>, out: ResponseSink): Promise<StepResult> {
    const tag = event.tag ?? "*";
    if (event.verb === "APPEND" && appendLiteralIsMessage(event.partial)) {
      return this.#appendStart(event, out);
    }
    if (event.size > this.#options.limits.maxLiteralSize) {
      // A non-synchronising one is on its way and may be huge: RFC 7888 §4 option 2.
      return this.#refuseLiteral(event, tag, out, "NO", "[TOOBIG] Literal too big", true);
    }
    if (event.sync) out.write("+ Ready for literal data\r\n");
    this.#reader.acceptLiteral();
    return NONE;
  }

  #refuseLiteral(
    event: Extract<ReaderEvent, { kind: "literal" }>,
    tag: string,
    out: ResponseSink,
    status: "NO" | "BAD",
    text: string,
    fatal = false,
  ): StepResult {
    this.#traceCommand(event.partial);
    if (event.sync) {
      this.#reader.rejectLiteral();
      this.#tagged(out, tag, status, text);
      return NONE;
    }
    // Octets that must be read into the void are read only when few and the client is known.
    if (fatal || !this.authenticated || event.size > this.#options.maxMessageSize) {
      out.write(`* BYE ${text}\r\n`);
      this.#end();
      return { progressed: true, action: "close" };
    }
    // A non-synchronising literal is on its way: answer now, and read it into the void.
    this.#tagged(out, tag, status, text);
    this.#reader.skipLiteral();
    return NONE;
  }

  async #appendStart(
    event: Extract<ReaderEvent, { kind: "literal" }>,
    out: ResponseSink,
  ): Promise<StepResult> {
    const tag = event.tag ?? "*";
    const state = this.#state;
    if (state.kind !== "authenticated" && state.kind !== "selected") {
      return this.#refuseLiteral(event, tag, out, "BAD", "Command APPEND not valid in this state");
    }
    const parsed = parseAppend(event.partial);
    if (parsed.kind === "bad") {
      this.#countBad();
      return this.#refuseLiteral(event, tag, out, "BAD", parsed.text);
    }
    // RFC 7888 §5 / RFC 4469: TOOBIG before the client sends a byte; RFC 7889 APPENDLIMIT.
    if (event.size > this.#options.maxMessageSize) {
      return this.#refuseLiteral(
        event,
        tag,
        out,
        "NO",
        `[TOOBIG] The message is larger than ${this.#options.maxMessageSize} octets`,
        true,
      );
    }
    if (event.size === 0) return this.#refuseLiteral(event, tag, out, "NO", "Cannot store an empty message");
    const { mailbox, flags, date } = parsed.command;
    let target: string;
    try {
      target = this.#mailboxName(mailbox);
      this.#checkFlags(flags);
      if (!(await state.store.exists(target))) {
        throw new Refusal("NO", `[TRYCREATE] Mailbox ${mailbox.wire} does not exist`);
      }
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      if (error.status === "BAD") this.#countBad();
      return this.#refuseLiteral(event, tag, out, error.status, error.text);
    }
    this.#traceCommand(event.partial);
    const stream = new PassThrough({ highWaterMark: 64 * 1024 });
    const result = state.store
      .append(target, stream, { flags, ...(date !== undefined && { internalDate: date }) })
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    this.#mode = { kind: "append", tag, target, stream, result, received: 0 };
    if (event.sync) out.write("+ Ready for literal data\r\n");
    this.#reader.streamLiteral();
    return NONE;
  }

  async #appendData(chunk: Buffer): Promise<StepResult> {
    const mode = this.#mode;
    if (mode.kind !== "append") return NONE;
    mode.received += chunk.length;
    // Copy: the chunk is a view into the reader's buffer, which moves on.
    if (!mode.stream.write(Buffer.from(chunk))) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          mode.stream.off("drain", done);
          mode.stream.off("close", done);
          resolve();
        };
        mode.stream.on("drain", done);
        mode.stream.on("close", done);
      });
    }
    return NONE;
  }

  #appendEnd(): StepResult {
    const mode = this.#mode;
    if (mode.kind === "append") {
      this.#trace(`<message literal: ${mode.received} octets>`);
      mode.stream.end();
    }
    return NONE;
  }

  /** The rest of APPEND after its message: it must be the end of the command. */
  async #appendFinish(raw: RawCommand, out: ResponseSink): Promise<StepResult> {
    const mode = this.#mode;
    if (mode.kind !== "append") return NONE;
    this.#mode = { kind: "command" };
    const rest = raw.lines[raw.lines.length - 1]!;
    this.#trace(rest.toString("latin1"));
    const result = await mode.result;
    if (rest.length > 0) {
      // MULTIAPPEND (RFC 3502) and CATENATE are not offered: nothing may follow the message.
      if (!(result instanceof Error)) await this.#removeAppended(mode.target, result.uid);
      this.#countBad();
      this.#tagged(out, mode.tag, "BAD", "Error in IMAP command APPEND: unexpected data after the message");
      return this.#checkBad(out);
    }
    if (result instanceof Error) {
      const refusal = result instanceof MailStoreError ? storeRefusal(result, "Cannot append") : undefined;
      this.#tagged(out, mode.tag, "NO", refusal?.text ?? "[SERVERBUG] Cannot append the message");
      return NONE;
    }
    await this.#report(out, true);
    this.#tagged(out, mode.tag, "OK", `[APPENDUID ${result.uidValidity} ${result.uid}] Append completed`);
    return NONE;
  }

  async #removeAppended(target: string, uid: number): Promise<void> {
    const state = this.#state;
    if (state.kind !== "authenticated" && state.kind !== "selected") return;
    const box = await state.store.open(target);
    try {
      await box.expunge([uid]);
    } finally {
      box.close();
    }
  }

  async #command(raw: RawCommand, out: ResponseSink): Promise<StepResult> {
    this.#traceCommand(raw);
    const parsed = parseCommand(raw);
    if (parsed.kind === "bad") {
      this.#countBad();
      if (parsed.tag === undefined) out.write(`* BAD ${safeText(parsed.text)}\r\n`);
      else this.#tagged(out, parsed.tag, "BAD", parsed.text);
      return this.#checkBad(out);
    }
    if (parsed.kind === "unknown") {
      this.#countBad();
      this.#tagged(out, parsed.tag, "BAD", `Error in IMAP command ${parsed.verb}: Unknown command`);
      return this.#checkBad(out);
    }
    const command = parsed.command;
    if (++this.#commands > this.#options.limits.maxCommands) {
      out.write("* BYE Too many commands in one session\r\n");
      this.#end();
      return { progressed: true, action: "close" };
    }
    const wrongState = this.#wrongState(command.name);
    if (wrongState !== undefined) {
      this.#tagged(out, command.tag, "BAD", wrongState);
      return NONE;
    }
    const handler = ImapSession.#HANDLERS[command.name] as Handler;
    try {
      return await handler(this, command, out);
    } catch (error) {
      if (error instanceof Refusal) {
        if (error.status === "BAD") this.#countBad();
        // A refused command still lets the client learn what changed (RFC 3501 §7.4.1 permitting).
        await this.#report(out, !isSequenceCommand(command));
        this.#tagged(out, command.tag, error.status, error.text);
        return error.status === "BAD" ? this.#checkBad(out) : NONE;
      }
      throw error;
    }
  }

  #wrongState(name: string): string | undefined {
    const kind = this.#state.kind;
    if (ANY.has(name)) return undefined;
    if (NOT_AUTHENTICATED.has(name))
      return kind === "not-authenticated" ? undefined : "Already authenticated";
    if (kind === "not-authenticated") return "Not authenticated";
    if (SELECTED.has(name) && kind !== "selected") return "No mailbox selected";
    if (name === "ENABLE" && kind !== "authenticated")
      return "ENABLE is valid only before a mailbox is selected";
    return undefined;
  }

  #countBad(): void {
    this.#bad++;
  }

  #checkBad(out: ResponseSink): StepResult {
    if (this.#bad < this.#options.limits.maxBadCommands) return NONE;
    out.write("* BYE Too many invalid IMAP commands\r\n");
    this.#end();
    return { progressed: true, action: "close" };
  }

  #tagged(out: ResponseSink, tag: string, status: "OK" | "NO" | "BAD", text: string): void {
    out.write(`${tag} ${status} ${safeText(text)}\r\n`);
  }

  #authed(): Authed {
    const state = this.#state;
    if (state.kind !== "authenticated" && state.kind !== "selected")
      throw new Refusal("BAD", "Not authenticated");
    return state;
  }

  #selectedState(): InSelected {
    const state = this.#state;
    if (state.kind !== "selected") throw new Refusal("BAD", "No mailbox selected");
    return state;
  }

  /** The store name of a mailbox argument, or a NO for a name that cannot be one. */
  #mailboxName(mailbox: MailboxName): string {
    if (mailbox.name === undefined) throw new Refusal("NO", `[CANNOT] Invalid mailbox name ${mailbox.wire}`);
    const store = this.#authed().store;
    try {
      return store.canonicalName(mailbox.name);
    } catch (error) {
      throw storeRefusal(error, `Invalid mailbox name ${mailbox.wire}`);
    }
  }

  /** Flags a client may store: the system flags of RFC 3501 §2.3.2 (not \Recent) and keywords. */
  #checkFlags(flags: readonly string[]): void {
    for (const flag of flags) {
      if (flag.startsWith("\\")) {
        if (!STORABLE_SYSTEM.has(flag.toLowerCase())) throw new Refusal("BAD", `Invalid system flag ${flag}`);
      } else if (!isValidKeyword(flag)) {
        throw new Refusal("BAD", `Invalid keyword ${flag}`);
      }
    }
  }

  // ---------------------------------------------------------------- updates (RFC 3501 §7.4.1)

  /**
   * Tells the client what changed in the selected mailbox since it last heard: EXPUNGE
   * (only when `expunges` may be sent), EXISTS, RECENT, FETCH FLAGS, and new keywords.
   */
  async #report(out: ResponseSink, expunges: boolean): Promise<void> {
    const state = this.#state;
    if (state.kind !== "selected" || !expunges) return;
    const selected = state.selected;
    const before = selected.mailbox.messages;
    this.#changed = false;
    const changes = await selected.mailbox.sync();
    if (changes.expunged.length > 0) {
      const position = new Map(before.map((m, i) => [m.uid, i + 1]));
      let removed = 0;
      for (const uid of changes.expunged) {
        const seq = position.get(uid);
        selected.cache.forget(uid);
        if (seq === undefined) continue;
        out.write(`* ${seq - removed} EXPUNGE\r\n`);
        removed++;
      }
    }
    this.#announceKeywords(selected, out);
    const messages = selected.mailbox.messages;
    if (messages.length !== selected.exists || changes.added.length > 0) {
      selected.exists = messages.length;
      out.write(`* ${messages.length} EXISTS\r\n`);
    }
    const recent = selected.mailbox.recentCount;
    if (recent !== selected.recent) {
      selected.recent = recent;
      out.write(`* ${recent} RECENT\r\n`);
    }
    if (changes.changed.length > 0) {
      const seqOf = new Map(messages.map((m, i) => [m.uid, i + 1]));
      for (const info of changes.changed) {
        const seq = seqOf.get(info.uid);
        if (seq === undefined) continue;
        const flags = selected.mailbox.isRecent(info.uid) ? [...info.flags, "\\Recent"] : info.flags;
        out.write(`* ${seq} FETCH (UID ${info.uid} FLAGS ${flagList(flags)})\r\n`);
      }
    }
  }

  /** New keywords in the folder: FLAGS and PERMANENTFLAGS again (RFC 3501 §7.2.6). */
  #announceKeywords(selected: SelectedMailbox, out: ResponseSink): void {
    const keywords = selected.mailbox.keywords.join(" ");
    if (keywords === selected.keywords) return;
    selected.keywords = keywords;
    writeFlags(selected.mailbox, out);
  }

  /** While idling: sends what changed (the server calls this on wake). */
  async notify(out: ResponseSink): Promise<void> {
    if (this.#mode.kind !== "idle") return;
    await this.#report(out, true);
  }

  /** Whether the selected mailbox changed since the last report. */
  get changed(): boolean {
    return this.#changed;
  }

  #deselect(): void {
    const state = this.#state;
    if (state.kind !== "selected") return;
    state.selected.unwatch();
    state.selected.mailbox.close();
    this.#state = { kind: "authenticated", user: state.user, store: state.store };
  }

  /** The handler of each command, keyed by name (the state table is checked before). */
  static readonly #HANDLERS: Record<Command["name"], Handler<never>> = {
    CAPABILITY: (s, c, o) => s.#capability(c, o),
    NOOP: (s, c, o) => s.#noop(c, o),
    CHECK: (s, c, o) => s.#noop(c, o),
    LOGOUT: (s, c, o) => s.#logout(c, o),
    STARTTLS: (s, c, o) => s.#starttls(c, o),
    LOGIN: (s, c: CommandOf<"LOGIN">, o) => s.#login(c, o),
    AUTHENTICATE: (s, c: CommandOf<"AUTHENTICATE">, o) => s.#authenticate(c, o),
    SELECT: (s, c: CommandOf<"SELECT">, o) => s.#select(c, o),
    EXAMINE: (s, c: CommandOf<"EXAMINE">, o) => s.#select(c, o),
    CREATE: (s, c: CommandOf<"CREATE">, o) => s.#create(c, o),
    DELETE: (s, c: CommandOf<"DELETE">, o) => s.#delete(c, o),
    RENAME: (s, c: CommandOf<"RENAME">, o) => s.#rename(c, o),
    SUBSCRIBE: (s, c: CommandOf<"SUBSCRIBE">, o) => s.#subscribe(c, o),
    UNSUBSCRIBE: (s, c: CommandOf<"UNSUBSCRIBE">, o) => s.#subscribe(c, o),
    LIST: (s, c: CommandOf<"LIST">, o) => s.#list(c, o),
    LSUB: (s, c: CommandOf<"LSUB">, o) => s.#lsub(c, o),
    STATUS: (s, c: CommandOf<"STATUS">, o) => s.#status(c, o),
    APPEND: (s, c) => s.#append(c),
    NAMESPACE: (s, c, o) => s.#namespace(c, o),
    ID: (s, c: CommandOf<"ID">, o) => s.#id(c, o),
    ENABLE: (s, c: CommandOf<"ENABLE">, o) => s.#enable(c, o),
    IDLE: (s, c, o) => s.#idle(c, o),
    CLOSE: (s, c, o) => s.#closeMailbox(c, o),
    UNSELECT: (s, c, o) => s.#closeMailbox(c, o),
    EXPUNGE: (s, c: CommandOf<"EXPUNGE">, o) => s.#expunge(c, o),
    SEARCH: (s, c: CommandOf<"SEARCH">, o) => s.#search(c, o),
    FETCH: (s, c: CommandOf<"FETCH">, o) => s.#fetch(c, o),
    STORE: (s, c: CommandOf<"STORE">, o) => s.#store(c, o),
    COPY: (s, c: CommandOf<"COPY">, o) => s.#copy(c, o),
    MOVE: (s, c: CommandOf<"MOVE">, o) => s.#copy(c, o),
  };

  // ---------------------------------------------------------------- handlers
  // Each is called through #HANDLERS once the state table allowed the command.

  /** CAPABILITY (RFC 3501 §6.1.1). */
  async #capability(command: Command, out: ResponseSink): Promise<StepResult> {
    out.write(`* CAPABILITY ${this.capabilities().join(" ")}\r\n`);
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Capability completed");
    return NONE;
  }

  /** NOOP and CHECK (RFC 3501 §6.1.2, §6.4.1): a chance to hear of changes. */
  async #noop(command: Command, out: ResponseSink): Promise<StepResult> {
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", `${command.name === "CHECK" ? "Check" : "NOOP"} completed`);
    return NONE;
  }

  /** LOGOUT (RFC 3501 §6.1.3). */
  #logout(command: Command, out: ResponseSink): Promise<StepResult> {
    out.write("* BYE Logging out\r\n");
    this.#tagged(out, command.tag, "OK", "Logout completed");
    this.#end();
    return Promise.resolve({ progressed: true, action: "close" });
  }

  /** STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1). */
  #starttls(command: Command, out: ResponseSink): Promise<StepResult> {
    if (this.#tls) throw new Refusal("BAD", "TLS is already active");
    if (!this.#options.starttls) throw new Refusal("NO", "[UNAVAILABLE] TLS is not configured");
    this.#tagged(out, command.tag, "OK", "Begin TLS negotiation now");
    return Promise.resolve({ progressed: true, action: "starttls" });
  }

  /** LOGIN (RFC 3501 §6.2.3). */
  async #login(command: CommandOf<"LOGIN">, out: ResponseSink): Promise<StepResult> {
    if (this.#passwordsDisabled()) {
      throw new Refusal(
        "NO",
        "[PRIVACYREQUIRED] Plaintext authentication is disallowed on non-secure connections",
      );
    }
    const user = command.user.toString("utf8");
    const password = command.password.toString("utf8");
    return this.#checkPassword(command.tag, user, password, out);
  }

  async #checkPassword(tag: string, user: string, password: string, out: ResponseSink): Promise<StepResult> {
    const outcome = await this.#options.authenticate(user, password);
    if (!outcome.ok) {
      if (outcome.blocked) throw new Refusal("NO", "[UNAVAILABLE] Too many failed logins; try again later");
      throw new Refusal("NO", "[AUTHENTICATIONFAILED] Authentication failed");
    }
    const store = this.#options.openStore(outcome.user);
    // RFC 6154: clients look for Sent, Drafts, Trash, Junk, Archive by their attributes.
    await store.ensureSpecialUse().catch(() => undefined);
    this.#state = { kind: "authenticated", user: outcome.user, store };
    this.#tagged(out, tag, "OK", `[CAPABILITY ${this.capabilities().join(" ")}] Logged in`);
    return NONE;
  }

  /** AUTHENTICATE (RFC 3501 §6.2.2) with SASL-IR (RFC 4959). */
  async #authenticate(command: CommandOf<"AUTHENTICATE">, out: ResponseSink): Promise<StepResult> {
    if (this.#passwordsDisabled()) {
      throw new Refusal(
        "NO",
        "[PRIVACYREQUIRED] Plaintext authentication is disallowed on non-secure connections",
      );
    }
    const exchange = startSasl(command.mechanism, command.initial);
    return this.#saslStep(command.tag, exchange.first, out, exchange);
  }

  async #saslStep(
    tag: string,
    step: SaslStep,
    out: ResponseSink,
    exchange: SaslServerExchange,
  ): Promise<StepResult> {
    this.#mode = { kind: "command" };
    switch (step.kind) {
      case "challenge":
        out.write(`+ ${step.data}\r\n`);
        this.#mode = { kind: "sasl", tag, exchange };
        this.#reader.expectLine();
        return NONE;
      case "error": {
        const bad =
          step.reason === "cancelled" || step.reason === "invalid-base64" || step.reason === "malformed";
        this.#tagged(out, tag, bad ? "BAD" : "NO", step.message);
        return NONE;
      }
      case "done":
        try {
          return await this.#checkPassword(tag, step.credentials.username, step.credentials.password, out);
        } catch (error) {
          if (!(error instanceof Refusal)) throw error;
          this.#tagged(out, tag, error.status, error.text);
          return NONE;
        }
    }
  }

  /** SELECT and EXAMINE (RFC 3501 §6.3.1, §6.3.2). */
  async #select(command: CommandOf<"SELECT" | "EXAMINE">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    // RFC 3501 §6.3.1: SELECT deselects first, so a failed SELECT leaves none selected.
    this.#deselect();
    const name = this.#mailboxName(command.mailbox);
    const readOnly = command.name === "EXAMINE";
    let mailbox: Mailbox;
    try {
      mailbox = await store.open(name, { readOnly });
    } catch (error) {
      throw storeRefusal(error, `Cannot select ${command.mailbox.wire}`);
    }
    const unwatch = mailbox.watch(() => {
      this.#changed = true;
      this.#options.wake?.();
    });
    const selected: SelectedMailbox = {
      mailbox,
      cache: new MessageCache(mailbox, this.#options.limits.structureCacheEntries),
      unwatch,
      exists: mailbox.messages.length,
      recent: mailbox.recentCount,
      keywords: mailbox.keywords.join(" "),
    };
    this.#state = { kind: "selected", user: this.#authed().user, store, selected };
    writeFlags(mailbox, out);
    out.write(`* ${selected.exists} EXISTS\r\n* ${selected.recent} RECENT\r\n`);
    const unseen = mailbox.messages.findIndex((m) => !m.flags.includes("\\Seen"));
    if (unseen >= 0) out.write(`* OK [UNSEEN ${unseen + 1}] First unseen\r\n`);
    out.write(`* OK [UIDVALIDITY ${mailbox.uidValidity}] UIDs valid\r\n`);
    out.write(`* OK [UIDNEXT ${mailbox.uidNext}] Predicted next UID\r\n`);
    this.#tagged(
      out,
      command.tag,
      "OK",
      `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "Examine" : "Select"} completed`,
    );
    return NONE;
  }

  /** CREATE (RFC 3501 §6.3.3). */
  async #create(command: CommandOf<"CREATE">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const name = this.#mailboxName(command.mailbox);
    try {
      await store.create(name);
    } catch (error) {
      throw storeRefusal(error, `Cannot create ${command.mailbox.wire}`);
    }
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Create completed");
    return NONE;
  }

  /** DELETE (RFC 3501 §6.3.4). */
  async #delete(command: CommandOf<"DELETE">, out: ResponseSink): Promise<StepResult> {
    const state = this.#authed();
    const name = this.#mailboxName(command.mailbox);
    if (state.kind === "selected" && state.selected.mailbox.name === name) this.#deselect();
    try {
      await state.store.delete(name);
    } catch (error) {
      throw storeRefusal(error, `Cannot delete ${command.mailbox.wire}`);
    }
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Delete completed");
    return NONE;
  }

  /** RENAME (RFC 3501 §6.3.5). */
  async #rename(command: CommandOf<"RENAME">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const from = this.#mailboxName(command.from);
    const to = this.#mailboxName(command.to);
    try {
      await store.rename(from, to);
    } catch (error) {
      throw storeRefusal(error, `Cannot rename ${command.from.wire}`);
    }
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Rename completed");
    return NONE;
  }

  /** SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6, §6.3.7). */
  async #subscribe(command: CommandOf<"SUBSCRIBE" | "UNSUBSCRIBE">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const name = this.#mailboxName(command.mailbox);
    try {
      if (command.name === "SUBSCRIBE") await store.subscribe(name);
      else await store.unsubscribe(name);
    } catch (error) {
      throw storeRefusal(error, `Cannot ${command.name.toLowerCase()} ${command.mailbox.wire}`);
    }
    await this.#report(out, true);
    this.#tagged(
      out,
      command.tag,
      "OK",
      `${command.name === "SUBSCRIBE" ? "Subscribe" : "Unsubscribe"} completed`,
    );
    return NONE;
  }

  /** LIST (RFC 3501 §6.3.8, RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS). */
  async #list(command: CommandOf<"LIST">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const delimiter = store.delimiter;
    const options = command.options;
    if (command.patterns.length === 1 && command.patterns[0] === "" && !options.extended) {
      // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root.
      out.write(`* LIST (\\Noselect) ${imapString(delimiter)} ""\r\n`);
    } else {
      const matchers = command.patterns.map((p) => patternMatcher(command.reference + p, delimiter));
      const matches = (name: string): boolean => matchers.some((m) => m(name));
      for (const entry of await listEntries(store, options, matches)) {
        out.write(
          `* LIST (${entry.attributes.join(" ")}) ${imapString(delimiter)} ${mailboxWire(entry.name)}${entry.extra}\r\n`,
        );
        if (options.returnStatus !== undefined && entry.selectable) {
          await this.#writeStatus(store, entry.name, options.returnStatus, out);
        }
      }
    }
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "List completed");
    return NONE;
  }

  /** LSUB (RFC 3501 §6.3.9). */
  async #lsub(command: CommandOf<"LSUB">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const delimiter = store.delimiter;
    const matches = patternMatcher(command.reference + command.pattern, delimiter);
    const subscribed = new Set(await store.subscriptions());
    const shown = new Set<string>();
    const existing = new Map((await store.list()).map((f) => [f.name, f]));
    for (const name of [...subscribed].sort()) {
      if (matches(name)) {
        shown.add(name);
        const info = existing.get(name);
        const attrs = info === undefined || !info.selectable ? "\\Noselect" : "";
        out.write(`* LSUB (${attrs}) ${imapString(delimiter)} ${mailboxWire(name)}\r\n`);
        continue;
      }
      // A "%" that stops at a level above a subscribed name shows that level, \Noselect
      // unless it is subscribed itself (RFC 3501 §6.3.9).
      const levels = name.split(delimiter);
      for (let n = levels.length - 1; n > 0; n--) {
        const parent = levels.slice(0, n).join(delimiter);
        if (!shown.has(parent) && matches(parent) && !subscribed.has(parent)) {
          shown.add(parent);
          out.write(`* LSUB (\\Noselect) ${imapString(delimiter)} ${mailboxWire(parent)}\r\n`);
        }
      }
    }
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Lsub completed");
    return NONE;
  }

  /** STATUS (RFC 3501 §6.3.10). */
  async #status(command: CommandOf<"STATUS">, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    const name = this.#mailboxName(command.mailbox);
    await this.#writeStatus(store, name, command.items, out, command.mailbox.wire);
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Status completed");
    return NONE;
  }

  async #writeStatus(
    store: MailStore,
    name: string,
    items: readonly StatusItem[],
    out: ResponseSink,
    wire?: string,
  ): Promise<void> {
    let status;
    try {
      status = await store.status(name);
    } catch (error) {
      if (wire === undefined) return; // LIST-STATUS: a mailbox gone meanwhile is skipped
      throw storeRefusal(error, `Cannot get the status of ${wire}`);
    }
    const state = this.#state;
    // The selected mailbox's \Recent belong to this session, not to the folder's pending ones.
    const recent =
      state.kind === "selected" && state.selected.mailbox.name === name
        ? state.selected.mailbox.recentCount
        : status.recent;
    const values: Record<StatusItem, number> = {
      MESSAGES: status.messages,
      RECENT: recent,
      UIDNEXT: status.uidNext,
      UIDVALIDITY: status.uidValidity,
      UNSEEN: status.unseen,
      SIZE: status.size,
      DELETED: 0,
    };
    if (items.includes("DELETED")) {
      const box = await store.open(name, { readOnly: true });
      values.DELETED = box.messages.filter((m) => m.flags.includes("\\Deleted")).length;
      box.close();
    }
    out.write(`* STATUS ${mailboxWire(name)} (${items.map((i) => `${i} ${values[i]}`).join(" ")})\r\n`);
  }

  /** NAMESPACE (RFC 2342): one personal namespace, no others. */
  async #namespace(command: Command, out: ResponseSink): Promise<StepResult> {
    const { store } = this.#authed();
    out.write(`* NAMESPACE (("" ${imapString(store.delimiter)})) NIL NIL\r\n`);
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Namespace completed");
    return NONE;
  }

  /** ID (RFC 2971): who we are; the client's parameters are only logged by the server. */
  async #id(command: CommandOf<"ID">, out: ResponseSink): Promise<StepResult> {
    out.write('* ID ("name" "Portico" "vendor" "Portico")\r\n');
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "ID completed");
    return NONE;
  }

  /** ENABLE (RFC 5161): none of the extensions that need enabling is offered. */
  async #enable(command: CommandOf<"ENABLE">, out: ResponseSink): Promise<StepResult> {
    const enabled = command.capabilities.filter((c) => this.#enabled.has(c));
    out.write(`* ENABLED${enabled.map((c) => ` ${c}`).join("")}\r\n`);
    this.#tagged(out, command.tag, "OK", "Enabled");
    return Promise.resolve(NONE);
  }

  /** IDLE (RFC 2177): updates are pushed until the client sends DONE. */
  async #idle(command: Command, out: ResponseSink): Promise<StepResult> {
    this.#authed();
    await this.#report(out, true);
    out.write("+ idling\r\n");
    this.#mode = { kind: "idle", tag: command.tag };
    this.#reader.expectLine();
    return NONE;
  }

  /** APPEND without a literal at the end cannot happen (the grammar wants one). */
  #append(command: Command): Promise<StepResult> {
    throw new Refusal("BAD", `Error in IMAP command APPEND: the message must be a literal (${command.tag})`);
  }

  /** CLOSE (RFC 3501 §6.4.2) and UNSELECT (RFC 3691). */
  async #closeMailbox(command: Command, out: ResponseSink): Promise<StepResult> {
    const { selected } = this.#selectedState();
    if (command.name === "CLOSE" && !selected.mailbox.readOnly) {
      // Deleted messages go silently: no EXPUNGE responses after CLOSE.
      const doomed = selected.mailbox.messages.filter((m) => m.flags.includes("\\Deleted")).map((m) => m.uid);
      if (doomed.length > 0) await selected.mailbox.expunge(doomed).catch(() => undefined);
    }
    this.#deselect();
    this.#tagged(out, command.tag, "OK", `${command.name === "CLOSE" ? "Close" : "Unselect"} completed`);
    return NONE;
  }

  /** EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1). */
  async #expunge(command: CommandOf<"EXPUNGE">, out: ResponseSink): Promise<StepResult> {
    const { selected } = this.#selectedState();
    const mailbox = selected.mailbox;
    if (mailbox.readOnly) throw new Refusal("NO", "[READ-ONLY] The mailbox is read-only");
    const candidates =
      command.uids === undefined
        ? mailbox.messages.map((m, i) => ({ seq: i + 1, info: m }))
        : byUid(mailbox.messages, command.uids);
    const doomed = candidates.filter((s) => s.info.flags.includes("\\Deleted"));
    await this.#removeFromView(doomed, out, (uids) => mailbox.expunge(uids));
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Expunge completed");
    return NONE;
  }

  /**
   * Removes messages from the view (expunge or move) and tells the client each one's
   * EXPUNGE, sequence numbers counted down as they go (RFC 3501 §7.4.1).
   */
  async #removeFromView(
    doomed: readonly Selected[],
    out: ResponseSink,
    remove: (uids: number[]) => Promise<readonly number[]>,
  ): Promise<void> {
    if (doomed.length === 0) return;
    const state = this.#selectedState();
    const before = state.selected.mailbox.messages;
    const position = new Map(before.map((m, i) => [m.uid, i + 1]));
    let removedUids: readonly number[];
    try {
      removedUids = await remove(doomed.map((s) => s.info.uid));
    } catch (error) {
      throw storeRefusal(error, "Cannot remove the messages");
    }
    const removed = [...removedUids].sort((a, b) => a - b);
    let count = 0;
    for (const uid of removed) {
      const seq = position.get(uid);
      state.selected.cache.forget(uid);
      if (seq === undefined) continue;
      out.write(`* ${seq - count} EXPUNGE\r\n`);
      count++;
    }
    state.selected.exists = state.selected.mailbox.messages.length;
  }

  /** SEARCH and UID SEARCH (RFC 3501 §6.4.4). */
  async #search(command: CommandOf<"SEARCH">, out: ResponseSink): Promise<StepResult> {
    const { selected } = this.#selectedState();
    const charset = command.program.charset;
    if (charset !== undefined && !(SEARCH_CHARSETS as readonly string[]).includes(charset)) {
      throw new Refusal("NO", `[BADCHARSET (${SEARCH_CHARSETS.join(" ")})] Unsupported charset ${charset}`);
    }
    await this.#report(out, command.uid);
    const mailbox = selected.mailbox;
    const hits = await runSearch({ mailbox, cache: selected.cache }, command.program.key);
    const messages = mailbox.messages;
    const numbers = hits.map((i) => (command.uid ? messages[i]!.uid : i + 1));
    out.write(`* SEARCH${numbers.map((n) => ` ${n}`).join("")}\r\n`);
    this.#tagged(out, command.tag, "OK", "Search completed");
    return NONE;
  }

  /** FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8). */
  async #fetch(command: CommandOf<"FETCH">, out: ResponseSink): Promise<StepResult> {
    const { selected } = this.#selectedState();
    if (command.uid) await this.#report(out, true);
    const mailbox = selected.mailbox;
    const targets = this.#resolve(command.uid, command.set);
    const items =
      command.uid && !command.items.some((i) => i.kind === "UID")
        ? [{ kind: "UID" as const }, ...command.items]
        : command.items;
    // \Seen is set first, all at once; the FETCH responses then carry the new flags.
    const seenNow = new Set<number>();
    if (setsSeen(items) && !mailbox.readOnly) {
      const unseen = targets.filter((t) => !t.info.flags.includes("\\Seen")).map((t) => t.info.uid);
      if (unseen.length > 0) {
        for (const info of await mailbox.setFlags(unseen, ["\\Seen"], "add")) seenNow.add(info.uid);
      }
    }
    let expunged = false;
    const ctx = { mailbox, cache: selected.cache, out };
    const prepare = (target: Selected): Promise<PreparedFetch | Error> => {
      const info = mailbox.get(target.info.uid) ?? target.info;
      return prepareFetch(ctx, target.seq, info, items, {
        recent: mailbox.isRecent(info.uid),
        addFlags: seenNow.has(info.uid),
      }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    };
    // A few messages are read ahead while one is written: the disk's latency is paid once.
    const ahead: Promise<PreparedFetch | Error>[] = [];
    let next = 0;
    try {
      while (next < targets.length || ahead.length > 0) {
        while (next < targets.length && ahead.length < FETCH_READ_AHEAD)
          ahead.push(prepare(targets[next++]!));
        const prepared = await ahead.shift()!;
        if (prepared instanceof Error) {
          if (!isExpunged(prepared)) throw prepared;
          expunged = true;
          continue;
        }
        await writeFetch(out, prepared);
        await out.flush();
      }
    } finally {
      for (const pending of ahead) {
        void pending.then((p) => {
          if (!(p instanceof Error)) discardFetch(p);
        });
      }
    }
    if (command.uid) await this.#report(out, true);
    if (expunged)
      this.#tagged(out, command.tag, "NO", "[EXPUNGEISSUED] Some of the requested messages no longer exist");
    else this.#tagged(out, command.tag, "OK", "Fetch completed");
    return NONE;
  }

  /** The messages a command's set names; a sequence number past the end is a BAD (RFC 3501 §9). */
  #resolve(uid: boolean, set: Parameters<typeof byUid>[1]): Selected[] {
    const messages = this.#selectedState().selected.mailbox.messages;
    if (uid) return byUid(messages, set);
    const selected = bySequence(messages, set);
    if (selected === undefined)
      throw new Refusal("BAD", "Error in IMAP command: invalid message sequence number");
    return selected;
  }

  /** STORE and UID STORE (RFC 3501 §6.4.6). */
  async #store(command: CommandOf<"STORE">, out: ResponseSink): Promise<StepResult> {
    const { selected } = this.#selectedState();
    const mailbox = selected.mailbox;
    this.#checkFlags(command.flags);
    if (mailbox.readOnly) throw new Refusal("NO", "[READ-ONLY] The mailbox is read-only");
    const targets = this.#resolve(command.uid, command.set);
    let infos;
    try {
      infos = await mailbox.setFlags(
        targets.map((t) => t.info.uid),
        command.flags,
        command.mode,
      );
    } catch (error) {
      throw storeRefusal(error, "Cannot store flags");
    }
    this.#announceKeywords(selected, out);
    if (!command.silent) {
      const seqOf = new Map(targets.map((t) => [t.info.uid, t.seq]));
      for (const info of infos) {
        const flags = mailbox.isRecent(info.uid) ? [...info.flags, "\\Recent"] : info.flags;
        const uid = command.uid ? `UID ${info.uid} ` : "";
        out.write(`* ${seqOf.get(info.uid) ?? 0} FETCH (${uid}FLAGS ${flagList(flags)})\r\n`);
        await out.flush();
      }
    }
    if (command.uid) await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", "Store completed");
    return NONE;
  }

  /** COPY, MOVE and their UID forms (RFC 3501 §6.4.7, RFC 6851, RFC 4315 COPYUID). */
  async #copy(command: CommandOf<"COPY" | "MOVE">, out: ResponseSink): Promise<StepResult> {
    const { selected, store } = this.#selectedState();
    const mailbox = selected.mailbox;
    const target = this.#mailboxName(command.mailbox);
    if (command.name === "MOVE" && mailbox.readOnly)
      throw new Refusal("NO", "[READ-ONLY] The mailbox is read-only");
    const targets = this.#resolve(command.uid, command.set);
    if (!(await store.exists(target)))
      throw new Refusal("NO", `[TRYCREATE] Mailbox ${command.mailbox.wire} does not exist`);
    const verb = command.name === "COPY" ? "Copy" : "Move";
    if (targets.length === 0) {
      this.#tagged(out, command.tag, "OK", `${verb} completed (no messages)`);
      return NONE;
    }
    let code = "";
    if (command.name === "COPY") {
      let result;
      try {
        result = await mailbox.copy(
          targets.map((t) => t.info.uid),
          target,
        );
      } catch (error) {
        throw storeRefusal(error, `Cannot copy to ${command.mailbox.wire}`);
      }
      if (result.pairs.length > 0) code = `[COPYUID ${copyUid(result)}] `;
      await this.#report(out, true);
      this.#tagged(out, command.tag, "OK", `${code}${verb} completed`);
      return NONE;
    }
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
    await this.#removeFromView(targets, out, async (uids) => {
      const result = await mailbox.move(uids, target);
      if (result.pairs.length > 0) out.write(`* OK [COPYUID ${copyUid(result)}] Moved\r\n`);
      return result.pairs.map(([from]) => from);
    });
    await this.#report(out, true);
    this.#tagged(out, command.tag, "OK", `${verb} completed`);
    return NONE;
  }
}

/** RFC 4315 §3: "uidvalidity source-set dest-set". */
function copyUid(result: { uidValidity: number; pairs: readonly (readonly [number, number])[] }): string {
  return `${result.uidValidity} ${formatUidSet(result.pairs.map(([a]) => a))} ${formatUidSet(result.pairs.map(([, b]) => b))}`;
}

/** FLAGS and PERMANENTFLAGS of a mailbox (RFC 3501 §7.2.6, §7.1). */
function writeFlags(mailbox: Mailbox, out: ResponseSink): void {
  const all = [
    ...SYSTEM_FLAGS,
    "$Forwarded",
    ...mailbox.keywords.filter((k) => k.toLowerCase() !== "$forwarded"),
  ];
  out.write(`* FLAGS ${flagList(all)}\r\n`);
  if (mailbox.readOnly) {
    out.write("* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
    return;
  }
  // "\*": new keywords may be made, while the folder's 26 keyword letters last.
  const more = mailbox.keywords.length < 26 ? ["\\*"] : [];
  out.write(`* OK [PERMANENTFLAGS ${flagList([...all, ...more])}] Flags permitted\r\n`);
}

/** FETCH, STORE and SEARCH by sequence number: no EXPUNGE may be sent during them. */
function isSequenceCommand(command: Command): boolean {
  return (command.name === "FETCH" || command.name === "STORE" || command.name === "SEARCH") && !command.uid;
}

/** Whether the literal announced in an APPEND is its message (not its mailbox name). */
function appendLiteralIsMessage(partial: RawCommand): boolean {
  if (partial.lines.length > 1) return true;
  const c = new Cursor(partial);
  try {
    c.tag();
    c.sp();
    c.atom();
    c.sp();
    return !c.atLiteral();
  } catch {
    return true;
  }
}

/**
 * A LIST pattern as a test (RFC 3501 §6.3.8): "*" matches anything, "%" anything but the
 * delimiter; INBOX matches in any case.
 */
export function patternMatcher(pattern: string, delimiter: string): (name: string) => boolean {
  let canonical = pattern;
  const first = pattern.split(delimiter)[0]!;
  if (first.toUpperCase() === "INBOX") canonical = `INBOX${pattern.slice(5)}`;
  const escaped = delimiter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let source = "";
  for (const char of canonical) {
    if (char === "*") source += ".*";
    else if (char === "%") source += `[^${escaped}]*`;
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  const regex = new RegExp(`^${source}$`, "su");
  return (name) => regex.test(name);
}

interface ListEntry {
  readonly name: string;
  readonly attributes: readonly string[];
  readonly selectable: boolean;
  readonly extra: string;
}

/** The LIST responses for the given options (RFC 5258 §3). */
async function listEntries(
  store: MailStore,
  options: ListOptions,
  matches: (name: string) => boolean,
): Promise<ListEntry[]> {
  const folders = await store.list();
  const byName = new Map<string, FolderInfo>(folders.map((f) => [f.name, f]));
  const subscribed = new Set((await store.subscriptions()).map((n) => store.canonicalName(n)));
  const showSubscribed = options.returnSubscribed || options.subscribed;
  const attributes = (info: FolderInfo | undefined, name: string): string[] => {
    const out: string[] = [];
    if (info === undefined) out.push("\\NonExistent");
    for (const a of info?.attributes ?? []) {
      if (a === "\\Subscribed" && !showSubscribed) continue;
      if (a === "\\NonExistent" && !options.extended) continue;
      out.push(a);
    }
    if (showSubscribed && subscribed.has(name) && !out.includes("\\Subscribed")) out.push("\\Subscribed");
    return out;
  };
  const entries: ListEntry[] = [];
  if (options.subscribed) {
    const names = new Set([...subscribed].filter(matches));
    // RECURSIVEMATCH: a parent that matches is listed when a descendant is subscribed (RFC 5258 §3.5).
    const childInfo = new Set<string>();
    if (options.recursiveMatch) {
      for (const name of subscribed) {
        const levels = name.split(store.delimiter);
        for (let n = levels.length - 1; n > 0; n--) {
          const parent = levels.slice(0, n).join(store.delimiter);
          if (matches(parent)) childInfo.add(parent);
        }
      }
    }
    for (const name of [...new Set([...names, ...childInfo])].sort((a, b) =>
      a === "INBOX" ? -1 : b === "INBOX" ? 1 : a < b ? -1 : 1,
    )) {
      const info = byName.get(name);
      if (options.specialUseOnly && info?.specialUse === undefined) continue;
      const extra = childInfo.has(name) ? ' ("CHILDINFO" ("SUBSCRIBED"))' : "";
      if (!names.has(name) && extra === "") continue;
      entries.push({
        name,
        attributes: attributes(info, name),
        selectable: info?.selectable ?? false,
        extra,
      });
    }
    return entries;
  }
  for (const info of folders) {
    if (!matches(info.name)) continue;
    if (options.specialUseOnly && info.specialUse === undefined) continue;
    entries.push({
      name: info.name,
      attributes: attributes(info, info.name),
      selectable: info.selectable,
      extra: "",
    });
  }
  return entries;
}
