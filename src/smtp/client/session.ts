/**
 * The client side of an SMTP dialogue (RFC 5321), sans-I/O: feed it the server's bytes with
 * `receive()`, write what `takeOutput()` returns, and act on the events. It speaks EHLO (HELO
 * when EHLO is refused with 500/502, RFC 5321 §3.2), STARTTLS (RFC 3207), AUTH PLAIN/LOGIN
 * (RFC 4954), MAIL/RCPT with SIZE, BODY, SMTPUTF8 and DSN parameters, DATA or BDAT (RFC 3030),
 * PIPELINING (RFC 2920), RSET between messages, and QUIT.
 *
 * ```ts
 * const session = new SmtpClientSession({ helo: "client.example" });
 * socket.on("data", (chunk) => {
 *   for (const event of session.receive(chunk)) handle(event);   // "ready", "content", "sent", …
 *   socket.write(session.takeOutput());
 * });
 * ```
 *
 * Message content never passes through the session: on a `content` event the caller writes it
 * to the socket itself (dot-stuffed for DATA; after each `bdat(n)` command for BDAT), then calls
 * `endContent()`. Replies are matched to commands by counting, never by code or text (RFC 2920
 * §3.1), so pipelined and one-at-a-time dialogues share one code path.
 */
import { ProtocolError } from "../../core/errors.js";
import { ReplyParser } from "../../core/line/index.js";
import type { Reply } from "../../core/line/index.js";
import { createSaslClient, REDACT_RULES, redactSaslResponse, Redactor } from "../../core/sasl/index.js";
import type { SaslClient, SaslMechanism } from "../../core/sasl/index.js";
import type { EnvelopeRecipient } from "../../mail/envelope.js";
import { replyToText, SmtpReplyError, SmtpUnsupportedError } from "./errors.js";
import type { RecipientReply, SmtpStage } from "./errors.js";
import { NO_EXTENSIONS, parseEhloReply } from "./extensions.js";
import type { SmtpExtensions } from "./extensions.js";

/**
 * How the connection is protected:
 * - `"none"`: never TLS.
 * - `"starttls"`: STARTTLS when the server offers it, cleartext otherwise (opportunistic, RFC 7435).
 * - `"starttls-required"`: STARTTLS or give up.
 * - `"implicit"`: the socket is TLS from the start (port 465, RFC 8314 §3.3).
 */
export type SmtpTlsMode = "none" | "starttls" | "starttls-required" | "implicit";

/** Credentials for AUTH. */
export interface SmtpAuth {
  readonly username: string;
  readonly password: string;
  readonly authzid?: string;
  /** Default: PLAIN when offered, else LOGIN. */
  readonly mechanism?: SaslMechanism;
}

/** Which time limit applies to what the session waits for (see `SmtpTimeouts`). */
export type SmtpWait = "greeting" | "command" | "mail" | "rcpt" | "dataInit" | "block" | "final";

/** Options for {@link SmtpClientSession}. */
export interface SmtpClientSessionOptions {
  /** The EHLO/HELO argument: this host's name, or an address literal `[192.0.2.1]`. */
  readonly helo: string;
  /** Default `"starttls"`. */
  readonly tls?: SmtpTlsMode;
  readonly auth?: SmtpAuth;
  /** Use PIPELINING when offered. Default true. */
  readonly pipelining?: boolean;
  /** Receives each dialogue line; AUTH arguments and SASL responses come redacted. */
  readonly trace?: (direction: "C" | "S", line: string) => void;
}

/** One message's envelope, for {@link SmtpClientSession.send}. */
export interface SmtpEnvelope {
  /** The reverse-path without brackets; "" is the null reverse-path (RFC 5321 §4.5.5). */
  readonly from: string;
  readonly recipients: readonly (string | EnvelopeRecipient)[];
  /** The message size in octets, declared with RFC 1870 SIZE when the server offers it. */
  readonly size?: number;
  /**
   * RFC 6152 / RFC 3030 body type. 8BITMIME is declared only to a server that offers it (a
   * server without it gets the message as is, as most MTAs do); BINARYMIME needs the server's
   * BINARYMIME and CHUNKING, and is sent with BDAT.
   */
  readonly body?: "7BIT" | "8BITMIME" | "BINARYMIME";
  /** RFC 6531: the message needs SMTPUTF8 (implied by a non-ASCII address). */
  readonly smtputf8?: boolean;
  /** RFC 3461 RET, sent when the server offers DSN. */
  readonly ret?: "FULL" | "HDRS";
  /** RFC 3461 ENVID, already xtext-encoded; sent when the server offers DSN. */
  readonly envid?: string;
  /** Send with BDAT when the server offers CHUNKING (RFC 3030). Default false. */
  readonly chunking?: boolean;
}

/** The outcome of a message the server took. */
export interface SmtpSendResult {
  readonly accepted: readonly RecipientReply[];
  readonly rejected: readonly RecipientReply[];
  /** The reply after the data (`250 2.0.0 Ok: queued as …`). */
  readonly finalReply: Reply;
}

/** What the session tells its caller. */
export type SmtpClientEvent =
  /** The handshake is done: messages may be sent. */
  | { readonly type: "ready"; readonly extensions: SmtpExtensions }
  /** The server said go ahead to STARTTLS: upgrade the socket, then call `tlsStarted()`. */
  | { readonly type: "starttls" }
  /** Write the message now: dot-stuffed (`"data"`) or as `bdat()` chunks; then `endContent()`. */
  | { readonly type: "content"; readonly mode: "data" | "bdat" }
  /** The message was accepted for the `accepted` recipients. */
  | { readonly type: "sent"; readonly result: SmtpSendResult }
  /**
   * The handshake or the current message failed. `fatal`: the connection is of no further
   * use (write out any pending output — perhaps a QUIT — and close it); otherwise the session
   * is ready for the next message.
   */
  | {
      readonly type: "failed";
      readonly error: SmtpReplyError | SmtpUnsupportedError | ProtocolError;
      readonly fatal: boolean;
    }
  /** QUIT was answered. */
  | { readonly type: "closed" };

/** A command awaiting its reply. */
interface Pending {
  readonly stage: SmtpStage;
  readonly wait: SmtpWait;
  readonly handle: (reply: Reply) => void;
}

/** One message in progress. */
interface Transaction {
  readonly recipients: readonly string[];
  readonly mode: "data" | "bdat";
  readonly pipelined: boolean;
  readonly accepted: RecipientReply[];
  readonly rejected: RecipientReply[];
  /** MAIL was accepted: a transaction is open on the server and needs RSET if it fails. */
  mailAccepted: boolean;
  failure: SmtpReplyError | null;
  /** The caller is writing content (after `content`, before `endContent`). */
  sending: boolean;
  ended: boolean;
  /** BDAT chunks sent and not yet answered. */
  chunksInFlight: number;
}

type Phase =
  | { readonly name: "handshake" }
  | { readonly name: "tls" }
  | { readonly name: "idle" }
  | { readonly name: "message"; readonly tx: Transaction }
  | { readonly name: "quitting" }
  | { readonly name: "closed" }
  | { readonly name: "broken" };

const TLS_MODES: readonly string[] = ["none", "starttls", "starttls-required", "implicit"];
/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CR LF. */
const MAX_COMMAND_LENGTH = 510;
/** Characters never allowed in an address we put between `<` and `>`. */
function hasControlOrBracket(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x3c || c === 0x3e) return true;
  }
  return false;
}
/** Any character above U+007F (RFC 6531: such an address needs SMTPUTF8). */
const NON_ASCII = /[^\t\n\r\u0020-\u007e]/u;
/** RFC 3461 §4: xtext is printable ASCII except "=" (and "+" only as "+XX"). */
const XTEXT = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;
const SMTP_REDACTOR = new Redactor(REDACT_RULES.smtp);

/** The client side of one SMTP connection, without I/O. */
export class SmtpClientSession {
  readonly #helo: string;
  readonly #tls: SmtpTlsMode;
  readonly #auth: SmtpAuth | undefined;
  readonly #usePipelining: boolean;
  readonly #trace: ((direction: "C" | "S", line: string) => void) | undefined;
  readonly #parser = new ReplyParser({ maxLineLength: 4096 });
  readonly #pending: Pending[] = [];
  #out: string[] = [];
  #events: SmtpClientEvent[] = [];
  #phase: Phase = { name: "handshake" };
  #secure: boolean;
  #tlsDeclined = false;
  #authenticated = false;
  #extensions: SmtpExtensions = NO_EXTENSIONS;
  #lastStage: SmtpStage = "greeting";

  constructor(options: SmtpClientSessionOptions) {
    const tls = options.tls ?? "starttls";
    if (!TLS_MODES.includes(tls)) throw new RangeError(`Cannot create SMTP session: unknown tls mode ${tls}`);
    if (options.helo === "" || hasControlOrBracket(options.helo) || options.helo.includes(" ")) {
      throw new RangeError(`Cannot create SMTP session: helo must be a domain or address literal`);
    }
    this.#helo = options.helo;
    this.#tls = tls;
    this.#auth = options.auth;
    this.#usePipelining = options.pipelining ?? true;
    this.#trace = options.trace;
    this.#secure = tls === "implicit";
    this.#pending.push({
      stage: "greeting",
      wait: "greeting",
      handle: (r) => {
        this.#onGreeting(r);
      },
    });
  }

  /** What the server offered in its last EHLO reply (nothing before it, or after HELO). */
  get extensions(): SmtpExtensions {
    return this.#extensions;
  }

  /** The session is between messages and may `send()`. */
  get ready(): boolean {
    return this.#phase.name === "idle";
  }

  /** The connection is over (QUIT answered, or a fatal failure). */
  get finished(): boolean {
    return this.#phase.name === "closed" || this.#phase.name === "broken";
  }

  /** TLS is in force (implicit, or after STARTTLS). */
  get secure(): boolean {
    return this.#secure;
  }

  /**
   * The time limit that applies now: what the oldest outstanding command waits for, or
   * `"block"` while the caller is writing content; undefined when nothing is awaited.
   */
  get waitingFor(): SmtpWait | undefined {
    if (this.#phase.name === "message" && this.#phase.tx.sending) return "block";
    return this.#pending[0]?.wait;
  }

  /**
   * BDAT chunks sent and not yet answered. Without PIPELINING the caller waits for this to be
   * 0 before the next chunk (RFC 3030 §4.1 shows a reply to each chunk before the next).
   */
  get chunksInFlight(): number {
    return this.#phase.name === "message" ? this.#phase.tx.chunksInFlight : 0;
  }

  /** Whether BDAT chunks may be pipelined (the server offered PIPELINING and it is enabled). */
  get pipelining(): boolean {
    return this.#usePipelining && this.#extensions.pipelining;
  }

  /** Removes and returns the bytes to write (commands, CR LF ended; "" when none). */
  takeOutput(): string {
    if (this.#out.length === 0) return "";
    const out = this.#out.join("");
    this.#out = [];
    return out;
  }

  /** Feeds bytes from the server; returns what happened. */
  receive(chunk: Uint8Array): SmtpClientEvent[] {
    if (this.finished) return [];
    try {
      this.#parser.push(chunk);
      for (let reply = this.#parser.next(); reply !== null && !this.#over(); reply = this.#parser.next()) {
        this.#onReply(reply);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#fatal(error, false);
    }
    return this.#takeEvents();
  }

  /** The socket now speaks TLS (after a `starttls` event): greet again (RFC 3207 §4.2). */
  tlsStarted(): SmtpClientEvent[] {
    if (this.#phase.name !== "tls")
      throw new TypeError("Cannot start TLS: the server has not agreed to STARTTLS");
    this.#secure = true;
    this.#extensions = NO_EXTENSIONS;
    this.#phase = { name: "handshake" };
    this.#ehlo();
    return this.#takeEvents();
  }

  /**
   * Begins a message: MAIL, RCPT for each recipient and (for DATA) DATA, as one group when the
   * server offers PIPELINING. Throws TypeError unless `ready`, RangeError for an address or
   * parameter that cannot be sent, and SmtpUnsupportedError when the message needs an
   * extension the server lacks (SMTPUTF8, BINARYMIME); the session stays ready then.
   */
  send(envelope: SmtpEnvelope): SmtpClientEvent[] {
    if (this.#phase.name !== "idle") throw new TypeError(`Cannot send: the session is ${this.#phase.name}`);
    const ext = this.#extensions;
    if (envelope.recipients.length === 0) throw new RangeError("Cannot send: no recipients");
    const recipients = envelope.recipients.map((r) => (typeof r === "string" ? { address: r } : r));
    checkAddress(envelope.from, true);
    for (const r of recipients) checkAddress(r.address, false);

    let mail = `MAIL FROM:<${envelope.from}>`;
    if (envelope.size !== undefined && ext.size !== undefined) {
      if (!Number.isSafeInteger(envelope.size) || envelope.size < 0) {
        throw new RangeError(`Cannot send: size must be a non-negative integer, got ${envelope.size}`);
      }
      mail += ` SIZE=${envelope.size}`;
    }
    const useBdat = envelope.body === "BINARYMIME" || (envelope.chunking === true && ext.chunking);
    if (envelope.body === "BINARYMIME") {
      if (!ext.binaryMime || !ext.chunking) {
        throw new SmtpUnsupportedError(
          "Cannot send a BINARYMIME message: the server lacks BINARYMIME or CHUNKING",
        );
      }
      mail += " BODY=BINARYMIME";
    } else if (envelope.body === "8BITMIME" && ext.eightBitMime) {
      mail += " BODY=8BITMIME";
    } else if (envelope.body === "7BIT" && ext.eightBitMime) {
      mail += " BODY=7BIT";
    }
    const utf8 =
      envelope.smtputf8 === true ||
      NON_ASCII.test(envelope.from) ||
      recipients.some((r) => NON_ASCII.test(r.address));
    if (utf8) {
      // RFC 6531 §3.4: without SMTPUTF8 the message must not be sent (it bounces or is downgraded).
      if (!ext.smtputf8)
        throw new SmtpUnsupportedError("Cannot send: the message needs SMTPUTF8 and the server lacks it");
      mail += " SMTPUTF8";
    }
    if (ext.dsn) {
      if (envelope.ret !== undefined) {
        const ret: string = envelope.ret;
        if (ret !== "FULL" && ret !== "HDRS") throw new RangeError(`Cannot send: RET must be FULL or HDRS`);
        mail += ` RET=${envelope.ret}`;
      }
      if (envelope.envid !== undefined) {
        if (!XTEXT.test(envelope.envid) || envelope.envid.length > 100) {
          throw new RangeError("Cannot send: ENVID must be xtext of at most 100 characters (RFC 3461 §4.4)");
        }
        mail += ` ENVID=${envelope.envid}`;
      }
    }
    const rcptLines = recipients.map((r) => {
      let line = `RCPT TO:<${r.address}>`;
      if (ext.dsn && r.notify !== undefined) {
        const notify = r.notify === "NEVER" ? "NEVER" : r.notify.join(",");
        if (!/^(?:NEVER|(?:SUCCESS|FAILURE|DELAY)(?:,(?:SUCCESS|FAILURE|DELAY))*)$/.test(notify)) {
          throw new RangeError(`Cannot send: NOTIFY for ${r.address} is invalid`);
        }
        line += ` NOTIFY=${notify}`;
      }
      if (ext.dsn && r.orcpt !== undefined) {
        const semi = r.orcpt.indexOf(";");
        if (semi < 1 || !XTEXT.test(r.orcpt.slice(semi + 1))) {
          throw new RangeError(`Cannot send: ORCPT for ${r.address} must be addr-type;xtext (RFC 3461 §4.2)`);
        }
        line += ` ORCPT=${r.orcpt}`;
      }
      return line;
    });

    const tx: Transaction = {
      recipients: recipients.map((r) => r.address),
      mode: useBdat ? "bdat" : "data",
      pipelined: this.#usePipelining && ext.pipelining,
      accepted: [],
      rejected: [],
      mailAccepted: false,
      failure: null,
      sending: false,
      ended: false,
      chunksInFlight: 0,
    };
    this.#phase = { name: "message", tx };
    this.#command(mail, "MAIL", "mail", (r) => {
      this.#onMail(tx, r);
    });
    if (tx.pipelined) {
      // RFC 2920 §3.1: MAIL, every RCPT and DATA go as one group; DATA ends it.
      rcptLines.forEach((line, i) => {
        this.#command(line, "RCPT", "rcpt", (r) => {
          this.#onRcpt(tx, i, r, rcptLines);
        });
      });
      if (tx.mode === "data") {
        this.#command("DATA", "DATA", "dataInit", (r) => {
          this.#onData(tx, r);
        });
      }
    } else {
      this.#pendingRcpts = rcptLines;
    }
    return this.#takeEvents();
  }

  /** RCPT lines still to send, one at a time, without PIPELINING. */
  #pendingRcpts: readonly string[] = [];

  /**
   * BDAT mode: announces a chunk of `length` octets; write the chunk right after this
   * command's output. Returns false (and sends nothing) once the transaction has failed: the
   * caller must stop sending chunks (RFC 3030 §2) and call `endContent()`; the `failed` event
   * follows once every chunk is answered and the transaction is reset.
   */
  bdat(length: number): boolean {
    const tx = this.#sendingTx("bdat");
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new RangeError(`Cannot send BDAT: length must be a positive integer, got ${length}`);
    }
    if (tx.failure !== null) return false;
    tx.chunksInFlight++;
    this.#command(`BDAT ${length}`, "BDAT", "block", (r) => {
      tx.chunksInFlight--;
      if (!isPositive(r)) tx.failure ??= new SmtpReplyError("BDAT", r);
      this.#maybeEndFailedBdat(tx);
    });
    return true;
  }

  /**
   * The caller has written all the content: for DATA, dot-stuffed and with the `.` line; for
   * BDAT, every chunk (this sends `BDAT 0 LAST`).
   */
  endContent(): SmtpClientEvent[] {
    const tx = this.#sendingTx(undefined);
    tx.sending = false;
    tx.ended = true;
    if (tx.mode === "data") {
      this.#trace?.("C", ".");
    } else if (tx.failure === null) {
      this.#command("BDAT 0 LAST", "BDAT", "final", (r) => {
        this.#onFinal(tx, "BDAT", r);
      });
    } else {
      this.#maybeEndFailedBdat(tx);
    }
    return this.#takeEvents();
  }

  /** Ends the session politely: QUIT (RFC 5321 §4.1.1.10). A no-op once finished. */
  quit(): SmtpClientEvent[] {
    if (this.finished || this.#phase.name === "quitting") return [];
    if (this.#phase.name === "message" || this.#phase.name === "tls") {
      throw new TypeError(`Cannot quit: the session is in the middle of ${this.#phase.name}`);
    }
    this.#phase = { name: "quitting" };
    this.#command("QUIT", "QUIT", "command", () => {
      this.#phase = { name: "closed" };
      this.#events.push({ type: "closed" });
    });
    return this.#takeEvents();
  }

  // --- replies ---

  #onReply(reply: Reply): void {
    if (this.#trace !== undefined) for (const line of replyToText(reply).split("\n")) this.#trace("S", line);
    const pending = this.#pending.shift();
    if (reply.code === 421 && pending?.stage !== "QUIT") {
      // RFC 5321 §3.8: the server is shutting the connection; nothing more will be answered.
      this.#fatal(new SmtpReplyError(pending?.stage ?? this.#lastStage, reply), false);
      return;
    }
    if (pending === undefined) {
      this.#fatal(
        new ProtocolError(`Cannot match reply: the server sent ${reply.code} with no command outstanding`),
        false,
      );
      return;
    }
    pending.handle(reply);
  }

  #onGreeting(reply: Reply): void {
    // RFC 5321 §3.1: 554 instead of 220 means no service; the client should still QUIT.
    if (reply.code !== 220) this.#fatal(new SmtpReplyError("greeting", reply), true);
    else this.#ehlo();
  }

  #ehlo(): void {
    this.#command(`EHLO ${this.#helo}`, "EHLO", "command", (reply) => {
      if (isPositive(reply)) {
        this.#extensions = parseEhloReply(reply);
        this.#afterGreeting();
      } else if (reply.code === 500 || reply.code === 502) {
        // RFC 5321 §3.2: a server that does not know EHLO; fall back to HELO.
        this.#command(`HELO ${this.#helo}`, "HELO", "command", (r) => {
          if (!isPositive(r)) {
            this.#fatal(new SmtpReplyError("HELO", r), true);
            return;
          }
          this.#extensions = NO_EXTENSIONS;
          this.#afterGreeting();
        });
      } else {
        this.#fatal(new SmtpReplyError("EHLO", reply), true);
      }
    });
  }

  /** After EHLO/HELO: STARTTLS, then AUTH, then ready — each if called for. */
  #afterGreeting(): void {
    if (
      !this.#secure &&
      !this.#tlsDeclined &&
      (this.#tls === "starttls" || this.#tls === "starttls-required")
    ) {
      if (this.#extensions.starttls) {
        this.#command("STARTTLS", "STARTTLS", "command", (r) => {
          this.#onStarttls(r);
        });
        return;
      }
      if (this.#tls === "starttls-required") {
        this.#fatal(new SmtpUnsupportedError("Cannot start TLS: the server does not offer STARTTLS"), true);
        return;
      }
    }
    if (this.#auth !== undefined && !this.#authenticated) {
      this.#startAuth(this.#auth);
      return;
    }
    this.#phase = { name: "idle" };
    this.#events.push({ type: "ready", extensions: this.#extensions });
  }

  #onStarttls(reply: Reply): void {
    if (reply.code === 220) {
      // RFC 3207 §4.2: anything the server sent after 220 came in cleartext; drop it.
      this.#parser.discardBuffered();
      this.#phase = { name: "tls" };
      this.#events.push({ type: "starttls" });
    } else if (this.#tls === "starttls-required") {
      this.#fatal(new SmtpReplyError("STARTTLS", reply), true);
    } else {
      // Opportunistic TLS (RFC 7435): carry on in cleartext.
      this.#tlsDeclined = true;
      this.#afterGreeting();
    }
  }

  #startAuth(auth: SmtpAuth): void {
    const offered = this.#extensions.auth;
    const mechanism =
      auth.mechanism ??
      (offered.includes("PLAIN") ? "PLAIN" : offered.includes("LOGIN") ? "LOGIN" : undefined);
    if (mechanism === undefined || !offered.includes(mechanism)) {
      const what = offered.length === 0 ? "does not offer AUTH" : `offers only AUTH ${offered.join(" ")}`;
      this.#fatal(new SmtpUnsupportedError(`Cannot authenticate: the server ${what}`), true);
      return;
    }
    let sasl: SaslClient;
    try {
      sasl = createSaslClient(mechanism, auth);
    } catch (error) {
      this.#fatal(new SmtpUnsupportedError((error as Error).message), true);
      return;
    }
    const ir = sasl.initialResponse();
    // RFC 4954 §4: an initial response that would make the command too long waits for "334 ".
    const line =
      ir !== undefined && `AUTH ${mechanism} ${ir}`.length <= MAX_COMMAND_LENGTH
        ? `AUTH ${mechanism} ${ir}`
        : `AUTH ${mechanism}`;
    const onReply = (reply: Reply): void => {
      if (reply.code === 334) {
        this.#command(sasl.respond(reply.lines[0] ?? ""), "AUTH", "command", onReply, true);
      } else if (isPositive(reply)) {
        // RFC 4954 §6 says 235; some servers (Postfix's smtp-sink among them) say 250.
        this.#authenticated = true;
        this.#afterGreeting();
      } else {
        this.#fatal(new SmtpReplyError("AUTH", reply), true);
      }
    };
    this.#command(line, "AUTH", "command", onReply);
  }

  #onMail(tx: Transaction, reply: Reply): void {
    if (isPositive(reply)) tx.mailAccepted = true;
    else tx.failure = new SmtpReplyError("MAIL", reply);
    if (tx.pipelined) return;
    if (tx.failure !== null) this.#failMessage(tx);
    else this.#nextRcpt(tx, 0);
  }

  #nextRcpt(tx: Transaction, i: number): void {
    const line = this.#pendingRcpts[i];
    if (line === undefined) {
      this.#afterRcpts(tx);
      return;
    }
    this.#command(line, "RCPT", "rcpt", (r) => {
      this.#onRcpt(tx, i, r, this.#pendingRcpts);
    });
  }

  #onRcpt(tx: Transaction, i: number, reply: Reply, lines: readonly string[]): void {
    const entry = { rcpt: tx.recipients[i]!, reply };
    if (isPositive(reply)) tx.accepted.push(entry);
    else tx.rejected.push(entry);
    if (!tx.pipelined) this.#nextRcpt(tx, i + 1);
    else if (i === lines.length - 1 && tx.mode === "bdat") this.#afterRcpts(tx);
  }

  /** Every RCPT is answered and no DATA was sent with them. */
  #afterRcpts(tx: Transaction): void {
    if (tx.failure === null && tx.accepted.length === 0) tx.failure = this.#noRecipients(tx);
    if (tx.failure !== null) {
      this.#failMessage(tx);
    } else if (tx.mode === "bdat") {
      tx.sending = true;
      this.#events.push({ type: "content", mode: "bdat" });
    } else {
      this.#command("DATA", "DATA", "dataInit", (r) => {
        this.#onData(tx, r);
      });
    }
  }

  #noRecipients(tx: Transaction): SmtpReplyError {
    const first = tx.rejected[0]!;
    return new SmtpReplyError("RCPT", first.reply, tx.rejected);
  }

  #onData(tx: Transaction, reply: Reply): void {
    if (tx.failure === null && tx.accepted.length === 0) tx.failure = this.#noRecipients(tx);
    const go = reply.code >= 300 && reply.code < 400;
    if (go && tx.failure !== null) {
      // RFC 2920 §3.1: DATA accepted with no valid recipient: send a lone dot, then RSET.
      this.#command(".", "DATA", "final", () => {
        this.#failMessage(tx);
      });
      return;
    }
    if (!go) {
      tx.failure ??= new SmtpReplyError("DATA", reply);
      this.#failMessage(tx);
      return;
    }
    tx.sending = true;
    this.#pending.push({
      stage: "DATA",
      wait: "final",
      handle: (r) => {
        this.#onFinal(tx, "DATA", r);
      },
    });
    this.#events.push({ type: "content", mode: "data" });
  }

  #onFinal(tx: Transaction, stage: "DATA" | "BDAT", reply: Reply): void {
    if (!tx.ended) {
      // A reply before the terminator: the server is no longer reading our data as data.
      this.#fatal(new SmtpReplyError(stage, reply), false);
      return;
    }
    this.#phase = { name: "idle" };
    if (isPositive(reply)) {
      this.#events.push({
        type: "sent",
        result: { accepted: tx.accepted, rejected: tx.rejected, finalReply: reply },
      });
    } else {
      this.#events.push({
        type: "failed",
        error: new SmtpReplyError(stage, reply, tx.rejected),
        fatal: false,
      });
    }
  }

  /** A failed BDAT transaction ends once the caller stopped and every chunk was answered. */
  #maybeEndFailedBdat(tx: Transaction): void {
    if (tx.failure !== null && tx.ended && tx.chunksInFlight === 0) this.#failMessage(tx);
  }

  /** The message failed: RSET when a transaction is open on the server, then report. */
  #failMessage(tx: Transaction): void {
    const failure = tx.failure!;
    if (!tx.mailAccepted) {
      this.#phase = { name: "idle" };
      this.#events.push({ type: "failed", error: failure, fatal: false });
      return;
    }
    this.#reset(tx, failure);
  }

  #reset(tx: Transaction, failure: SmtpReplyError | null): void {
    tx.mailAccepted = false;
    this.#command("RSET", "RSET", "command", (r) => {
      if (!isPositive(r)) {
        this.#fatal(new SmtpReplyError("RSET", r), true);
        return;
      }
      this.#phase = { name: "idle" };
      if (failure !== null) this.#events.push({ type: "failed", error: failure, fatal: false });
    });
  }

  // --- plumbing ---

  #sendingTx(mode: "bdat" | undefined): Transaction {
    const phase = this.#phase;
    if (phase.name !== "message" || !phase.tx.sending) {
      throw new TypeError("Cannot send content: the server has not asked for it");
    }
    if (mode !== undefined && phase.tx.mode !== mode)
      throw new TypeError("Cannot send BDAT: this message uses DATA");
    return phase.tx;
  }

  #command(
    line: string,
    stage: SmtpStage,
    wait: SmtpWait,
    handle: (reply: Reply) => void,
    secret = false,
  ): void {
    this.#out.push(`${line}\r\n`);
    this.#lastStage = stage;
    this.#pending.push({ stage, wait, handle });
    if (this.#trace !== undefined) {
      this.#trace(
        "C",
        secret ? redactSaslResponse(line) : stage === "AUTH" ? SMTP_REDACTOR.redact(line) : line,
      );
    }
  }

  #fatal(error: SmtpReplyError | SmtpUnsupportedError | ProtocolError, quit: boolean): void {
    if (this.finished) return;
    this.#pending.length = 0;
    if (quit) {
      this.#out.push("QUIT\r\n");
      this.#trace?.("C", "QUIT");
    }
    this.#phase = { name: "broken" };
    this.#events.push({ type: "failed", error, fatal: true });
  }

  #over(): boolean {
    return this.#phase.name === "closed" || this.#phase.name === "broken";
  }

  #takeEvents(): SmtpClientEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }
}

function isPositive(reply: Reply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

/** Refuses what cannot go between `<` and `>` on a command line. */
function checkAddress(address: string, nullAllowed: boolean): void {
  if (address === "" && nullAllowed) return;
  if (address === "" || hasControlOrBracket(address) || address.length > 256) {
    throw new RangeError(`Cannot send: ${JSON.stringify(address)} is not a mailbox that can be sent in SMTP`);
  }
}
