/**
 * Account addresses: `local@domain`. The domain is case-insensitive (RFC 5321 §2.4); the local
 * part is too, for Portico's own accounts (as Postfix's virtual maps and Dovecot treat them),
 * so an account is stored and looked up in lowercase.
 */

// RFC 5321 §4.1.2 Dot-string local part, or a UTF-8 one (RFC 6531); a domain of LDH labels
// (or U-labels). Quoted local parts are not accepted for accounts.
const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN =
  /^(?=.{1,253}$)[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(\.[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)*$/u;

/** Whether `address` is a `local@domain` Portico can hold an account or alias for. */
export function isValidAddress(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at > 64) return false;
  return LOCAL.test(address.slice(0, at)) && DOMAIN.test(address.slice(at + 1));
}

/** The stored form of an address: lowercase. */
export function normalizeAddress(address: string): string {
  return address.toLowerCase();
}

/** Splits `local@domain` at the last `@`. */
export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf("@");
  if (at < 0) throw new TypeError(`Cannot split "${address}": no "@" in it`);
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}
