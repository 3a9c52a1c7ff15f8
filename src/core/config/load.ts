import { DEFAULT_SCHEDULE } from "../../mail/queue/schedule.js";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { NetworkSet, parseSocketAddress, type SocketAddress } from "../address.js";
import { DEFAULTS } from "../defaults.js";
import { ConfigError, InvalidConfigError } from "../errors.js";
import type {
  DnsOptions,
  FtpOptions,
  ListenOptions,
  PorticoOptions,
  RetrievalOptions,
  SmtpOptions,
  TlsFiles,
  UserEntry,
} from "../../options.js";
import { formatPath, lineOf, locateKeys } from "./locate.js";
import { TableReader, type ConfigIssue } from "./reader.js";
import { isValidAddress, normalizeAddress } from "../accounts/address.js";
import { isScryptHash } from "../accounts/password.js";

/** Reads and validates a config file; throws InvalidConfigError listing every problem. */
export async function loadConfig(file: string): Promise<PorticoOptions> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new InvalidConfigError([new ConfigError(`cannot read the config file: ${reason}`, file, 1)]);
  }
  return parseConfig(text, file);
}

/**
 * Validates the text of a config file as a whole. Relative paths in it (data_dir, zones, tls)
 * are relative to the file's directory. Throws InvalidConfigError with one
 * `FILE:LINE: key.path: what is wrong (what is expected)` per problem.
 */
export function parseConfig(text: string, file: string): PorticoOptions {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "syntax error";
      throw new InvalidConfigError([
        new ConfigError(`TOML syntax error at column ${error.column}: ${first}`, file, error.line),
      ]);
    }
    throw error;
  }
  const issues: ConfigIssue[] = [];
  const options = readOptions(new TableReader(document, [], issues), dirname(resolve(file)));
  if (issues.length > 0) {
    const lines = locateKeys(text);
    const located = issues.map((i) => ({
      line: lineOf(lines, i.path),
      text: `${formatPath(i.path)}: ${i.problem}`,
    }));
    located.sort((a, b) => a.line - b.line);
    throw new InvalidConfigError(located.map((i) => new ConfigError(i.text, file, i.line)));
  }
  return options;
}

/**
 * The embedded default of PRODUCT.md: every service on 127.0.0.1 and its default port, data
 * in `./portico-data` (relative to `cwd`), hostname `localhost`, local domain `localhost`.
 */
export function defaultOptions(cwd: string): PorticoOptions {
  const at = (key: keyof typeof DEFAULTS.listen): SocketAddress[] => [
    parseSocketAddress(DEFAULTS.listen[key]),
  ];
  const dataDir = resolve(cwd, DEFAULTS.dataDir);
  return {
    hostname: DEFAULTS.hostname,
    dataDir,
    users: [],
    dns: {
      listen: at("dns"),
      zones: [defaultZoneFile(dataDir)],
      recursion: false,
      forwarders: [],
      workers: 0,
    },
    smtp: {
      listen: at("smtp"),
      submission: at("submission"),
      submissions: at("submissions"),
      localDomains: [DEFAULTS.hostname],
      trustedNetworks: new NetworkSet([]),
      relayPort: DEFAULTS.smtp.relayPort,
      maxMessageSize: DEFAULTS.smtp.maxMessageSize,
      aliases: new Map(),
      workers: 1,
    },
    pop3: { listen: at("pop3"), listenTls: at("pop3s") },
    imap: { listen: at("imap"), listenTls: at("imaps") },
    ftp: {
      listen: at("ftp"),
      passivePorts: parsePortRange(DEFAULTS.ftp.passivePorts)!,
      anonymous: false,
    },
    ssh: { listen: at("ssh") },
    telnet: { listen: at("telnet") },
    web: { listen: at("web") },
  };
}

/** The zone file of the embedded default (see default-zone.ts), inside the data directory. */
export function defaultZoneFile(dataDir: string): string {
  return join(dataDir, "zones", `${DEFAULTS.hostname}.zone`);
}

const HOSTNAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;

function hostnameProblem(name: string): string | undefined {
  return HOSTNAME.test(name)
    ? undefined
    : `"${name}" is not a valid host name (expected e.g. "mx.example.org")`;
}

function readOptions(top: TableReader, baseDir: string): PorticoOptions {
  const path = (p: string): string => resolve(baseDir, p);
  const hostname = top.string("hostname", DEFAULTS.hostname, hostnameProblem);
  const dataDir = path(
    top.string("data_dir", DEFAULTS.dataDir, (s) =>
      s === "" ? "is empty (expected a directory path)" : undefined,
    ),
  );
  const tls = readTls(top.table("tls"), path);
  const users = top
    .tables("users")
    .map(readUser)
    .filter((u) => u !== undefined);
  const dns = section(top, "dns", (t) => readDns(t, path));
  const smtp = section(top, "smtp", readSmtp);
  const pop3 = section(top, "pop3", (t) => readRetrieval(t, "pop3", "pop3s"));
  const imap = section(top, "imap", (t) => readRetrieval(t, "imap", "imaps"));
  const ftp = section(top, "ftp", readFtp);
  const ssh = section(top, "ssh", (t) => readListen(t, "ssh"));
  const telnet = section(top, "telnet", (t) => readListen(t, "telnet"));
  const web = section(top, "web", (t) => readListen(t, "web"));
  top.finish();
  return {
    hostname,
    dataDir,
    users,
    ...(tls && { tls }),
    ...(dns && { dns }),
    ...(smtp && { smtp }),
    ...(pop3 && { pop3 }),
    ...(imap && { imap }),
    ...(ftp && { ftp }),
    ...(ssh && { ssh }),
    ...(telnet && { telnet }),
    ...(web && { web }),
  };
}

function section<T>(top: TableReader, key: string, read: (t: TableReader) => T): T | undefined {
  const table = top.table(key);
  if (table === undefined) return undefined;
  const value = read(table);
  table.finish();
  return value;
}

function readListen(t: TableReader, name: keyof typeof DEFAULTS.listen): ListenOptions {
  return { listen: t.addresses("listen", [DEFAULTS.listen[name]]) };
}

function readTls(t: TableReader | undefined, path: (p: string) => string): TlsFiles | undefined {
  if (t === undefined) return undefined;
  const cert = t.string("cert", undefined);
  const key = t.string("key", undefined);
  t.finish();
  if (cert === undefined || key === undefined) {
    t.fail(cert === undefined ? "cert" : "key", "is missing (expected both cert and key PEM file paths)");
    return undefined;
  }
  return { cert: path(cert), key: path(key) };
}

function readUser(t: TableReader): UserEntry | undefined {
  const address = t.string("address", undefined, (a) =>
    isValidAddress(a) ? undefined : `"${a}" is not a mail address (expected "user@domain")`,
  );
  const password = t.string("password", undefined);
  const passwordHash = t.string("password_hash", undefined, (h) =>
    isScryptHash(h) ? undefined : 'is not a hash written by `portico user add` (expected "$scrypt$ln=…")',
  );
  t.finish();
  if (address === undefined) {
    if (!t.has("address")) t.fail("address", 'is missing (expected "user@domain")');
    return undefined;
  }
  if ((password === undefined) === (passwordHash === undefined)) {
    if (t.has("password") === t.has("password_hash")) {
      t.fail(undefined, "needs exactly one of password and password_hash");
    }
    return undefined;
  }
  const normalized = normalizeAddress(address);
  return password !== undefined
    ? { address: normalized, password }
    : { address: normalized, passwordHash: passwordHash! };
}

function readDns(t: TableReader, path: (p: string) => string): DnsOptions {
  return {
    listen: t.addresses("listen", [DEFAULTS.listen.dns]),
    zones: t.strings("zones", []).map(path),
    recursion: t.boolean("recursion", false),
    forwarders: t.addresses("forwarders", []),
    workers: t.integer("workers", 0, 0, 64),
    allowTransfer: t.networks("allow_transfer", []),
    notify: t.addresses("notify", []),
    allowRecursion: t.networks("allow_recursion", ["127.0.0.0/8", "::1/128"]),
    synthesizePtr: t.boolean("synthesize_ptr", false),
  };
}

function domainProblem(d: string): string | undefined {
  return HOSTNAME.test(d) ? undefined : `"${d}" is not a domain name (expected e.g. "example.org")`;
}

function readSmtp(t: TableReader): SmtpOptions {
  const resolver = t.address("resolver", undefined, 53);
  const aliases = new Map<string, string[]>();
  const aliasTable = t.table("aliases");
  for (const [alias, value] of aliasTable?.entries() ?? []) {
    if (!isValidAddress(alias)) {
      aliasTable?.fail(alias, `"${alias}" is not a mail address (expected "user@domain")`);
      continue;
    }
    const targets = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
    if (
      targets === undefined ||
      targets.length === 0 ||
      !targets.every((x) => typeof x === "string" && isValidAddress(x))
    ) {
      aliasTable?.fail(alias, 'is not an address or a list of addresses (expected ["user@domain", …])');
      continue;
    }
    aliases.set(normalizeAddress(alias), (targets as string[]).map(normalizeAddress));
  }
  return {
    listen: t.addresses("listen", [DEFAULTS.listen.smtp]),
    submission: t.addresses("submission", []),
    submissions: t.addresses("submissions", []),
    localDomains: t.strings("local_domains", [], domainProblem).map((d) => d.toLowerCase()),
    trustedNetworks: t.networks("trusted_networks", []),
    ...(resolver && { resolver }),
    relayPort: t.integer("relay_port", DEFAULTS.smtp.relayPort, 1, 65535),
    maxMessageSize: t.integer("max_message_size", DEFAULTS.smtp.maxMessageSize, 1024, 2 ** 40),
    aliases,
    retryIntervalsMs: t.durations("retry_intervals", DEFAULT_SCHEDULE.intervalsMs),
    queueLifetimeMs: t.duration("queue_lifetime", DEFAULT_SCHEDULE.lifetimeMs),
    delayWarningMs: t.duration("delay_warning", DEFAULT_SCHEDULE.delayWarningMs),
    destinationConcurrency: t.integer("destination_concurrency", 20, 1, 1000),
    workers: t.integer("workers", 1, 0, 64),
    proxyProtocol: t.networks("proxy_protocol", []),
    verify: t.string("verify", "trusted", (v) =>
      ["trusted", "everyone", "nobody"].includes(v)
        ? undefined
        : `"${v}" is not one of "trusted", "everyone", "nobody"`,
    ) as "trusted" | "everyone" | "nobody",
  };
}

function readRetrieval(t: TableReader, plain: "pop3" | "imap", tls: "pop3s" | "imaps"): RetrievalOptions {
  return {
    listen: t.addresses("listen", [DEFAULTS.listen[plain]]),
    listenTls: t.addresses("listen_tls", [DEFAULTS.listen[tls]]),
  };
}

/** `"30000-30099"` → the inclusive range, or undefined when malformed. */
function parsePortRange(text: string): { first: number; last: number } | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first >= 1 && first <= last && last <= 65535 ? { first, last } : undefined;
}

function readFtp(t: TableReader): FtpOptions {
  const range = t.string("passive_ports", DEFAULTS.ftp.passivePorts, (s) =>
    parsePortRange(s) ? undefined : `"${s}" is not a port range (expected "FIRST-LAST" within 1-65535)`,
  );
  const passiveAddress = t.string("passive_address", "", (s) =>
    s === "" || /^\d+\.\d+\.\d+\.\d+$/.test(s)
      ? undefined
      : `"${s}" is not an IPv4 address (expected e.g. "203.0.113.7")`,
  );
  return {
    listen: t.addresses("listen", [DEFAULTS.listen.ftp]),
    passivePorts: parsePortRange(range) ?? parsePortRange(DEFAULTS.ftp.passivePorts)!,
    ...(passiveAddress !== "" && { passiveAddress }),
    anonymous: t.boolean("anonymous", false),
  };
}
