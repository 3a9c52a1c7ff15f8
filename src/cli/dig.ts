import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { parsePort, type SocketAddress } from "../core/address.js";
import { ProtocolError, TimeoutError } from "../core/errors.js";
import { reverseName } from "../dns/authority/index.js";
import { query, QueryError, queryMessage, serverText, type QueryResult } from "../dns/client/index.js";
import { isAbsoluteName, isSubdomain, nameToWire } from "../dns/name.js";
import { parseResolvConf } from "../dns/resolver/index.js";
import { RRClass, RRType } from "../dns/types.js";
import type { Edns, EdnsOption, Message, ResourceRecord } from "../dns/types.js";
import {
  classToText,
  rcodeToText,
  rdataToText,
  recordToText,
  textToClass,
  textToType,
  typeToText,
} from "../dns/zone/index.js";
import { UsageError } from "./errors.js";

export const DIG_HELP = `usage: portico dig [@SERVER] [-p PORT] NAME [TYPE] [CLASS] [-x ADDR] [+OPTIONS]

  @SERVER       server to ask (default: the first nameserver of /etc/resolv.conf)
  -p PORT       its port (default 53)
  -x ADDR       reverse lookup: the PTR record of ADDR
  -t TYPE, -c CLASS, -q NAME   the same as the bare words
  +tcp          TCP only (+notcp: UDP, then TCP when truncated)
  +short        only the data of the answer records
  +norec        no recursion desired (RD clear)
  +time=S +tries=N +retry=N   per-try timeout (5 s) and UDP tries (3)
  +bufsize=N +noedns +dnssec +nsid +cd +noad +ignore   as in BIND's dig`;

/** Where `digCommand()` writes and what it reads; tests substitute it. */
export interface DigIo {
  /** Receives the output, in pieces. */
  write(text: string): void;
  /** The text of /etc/resolv.conf, or undefined if there is none. */
  readResolvConf(): Promise<string | undefined>;
  /** The current time, for the WHEN line. */
  now(): Date;
}

const processIo: DigIo = {
  write: (text) => {
    process.stdout.write(text);
  },
  readResolvConf: () => readFile("/etc/resolv.conf", "utf8").catch(() => undefined),
  now: () => new Date(),
};

/** What the command line asks for. */
interface DigRequest {
  server: string | undefined;
  port: number;
  name: string | undefined;
  /** The name as typed (dig names it so in some messages). */
  typedName: string | undefined;
  type: number | undefined;
  class: number;
  /** +tcp / +notcp; undefined when not said (ANY then goes over TCP, as in dig 9.18). */
  tcp: boolean | undefined;
  /** +ignore: keep a truncated UDP answer instead of asking again over TCP. */
  ignoreTc: boolean;
  short: boolean;
  rd: boolean;
  ad: boolean;
  cd: boolean;
  edns: boolean;
  dnssec: boolean;
  nsid: boolean;
  bufsize: number;
  timeoutMs: number;
  tries: number;
}

/**
 * `portico dig`: one query, its response printed the way BIND's dig 9.18 prints it (header
 * and flags lines, OPT pseudosection, the sections, the statistics footer), or with
 * `+short` only the answer records' data. Like dig, it sends RD, AD and EDNS with a 1232
 * byte payload size, and retries over TCP when a UDP answer is truncated. Exit status 0 when
 * an answer came (whatever its rcode), 1 when no server could be reached, 2 for usage errors.
 */
export async function digCommand(args: string[], io: DigIo = processIo): Promise<number> {
  const request = parseDigArgs(args);
  const name = request.name ?? ".";
  const type = request.type ?? (request.name === undefined ? RRType.NS : RRType.A);
  if (type === RRType.AXFR || type === RRType.IXFR) {
    throw new UsageError(
      `Cannot run dig: zone transfers (${typeToText(type)}) are not supported; use BIND's dig`,
    );
  }
  // dig 9.18 sends ANY over TCP unless told otherwise (the answer is usually large).
  const transport = (request.tcp ?? type === RRType.ANY) ? "tcp" : request.ignoreTc ? "udp" : "auto";
  const { server, label, found } = await pickServer(request, io);
  const message = queryMessage(name, type, {
    class: request.class,
    rd: request.rd,
    ad: request.ad,
    cd: request.cd,
    edns: request.edns && {
      udpPayloadSize: request.bufsize,
      dnssecOk: request.dnssec,
      options: request.nsid ? [{ code: NSID, data: new Uint8Array(0) }] : [],
    },
  });
  const banner =
    `\n; <<>> Portico dig <<>> ${args.join(" ")}\n` +
    (found > 0 ? `; (${found} server${found > 1 ? "s" : ""} found)\n` : "") +
    ";; global options: +cmd\n";

  let result: QueryResult;
  try {
    result = await query(server, message, {
      transport,
      timeoutMs: request.timeoutMs,
      retries: request.tries - 1,
    });
  } catch (error) {
    if (!(error instanceof TimeoutError || error instanceof QueryError || error instanceof ProtocolError))
      throw error;
    const why = communicationError(error);
    if (error instanceof QueryError && transport === "tcp") {
      io.write(
        `;; Connection to ${serverText(server)}(${label}) for ${request.typedName ?? name} failed: ${why}.\n`,
      );
    } else {
      io.write(`;; communications error to ${serverText(server)}: ${why}\n`);
      io.write(banner);
    }
    io.write(";; no servers could be reached\n");
    return 1;
  }
  if (result.retriedOverTcp) io.write(";; Truncated, retrying in TCP mode.\n");
  if (request.short) {
    for (const rr of result.message.answers) io.write(`${rdataToText(rr.type, rr.data)}\n`);
    return 0;
  }
  io.write(banner);
  io.write(formatResponse(result.message, { ednsSent: request.edns, dnssec: request.dnssec }));
  io.write(
    `;; Query time: ${Math.round(result.timeMs)} msec\n` +
      `;; SERVER: ${serverText(result.server)}(${label}) (${result.transport.toUpperCase()})\n` +
      `;; WHEN: ${whenText(io.now())}\n` +
      `;; MSG SIZE  rcvd: ${result.size}\n\n`,
  );
  return 0;
}

function communicationError(error: Error): string {
  if (error instanceof TimeoutError) return "timed out";
  const text = error.message.replace(/^Cannot query \S+( over \S+)?: /, "");
  return text.replace(/ \(nothing listens on that port\)$/, "");
}

/** Parses dig's command line: words in any order, `-x`/`-p`/`-t`/`-c`/`-q`, `+options`. */
function parseDigArgs(args: readonly string[]): DigRequest {
  const request: DigRequest = {
    server: undefined,
    port: 53,
    name: undefined,
    typedName: undefined,
    type: undefined,
    class: RRClass.IN,
    tcp: undefined,
    ignoreTc: false,
    short: false,
    rd: true,
    ad: true,
    cd: false,
    edns: true,
    dnssec: false,
    nsid: false,
    bufsize: 1232,
    timeoutMs: 5000,
    tries: 3,
  };
  const setName = (text: string): void => {
    if (request.name !== undefined)
      throw new UsageError(`Cannot run dig: a second name "${text}"\n${DIG_HELP}`);
    request.name = absoluteName(text);
    request.typedName = text;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`Cannot run dig: ${arg} needs a value\n${DIG_HELP}`);
      return next;
    };
    if (arg.startsWith("@")) {
      request.server = arg.slice(1);
    } else if (arg.startsWith("+")) {
      plusOption(request, arg.slice(1));
    } else if (arg === "-p") {
      request.port = usage(() => parsePort(value()));
    } else if (arg === "-x") {
      const address = value();
      if (isIP(address) === 0) throw new UsageError(`Cannot run dig: "${address}" is not an IP address`);
      setName(reverseName(address));
      request.type ??= RRType.PTR;
    } else if (arg === "-t") {
      request.type = recordType(value());
    } else if (arg === "-c") {
      request.class = recordClass(value());
    } else if (arg === "-q") {
      setName(value());
    } else if (arg.startsWith("-") && arg.length > 1) {
      throw new UsageError(`Cannot run dig: unknown option ${arg}\n${DIG_HELP}`);
    } else if (request.type === undefined && textToType(arg) >= 0) {
      // As in dig, a word that reads as a type is the type, a class word the class.
      request.type = recordType(arg);
    } else if (textToClass(arg) >= 0) {
      request.class = recordClass(arg);
    } else {
      setName(arg);
    }
  }
  return request;
}

/** Applies one `+keyword[=value]` option (`+no…` negates). */
function plusOption(request: DigRequest, option: string): void {
  const [rawKey = "", rawValue] = option.split("=", 2);
  const negated = rawKey.startsWith("no");
  const key = negated ? rawKey.slice(2) : rawKey;
  const number = (min: number, max: number): number => {
    const n = rawValue !== undefined && /^\d+$/.test(rawValue) ? Number(rawValue) : NaN;
    if (!(n >= min && n <= max))
      throw new UsageError(`Cannot run dig: +${option} needs a number from ${min} to ${max}`);
    return n;
  };
  switch (key) {
    case "tcp":
    case "vc":
      request.tcp = !negated;
      return;
    case "ignore":
      request.ignoreTc = !negated;
      return;
    case "short":
      request.short = !negated;
      return;
    case "rec":
    case "recurse":
    case "rdflag":
      request.rd = !negated;
      return;
    case "ad":
    case "adflag":
      request.ad = !negated;
      return;
    case "cd":
    case "cdflag":
      request.cd = !negated;
      return;
    case "edns":
      request.edns = !negated;
      return;
    case "dnssec":
      request.dnssec = !negated;
      if (!negated) request.edns = true;
      return;
    case "nsid":
      request.nsid = !negated;
      if (!negated) request.edns = true;
      return;
    case "bufsize":
      request.bufsize = number(0, 65535);
      return;
    case "time":
      request.timeoutMs = number(1, 300) * 1000;
      return;
    case "tries":
      request.tries = number(1, 100);
      return;
    case "retry":
      request.tries = number(0, 99) + 1;
      return;
    default:
      throw new UsageError(`Cannot run dig: unknown option +${option}\n${DIG_HELP}`);
  }
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`Cannot run dig: ${(error as Error).message}`);
  }
}

function recordType(text: string): number {
  const type = textToType(text);
  if (type < 0) throw new UsageError(`Cannot run dig: "${text}" is not a record type`);
  return type;
}

function recordClass(text: string): number {
  const cls = textToClass(text);
  if (cls < 0) throw new UsageError(`Cannot run dig: "${text}" is not a class`);
  return cls;
}

/** The name as an absolute presentation name; UsageError if it is not a domain name. */
function absoluteName(text: string): string {
  const name = isAbsoluteName(text) ? text : `${text}.`;
  usage(() => nameToWire(name));
  return name;
}

/**
 * The server to ask: `@SERVER` (an address, or a host name looked up by the system), else the
 * first nameserver of /etc/resolv.conf, else 127.0.0.1 as dig does.
 */
async function pickServer(
  request: DigRequest,
  io: DigIo,
): Promise<{ server: SocketAddress; label: string; found: number }> {
  const given = request.server;
  if (given !== undefined) {
    const literal = given.replace(/^\[(.*)\]$/, "$1");
    if (isIP(literal) !== 0) {
      return {
        server: { host: literal, port: request.port, family: isIP(literal) as 4 | 6 },
        label: given,
        found: 1,
      };
    }
    const addresses = await lookup(given, { all: true }).catch(() => []);
    const first = addresses[0];
    if (first === undefined) throw new Error(`portico dig: couldn't get address for '${given}': not found`);
    const family = first.family === 6 ? 6 : 4;
    return {
      server: { host: first.address, port: request.port, family },
      label: given,
      found: addresses.length,
    };
  }
  const text = await io.readResolvConf();
  const fromFile = text === undefined ? undefined : parseResolvConf(text)[0];
  const server = fromFile ?? { host: "127.0.0.1", port: 53, family: 4 as const };
  return { server: { ...server, port: request.port }, label: server.host, found: 0 };
}

/** The EDNS option asking for the server's identifier (RFC 5001). */
const NSID = 3;

/** dig's names of opcodes. */
const OPCODES = [
  "QUERY",
  "IQUERY",
  "STATUS",
  "RESERVED3",
  "NOTIFY",
  "UPDATE",
  ...Array.from({ length: 10 }, (_, i) => `RESERVED${i + 6}`),
];

/** The names of Extended DNS Errors (RFC 8914 §5.2) as dig 9.18 prints them. */
const EDE_TEXT = [
  "Other",
  "Unsupported DNSKEY Algorithm",
  "Unsupported DS Digest Type",
  "Stale Answer",
  "Forged Answer",
  "DNSSEC Indeterminate",
  "DNSSEC Bogus",
  "Signature Expired",
  "Signature Not Yet Valid",
  "DNSKEY Missing",
  "RRSIGs Missing",
  "No Zone Key Bit Set",
  "NSEC Missing",
  "Cached Error",
  "Not Ready",
  "Blocked",
  "Censored",
  "Filtered",
  "Prohibited",
  "Stale NXDOMAIN Answer",
  "Not Authoritative",
  "Not Supported",
  "No Reachable Authority",
  "Network Error",
  "Invalid Data",
];

/** EDNS option codes (IANA registry) that dig names. */
const OPTION_NAMES = new Map([
  [3, "NSID"],
  [10, "COOKIE"],
  [12, "PAD"],
  [15, "EDE"],
]);

/**
 * A response in dig's layout, from ";; Got answer:" to the blank line after the last
 * section (BIND 9.18: bin/dig/dig.c printmessage, lib/dns/message.c).
 */
export function formatResponse(m: Message, sent: { ednsSent: boolean; dnssec: boolean }): string {
  const f = m.flags;
  const flags = (
    [
      ["qr", f.qr],
      ["aa", f.aa],
      ["tc", f.tc],
      ["rd", f.rd],
      ["ra", f.ra],
      ["ad", f.ad],
      ["cd", f.cd],
    ] as const
  )
    .filter(([, on]) => on)
    .map(([text]) => ` ${text}`)
    .join("");
  const additional = m.additional.length + (m.edns ? 1 : 0);
  let out =
    ";; Got answer:\n" +
    (m.questions.some((q) => isSubdomain(q.name, "local."))
      ? ";; WARNING: .local is reserved for Multicast DNS\n;; You are currently testing what happens when an mDNS query is leaked to DNS\n"
      : "") +
    `;; ->>HEADER<<- opcode: ${OPCODES[m.opcode] ?? String(m.opcode)}, status: ${statusText(m.rcode)}, id: ${m.id}\n` +
    `;; flags:${flags}${f.z ? "; MBZ: 0x4" : ""}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, ` +
    `AUTHORITY: ${m.authority.length}, ADDITIONAL: ${additional}\n`;
  if (f.rd && !f.ra) out += ";; WARNING: recursion requested but not available\n";
  if (sent.ednsSent && m.edns === undefined && (m.rcode === 1 || m.rcode === 4)) {
    out += `\n;; WARNING: EDNS query returned status ${statusText(m.rcode)} - retry with '${sent.dnssec ? "+nodnssec " : ""}+noedns'\n`;
  }
  out += "\n";
  if (m.edns) out += optText(m.edns);
  if (m.questions.length > 0) {
    out += ";; QUESTION SECTION:\n";
    for (const q of m.questions) {
      // BIND's question_totext(): the class at column 32, the type at 40 (no TTL column).
      const cls = classToText(q.class);
      let line = `;${q.name}`;
      let column = q.name.length;
      line += indent(column, 32) + cls;
      column = Math.max(32, column + 1) + cls.length;
      line += indent(column, 40) + typeToText(q.type);
      out += `${line}\n`;
    }
    out += "\n";
  }
  out += section("ANSWER", m.answers);
  out += section("AUTHORITY", m.authority);
  out += section("ADDITIONAL", m.additional);
  return out;
}

function section(title: string, records: readonly ResourceRecord[]): string {
  if (records.length === 0) return "";
  return `;; ${title} SECTION:\n${records.map((rr) => `${recordToText(rr)}\n`).join("")}\n`;
}

/** dig's status text: the mnemonic, or "?" and the number when there is none. */
function statusText(rcode: number): string {
  const text = rcodeToText(rcode);
  return /^\d+$/.test(text) ? `?${text}` : text;
}

/** The blanks from `column` to `to` as BIND's masterdump writes them (at least one). */
function indent(column: number, to: number): string {
  const target = Math.max(to, column + 1);
  const tabs = Math.floor(target / 8) - Math.floor(column / 8);
  return tabs > 0 ? "\t".repeat(tabs) + " ".repeat(target % 8) : " ".repeat(target - column);
}

/** The OPT pseudosection (lib/dns/message.c, DNS_PSEUDOSECTION_OPT). */
function optText(edns: Edns): string {
  const mbz = edns.flags & 0x7fff;
  let out =
    ";; OPT PSEUDOSECTION:\n" +
    `; EDNS: version: ${edns.version}, flags:${edns.dnssecOk ? " do" : ""}` +
    (mbz !== 0 ? `; MBZ: 0x${mbz.toString(16).padStart(4, "0")}, udp: ` : "; udp: ") +
    `${edns.udpPayloadSize}\n`;
  for (const option of edns.options) out += `${optionText(option)}\n`;
  return out;
}

function optionText(option: EdnsOption): string {
  const data = option.data;
  const hex = (sep: string): string => [...data].map((b) => b.toString(16).padStart(2, "0") + sep).join("");
  const printable = (): string =>
    [...data].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  const name = OPTION_NAMES.get(option.code) ?? `OPT=${option.code}`;
  switch (option.code) {
    case 10: // COOKIE: the client and server cookies in hex, unseparated
      return `; COOKIE: ${hex("")}`;
    case 12: // PADDING: only its length matters
      return `; PAD: (${data.length} bytes)`;
    case 15: {
      // EDE (RFC 8914): INFO-CODE, its name, and the EXTRA-TEXT
      if (data.length < 2) return data.length === 0 ? "; EDE" : `; EDE: ${hex("")} (".")`;
      const code = (data[0]! << 8) | data[1]!;
      const label = EDE_TEXT[code];
      const text = Buffer.from(data.subarray(2)).toString("utf8");
      return `; EDE: ${code}${label === undefined ? "" : ` (${label})`}${data.length > 2 ? `: (${text})` : ""}`;
    }
    default:
      return data.length === 0 ? `; ${name}` : `; ${name}: ${hex(" ")}("${printable()}")`;
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** strftime("%a %b %d %H:%M:%S %Z %Y") in local time, as dig prints the WHEN line. */
function whenText(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  const zone =
    new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
      .formatToParts(date)
      .find((p) => p.type === "timeZoneName")?.value ?? "UTC";
  return (
    `${DAYS[date.getDay()]!} ${MONTHS[date.getMonth()]!} ${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${zone} ${date.getFullYear()}`
  );
}
