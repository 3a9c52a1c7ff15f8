/**
 * Parses a duration: a number of seconds, or a number with a unit `s`, `m`, `h`, `d`
 * (`"90s"`, `"30m"`, `"4h"`, `"5d"`). Returns ms, or undefined when malformed.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { "": 1_000, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as "" | "s" | "m" | "h" | "d"
  ];
  return Math.round(Number(m[1]) * unit);
}
