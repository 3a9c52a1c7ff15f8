/**
 * The error tree every Portico module throws from. Each class carries a stable `code`
 * (`PORTICO_ERR_*`) that programs may match on; messages are for people and may change.
 *
 * Misuse by a caller (a wrong argument type, a value out of range) is a plain `TypeError`
 * or `RangeError`, not one of these.
 */
export class PorticoError extends Error {
  readonly code: string = "PORTICO_ERR";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that cannot be decoded; `offset` is where in the input the decoder gave up. */
export class DecodeError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_DECODE";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** The peer broke the protocol (as opposed to answering with an error reply). */
export class ProtocolError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_PROTOCOL";
}

/** The peer answered, and the answer was a refusal; `reply` is what it said. */
export class ReplyError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_REPLY";
  constructor(
    message: string,
    readonly reply: { readonly code: number; readonly text: string },
  ) {
    super(message);
  }
}

/** Something did not happen within its time limit. */
export class TimeoutError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_TIMEOUT";
}

/** A configuration file or options object is invalid; `file`/`line` locate it when known. */
export class ConfigError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_CONFIG";
  constructor(
    readonly detail: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file === undefined ? detail : `${file}:${line ?? 1}: ${detail}`);
  }
}

/** A listener could not be opened (address in use, permission denied, no such address). */
export class ListenError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_LISTEN";
}

/** A configuration with one or more problems; `issues` holds each, located when possible. */
export class InvalidConfigError extends ConfigError {
  constructor(readonly issues: readonly ConfigError[]) {
    super(issues.map((i) => i.message).join("\n"));
  }
}
