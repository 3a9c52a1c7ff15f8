/**
 * Client-side SASL for `portico send` and the SMTP relay client (and any other client): the
 * lines to send for PLAIN and LOGIN, sans-I/O.
 *
 * ```ts
 * const sasl = createSaslClient("PLAIN", { username, password });
 * const ir = sasl.initialResponse();             // undefined for LOGIN
 * send(ir === undefined ? "AUTH PLAIN" : `AUTH PLAIN ${ir}`);
 * for (let reply = await read(); reply.code === 334; reply = await read()) send(sasl.respond(reply.text));
 * ```
 */
import { decodeBase64, encodeBase64 } from "./base64.js";
import { encodePlain } from "./plain.js";
import type { SaslMechanism } from "./types.js";

/** The line that cancels an exchange (RFC 4954 §4, RFC 9051 §6.2.2). */
export const SASL_CANCEL = "*";

/** What the client authenticates with. */
export interface SaslClientCredentials {
  readonly username: string;
  readonly password: string;
  /** PLAIN only: the identity to act as; default none (act as `username`). */
  readonly authzid?: string;
}

/** A running client-side exchange. */
export interface SaslClient {
  readonly mechanism: SaslMechanism;
  /**
   * The initial response to send with the command (`AUTH PLAIN <ir>`), or `undefined` for a
   * mechanism that has none (LOGIN). Calling it records that it was sent; a client that
   * leaves it out — RFC 4954 §4: because the command would get too long — just does not call
   * it and answers the server's empty challenge with `respond`.
   */
  initialResponse(): string | undefined;
  /**
   * The line that answers a server challenge (the base64 text after `334 ` or `+ `): base64,
   * or {@link SASL_CANCEL} when the challenge cannot be decoded (RFC 4954 §4: the client MUST
   * cancel then) or is one more than the mechanism has.
   */
  respond(challenge: string): string;
}

/**
 * A client for `mechanism` with these credentials. Throws RangeError for an empty username or
 * password, or a NUL in a field.
 */
export function createSaslClient(mechanism: SaslMechanism, credentials: SaslClientCredentials): SaslClient {
  const { username, password } = credentials;
  switch (mechanism) {
    case "PLAIN":
      return new PlainClient(encodePlain(username, password, credentials.authzid ?? ""));
    case "LOGIN":
      if (username === "" || password === "" || username.includes("\0") || password.includes("\0")) {
        throw new RangeError(
          "Cannot create LOGIN client: username and password must be non-empty, without NUL",
        );
      }
      return new LoginClient(encodeBase64(username), encodeBase64(password));
    default:
      throw new RangeError(`Cannot create SASL client: unsupported mechanism ${String(mechanism)}`);
  }
}

class PlainClient implements SaslClient {
  readonly mechanism = "PLAIN";
  readonly #message: string;
  #sent = false;

  constructor(message: string) {
    this.#message = message;
  }

  initialResponse(): string {
    this.#sent = true;
    return this.#message;
  }

  respond(challenge: string): string {
    // PLAIN has one message; a server asking again after it is not following the mechanism.
    if (this.#sent || decodeBase64(challenge) === null) return SASL_CANCEL;
    this.#sent = true;
    return this.#message;
  }
}

/**
 * LOGIN has no specification beyond practice (draft-murchison-sasl-login): the server prompts
 * "Username:" then "Password:". Prompts are recognised by their text when they say "user" or
 * "pass" (servers vary: "User Name", "Password"), otherwise by order.
 */
class LoginClient implements SaslClient {
  readonly mechanism = "LOGIN";
  readonly #username: string;
  readonly #password: string;
  #answered = 0;

  constructor(username: string, password: string) {
    this.#username = username;
    this.#password = password;
  }

  initialResponse(): undefined {
    return undefined;
  }

  respond(challenge: string): string {
    const prompt = decodeBase64(challenge);
    if (prompt === null || this.#answered >= 2) return SASL_CANCEL;
    this.#answered += 1;
    const text = prompt.toString("latin1").toLowerCase();
    if (text.includes("pass")) return this.#password;
    if (text.includes("user")) return this.#username;
    return this.#answered === 1 ? this.#username : this.#password;
  }
}
