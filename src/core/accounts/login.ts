/**
 * A password login as every protocol does it: refused at once while the client address is
 * blocked by the {@link LoginThrottle}, checked against the {@link AccountStore}, and a failure
 * answered only after the throttle's delay (RFC 4954 §9, RFC 2577 §5: make guessing slow).
 */
import type { Logger } from "../log.js";
import type { AccountStore } from "./store.js";
import type { LoginThrottle } from "./throttle.js";

/** How a login ended. */
export type LoginOutcome =
  | { readonly ok: true; readonly user: string }
  /** Wrong user or password. */
  | { readonly ok: false; readonly blocked: false }
  /** Too many failures from this address (LoginThrottle). */
  | { readonly ok: false; readonly blocked: true };

export async function login(
  context: { readonly accounts: AccountStore; readonly throttle: LoginThrottle; readonly log: Logger },
  clientAddress: string,
  username: string,
  password: string,
): Promise<LoginOutcome> {
  const { accounts, throttle, log } = context;
  if (!throttle.check(clientAddress).allowed) return { ok: false, blocked: true };
  const account = await accounts.authenticate(username, password);
  if (account) {
    throttle.succeed(clientAddress);
    log.info({ user: account.address }, "authenticated");
    return { ok: true, user: account.address };
  }
  const delay = throttle.fail(clientAddress);
  log.info({ user: username }, "authentication failed");
  await new Promise((resolve) => setTimeout(resolve, delay));
  return { ok: false, blocked: false };
}

/**
 * The login of one client connection, as a session's `authenticate` option takes it: its
 * address is what the throttle counts, its logger what records the outcome.
 */
export function connectionLogin(
  connection: { readonly remoteAddress: string; readonly log: Logger },
  context: { readonly accounts: AccountStore; readonly throttle: LoginThrottle },
): (username: string, password: string) => Promise<LoginOutcome> {
  const full = { ...context, log: connection.log };
  return (username, password) => login(full, connection.remoteAddress, username, password);
}
