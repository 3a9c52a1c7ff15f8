import { parseDuration } from "../duration.js";
import { NetworkSet, parseSocketAddress, type SocketAddress } from "../address.js";
import type { KeyPath } from "./locate.js";

/** One thing wrong with a config: where (a key path) and what, with what was expected. */
export interface ConfigIssue {
  readonly path: KeyPath;
  readonly problem: string;
}

type Table = Readonly<Record<string, unknown>>;

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (value instanceof Date) return "a date";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value)}`;
    case "number":
    case "bigint":
      return `the number ${String(value)}`;
    case "boolean":
      return `the boolean ${String(value)}`;
    case "object":
      return "a table";
    default:
      return typeof value;
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Reads the keys of one TOML table into typed values, collecting every problem instead of
 * stopping at the first, and remembering which keys were read so `finish()` can report the
 * unknown ones. Each getter takes the default that applies when the key is absent.
 */
export class TableReader {
  readonly #table: Table;
  readonly #seen = new Set<string>();
  readonly path: KeyPath;
  readonly issues: ConfigIssue[];

  constructor(table: Table, path: KeyPath, issues: ConfigIssue[]) {
    this.#table = table;
    this.path = path;
    this.issues = issues;
  }

  /** Records a problem with `key` (or with the table itself when `key` is undefined). */
  fail(key: string | number | undefined, problem: string, subpath: KeyPath = []): void {
    this.issues.push({ path: key === undefined ? this.path : [...this.path, key, ...subpath], problem });
  }

  has(key: string): boolean {
    return this.#table[key] !== undefined;
  }

  #get(key: string): unknown {
    this.#seen.add(key);
    return this.#table[key];
  }

  /** Reports a value of the wrong type (the message every getter uses) and returns `fallback`. */
  #wrongType<T>(key: string, value: unknown, expected: string, fallback: T, subpath: KeyPath = []): T {
    this.fail(key, `is ${describe(value)} (expected ${expected})`, subpath);
    return fallback;
  }

  string(key: string, fallback: string, check?: (s: string) => string | undefined): string;
  string(key: string, fallback: undefined, check?: (s: string) => string | undefined): string | undefined;
  string(
    key: string,
    fallback: string | undefined,
    check?: (s: string) => string | undefined,
  ): string | undefined {
    const value = this.#get(key);
    if (value === undefined) return fallback;
    if (typeof value !== "string") return this.#wrongType(key, value, "a string", fallback);
    const problem = check?.(value);
    if (problem !== undefined) {
      this.fail(key, problem);
      return fallback;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.#get(key);
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") return this.#wrongType(key, value, "true or false", fallback);
    return value;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.#get(key);
    if (value === undefined) return fallback;
    const n = typeof value === "bigint" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      return this.#wrongType(key, value, `a whole number from ${min} to ${max}`, fallback);
    }
    if (n < min || n > max) {
      this.fail(key, `${n} is out of range (expected a whole number from ${min} to ${max})`);
      return fallback;
    }
    return n;
  }

  /** A duration: seconds as a number, or a string `"90s"`, `"30m"`, `"4h"`, `"5d"`; in ms. */
  duration(key: string, fallbackMs: number): number {
    const value = this.#get(key);
    if (value === undefined) return fallbackMs;
    const ms = parseDuration(typeof value === "bigint" ? Number(value) : value);
    if (ms === undefined)
      return this.#wrongType(key, value, 'a duration (seconds, or e.g. "30m", "4h", "5d")', fallbackMs);
    return ms;
  }

  /** An array of durations (see {@link duration}). */
  durations(key: string, fallbackMs: readonly number[]): number[] {
    const value = this.#get(key);
    if (value === undefined) return [...fallbackMs];
    if (!Array.isArray(value) || value.length === 0) {
      return this.#wrongType(key, value, 'a non-empty array of durations (e.g. ["1m", "15m", "1h"])', [
        ...fallbackMs,
      ]);
    }
    const out: number[] = [];
    value.forEach((item: unknown, index) => {
      const ms = parseDuration(typeof item === "bigint" ? Number(item) : item);
      if (ms === undefined || ms === 0)
        this.#wrongType(key, item, 'a duration above zero (e.g. "15m")', undefined, [index]);
      else out.push(ms);
    });
    return out.length > 0 ? out : [...fallbackMs];
  }

  /** An array of strings, each checked by `check` (which returns a problem or undefined). */
  strings(key: string, fallback: readonly string[], check?: (s: string) => string | undefined): string[] {
    const value = this.#get(key);
    if (value === undefined) return [...fallback];
    if (!Array.isArray(value)) return this.#wrongType(key, value, "an array of strings", [...fallback]);
    const out: string[] = [];
    value.forEach((item: unknown, index) => {
      if (typeof item !== "string") {
        this.#wrongType(key, item, "a string", undefined, [index]);
        return;
      }
      const problem = check?.(item);
      if (problem === undefined) out.push(item);
      else this.fail(key, problem, [index]);
    });
    return out;
  }

  /** An array of `IP:PORT` socket addresses. */
  addresses(key: string, fallback: readonly string[]): SocketAddress[] {
    const texts = this.strings(key, fallback, (s) => addressProblem(s));
    return texts.map((s) => parseSocketAddress(s));
  }

  /** One `IP:PORT` socket address (or a bare IP when `defaultPort` is given). */
  address(key: string, fallback: SocketAddress | undefined, defaultPort?: number): SocketAddress | undefined {
    const text = this.string(key, undefined, (s) => addressProblem(s, defaultPort));
    return text === undefined ? fallback : parseSocketAddress(text, defaultPort);
  }

  /** An array of CIDR networks. */
  networks(key: string, fallback: readonly string[]): NetworkSet {
    const texts = this.strings(key, fallback, (s) => {
      try {
        new NetworkSet([s]);
        return undefined;
      } catch (error) {
        return `${(error as Error).message} (expected e.g. "127.0.0.0/8")`;
      }
    });
    return new NetworkSet(texts);
  }

  /** A sub-table, or undefined when absent (a value that is not a table is reported). */
  table(key: string): TableReader | undefined {
    const value = this.#get(key);
    if (value === undefined) return undefined;
    if (isTable(value)) return new TableReader(value, [...this.path, key], this.issues);
    this.#wrongType(key, value, `a table [${key}]`, undefined);
    return undefined;
  }

  /** An array of tables (`[[key]]`). */
  tables(key: string): TableReader[] {
    const value = this.#get(key);
    if (value === undefined) return [];
    if (!Array.isArray(value)) return this.#wrongType(key, value, `an array of tables [[${key}]]`, []);
    const out: TableReader[] = [];
    value.forEach((item: unknown, index) => {
      if (isTable(item)) out.push(new TableReader(item, [...this.path, key, index], this.issues));
      else this.#wrongType(key, item, `a table [[${key}]]`, undefined, [index]);
    });
    return out;
  }

  /** Every key of this table not read by a getter. */
  entries(): [string, unknown][] {
    for (const key of Object.keys(this.#table)) this.#seen.add(key);
    return Object.entries(this.#table);
  }

  /** Reports each key that no getter read: unknown keys are errors, not silently ignored. */
  finish(): void {
    const known = [...this.#seen].join(", ");
    for (const key of Object.keys(this.#table)) {
      if (!this.#seen.has(key)) this.fail(key, `unknown key (expected one of: ${known})`);
    }
  }
}

function addressProblem(text: string, defaultPort?: number): string | undefined {
  try {
    parseSocketAddress(text, defaultPort);
    return undefined;
  } catch (error) {
    return `${(error as Error).message} (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")`;
  }
}
