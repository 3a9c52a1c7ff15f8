/**
 * Server-side SASL exchanges as sans-I/O state machines, one implementation for SMTP AUTH
 * (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 9051 §6.2.2). The protocol
 * session frames the challenges and answers (`334 `, `+ `, tagged OK/NO/BAD); this module
 * decides what they are.
 *
 * ```ts
 * const auth = startSasl(mechanism, initialResponse, { allowAuthzid });
 * let step = auth.first;
 * while (step.kind === "challenge") step = auth.step(await readLine()); // after sending 334 step.data
 * if (step.kind === "done") verify(step.credentials); else reply(step.reason);
 * ```
 */
import { decodeBase64 } from "./base64.js";
import { parsePlain } from "./plain.js";
import type { AuthzidPolicy } from "./plain.js";
import type { SaslStep } from "./types.js";

/** Options for {@link startSasl}. */
export interface SaslServerOptions {
  /**
   * Whether a user may act as another identity (PLAIN's authzid). Without it, an authzid must
   * be empty or equal to the username (compared exactly).
   */
  readonly allowAuthzid?: AuthzidPolicy;
}

/** A running server-side exchange. */
export interface SaslServerExchange {
  /** The mechanism in upper case, as the client named it. */
  readonly mechanism: string;
  /**
   * The server's first move: a challenge to send, or — when the initial response settled it,
   * or the mechanism is not supported — already `done` or an `error`.
   */
  readonly first: SaslStep;
  /** The exchange has reached `done` or `error`. */
  readonly finished: boolean;
  /**
   * Takes the client's answer to the last challenge: the line as received, without CR LF.
   * `*` cancels (RFC 4954 §4); anything else must be strict base64 (an empty line is the empty
   * response). Throws TypeError once `finished`.
   */
  step(clientLine: string): SaslStep;
}

/** "Username:" and "Password:", the LOGIN mechanism's de-facto challenges. */
const LOGIN_USERNAME_CHALLENGE = "VXNlcm5hbWU6";
const LOGIN_PASSWORD_CHALLENGE = "UGFzc3dvcmQ6";
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const CANCELLED: SaslStep = Object.freeze({
  kind: "error",
  reason: "cancelled",
  message: "Cannot authenticate: the client cancelled the exchange",
});
const INVALID_BASE64: SaslStep = Object.freeze({
  kind: "error",
  reason: "invalid-base64",
  message: "Cannot authenticate: the response is not valid base64",
});

/**
 * Starts an exchange for `mechanism` (case-insensitive: `PLAIN` or `LOGIN`).
 *
 * `initialResponse` is the argument of `AUTH PLAIN <ir>` / `AUTHENTICATE PLAIN <ir>`, or
 * `undefined` when there was none. RFC 4954 §4: an empty initial response is sent as "=",
 * so "=" means "present and empty" (which PLAIN then refuses as malformed), while `""` is
 * not valid. For LOGIN, an initial response is taken as the username, as Postfix, Cyrus and
 * Dovecot do for clients that send `AUTH LOGIN <base64 username>`.
 */
export function startSasl(
  mechanism: string,
  initialResponse?: string,
  options: SaslServerOptions = {},
): SaslServerExchange {
  const name = mechanism.toUpperCase();
  switch (name) {
    case "PLAIN":
      return new PlainExchange(initialResponse, options.allowAuthzid);
    case "LOGIN":
      return new LoginExchange(initialResponse);
    default:
      return new FailedExchange(name);
  }
}

/** Decodes a client response: the initial response ("=" is empty), or a later line. */
function decodeResponse(text: string, initial: boolean): Buffer | null {
  if (initial && text === "=") return Buffer.alloc(0);
  if (initial && text === "") return null;
  return decodeBase64(text);
}

abstract class Exchange implements SaslServerExchange {
  abstract readonly mechanism: string;
  abstract readonly first: SaslStep;
  #finished = false;

  get finished(): boolean {
    return this.#finished;
  }

  step(clientLine: string): SaslStep {
    if (this.#finished) throw new TypeError("Cannot step: the SASL exchange has finished");
    return this.settle(clientLine === "*" ? CANCELLED : this.respond(clientLine, false));
  }

  /** Marks the exchange finished when `step` ends it. */
  protected settle(step: SaslStep): SaslStep {
    if (step.kind !== "challenge") this.#finished = true;
    return step;
  }

  protected abstract respond(text: string, initial: boolean): SaslStep;
}

class PlainExchange extends Exchange {
  readonly mechanism = "PLAIN";
  readonly first: SaslStep;
  readonly #allowAuthzid: AuthzidPolicy | undefined;

  constructor(initialResponse: string | undefined, allowAuthzid: AuthzidPolicy | undefined) {
    super();
    this.#allowAuthzid = allowAuthzid;
    // RFC 4954 §4: without an initial response, PLAIN (client-first) gets an empty challenge, "334 ".
    this.first =
      initialResponse === undefined
        ? { kind: "challenge", data: "" }
        : this.settle(this.respond(initialResponse, true));
  }

  protected respond(text: string, initial: boolean): SaslStep {
    const message = decodeResponse(text, initial);
    if (message === null) return INVALID_BASE64;
    return parsePlain(message, this.#allowAuthzid);
  }
}

class LoginExchange extends Exchange {
  readonly mechanism = "LOGIN";
  readonly first: SaslStep;
  #username: string | null = null;

  constructor(initialResponse: string | undefined) {
    super();
    this.first =
      initialResponse === undefined
        ? { kind: "challenge", data: LOGIN_USERNAME_CHALLENGE }
        : this.settle(this.respond(initialResponse, true));
  }

  protected respond(text: string, initial: boolean): SaslStep {
    const bytes = decodeResponse(text, initial);
    if (bytes === null) return INVALID_BASE64;
    const value = decodeField(bytes);
    if (value === null) {
      return {
        kind: "error",
        reason: "malformed",
        message: "Cannot authenticate: the username and password must be non-empty UTF-8 without NUL",
      };
    }
    if (this.#username === null) {
      this.#username = value;
      return { kind: "challenge", data: LOGIN_PASSWORD_CHALLENGE };
    }
    const username = this.#username;
    return { kind: "done", credentials: { authzid: username, username, password: value } };
  }
}

class FailedExchange extends Exchange {
  readonly mechanism: string;
  readonly first: SaslStep;

  constructor(mechanism: string) {
    super();
    this.mechanism = mechanism;
    this.first = this.settle({
      kind: "error",
      reason: "unsupported-mechanism",
      message: "Cannot authenticate: unsupported mechanism",
    });
  }

  protected respond(): SaslStep {
    return this.first;
  }
}

/** A LOGIN field: non-empty UTF-8 without NUL, or null. The bytes are zeroed. */
function decodeField(bytes: Buffer): string | null {
  try {
    if (bytes.length === 0 || bytes.includes(0)) return null;
    return UTF8.decode(bytes);
  } catch {
    return null;
  } finally {
    bytes.fill(0);
  }
}
