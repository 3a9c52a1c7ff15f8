/**
 * BIND's `dig` (Debian's bind9-dnsutils) as a third-party client in the DNS tests, with a
 * parser for the parts of its output the tests look at.
 */

import { execFile } from "node:child_process";

/** What dig printed about one response. */
export interface DigResult {
  /** The whole output, for failure messages. */
  readonly text: string;
  readonly opcode: string;
  readonly status: string;
  readonly id: number;
  /** Header flags as dig names them ("qr", "aa", "tc", …). */
  readonly flags: ReadonlySet<string>;
  /** Record lines per section, whitespace collapsed (QUESTION lines without the ";"). */
  readonly sections: ReadonlyMap<string, readonly string[]>;
  /** The OPT pseudosection's lines, or undefined when the response had no OPT record. */
  readonly opt: readonly string[] | undefined;
  /** dig fell back to TCP after a truncated UDP response. */
  readonly retriedOverTcp: boolean;
}

/** Runs dig with `args` against `127.0.0.1:port` and parses the (last) response it printed. */
export function dig(port: number, args: readonly string[], server = "127.0.0.1"): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "dig",
      [`@${server}`, "-p", String(port), "+time=2", "+tries=1", ...args],
      { timeout: 15_000 },
      (error, stdout, stderr) => {
        // dig exits 9 when no reply came; other errors are reported with its output.
        if (error && !stdout.includes("->>HEADER<<-")) {
          reject(new Error(`dig ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
          return;
        }
        try {
          resolve(parseDig(stdout));
        } catch (parseError) {
          reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
        }
      },
    );
  });
}

/** Parses dig's output (the last response in it). */
export function parseDig(text: string): DigResult {
  const headerAt = text.lastIndexOf(";; ->>HEADER<<-");
  if (headerAt < 0) throw new Error(`Cannot parse dig output: no header line\n${text}`);
  const lines = text.slice(headerAt).split("\n");
  const header = /opcode: (\S+), status: (\S+), id: (\d+)/.exec(lines[0]!);
  if (!header) throw new Error(`Cannot parse dig header: ${lines[0]}`);
  const flagLine = lines.find((l) => l.startsWith(";; flags:")) ?? "";
  const flags = new Set(/;; flags:([^;]*);/.exec(flagLine)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? []);
  const sections = new Map<string, string[]>();
  let opt: string[] | undefined;
  let current: string[] | undefined;
  for (const line of lines.slice(1)) {
    const section = /^;; (\S+) SECTION:$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      continue;
    }
    if (line === ";; OPT PSEUDOSECTION:") {
      current = opt = [];
      continue;
    }
    if (line.trim() === "" || (line.startsWith(";;") && current !== opt)) {
      current = undefined;
      continue;
    }
    current?.push(line.replace(/^;/, "").replace(/\s+/g, " ").trim());
  }
  return {
    text,
    opcode: header[1]!,
    status: header[2]!,
    id: Number(header[3]),
    flags,
    sections,
    opt,
    retriedOverTcp: text.includes("Truncated, retrying in TCP mode"),
  };
}

/** The records of `section` ("ANSWER", "AUTHORITY", …), or none. */
export function records(result: DigResult, section: string): readonly string[] {
  return result.sections.get(section) ?? [];
}
