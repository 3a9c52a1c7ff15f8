/**
 * The POP3 server session (RFC 1939) as a sans-I/O state machine: command lines go in, reply
 * text and actions come out. It owns no socket and no timer; the server moves bytes, starts
 * TLS, streams message bodies, and tells the session how that went. Credentials are checked
 * and the maildrop is opened through the hooks it is given, so tests run it with fakes.
 *
 * Extensions: CAPA, RESP-CODES, PIPELINING, TOP, UIDL, USER, SASL (RFC 2449), AUTH with
 * PLAIN and LOGIN (RFC 5034), STLS (RFC 2595), AUTH-RESP-CODE (RFC 3206). No APOP: it needs
 * the password in the clear on the server, and accounts keep only scrypt hashes.
 *
 * Policy: USER/PASS and AUTH only over TLS or from loopback (as SMTP AUTH); before that they
 * are refused with `-ERR [AUTH]`, and CAPA announces neither USER nor SASL.
 */
import type { LoginOutcome } from "../core/accounts/login.js";
import type { Readable } from "node:stream";
import {
  REDACT_RULES,
  Redactor,
  redactSaslResponse,
  SASL_MECHANISMS,
  startSasl,
} from "../core/sasl/index.js";
import type { SaslErrorReason, SaslServerExchange, SaslStep } from "../core/sasl/index.js";
import { MailStoreError } from "../mail/store/errors.js";
import { err, isError, multiline, ok, parseCommand, parseNumbers, RESP_CODES, trimArgs } from "./codec.js";
import { POP3_LIMITS } from "./limits.js";
import type { Maildrop, MaildropMessage } from "./maildrop.js";

/** What the server must do after sending the replies. */
export type Pop3Action =
  /**
   * Send the replies, discard buffered input (the command injection RFC 3207 §4.2 describes
   * for SMTP), handshake, call `tlsStarted()`.
   */
  | { readonly kind: "stls" }
  /**
   * After the replies (which end with the `+OK` line), send the message: dot-stuffed, cut by
   * a TopFilter when `lines` is set (TOP), then the terminating `.`. Call `bodySent()` after.
   * The server owns `stream` and must destroy it, sent or not.
   */
  | { readonly kind: "body"; readonly stream: Readable; readonly lines: number | undefined }
  /** Send the replies and close the connection. */
  | { readonly kind: "close" };

/** What one call produced: reply text to send (possibly empty) and an action. */
export interface Pop3Output {
  readonly replies: string;
  readonly action?: Pop3Action;
}

/** How a password check ended (the shared login of src/core/accounts/login.ts). */
export type AuthOutcome = LoginOutcome;

/** Options for {@link Pop3Session}. */
export interface Pop3SessionOptions {
  /** Our name, for the greeting and the sign-off. */
  readonly hostname: string;
  /** The client is on loopback: USER/PASS and AUTH are allowed without TLS. */
  readonly loopback: boolean;
  /** The connection is already encrypted (POP3S, RFC 8314). */
  readonly tls: boolean;
  /** STLS can be offered (there is a certificate). */
  readonly stls: boolean;
  /** `-ERR` replies before the session gives up (default POP3_LIMITS.maxErrors). */
  readonly maxErrors?: number;
  /** Checks credentials (through the AccountStore and LoginThrottle). */
  authenticate(username: string, password: string): Promise<AuthOutcome>;
  /**
   * Locks and opens the maildrop of an authenticated user; rejects with MailStoreError
   * "in-use" when another POP3 session has it.
   */
  openMaildrop(user: string): Promise<Maildrop>;
  /** Told of failures that are the server's, not the client's (for the log). */
  onError?(error: unknown, during: string): void;
}

/** The maildrop of the TRANSACTION state and what the session has done to it. */
interface Transaction {
  readonly user: string;
  readonly maildrop: Maildrop;
  readonly messages: readonly MaildropMessage[];
  /** Marked deleted, by index (message-number − 1). */
  readonly deleted: Uint8Array;
  deletedCount: number;
  deletedSize: number;
  /** Indexes of messages sent whole by RETR, to be marked \Seen at the end. */
  readonly retrieved: Set<number>;
  readonly totalSize: number;
}

/** The session state (RFC 1939 §3). */
type State =
  /** Before login; `user` is set after a successful USER (RFC 1939 §7: PASS must follow). */
  | { readonly kind: "authorization"; readonly user: string | undefined }
  /** Inside a SASL exchange (RFC 5034): lines are responses, not commands. */
  | { readonly kind: "sasl"; readonly exchange: SaslServerExchange }
  /**
   * Logged in with the maildrop locked. `sending` is set while a body goes out: the index of
   * the message for RETR (marked \Seen once sent whole), -1 for TOP (marks nothing).
   */
  | { readonly kind: "transaction"; readonly tx: Transaction; sending: number | undefined }
  /**
   * Ended: no more commands. `tx` is a maildrop still held, until `release()` (after a close
   * action without QUIT: too many errors, shutdown).
   */
  | { readonly kind: "closed"; readonly tx: Transaction | undefined };

type Handler = (session: Pop3Session, args: Buffer) => Pop3Output | Promise<Pop3Output>;

/** Which state a verb is valid in (RFC 1939 §9, RFC 2449 §6, RFC 2595 §4). */
type Validity = "authorization" | "transaction" | "any";

const NO_OUTPUT: Pop3Output = { replies: "" };
const AUTHORIZATION: State = { kind: "authorization", user: undefined };
const REDACTOR = new Redactor(REDACT_RULES.pop3);
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SEEN_NONE: readonly number[] = [];

function reply(replies: string, action?: Pop3Action): Pop3Output {
  return action ? { replies, action } : { replies };
}

const PLAINTEXT_REFUSED = reply(
  err("Plaintext authentication disallowed on non-secure (SSL/TLS) connections", RESP_CODES.auth),
);
const AUTH_FAILED = reply(err("Authentication failed", RESP_CODES.auth));

/**
 * A server-side POP3 session. Call `greeting()` once, then `command()` for every line (the
 * line reader's output, without CR LF), `bodySent()` after a body action, `tlsStarted()`
 * after STLS, and `release()` when the connection has ended for whatever reason. Never
 * throws on client input: every line gets a reply.
 */
export class Pop3Session {
  readonly #options: Pop3SessionOptions;
  readonly #maxErrors: number;
  #state: State = AUTHORIZATION;
  #tls: boolean;
  #errors = 0;
  #released: Promise<void> | undefined;

  constructor(options: Pop3SessionOptions) {
    this.#options = options;
    this.#tls = options.tls;
    this.#maxErrors = options.maxErrors ?? POP3_LIMITS.maxErrors;
    if (!(this.#maxErrors >= 1)) {
      throw new RangeError(`Cannot create Pop3Session: maxErrors must be at least 1, got ${this.#maxErrors}`);
    }
  }

  /** The state's name, for tests and logs. */
  get state(): State["kind"] {
    return this.#state.kind;
  }
  /** The logged-in account, if any. */
  get user(): string | undefined {
    return this.#state.kind === "transaction" ? this.#state.tx.user : undefined;
  }
  get tls(): boolean {
    return this.#tls;
  }
  /** The session has ended (QUIT, too many errors, shutdown, a lost connection). */
  get closed(): boolean {
    return this.#state.kind === "closed";
  }

  /** RFC 1939 §4: the one-line greeting (no timestamp: APOP is not offered). */
  greeting(): string {
    return ok(`${this.#options.hostname} POP3 server ready (Portico)`);
  }

  /** A client line for the transcript, with PASS, AUTH secrets and SASL responses redacted. */
  redact(line: string): string {
    return this.#state.kind === "sasl" ? redactSaslResponse(line) : REDACTOR.redact(line);
  }

  /** Answers one command line (or, during AUTH, one SASL response). */
  async command(line: Buffer): Promise<Pop3Output> {
    const state = this.#state;
    switch (state.kind) {
      case "closed":
        return NO_OUTPUT;
      case "sasl":
        return this.#count(await this.#saslResponse(state.exchange, line));
      case "transaction":
        if (state.sending !== undefined) {
          throw new TypeError("Cannot take a command: a message is being sent; call bodySent() first");
        }
        break;
      case "authorization":
        break;
    }
    const command = parseCommand(line);
    const entry = command && Object.hasOwn(VERBS, command.verb) ? VERBS[command.verb] : undefined;
    if (command === undefined || entry === undefined) return this.#count(reply(err("Unknown command")));
    const limit = command.verb === "AUTH" ? POP3_LIMITS.authLine : POP3_LIMITS.commandLine;
    if (line.length > limit) return this.lineTooLong();
    if (entry.valid !== "any" && entry.valid !== state.kind) {
      return this.#count(
        reply(err(state.kind === "authorization" ? "Not logged in; log in first" : "Already logged in")),
      );
    }
    return this.#count(await entry.run(this, command.args));
  }

  /** A line longer than any limit (the line reader reports it). During AUTH it ends the exchange. */
  lineTooLong(): Pop3Output {
    if (this.#state.kind === "sasl") this.#state = AUTHORIZATION;
    return this.#count(reply(err("Line too long")));
  }

  /** A line with a CR inside it: not a command (RFC 1939 §3: commands end with CRLF). */
  bareCr(): Pop3Output {
    if (this.#state.kind === "sasl") this.#state = AUTHORIZATION;
    return this.#count(reply(err("Bare CR in command line")));
  }

  /**
   * The body of the last `body` action has been sent (`ok`), or sending it failed (the
   * connection is then closed: a multi-line response cut short cannot be repaired).
   */
  bodySent(sentWhole: boolean): void {
    const state = this.#state;
    if (state.kind === "closed") return;
    if (state.kind !== "transaction" || state.sending === undefined) {
      throw new TypeError("Cannot end a body: no message is being sent");
    }
    // RETR marks the message \Seen (see maildrop.ts); TOP leaves it alone.
    if (sentWhole && state.sending >= 0) state.tx.retrieved.add(state.sending);
    state.sending = undefined;
  }

  /** TLS is up (after STLS): forget anything said before it (RFC 2595 §4). */
  tlsStarted(): void {
    this.#tls = true;
    this.#state = AUTHORIZATION;
  }

  /**
   * The server is shutting down: `-ERR [SYS/TEMP]`, then close. Like any end without QUIT,
   * no UPDATE state (RFC 1939 §6): nothing is deleted.
   */
  shutdown(): Pop3Output {
    this.#close();
    return reply(err("Server shutting down; try again later", RESP_CODES.sysTemp), { kind: "close" });
  }

  /**
   * The connection has ended (after QUIT, or lost, or timed out). Without QUIT there is no
   * UPDATE state (RFC 1939 §3, §6): messages marked deleted stay. Messages retrieved are
   * still marked \Seen — the client got them. Releases the maildrop lock. Safe to call more
   * than once; never rejects.
   */
  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<void> {
    const state = this.#state;
    this.#state = { kind: "closed", tx: undefined };
    const tx = state.kind === "transaction" || state.kind === "closed" ? state.tx : undefined;
    if (tx !== undefined) await this.#finish(tx, false);
  }

  /** Ends the session, keeping a held maildrop for `release()`. */
  #close(): void {
    const state = this.#state;
    const tx = state.kind === "transaction" || state.kind === "closed" ? state.tx : undefined;
    this.#state = { kind: "closed", tx };
  }

  /** The state as it is now (after an await, not as narrowed before it). */
  #current(): State {
    return this.#state;
  }

  /** Marks retrieved messages \Seen, removes deleted ones when `update`, releases the lock. */
  async #finish(tx: Transaction, update: boolean): Promise<boolean> {
    let removed = true;
    if (update && tx.deletedCount > 0) {
      try {
        await tx.maildrop.remove(this.#deletedUids(tx));
      } catch (error) {
        removed = false;
        this.#options.onError?.(error, "removing deleted messages");
      }
    }
    const seen = this.#seenUids(tx, update);
    try {
      await tx.maildrop.markSeen(seen);
    } catch (error) {
      this.#options.onError?.(error, "marking retrieved messages \\Seen");
    }
    try {
      await tx.maildrop.release();
    } catch (error) {
      this.#options.onError?.(error, "releasing the maildrop");
    }
    return removed;
  }

  #deletedUids(tx: Transaction): number[] {
    const uids: number[] = [];
    tx.messages.forEach((message, index) => {
      if (tx.deleted[index] === 1) uids.push(message.uid);
    });
    return uids;
  }

  /** Messages retrieved and not yet \Seen; when `update`, not those just removed. */
  #seenUids(tx: Transaction, update: boolean): readonly number[] {
    if (tx.retrieved.size === 0) return SEEN_NONE;
    const uids: number[] = [];
    for (const index of tx.retrieved) {
      const message = tx.messages[index]!;
      if (!message.seen && !(update && tx.deleted[index] === 1)) uids.push(message.uid);
    }
    return uids.sort((a, b) => a - b);
  }

  /** Counts `-ERR` replies; at the limit, the last one says so and the connection closes. */
  #count(result: Pop3Output): Pop3Output {
    if (!isError(result.replies) || result.action?.kind === "close") return result;
    this.#errors++;
    if (this.#errors < this.#maxErrors) return result;
    this.#close();
    return reply(err("Too many errors; closing the connection"), { kind: "close" });
  }

  #authAllowed(): boolean {
    return this.#tls || this.#options.loopback;
  }

  // ---- AUTHORIZATION state (RFC 1939 §4, §7; RFC 5034; RFC 2595 §4) ----------------------

  static #user(session: Pop3Session, args: Buffer): Pop3Output {
    if (!session.#authAllowed()) return PLAINTEXT_REFUSED;
    const name = decodeUtf8(trimArgs(args));
    if (name === undefined || name === "") return reply(err("Syntax: USER name"));
    // RFC 1939 §7 lets the server say "+OK" whether or not the mailbox exists; saying
    // anything else would tell a guesser which accounts exist.
    session.#state = { kind: "authorization", user: name };
    return reply(ok("Send PASS"));
  }

  static async #pass(session: Pop3Session, args: Buffer): Promise<Pop3Output> {
    if (!session.#authAllowed()) return PLAINTEXT_REFUSED;
    const state = session.#state;
    const user = state.kind === "authorization" ? state.user : undefined;
    // RFC 1939 §7: PASS only "immediately after a successful USER command"; either way the
    // USER is used up, so a failed PASS needs a new USER.
    session.#state = AUTHORIZATION;
    if (user === undefined) return reply(err("No username given; send USER first"));
    const password = decodeUtf8(args);
    if (password === undefined || password === "") return reply(err("Syntax: PASS password"));
    return session.#login(user, password);
  }

  static async #auth(session: Pop3Session, args: Buffer): Promise<Pop3Output> {
    if (!session.#authAllowed()) return PLAINTEXT_REFUSED;
    const text = trimArgs(args).toString("latin1");
    if (text === "") {
      // Not in RFC 5034, but widely sent to list the mechanisms (RFC 1734 clients, Outlook);
      // Dovecot and Cyrus answer it this way.
      return reply(multiline("Supported SASL mechanisms", SASL_MECHANISMS));
    }
    const parts = text.split(" ");
    const mechanism = parts[0]!;
    if (parts.length > 2) return reply(err("Syntax: AUTH mechanism [initial-response]"));
    // RFC 5034 §4: an optional initial response, "=" for an empty one.
    const exchange = startSasl(mechanism, parts[1]);
    return session.#saslStep(exchange, exchange.first);
  }

  async #saslResponse(exchange: SaslServerExchange, line: Buffer): Promise<Pop3Output> {
    if (line.length > POP3_LIMITS.authLine) return this.lineTooLong();
    // RFC 5034 §4: each response is a base64 line, or "*" to cancel.
    return this.#saslStep(exchange, exchange.step(line.toString("latin1")));
  }

  async #saslStep(exchange: SaslServerExchange, step: SaslStep): Promise<Pop3Output> {
    switch (step.kind) {
      case "challenge":
        // RFC 5034 §4: "+" SP base64 challenge (an empty challenge is "+ ").
        this.#state = { kind: "sasl", exchange };
        return reply(`+ ${step.data}\r\n`);
      case "error":
        this.#state = AUTHORIZATION;
        return saslFailure(step.reason);
      case "done":
        this.#state = AUTHORIZATION;
        return this.#login(step.credentials.username, step.credentials.password);
    }
  }

  /** Checks credentials, then locks and opens the maildrop (RFC 1939 §4). */
  async #login(username: string, password: string): Promise<Pop3Output> {
    let outcome: AuthOutcome;
    try {
      outcome = await this.#options.authenticate(username, password);
    } catch (error) {
      this.#options.onError?.(error, "checking credentials");
      return reply(err("Authentication is temporarily unavailable", RESP_CODES.sysTemp));
    }
    if (!outcome.ok) {
      return outcome.blocked
        ? reply(err("Too many failed logins from your address; try again later", RESP_CODES.sysTemp))
        : AUTH_FAILED;
    }
    let maildrop: Maildrop;
    try {
      maildrop = await this.#options.openMaildrop(outcome.user);
    } catch (error) {
      if (error instanceof MailStoreError && error.reason === "in-use") {
        // RFC 2449 §8.1.2: the credentials were good, the maildrop is busy.
        return reply(err("Mailbox is locked by another POP3 session", RESP_CODES.inUse));
      }
      this.#options.onError?.(error, "opening the maildrop");
      return reply(err("Cannot open the mailbox; try again later", RESP_CODES.sysTemp));
    }
    if (this.#current().kind === "closed") {
      // The connection ended while the maildrop was being opened.
      await maildrop.release().catch((error: unknown) => this.#options.onError?.(error, "releasing"));
      return NO_OUTPUT;
    }
    const messages = maildrop.messages;
    let totalSize = 0;
    for (const message of messages) totalSize += message.size;
    const tx: Transaction = {
      user: outcome.user,
      maildrop,
      messages,
      deleted: new Uint8Array(messages.length),
      deletedCount: 0,
      deletedSize: 0,
      retrieved: new Set(),
      totalSize,
    };
    this.#state = { kind: "transaction", tx, sending: undefined };
    return reply(ok(`Logged in; ${dropText(tx)}`));
  }

  static #stls(session: Pop3Session, args: Buffer): Pop3Output {
    if (session.#tls) return reply(err("Command not permitted when TLS active"));
    if (!session.#options.stls) return reply(err("TLS is not available"));
    if (trimArgs(args).length > 0) return reply(err("Syntax: STLS"));
    session.#state = AUTHORIZATION;
    return reply(ok("Begin TLS negotiation"), { kind: "stls" });
  }

  // ---- both states ------------------------------------------------------------------------

  static #capa(session: Pop3Session): Pop3Output {
    // RFC 2449 §5-6. USER and SASL are "announced in both states"; STLS only where it is
    // permitted (RFC 2595 §4: "present and permitted in the current state").
    const lines = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if (session.#authAllowed()) lines.push("USER", `SASL ${SASL_MECHANISMS.join(" ")}`);
    if (session.#state.kind === "authorization" && !session.#tls && session.#options.stls) lines.push("STLS");
    lines.push("IMPLEMENTATION Portico");
    return reply(multiline("Capability list follows", lines));
  }

  static async #quit(session: Pop3Session): Promise<Pop3Output> {
    const state = session.#state;
    const bye = `${session.#options.hostname} POP3 server signing off`;
    if (state.kind !== "transaction") {
      // RFC 1939 §6: QUIT before login ends the session without an UPDATE state.
      session.#state = { kind: "closed", tx: undefined };
      return reply(ok(bye), { kind: "close" });
    }
    // The UPDATE state: remove what was marked deleted, then release the lock.
    session.#state = { kind: "closed", tx: undefined };
    const tx = state.tx;
    const removed = await session.#finish(tx, true);
    if (!removed)
      return reply(err("Some deleted messages not removed", RESP_CODES.sysTemp), { kind: "close" });
    const left = tx.messages.length - tx.deletedCount;
    return reply(ok(`${bye} (${left === 0 ? "maildrop empty" : `${left} messages left`})`), {
      kind: "close",
    });
  }

  // ---- TRANSACTION state (RFC 1939 §5, §7) ------------------------------------------------

  /** The transaction; only called by handlers valid in the TRANSACTION state. */
  #tx(): Extract<State, { kind: "transaction" }> {
    const state = this.#state;
    if (state.kind !== "transaction") throw new TypeError("Cannot use the maildrop: not logged in");
    return state;
  }

  /**
   * The index of message-number `number`, or the `-ERR` for it: beyond the maildrop, or
   * marked deleted ("may NOT refer to a message marked as deleted").
   */
  static #pick(tx: Transaction, number: number): number | Pop3Output {
    if (number < 1 || number > tx.messages.length) {
      return reply(err(`No such message, only ${tx.messages.length} messages in maildrop`));
    }
    if (tx.deleted[number - 1] === 1) return reply(err(`Message ${number} already deleted`));
    return number - 1;
  }

  static #stat(session: Pop3Session, args: Buffer): Pop3Output {
    if (trimArgs(args).length > 0) return reply(err("Syntax: STAT"));
    const tx = session.#tx().tx;
    // RFC 1939 §5: "+OK nn mm", messages marked deleted not counted.
    return reply(ok(`${tx.messages.length - tx.deletedCount} ${tx.totalSize - tx.deletedSize}`));
  }

  static #list(session: Pop3Session, args: Buffer): Pop3Output {
    return Pop3Session.#listing(session, args, "LIST", (message) => String(message.size));
  }

  static #uidl(session: Pop3Session, args: Buffer): Pop3Output {
    return Pop3Session.#listing(session, args, "UIDL", (message) => message.uidl);
  }

  /** LIST and UIDL: one listing for `LIST n`, a multi-line one without an argument. */
  static #listing(
    session: Pop3Session,
    args: Buffer,
    verb: string,
    value: (message: MaildropMessage) => string,
  ): Pop3Output {
    const numbers = parseNumbers(args, 0, 1);
    if (numbers === undefined) return reply(err(`Syntax: ${verb} [message-number]`));
    const tx = session.#tx().tx;
    const number = numbers[0];
    if (number !== undefined) {
      const index = Pop3Session.#pick(tx, number);
      if (typeof index !== "number") return index;
      return reply(ok(`${number} ${value(tx.messages[index]!)}`));
    }
    const lines: string[] = [];
    tx.messages.forEach((message, index) => {
      if (tx.deleted[index] !== 1) lines.push(`${index + 1} ${value(message)}`);
    });
    const first =
      verb === "LIST"
        ? `${lines.length} messages (${tx.totalSize - tx.deletedSize} octets)`
        : "Unique-ID listing follows";
    return reply(multiline(first, lines));
  }

  static async #retr(session: Pop3Session, args: Buffer): Promise<Pop3Output> {
    const numbers = parseNumbers(args, 1, 1);
    if (numbers === undefined) return reply(err("Syntax: RETR message-number"));
    return session.#send(numbers[0]!, undefined);
  }

  static async #top(session: Pop3Session, args: Buffer): Promise<Pop3Output> {
    // RFC 1939 §7: "a non-negative number of lines (required)".
    const numbers = parseNumbers(args, 2, 2);
    if (numbers === undefined) return reply(err("Syntax: TOP message-number lines"));
    return session.#send(numbers[0]!, numbers[1] ?? 0);
  }

  /** Opens a message for RETR (`lines` undefined) or TOP, and answers with the body action. */
  async #send(number: number, lines: number | undefined): Promise<Pop3Output> {
    const state = this.#tx();
    const tx = state.tx;
    const index = Pop3Session.#pick(tx, number);
    if (typeof index !== "number") return index;
    const message = tx.messages[index]!;
    let stream: Readable;
    try {
      stream = await tx.maildrop.open(message.uid);
    } catch (error) {
      if (error instanceof MailStoreError && error.reason === "expunged") {
        return reply(err(`Message ${number} was removed by another session`));
      }
      this.#options.onError?.(error, "opening a message");
      return reply(err("Cannot read the message; try again later", RESP_CODES.sysTemp));
    }
    // A message cannot have more lines than octets: such a TOP is a RETR that marks nothing.
    const cut = lines !== undefined && lines < message.size ? lines : undefined;
    state.sending = lines === undefined ? index : -1;
    const first = lines === undefined ? `${message.size} octets` : "Top of message follows";
    return reply(ok(first), { kind: "body", stream, lines: cut });
  }

  static #dele(session: Pop3Session, args: Buffer): Pop3Output {
    const numbers = parseNumbers(args, 1, 1);
    if (numbers === undefined) return reply(err("Syntax: DELE message-number"));
    const tx = session.#tx().tx;
    const number = numbers[0]!;
    const index = Pop3Session.#pick(tx, number);
    if (typeof index !== "number") return index;
    // RFC 1939 §5: only marked; removed in the UPDATE state.
    tx.deleted[index] = 1;
    tx.deletedCount++;
    tx.deletedSize += tx.messages[index]!.size;
    return reply(ok(`Message ${number} deleted`));
  }

  static #noop(session: Pop3Session, args: Buffer): Pop3Output {
    if (trimArgs(args).length > 0) return reply(err("Syntax: NOOP"));
    return reply(ok());
  }

  static #rset(session: Pop3Session, args: Buffer): Pop3Output {
    if (trimArgs(args).length > 0) return reply(err("Syntax: RSET"));
    const tx = session.#tx().tx;
    // RFC 1939 §5: deletion marks are undone. Messages retrieved stay retrieved (\Seen).
    tx.deleted.fill(0);
    tx.deletedCount = 0;
    tx.deletedSize = 0;
    return reply(ok(`Maildrop has ${dropText(tx)}`));
  }

  static readonly verbs: Readonly<Record<string, { readonly valid: Validity; readonly run: Handler }>> = {
    USER: { valid: "authorization", run: (s, a) => Pop3Session.#user(s, a) },
    PASS: { valid: "authorization", run: (s, a) => Pop3Session.#pass(s, a) },
    AUTH: { valid: "authorization", run: (s, a) => Pop3Session.#auth(s, a) },
    STLS: { valid: "authorization", run: (s, a) => Pop3Session.#stls(s, a) },
    CAPA: { valid: "any", run: (s) => Pop3Session.#capa(s) },
    QUIT: { valid: "any", run: (s) => Pop3Session.#quit(s) },
    STAT: { valid: "transaction", run: (s, a) => Pop3Session.#stat(s, a) },
    LIST: { valid: "transaction", run: (s, a) => Pop3Session.#list(s, a) },
    UIDL: { valid: "transaction", run: (s, a) => Pop3Session.#uidl(s, a) },
    RETR: { valid: "transaction", run: (s, a) => Pop3Session.#retr(s, a) },
    TOP: { valid: "transaction", run: (s, a) => Pop3Session.#top(s, a) },
    DELE: { valid: "transaction", run: (s, a) => Pop3Session.#dele(s, a) },
    NOOP: { valid: "transaction", run: (s, a) => Pop3Session.#noop(s, a) },
    RSET: { valid: "transaction", run: (s, a) => Pop3Session.#rset(s, a) },
  };
}

/** The dispatch table: verb → state and handler. */
const VERBS = Pop3Session.verbs;

/** "2 messages (320 octets)", not counting messages marked deleted. */
function dropText(tx: Transaction): string {
  const count = tx.messages.length - tx.deletedCount;
  return `${count} message${count === 1 ? "" : "s"} (${tx.totalSize - tx.deletedSize} octets)`;
}

function saslFailure(reason: SaslErrorReason): Pop3Output {
  switch (reason) {
    case "unsupported-mechanism":
      return reply(err("Unsupported authentication mechanism"));
    case "cancelled":
      // RFC 5034 §4: a "*" response MUST be answered with a negative response.
      return reply(err("Authentication cancelled"));
    case "invalid-base64":
      return reply(err("Invalid base64 data in the response"));
    case "malformed":
      return reply(err("Malformed authentication response"));
    case "authzid-not-allowed":
      return AUTH_FAILED;
  }
}

/** Strict UTF-8 (a user name or password that is not UTF-8 cannot match an account). */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
