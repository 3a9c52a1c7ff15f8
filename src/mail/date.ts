/**
 * RFC 5322 §3.3 date-time, as Date:, Received: and DSN headers carry it:
 * `Sun, 29 Nov 2026 14:06:15 +0100` in local time, or with `utc` in UTC (`+0000`).
 */
export function rfc5322Date(date: Date, options: { readonly utc?: boolean } = {}): string {
  const utc = options.utc ?? false;
  const offset = utc ? 0 : -date.getTimezoneOffset();
  const shifted = new Date(date.getTime() + offset * 60_000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${DAYS[shifted.getUTCDay()]!}, ${pad(shifted.getUTCDate())} ${MONTHS[shifted.getUTCMonth()]!} ` +
    `${shifted.getUTCFullYear()} ${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:` +
    `${pad(shifted.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
