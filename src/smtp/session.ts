/**
 * The SMTP server session (RFC 5321) as a sans-I/O state machine: command lines go in, reply
 * text and actions come out. It owns no socket and no timer; the server moves bytes, starts
 * TLS, streams message data into the sink, and tells the session how that went.
 *
 * Extensions: SIZE (RFC 1870), 8BITMIME (RFC 6152), PIPELINING (RFC 2920, in the server),
 * ENHANCEDSTATUSCODES (RFC 2034/3463), SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030), DSN
 * (RFC 3461), STARTTLS (RFC 3207), AUTH PLAIN LOGIN (RFC 4954).
 *
 * Enhanced status codes go on every reply except those RFC 2034 §4 excludes or cannot carry
 * one: the greeting, the answers to HELO/EHLO, and 3xx replies (334, 354).
 */
import type { LoginOutcome } from "../core/accounts/login.js";
import type { DsnNotify, Envelope, EnvelopeRecipient } from "../mail/envelope.js";
import { formatReply } from "../core/line/reply.js";
import { REDACT_RULES, Redactor, redactSaslResponse, startSasl } from "../core/sasl/index.js";
import type { SaslCredentials, SaslErrorReason, SaslServerExchange, SaslStep } from "../core/sasl/index.js";
import { SmtpRejection } from "./errors.js";
import { SMTP_LIMITS } from "./limits.js";
import { decideRecipient, type RecipientLookup, type SmtpPolicy } from "./policy.js";

/** What the server must do after sending the replies. */
export type SessionAction =
  /** Send the replies, discard buffered input (RFC 3207 §4.2), handshake, call `tlsStarted()`. */
  | { readonly kind: "starttls" }
  /**
   * The replies hold `354`: open the sink (on failure send `abortData()` instead), read the
   * dot-stuffed data, then call `endData()`.
   */
  | { readonly kind: "data"; readonly envelope: Envelope }
  /**
   * Read exactly `size` raw bytes (RFC 3030), into the open message — or, when `envelope` is
   * undefined, throw them away (the command was refused; the reply comes after the chunk).
   * Then call `endChunk()`.
   */
  | { readonly kind: "bdat"; readonly size: number; readonly last: boolean; readonly envelope?: Envelope }
  /** Send the replies and close the connection. */
  | { readonly kind: "close" };

/** What one call produced: reply text to send (possibly empty) and an action. */
export interface SessionOutput {
  readonly replies: string;
  readonly action?: SessionAction;
}

/** How a message's data ended (DATA or the last BDAT chunk). */
export type DataOutcome =
  | { readonly kind: "queued"; readonly id: string }
  /** More than the size limit arrived (RFC 1870 §6.3). */
  | { readonly kind: "too-large" }
  /** A lone CR or LF in DATA: refused (SMTP smuggling). */
  | { readonly kind: "bare-line-ending"; readonly which: "CR" | "LF" }
  /** The sink failed to open or commit. */
  | { readonly kind: "sink-failed" };

/** How a non-last BDAT chunk went. */
export type ChunkOutcome =
  | DataOutcome
  /** A non-last chunk was stored. */
  | { readonly kind: "stored" }
  /** The chunk was discarded as the action asked. */
  | { readonly kind: "discarded" };

/** How a password check ended (the shared login of src/core/accounts/login.ts). */
export type AuthOutcome = LoginOutcome;

/** Options for {@link SmtpSession}. */
/** Who VRFY and EXPN answer truthfully. */
export type VerifyAccess = "trusted" | "everyone" | "nobody";

export interface SmtpSessionOptions {
  /** Our name, for the greeting and EHLO. */
  readonly hostname: string;
  /**
   * `"mta"`: the MTA port (mail for local domains; relay for trusted or authenticated).
   * `"submission"`: AUTH is required before a transaction (RFC 6409 §4.3).
   */
  readonly kind: "mta" | "submission";
  readonly clientAddress: string;
  /** The client is in `trusted_networks`. */
  readonly trusted: boolean;
  /** The client is on loopback (AUTH allowed without TLS). */
  readonly loopback: boolean;
  /** The connection is already encrypted (implicit TLS). */
  readonly tls: boolean;
  /** STARTTLS can be offered (there is a certificate). */
  readonly starttls: boolean;
  readonly maxMessageSize: number;
  readonly maxRecipients?: number;
  readonly maxErrors?: number;
  readonly policy: SmtpPolicy;
  /**
   * Who VRFY and EXPN answer truthfully: "trusted" (default: authenticated clients and
   * trusted networks; others get 252 / 502), "everyone", or "nobody".
   */
  readonly verify?: VerifyAccess;
  /** Checks credentials (through the AccountStore and LoginThrottle). */
  authenticate(credentials: SaslCredentials): Promise<AuthOutcome>;
}

/** One mail transaction being built. */
interface Transaction {
  readonly from: string;
  readonly body: Envelope["body"];
  readonly smtputf8: boolean;
  readonly ret?: "FULL" | "HDRS";
  readonly envid?: string;
  readonly recipients: EnvelopeRecipient[];
  /** RCPT commands answered, accepted or not (DATA's 554 vs 503, RFC 5321 §3.3). */
  rcptAttempts: number;
}

/** The session state (RFC 5321 §4.1.4 command order). */
type State =
  /** Before HELO/EHLO. */
  | { readonly kind: "connected" }
  /** After HELO/EHLO, no transaction. */
  | { readonly kind: "ready" }
  /** After MAIL: RCPT, DATA, BDAT. */
  | { readonly kind: "mail"; readonly tx: Transaction }
  /** BDAT chunks arriving; `size` so far. */
  | { readonly kind: "bdat"; readonly tx: Transaction; size: number }
  /** The server is reading DATA's payload. */
  | { readonly kind: "data"; readonly tx: Transaction }
  /** Inside a SASL exchange: lines are responses. */
  | { readonly kind: "auth"; readonly exchange: SaslServerExchange; readonly resume: "connected" | "ready" }
  | { readonly kind: "closed" };

type Handler = (session: SmtpSession, args: string, line: Buffer) => SessionOutput | Promise<SessionOutput>;

const NO_OUTPUT: SessionOutput = { replies: "" };
const REDACTOR = new Redactor(REDACT_RULES.smtp);
const ESMTP_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const DIGITS = /^[0-9]{1,18}$/;
const HELP_TEXT = [
  "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET VRFY EXPN HELP NOOP QUIT STARTTLS AUTH",
  "See RFC 5321",
];

function reply(code: number, enhanced: string | undefined, text: string): string {
  return formatReply(code, text, enhanced);
}

function out(
  code: number,
  enhanced: string | undefined,
  text: string,
  action?: SessionAction,
): SessionOutput {
  const replies = reply(code, enhanced, text);
  return action ? { replies, action } : { replies };
}

/**
 * A server-side SMTP session. Call `greeting()` once, then `command()` for every line (the
 * line reader's output, without CR LF), and the `end*`/`tlsStarted` methods when the server
 * has carried out an action. Never throws on client input: every line gets a reply.
 */
export class SmtpSession {
  readonly #options: SmtpSessionOptions;
  readonly #maxRecipients: number;
  readonly #maxErrors: number;
  #state: State = { kind: "connected" };
  #helo = "";
  #esmtp = false;
  #tls: boolean;
  #user: string | undefined;
  #errors = 0;

  constructor(options: SmtpSessionOptions) {
    if (!(options.maxMessageSize > 0)) {
      throw new RangeError(
        `Cannot create SmtpSession: maxMessageSize must be positive, got ${options.maxMessageSize}`,
      );
    }
    this.#options = options;
    this.#tls = options.tls;
    this.#maxRecipients = options.maxRecipients ?? SMTP_LIMITS.maxRecipients;
    this.#maxErrors = options.maxErrors ?? SMTP_LIMITS.maxErrors;
  }

  /** The state's name, for tests and logs. */
  get state(): State["kind"] {
    return this.#state.kind;
  }
  /** The authenticated account, if any. */
  get user(): string | undefined {
    return this.#user;
  }
  get tls(): boolean {
    return this.#tls;
  }
  /** A BDAT transaction is open (the server keeps a message open across commands). */
  get inBdat(): boolean {
    return this.#state.kind === "bdat";
  }
  /** The session has ended (QUIT, too many errors, a fatal violation). */
  get closed(): boolean {
    return this.#state.kind === "closed";
  }

  /** RFC 5321 §4.3.1: the 220 greeting. */
  greeting(): string {
    return reply(220, undefined, `${this.#options.hostname} ESMTP Portico`);
  }

  /** A client line for the transcript, with AUTH secrets and SASL responses redacted. */
  redact(line: string): string {
    return this.#state.kind === "auth" ? redactSaslResponse(line) : REDACTOR.redact(line);
  }

  /** Answers one command line (or, during AUTH, one SASL response). */
  async command(line: Buffer): Promise<SessionOutput> {
    const state = this.#state;
    switch (state.kind) {
      case "closed":
        return NO_OUTPUT;
      case "data":
        throw new TypeError("Cannot take a command: the session is reading DATA; call endData() first");
      case "auth":
        return this.#count(await this.#saslResponse(state, line));
      case "connected":
      case "ready":
      case "mail":
      case "bdat":
        break;
    }
    const text = line.toString("utf8");
    let end = text.indexOf(" ");
    if (end < 0) end = text.length;
    const verb = text.slice(0, end).toUpperCase();
    const args = text.slice(end + 1);
    const handler = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    if (handler === undefined) {
      return this.#count(out(500, "5.5.2", "Error: command not recognized"));
    }
    const limit = verb === "AUTH" ? SMTP_LIMITS.authLine : (LINE_LIMITS[verb] ?? SMTP_LIMITS.commandLine);
    if (line.length > limit) return this.lineTooLong();
    let result: SessionOutput;
    try {
      result = await handler(this, args, line);
    } catch (error) {
      if (!(error instanceof SmtpRejection)) throw error;
      const r = error.reply;
      result = out(r.code, r.enhanced, r.text);
    }
    return this.#count(result);
  }

  /** A command line longer than any limit (the reader reports it; RFC 5321 §4.5.3.1.4). */
  lineTooLong(): SessionOutput {
    if (this.#state.kind === "auth") {
      this.#state = { kind: this.#state.resume };
      return this.#count(out(500, "5.5.6", "Authentication exchange line is too long"));
    }
    return this.#count(out(500, "5.5.2", "Error: line too long"));
  }

  /**
   * A lone CR or LF in a command line or in DATA. Postfix's answer (smtpd_forbid_bare_newline):
   * `521 5.5.2 Error: bare <LF> received`, and the connection closes — nothing after it is
   * trusted, so a smuggled second message can never be read as commands.
   */
  bareLineEnding(which: "CR" | "LF"): SessionOutput {
    this.#state = { kind: "closed" };
    return out(521, "5.5.2", `${this.#options.hostname} Error: bare <${which}> received`, { kind: "close" });
  }

  /** The sink could not take the message announced by the `data` action: replaces the 354. */
  abortData(): SessionOutput {
    this.#resetTransaction();
    return this.#count(out(451, "4.3.0", "Error: queue file write error"));
  }

  /** DATA's payload has ended (the terminator was read) and the sink was dealt with. */
  endData(outcome: DataOutcome): SessionOutput {
    if (this.#state.kind !== "data") throw new TypeError("Cannot end data: no DATA in progress");
    this.#resetTransaction();
    return this.#finish(outcome);
  }

  /** A BDAT chunk has been read (RFC 3030 §2: the reply follows the chunk). */
  endChunk(outcome: ChunkOutcome): SessionOutput {
    const state = this.#state;
    switch (outcome.kind) {
      case "discarded": {
        const pending = this.#pendingChunkReply ?? out(503, "5.5.1", "Error: bad sequence of commands");
        this.#pendingChunkReply = undefined;
        return this.#count(pending);
      }
      case "stored":
        if (state.kind !== "bdat") throw new TypeError("Cannot end chunk: no BDAT in progress");
        return out(250, "2.0.0", `Ok: ${state.size} octets received`);
      default:
        this.#resetTransaction();
        return this.#finish(outcome);
    }
  }

  /** TLS is up (after STARTTLS): RFC 3207 §4.2, forget everything learned before it. */
  tlsStarted(): void {
    this.#tls = true;
    this.#helo = "";
    this.#esmtp = false;
    this.#user = undefined;
    this.#state = { kind: "connected" };
  }

  /** The server is shutting down (RFC 5321 §3.8): `421 4.3.2`, then close. */
  shutdown(): SessionOutput {
    this.#state = { kind: "closed" };
    return out(
      421,
      "4.3.2",
      `${this.#options.hostname} Service shutting down, closing transmission channel`,
      {
        kind: "close",
      },
    );
  }

  /** The client was idle past the timeout (RFC 5321 §4.5.3.2): `421 4.4.2`, then close. */
  timeout(): SessionOutput {
    this.#state = { kind: "closed" };
    return out(421, "4.4.2", `${this.#options.hostname} Error: timeout exceeded`, { kind: "close" });
  }

  /** RFC 3848 `with` protocol type for the Received: header (RFC 6531 §3.7.3 for UTF8SMTP). */
  protocol(smtputf8: boolean): string {
    if (!this.#esmtp) return "SMTP";
    const base = smtputf8 ? "UTF8SMTP" : "ESMTP";
    return `${base}${this.#tls ? "S" : ""}${this.#user !== undefined ? "A" : ""}`;
  }

  #pendingChunkReply: SessionOutput | undefined;

  #finish(outcome: DataOutcome): SessionOutput {
    switch (outcome.kind) {
      case "queued":
        return out(250, "2.0.0", `Ok: queued as ${outcome.id}`);
      case "too-large":
        return this.#count(out(552, "5.3.4", "Error: message file too big"));
      case "bare-line-ending":
        return this.bareLineEnding(outcome.which);
      case "sink-failed":
        return this.#count(out(451, "4.3.0", "Error: queue file write error"));
    }
  }

  /** Counts error replies; past the limit, RFC 5321 §4.3.2 allows 421 at any time. */
  #count(result: SessionOutput): SessionOutput {
    const first = result.replies.charCodeAt(0);
    if (first !== 0x34 && first !== 0x35) return result;
    if (result.action?.kind === "close" || result.action?.kind === "bdat") return result;
    this.#errors++;
    if (this.#errors < this.#maxErrors) return result;
    this.#state = { kind: "closed" };
    return {
      replies: result.replies + reply(421, "4.7.0", `${this.#options.hostname} Error: too many errors`),
      action: { kind: "close" },
    };
  }

  #resetTransaction(): void {
    const kind = this.#state.kind;
    if (kind === "closed" || kind === "connected") return;
    this.#state = { kind: this.#helo === "" ? "connected" : "ready" };
  }

  /** Whether a transaction may start now; otherwise the refusal (RFC 4954 §6, RFC 3207 §4). */
  #mayTransact(): SessionOutput | undefined {
    if (this.#state.kind === "connected") return out(503, "5.5.1", "Error: send HELO/EHLO first");
    if (this.#options.kind === "submission" && this.#user === undefined) {
      if (!this.#tls && !this.#options.loopback) {
        return out(530, "5.7.0", "Must issue a STARTTLS command first");
      }
      return out(530, "5.7.0", "Authentication required");
    }
    return undefined;
  }

  #authAllowed(): boolean {
    return this.#tls || this.#options.loopback;
  }

  #standing(): { authenticated: boolean; trusted: boolean } {
    return { authenticated: this.#user !== undefined, trusted: this.#options.trusted };
  }

  #envelope(tx: Transaction): Envelope {
    return {
      from: tx.from,
      recipients: tx.recipients,
      body: tx.body,
      smtputf8: tx.smtputf8,
      ...(tx.ret !== undefined && { ret: tx.ret }),
      ...(tx.envid !== undefined && { envid: tx.envid }),
      client: {
        address: this.#options.clientAddress,
        helo: this.#helo,
        ...(this.#user !== undefined && { authenticatedAs: this.#user }),
        tls: this.#tls,
        protocol: this.protocol(tx.smtputf8),
      },
    };
  }

  async #lookup(address: string): Promise<RecipientLookup> {
    try {
      return await this.#options.policy.lookup(address);
    } catch (error) {
      if (error instanceof SmtpRejection) throw error;
      throw new SmtpRejection({ code: 451, enhanced: "4.3.0", text: "Error: temporary lookup failure" });
    }
  }

  // ---- verbs ---------------------------------------------------------------------------

  static #heloVerb(session: SmtpSession, args: string, extended: boolean): SessionOutput {
    const domain = args.trim();
    if (domain === "" || /\s/.test(domain)) {
      return out(501, "5.5.4", `Syntax: ${extended ? "EHLO" : "HELO"} hostname`);
    }
    // RFC 5321 §4.1.4: EHLO/HELO resets the transaction, as RSET does.
    session.#helo = domain;
    session.#esmtp = extended;
    session.#state = { kind: "ready" };
    const name = session.#options.hostname;
    if (!extended) return out(250, undefined, name);
    const lines = [
      name,
      "PIPELINING",
      `SIZE ${session.#options.maxMessageSize}`,
      "8BITMIME",
      "ENHANCEDSTATUSCODES",
      "SMTPUTF8",
      "CHUNKING",
      "DSN",
    ];
    if (session.#options.starttls && !session.#tls) lines.push("STARTTLS");
    if (session.#authAllowed() && session.#user === undefined) lines.push("AUTH PLAIN LOGIN");
    return { replies: formatReply(250, lines) };
  }

  static #mail(session: SmtpSession, args: string): SessionOutput {
    const refused = session.#mayTransact();
    if (refused) return refused;
    if (session.#state.kind !== "ready") return out(503, "5.5.1", "Error: nested MAIL command");
    const prefix = /^FROM: ?/i.exec(args);
    if (!prefix) return out(501, "5.5.4", "Syntax: MAIL FROM:<address>");
    const path = parsePath(args, prefix[0].length, true);
    if (typeof path === "string") return out(501, "5.1.7", `Bad sender address syntax: ${path}`);
    const params = parseParams(args, path.end);
    if (typeof params === "string") return out(501, "5.5.4", params);

    let body: Envelope["body"] = "7BIT";
    let smtputf8 = false;
    let ret: "FULL" | "HDRS" | undefined;
    let envid: string | undefined;
    for (const [key, value] of params) {
      switch (key) {
        case "SIZE": {
          // RFC 1870 §6.2: a declared size over the limit is refused at once.
          if (value === undefined || !DIGITS.test(value)) return out(501, "5.5.4", "Bad SIZE parameter");
          if (Number(value) > session.#options.maxMessageSize) {
            return out(552, "5.3.4", "Message size exceeds fixed limit");
          }
          break;
        }
        case "BODY": {
          const v = value?.toUpperCase();
          if (v !== "7BIT" && v !== "8BITMIME") return out(501, "5.5.4", "Bad BODY parameter");
          body = v;
          break;
        }
        case "SMTPUTF8":
          if (value !== undefined) return out(501, "5.5.4", "SMTPUTF8 takes no value");
          smtputf8 = true;
          break;
        case "RET": {
          const v = value?.toUpperCase();
          if (v !== "FULL" && v !== "HDRS") return out(501, "5.5.4", "Bad RET parameter");
          ret = v;
          break;
        }
        case "ENVID":
          if (value === undefined || value.length > 100 || !isXtext(value)) {
            return out(501, "5.5.4", "Bad ENVID parameter");
          }
          envid = value;
          break;
        case "AUTH":
          // RFC 4954 §5: accepted; we do not trust a client's claim of the original submitter.
          if (value === undefined) return out(501, "5.5.4", "Bad AUTH parameter");
          break;
        default:
          return out(555, "5.5.4", `Unsupported option: ${key}`);
      }
    }
    if (!smtputf8 && hasNonAscii(path.address)) {
      return out(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    }
    const tx: Transaction = {
      from: path.address,
      body,
      smtputf8,
      ...(ret !== undefined && { ret }),
      ...(envid !== undefined && { envid }),
      recipients: [],
      rcptAttempts: 0,
    };
    session.#state = { kind: "mail", tx };
    return out(250, "2.1.0", "Ok");
  }

  static async #rcpt(session: SmtpSession, args: string): Promise<SessionOutput> {
    const refused = session.#mayTransact();
    if (refused) return refused;
    const state = session.#state;
    if (state.kind !== "mail") {
      return out(
        503,
        "5.5.1",
        state.kind === "bdat" ? "Error: BDAT in progress" : "Error: need MAIL command",
      );
    }
    const tx = state.tx;
    const prefix = /^TO: ?/i.exec(args);
    if (!prefix) return out(501, "5.5.4", "Syntax: RCPT TO:<address>");
    const path = parsePath(args, prefix[0].length, false);
    if (typeof path === "string") return out(501, "5.1.3", `Bad recipient address syntax: ${path}`);
    const params = parseParams(args, path.end);
    if (typeof params === "string") return out(501, "5.5.4", params);
    let notify: DsnNotify | undefined;
    let orcpt: string | undefined;
    for (const [key, value] of params) {
      switch (key) {
        case "NOTIFY": {
          const parsed = value === undefined ? undefined : parseNotify(value);
          if (parsed === undefined) return out(501, "5.5.4", "Bad NOTIFY parameter");
          notify = parsed;
          break;
        }
        case "ORCPT": {
          // RFC 3461 §4.2: addr-type ";" xtext.
          const semi = value?.indexOf(";") ?? -1;
          if (value === undefined || semi < 1 || value.length > 500 || !isXtext(value.slice(semi + 1))) {
            return out(501, "5.5.4", "Bad ORCPT parameter");
          }
          orcpt = value;
          break;
        }
        default:
          return out(555, "5.5.4", `Unsupported option: ${key}`);
      }
    }
    if (!tx.smtputf8 && hasNonAscii(path.address)) {
      return out(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    }
    tx.rcptAttempts++;
    if (tx.recipients.length >= session.#maxRecipients) {
      return out(452, "4.5.3", "Error: too many recipients");
    }
    // RFC 5321 §4.1.1.3: <Postmaster> without a domain is the postmaster of a local domain.
    const lookup =
      path.address.toLowerCase() === "postmaster"
        ? ({ kind: "mailbox", address: "postmaster" } as const)
        : await session.#lookup(path.address);
    const verdict = decideRecipient(lookup, session.#standing());
    if (!verdict.accept) return out(verdict.reply.code, verdict.reply.enhanced, verdict.reply.text);
    tx.recipients.push({
      address: path.address,
      ...(notify !== undefined && { notify }),
      ...(orcpt !== undefined && { orcpt }),
    });
    return out(250, "2.1.5", "Ok");
  }

  static #data(session: SmtpSession, args: string): SessionOutput {
    const refused = session.#mayTransact();
    if (refused) return refused;
    if (args !== "") return out(501, "5.5.4", "Syntax: DATA");
    const state = session.#state;
    if (state.kind === "bdat") return out(503, "5.5.1", "Error: BDAT in progress");
    if (state.kind !== "mail") return out(503, "5.5.1", "Error: need MAIL command");
    if (state.tx.recipients.length === 0) {
      return state.tx.rcptAttempts > 0
        ? out(554, "5.5.1", "Error: no valid recipients")
        : out(503, "5.5.1", "Error: need RCPT command");
    }
    session.#state = { kind: "data", tx: state.tx };
    return out(354, undefined, "End data with <CR><LF>.<CR><LF>", {
      kind: "data",
      envelope: session.#envelope(state.tx),
    });
  }

  static #bdat(session: SmtpSession, args: string): SessionOutput {
    const match = /^([0-9]{1,18})(?: +(LAST))? *$/i.exec(args);
    if (!match) {
      // The chunk's length is unknown, so its bytes will be read as commands; they will fail.
      return out(501, "5.5.4", "Syntax: BDAT size [LAST]");
    }
    const size = Number(match[1]);
    const last = match[2] !== undefined;
    const discard = (refusal: SessionOutput): SessionOutput => {
      // RFC 3030 §2: the chunk is read in any case, and the reply comes after it.
      session.#pendingChunkReply = refusal;
      if (session.#state.kind === "bdat") session.#resetTransaction();
      return { replies: "", action: { kind: "bdat", size, last } };
    };
    const refused = session.#mayTransact();
    if (refused) return discard(refused);
    const state = session.#state;
    if (state.kind !== "mail" && state.kind !== "bdat") {
      return discard(out(503, "5.5.1", "Error: need MAIL command"));
    }
    if (state.tx.recipients.length === 0) {
      return discard(
        state.tx.rcptAttempts > 0
          ? out(554, "5.5.1", "Error: no valid recipients")
          : out(503, "5.5.1", "Error: need RCPT command"),
      );
    }
    const before = state.kind === "bdat" ? state.size : 0;
    if (before + size > session.#options.maxMessageSize) {
      session.#pendingChunkReply = out(552, "5.3.4", "Error: message file too big");
      session.#resetTransaction();
      // The server drops a message it has open once it sees the transaction gone.
      return { replies: "", action: { kind: "bdat", size, last } };
    }
    session.#state = { kind: "bdat", tx: state.tx, size: before + size };
    return {
      replies: "",
      action: { kind: "bdat", size, last, envelope: session.#envelope(state.tx) },
    };
  }

  static #rset(session: SmtpSession, args: string): SessionOutput {
    if (args.trim() !== "") return out(501, "5.5.4", "Syntax: RSET");
    session.#resetTransaction();
    return out(250, "2.0.0", "Ok");
  }

  static #noop(): SessionOutput {
    // RFC 5321 §4.1.1.9: a parameter is allowed and ignored.
    return out(250, "2.0.0", "Ok");
  }

  static #quit(session: SmtpSession, args: string): SessionOutput {
    if (args.trim() !== "") return out(501, "5.5.4", "Syntax: QUIT");
    session.#state = { kind: "closed" };
    return out(221, "2.0.0", "Bye", { kind: "close" });
  }

  static #help(): SessionOutput {
    return { replies: formatReply(214, HELP_TEXT, "2.0.0") };
  }

  /** Whether VRFY/EXPN tell this client the truth (RFC 5321 §7.3: a site may disable them). */
  #mayVerify(): boolean {
    const access = this.#options.verify ?? "trusted";
    if (access !== "trusted") return access === "everyone";
    const standing = this.#standing();
    return standing.authenticated || standing.trusted;
  }

  static async #vrfy(session: SmtpSession, args: string): Promise<SessionOutput> {
    const target = parseVerifyArgument(args);
    if (target === undefined) return out(501, "5.5.4", "Syntax: VRFY address");
    if (!session.#mayVerify()) {
      // RFC 5321 §3.5.3: 252 when the server will not say, but would accept the mail.
      return out(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
    }
    const lookup = await session.#lookup(target);
    switch (lookup.kind) {
      case "mailbox":
        return out(250, "2.1.5", `<${lookup.address}>`);
      case "list":
        return out(553, "5.1.4", "Ambiguous: the address is a list; use EXPN");
      case "unknown":
        return out(550, "5.1.1", "Recipient address rejected: User unknown");
      case "remote":
        return out(252, "2.0.0", "Not local; will attempt delivery");
    }
  }

  static async #expn(session: SmtpSession, args: string): Promise<SessionOutput> {
    const target = parseVerifyArgument(args);
    if (target === undefined) return out(501, "5.5.4", "Syntax: EXPN list");
    if (!session.#mayVerify()) return out(502, "5.5.1", "EXPN command is disabled");
    const lookup = await session.#lookup(target);
    switch (lookup.kind) {
      case "mailbox":
        return out(250, "2.1.5", `<${lookup.address}>`);
      case "list":
        return {
          replies: formatReply(
            250,
            lookup.members.map((m) => `<${m}>`),
            "2.1.5",
          ),
        };
      case "unknown":
        return out(550, "5.1.1", "Recipient address rejected: User unknown");
      case "remote":
        return out(550, "5.1.2", "Not a local list");
    }
  }

  static #starttls(session: SmtpSession, args: string): SessionOutput {
    if (session.#tls) return out(503, "5.5.1", "Error: TLS already active");
    if (!session.#options.starttls) return out(502, "5.5.1", "Error: command not implemented");
    if (args !== "") return out(501, "5.5.4", "Syntax: STARTTLS");
    if (session.#state.kind === "connected") return out(503, "5.5.1", "Error: send EHLO first");
    return out(220, "2.0.0", "Ready to start TLS", { kind: "starttls" });
  }

  static async #auth(session: SmtpSession, args: string): Promise<SessionOutput> {
    const state = session.#state;
    if (state.kind === "connected" || !session.#esmtp) return out(503, "5.5.1", "Error: send EHLO first");
    if (!session.#authAllowed()) {
      return out(538, "5.7.11", "Encryption required for requested authentication mechanism");
    }
    if (session.#user !== undefined) return out(503, "5.5.1", "Error: already authenticated");
    // RFC 4954 §4: AUTH is not permitted during a mail transaction.
    if (state.kind !== "ready") return out(503, "5.5.1", "Error: MAIL transaction in progress");
    const parts = args.split(" ");
    const mechanism = parts[0] ?? "";
    if (mechanism === "" || parts.length > 2)
      return out(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    const exchange = startSasl(mechanism, parts[1]);
    return session.#saslStep(exchange, exchange.first);
  }

  async #saslResponse(state: Extract<State, { kind: "auth" }>, line: Buffer): Promise<SessionOutput> {
    if (line.length > SMTP_LIMITS.authLine) return this.lineTooLong();
    return this.#saslStep(state.exchange, state.exchange.step(line.toString("latin1")));
  }

  async #saslStep(exchange: SaslServerExchange, step: SaslStep): Promise<SessionOutput> {
    switch (step.kind) {
      case "challenge":
        this.#state = { kind: "auth", exchange, resume: "ready" };
        return { replies: formatReply(334, step.data) };
      case "error":
        this.#state = { kind: "ready" };
        return saslFailure(step.reason);
      case "done": {
        this.#state = { kind: "ready" };
        const result = await this.#options.authenticate(step.credentials);
        if (result.ok) {
          this.#user = result.user;
          return out(235, "2.7.0", "Authentication successful");
        }
        if (result.blocked) return out(454, "4.7.0", "Temporary authentication failure: too many failures");
        return out(535, "5.7.8", "Authentication credentials invalid");
      }
    }
  }

  static readonly verbs: Readonly<Record<string, Handler>> = {
    HELO: (s, a) => SmtpSession.#heloVerb(s, a, false),
    EHLO: (s, a) => SmtpSession.#heloVerb(s, a, true),
    MAIL: (s, a) => SmtpSession.#mail(s, a),
    RCPT: (s, a) => SmtpSession.#rcpt(s, a),
    DATA: (s, a) => SmtpSession.#data(s, a),
    BDAT: (s, a) => SmtpSession.#bdat(s, a),
    RSET: (s, a) => SmtpSession.#rset(s, a),
    NOOP: () => SmtpSession.#noop(),
    QUIT: (s, a) => SmtpSession.#quit(s, a),
    HELP: () => SmtpSession.#help(),
    VRFY: (s, a) => SmtpSession.#vrfy(s, a),
    EXPN: (s, a) => SmtpSession.#expn(s, a),
    STARTTLS: (s, a) => SmtpSession.#starttls(s, a),
    AUTH: (s, a) => SmtpSession.#auth(s, a),
  };
}

function saslFailure(reason: SaslErrorReason): SessionOutput {
  switch (reason) {
    case "unsupported-mechanism":
      return out(504, "5.5.4", "Unrecognized authentication type");
    case "cancelled":
      return out(501, "5.7.0", "Authentication cancelled");
    case "invalid-base64":
    case "malformed":
      return out(501, "5.5.2", "Cannot decode response");
    case "authzid-not-allowed":
      return out(535, "5.7.8", "Authentication credentials invalid");
  }
}

/** The dispatch table: verb → handler. */
const VERBS: Readonly<Record<string, Handler>> = SmtpSession.verbs;

/** Verbs whose lines may exceed 512 octets because of extension parameters. */
const LINE_LIMITS: Readonly<Record<string, number>> = {
  MAIL: SMTP_LIMITS.mailLine,
  RCPT: SMTP_LIMITS.rcptLine,
};

// ---- parsing (RFC 5321 §4.1.2) -------------------------------------------------------------

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]$/;

/**
 * Parses `Path` at `pos`: `"<" [ A-d-l ":" ] Mailbox ">"`, or `<>` when `nullAllowed` (MAIL
 * FROM's null reverse-path), or `<Postmaster>` (RCPT TO, RFC 5321 §4.1.1.3). Returns the
 * address (domain lowercased, local part as given) and where the path ends, or why it is bad.
 */
export function parsePath(
  text: string,
  pos: number,
  nullAllowed: boolean,
): { address: string; end: number } | string {
  if (text[pos] !== "<") return "expected <";
  let i = pos + 1;
  if (text[i] === ">") return nullAllowed ? { address: "", end: i + 1 } : "empty address";
  // A source route (RFC 5321 §4.1.2 A-d-l) is accepted and ignored (§C).
  if (text[i] === "@") {
    const colon = text.indexOf(":", i);
    if (colon < 0) return "bad source route";
    i = colon + 1;
  }
  let local = "";
  if (text[i] === '"') {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) return "unterminated quoted string";
      if (c === '"') break;
      if (c === "\\") {
        const next = text[i + 1];
        if (next === undefined || next < " " || next > "~") return "bad quoted pair";
        local += `\\${next}`;
        i += 2;
        continue;
      }
      if (c < " " || c === "\x7f") return "control character in quoted string";
      local += c;
      i++;
    }
    local = `"${local}"`;
    i++;
  } else {
    const start = i;
    while (i < text.length && (ATEXT.test(text[i]!) || text[i] === ".")) i++;
    local = text.slice(start, i);
    if (local === "" || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
      return "bad local part";
    }
  }
  if (local.length > 64 * 4) return "local part too long";
  if (text[i] === ">" && !nullAllowed && local.toLowerCase() === "postmaster") {
    return { address: "postmaster", end: i + 1 };
  }
  if (text[i] !== "@") return "expected @domain";
  i++;
  const close = text.indexOf(">", i);
  if (close < 0) return "expected >";
  const domain = text.slice(i, close);
  if (!isDomain(domain)) return "bad domain";
  return { address: `${local}@${domain.toLowerCase()}`, end: close + 1 };
}

function isDomain(domain: string): boolean {
  if (domain.startsWith("[")) {
    // RFC 5321 §4.1.3 address literal: IPv4, IPv6:..., or tag:content.
    return /^\[(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9-]*[A-Za-z0-9]:[!-Z^-~]+)\]$/.test(domain);
  }
  if (domain.length === 0 || domain.length > 255) return false;
  for (const label of domain.split(".")) {
    if (
      !/^[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?$/.test(label)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Parses ESMTP parameters after a path: `*(SP keyword ["=" value])`, keywords upper-cased.
 * Returns why it failed as a string.
 */
function parseParams(text: string, pos: number): Map<string, string | undefined> | string {
  const params = new Map<string, string | undefined>();
  const rest = text.slice(pos);
  if (rest === "") return params;
  if (rest[0] !== " ") return "Syntax error after address";
  for (const item of rest.split(" ")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    const key = (eq < 0 ? item : item.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (!ESMTP_KEYWORD.test(key)) return `Bad parameter: ${key.slice(0, 40)}`;
    // esmtp-value: 1*(%d33-60 / %d62-126), or UTF-8 (RFC 6531 §3.3).
    if (value !== undefined && !/^[!-<>-~\u0080-\uffff]+$/.test(value)) return `Bad value for ${key}`;
    if (params.has(key)) return `Duplicate parameter: ${key}`;
    params.set(key, value);
  }
  return params;
}

/** RFC 3461 §4.1: NEVER, or a comma list of SUCCESS, FAILURE, DELAY. */
function parseNotify(value: string): DsnNotify | undefined {
  const items = value.toUpperCase().split(",");
  if (items.length === 1 && items[0] === "NEVER") return "NEVER";
  const out: ("SUCCESS" | "FAILURE" | "DELAY")[] = [];
  for (const item of items) {
    if ((item !== "SUCCESS" && item !== "FAILURE" && item !== "DELAY") || out.includes(item))
      return undefined;
    out.push(item);
  }
  return out;
}

/** RFC 3461 §4: xtext = *( xchar / "+" 2HEXCHAR ), xchar = %d33-42 / %d44-60 / %d62-126. */
function isXtext(value: string): boolean {
  return /^(?:[!-*,-<>-~]|\+[0-9A-F]{2})*$/.test(value);
}

function hasNonAscii(text: string): boolean {
  return /[^\p{ASCII}]/u.test(text);
}

/** VRFY/EXPN argument: `<addr>`, `addr`, or a bare name (RFC 5321 §3.5). */
function parseVerifyArgument(args: string): string | undefined {
  const text = args.trim();
  if (text === "") return undefined;
  if (text.startsWith("<")) {
    const path = parsePath(text, 0, false);
    return typeof path === "string" ? undefined : path.address;
  }
  const at = text.lastIndexOf("@");
  return at < 0 ? text : `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}`;
}
