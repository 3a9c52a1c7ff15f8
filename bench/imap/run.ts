/**
 * bench/imap: the same IMAP load against Portico and against Dovecot, on identical copies of
 * one Maildir, in one run. The Maildir is written once with deliver() (varied sizes, some
 * multipart) and copied with `cp -a`, so each server starts from the same files and builds
 * its own index.
 *
 * Per server, SESSIONS concurrent sessions of a small pipelining raw client (one event loop,
 * literal-aware scanning only, so the client stays far below the server's cost), each timing
 * its steps:
 *   login + SELECT INBOX
 *   UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (From To Subject Date)] FLAGS)   messages/s
 *   UID FETCH 1:* BODY.PEEK[]                                              messages/s
 *   UID FETCH n BODY.PEEK[], one command per message, WINDOW in flight     messages/s
 *   UID SEARCH SUBJECT / FROM / TEXT (SEARCHES of each)                    commands/s
 *   UID STORE n +FLAGS (\Seen), then -FLAGS, one per message, pipelined   commands/s
 *   LOGOUT
 * The sessions go in lock step: all start a step together, and its rate is the work of all
 * sessions over the wall time until the last one finished it.
 *
 *   npm run bench -- imap            1,000 messages, 4 sessions
 *   npm run bench -- imap --smoke    100 messages (what CI runs)
 *
 * Needs Dovecot (Debian packages dovecot-core, dovecot-imapd) and root: Dovecot runs
 * standalone on its own config and hands the mail to "nobody". Portico runs as
 * `portico start`, a process of its own, like a deployment.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { deliver } from "../../src/mail/store/index.js";
import { freePort, startPortico } from "../../test/support/cli.js";
import { seededRandom } from "../../test/support/fuzz.js";
import { have, ratio, table, tearDown } from "../support/measure.js";

const exec = promisify(execFile);

const smoke = process.argv.includes("--smoke");
const MESSAGES = smoke ? 100 : 1000;
const SESSIONS = 4;
/** Single-message commands in flight per session (FETCH and STORE steps). */
const WINDOW = 16;
/** Searches of each kind (SUBJECT, FROM, TEXT) per session. */
const SEARCHES = smoke ? 3 : 10;
/** No step of one server may take longer than this. */
const STEP_TIMEOUT_MS = smoke ? 20_000 : 120_000;

const DOMAIN = "bench.test";
const LOCAL = "reader";
const USER = `${LOCAL}@${DOMAIN}`;
const PASSWORD = "bench-password";
const NOBODY = "65534";

// ---------------------------------------------------------------------------------------------
// The Maildir

const WORDS = [
  "invoice",
  "meeting",
  "report",
  "holiday",
  "budget",
  "review",
  "release",
  "lunch",
  "schedule",
  "contract",
  "update",
  "question",
  "draft",
  "travel",
  "photos",
  "minutes",
  "agenda",
  "deadline",
] as const;
const SENDERS = ["alice@example.net", "bob@example.org", "carol@example.com", "dave@example.net"] as const;

/** Message `i` of the bench Maildir: sizes from ~300 B to ~200 KB, every 20th multipart. */
function benchMessage(i: number, random: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const subject = `${pick(WORDS)} ${pick(WORDS)} #${i}`;
  const from = pick(SENDERS);
  // Log-uniform body length: mostly small, a tail of large ones, as a real INBOX.
  const bodyLength = Math.floor(200 * Math.pow(1000, random()));
  const lines: string[] = [];
  let length = 0;
  while (length < bodyLength) {
    const words: string[] = [];
    for (let w = 0; w < 10; w++) words.push(pick(WORDS));
    const line = words.join(" ");
    lines.push(line);
    length += line.length + 2;
  }
  const date = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toUTCString().replace("GMT", "+0000");
  const head =
    `From: ${from}\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${date}\r\n` +
    `Message-ID: <bench-${i}@example.net>\r\nMIME-Version: 1.0\r\n`;
  if (i % 20 !== 7)
    return Buffer.from(`${head}Content-Type: text/plain; charset=us-ascii\r\n\r\n${lines.join("\r\n")}\r\n`);
  const attachment = Buffer.alloc(Math.floor(random() * 30_000) + 1000, i & 0xff)
    .toString("base64")
    .replace(/.{76}/g, "$&\r\n");
  return Buffer.from(
    `${head}Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\nThis is a multi-part message.\r\n` +
      `--b${i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${lines.join("\r\n")}\r\n` +
      `--b${i}\r\nContent-Type: application/octet-stream; name="data.bin"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b${i}--\r\n`,
  );
}

/** Writes the bench Maildir at `maildir`; resolves with its total size in octets. */
async function buildMaildir(maildir: string): Promise<number> {
  const random = seededRandom(5);
  let total = 0;
  for (let i = 1; i <= MESSAGES; i++) {
    total += (await deliver(maildir, benchMessage(i, random))).size;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * A pipelining IMAP client over a raw socket. It scans the responses line by line and skips
 * literals by their announced length (RFC 3501 §4.3), so message text can never be taken for a
 * tagged response; it parses nothing else.
 */
class Client {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Bytes of a literal still to skip. */
  private literal = 0;
  private next = 0;
  /**
   * Untagged FETCH responses received so far on the connection. Counted per connection, not
   * per command: Dovecot runs pipelined FETCHes concurrently, and may send a later command's
   * responses before an earlier one's completion (RFC 3501 §5.5 allows it).
   */
  fetches = 0;
  private readonly waiting = new Map<string, (status: string) => void>();
  private greeted: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on("error", (e) => {
      this.fail(e);
    });
    socket.on("close", () => {
      this.fail(new Error("connection closed"));
    });
  }

  static async open(port: number): Promise<Client> {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    const client = new Client(socket);
    await new Promise<void>((resolve, reject) => {
      client.greeted = resolve;
      socket.once("error", reject);
    });
    return client;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const done of this.waiting.values()) done(`FAILED ${error.message}`);
    this.waiting.clear();
  }

  private receive(chunk: Buffer): void {
    this.buffer =
      this.offset < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.offset), chunk]) : chunk;
    this.offset = 0;
    for (;;) {
      if (this.literal > 0) {
        const skip = Math.min(this.literal, this.buffer.length - this.offset);
        this.literal -= skip;
        this.offset += skip;
        if (this.literal > 0) return;
      }
      const end = this.buffer.indexOf("\r\n", this.offset);
      if (end < 0) return;
      this.line(this.offset, end);
      this.offset = end + 2;
    }
  }

  /** One response line, `buffer[start, end)`, CRLF excluded. */
  private line(start: number, end: number): void {
    const b = this.buffer;
    // A literal announced at the end of the line: {N}
    if (end > start && b[end - 1] === 0x7d) {
      const open = b.lastIndexOf(0x7b, end - 1);
      if (open >= start) this.literal = Number(b.toString("latin1", open + 1, end - 1));
    }
    if (b[start] === 0x2a) {
      // "* N FETCH ..." counts; the rest of the untagged responses are only skipped.
      const space = b.indexOf(0x20, start + 2);
      if (space > 0 && space < end && b.toString("latin1", space + 1, space + 6) === "FETCH") this.fetches++;
      if (this.greeted !== undefined) {
        const done = this.greeted;
        this.greeted = undefined;
        done();
      }
      return;
    }
    if (b[start] === 0x2b) return; // continuation
    const space = b.indexOf(0x20, start);
    if (space < 0 || space > end) return;
    const tag = b.toString("latin1", start, space);
    const done = this.waiting.get(tag);
    if (done === undefined) return;
    this.waiting.delete(tag);
    done(b.toString("latin1", space + 1, end));
  }

  /** Sends `command` and resolves once it completed; throws unless it completed OK. */
  async command(command: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const tag = `a${++this.next}`;
    const result = new Promise<string>((resolve) => this.waiting.set(tag, resolve));
    this.socket.write(`${tag} ${command}\r\n`);
    const status = await result;
    if (!status.startsWith("OK")) throw new Error(`${command}: ${status}`);
  }

  /** Sends the commands with at most WINDOW in flight; resolves once all completed. */
  async pipeline(commands: readonly string[]): Promise<void> {
    let index = 0;
    const lane = async (): Promise<void> => {
      while (index < commands.length) await this.command(commands[index++]!);
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
  }

  /** Runs `work` and checks at least `expected` FETCH responses came with it. */
  async expectFetches(what: string, expected: number, work: () => Promise<void>): Promise<number> {
    const before = this.fetches;
    await work();
    const got = this.fetches - before;
    if (got < expected) throw new Error(`${what}: ${got} of ${expected} messages`);
    return expected;
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The load

/** A session's state between steps: its connection, once the first step opened it. */
interface Session {
  client: Client | undefined;
}

/** One step of the load for one session; resolves with its work (messages or commands). */
type StepRun = (session: Session, port: number) => Promise<number>;

const UIDS = Array.from({ length: MESSAGES }, (_, i) => i + 1);

const connected = (s: Session): Client => {
  if (s.client === undefined) throw new Error("Cannot run bench/imap: the session is not connected");
  return s.client;
};

/** Searches of one session: SUBJECT, FROM and TEXT (a whole-text scan) in turn. */
function searches(): string[] {
  const list: string[] = [];
  for (let i = 0; i < SEARCHES; i++) {
    list.push(`UID SEARCH SUBJECT "${WORDS[i % WORDS.length]!}"`);
    list.push(`UID SEARCH FROM "${SENDERS[i % SENDERS.length]!}"`);
    list.push(`UID SEARCH TEXT "${WORDS[(i + 7) % WORDS.length]!}"`);
  }
  return list;
}

const STEPS: readonly { name: string; unit: string; run: StepRun }[] = [
  {
    name: "connect + LOGIN + SELECT INBOX",
    unit: "sessions/s",
    run: async (s, port) => {
      const c = await Client.open(port);
      s.client = c;
      await c.command(`LOGIN "${USER}" "${PASSWORD}"`);
      await c.command("SELECT INBOX");
      return 1;
    },
  },
  {
    name: "UID FETCH 1:* header fields + FLAGS",
    unit: "messages/s",
    run: (s) => {
      const c = connected(s);
      return c.expectFetches("header FETCH", MESSAGES, () =>
        c.command("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (From To Subject Date)] FLAGS)"),
      );
    },
  },
  {
    name: "UID FETCH 1:* BODY.PEEK[]",
    unit: "messages/s",
    run: (s) => {
      const c = connected(s);
      return c.expectFetches("body FETCH", MESSAGES, () => c.command("UID FETCH 1:* BODY.PEEK[]"));
    },
  },
  {
    name: `UID FETCH n BODY.PEEK[] (${WINDOW} in flight)`,
    unit: "messages/s",
    run: (s) => {
      const c = connected(s);
      return c.expectFetches("single FETCH", MESSAGES, () =>
        c.pipeline(UIDS.map((uid) => `UID FETCH ${uid} BODY.PEEK[]`)),
      );
    },
  },
  {
    name: "UID SEARCH SUBJECT/FROM/TEXT",
    unit: "commands/s",
    run: async (s) => {
      const c = connected(s);
      const list = searches();
      // One at a time: each is a scan of the whole mailbox, and a client waits for each.
      for (const command of list) await c.command(command);
      return list.length;
    },
  },
  {
    name: `UID STORE n +FLAGS/-FLAGS \\Seen (${WINDOW} in flight)`,
    unit: "commands/s",
    run: async (s) => {
      const c = connected(s);
      await c.pipeline(UIDS.map((uid) => `UID STORE ${uid} +FLAGS (\\Seen)`));
      await c.pipeline(UIDS.map((uid) => `UID STORE ${uid} -FLAGS (\\Seen)`));
      return 2 * MESSAGES;
    },
  },
  {
    name: "LOGOUT",
    unit: "sessions/s",
    run: async (s) => {
      await connected(s).command("LOGOUT");
      return 1;
    },
  },
];

function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`Cannot finish bench/imap: ${what} took over ${STEP_TIMEOUT_MS} ms`));
    }, STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * The load against 127.0.0.1:`port`: SESSIONS sessions in lock step (every session starts a
 * step together, and the step ends when the last one finished it); per step, the work of all
 * sessions over that wall time.
 */
async function load(port: number): Promise<number[]> {
  // An untimed session first: each server builds its index of the Maildir on the first SELECT.
  const warm = await Client.open(port);
  await warm.command(`LOGIN "${USER}" "${PASSWORD}"`);
  await within("warm-up SELECT", warm.command("SELECT INBOX"));
  await warm.command("LOGOUT");
  warm.close();

  const sessions: Session[] = Array.from({ length: SESSIONS }, () => ({ client: undefined }));
  const rates: number[] = [];
  try {
    for (const step of STEPS) {
      const start = performance.now();
      const work = await within(step.name, Promise.all(sessions.map((s) => step.run(s, port))));
      const seconds = (performance.now() - start) / 1000;
      rates.push(work.reduce((a, b) => a + b, 0) / seconds);
    }
  } finally {
    for (const s of sessions) s.client?.close();
  }
  return rates;
}

// ---------------------------------------------------------------------------------------------
// The servers

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Cannot start Dovecot: nothing listens on ${port}`);
    await sleep(50);
  }
}

/** A child process that stops on SIGTERM; resolves once it has exited. */
function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once("close", () => {
        resolve();
      });
  });
  return async () => {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

/** Dovecot standalone (foreground master) on `port`, with `home`/Maildir for the user. */
async function startDovecot(dir: string, home: string, port: number): Promise<() => Promise<void>> {
  const passwd = join(dir, "dovecot.passwd");
  await writeFile(passwd, `${USER}:{PLAIN}${PASSWORD}:${NOBODY}:${NOBODY}::${home}\n`);
  const config = join(dir, "dovecot.conf");
  await mkdir(join(dir, "dovecot-run"), { recursive: true });
  await writeFile(
    config,
    [
      "protocols = imap",
      "listen = 127.0.0.1",
      `base_dir = ${join(dir, "dovecot-run")}`,
      `state_dir = ${join(dir, "dovecot-state")}`,
      `log_path = ${join(dir, "dovecot.log")}`,
      "ssl = no",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      "mail_location = maildir:~/Maildir",
      `first_valid_uid = ${NOBODY}`,
      `passdb {\n  driver = passwd-file\n  args = ${passwd}\n}`,
      `userdb {\n  driver = passwd-file\n  args = ${passwd}\n}`,
      // service_count = 0: login processes serve many logins, Dovecot's "high-performance mode".
      `service imap-login {\n  service_count = 0\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      "",
    ].join("\n"),
  );
  const child = spawn("dovecot", ["-F", "-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = stopper(child);
  try {
    await waitForPort(port, 10_000);
  } catch (e) {
    await stop();
    throw new Error(`Cannot start Dovecot: ${String(e)} ${stderr}`);
  }
  return stop;
}

/** `portico start` with an [imap] listener on `port` and the bench user, data under `dataDir`. */
async function startPorticoImap(dir: string, dataDir: string, port: number): Promise<() => Promise<void>> {
  const file = join(dir, "portico.toml");
  await writeFile(
    file,
    `hostname = "imap.${DOMAIN}"\ndata_dir = "${dataDir}"\n` +
      `[[users]]\naddress = "${USER}"\npassword = "${PASSWORD}"\n` +
      `[imap]\nlisten = ["127.0.0.1:${port}"]\nlisten_tls = []\n`,
  );
  const started = await startPortico(["start", "-c", file], { cwd: dir });
  return stopper(started.child);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!(await have("dovecot")) || !(await have("/usr/lib/dovecot/imap"))) {
    throw new Error(
      "Cannot run bench/imap: Dovecot is not installed (apt-get install dovecot-core dovecot-imapd)",
    );
  }
  if (process.getuid?.() !== 0) throw new Error("Cannot run bench/imap: Dovecot standalone needs root");
  const dir = await mkdtemp(join(tmpdir(), "portico-bench-imap-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    const source = join(dir, "source");
    const built = performance.now();
    const octets = await buildMaildir(source);
    console.log(
      `bench/imap: ${MESSAGES} messages (${(octets / 1e6).toFixed(1)} MB) in one Maildir, ${SESSIONS} ` +
        `sessions each, pipelining client${smoke ? " (smoke)" : ""}; Maildir written in ` +
        `${((performance.now() - built) / 1000).toFixed(1)} s`,
    );

    // Each server gets its own identical copy.
    const porticoData = join(dir, "portico-data");
    const porticoMaildir = join(porticoData, "mail", DOMAIN, LOCAL);
    await mkdir(dirname(porticoMaildir), { recursive: true, mode: 0o700 });
    await exec("cp", ["-a", source, porticoMaildir]);
    const home = join(dir, "dovecot-home");
    await mkdir(home, { recursive: true });
    await exec("cp", ["-a", source, join(home, "Maildir")]);
    await exec("chown", ["-R", `${NOBODY}:${NOBODY}`, home]);
    await chmod(dir, 0o755);

    const dovecotPort = await freePort();
    stops.push(await startDovecot(dir, home, dovecotPort));
    const dovecot = await load(dovecotPort);
    await stops.pop()!();

    const porticoPort = await freePort();
    stops.push(await startPorticoImap(dir, porticoData, porticoPort));
    const portico = await load(porticoPort);
    await stops.pop()!();

    const cell = (value: number | undefined, unit: string): string =>
      value === undefined ? "n/a" : `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
    console.log(
      table([
        ["step (all sessions)", "Portico", "Dovecot", "Portico/Dovecot"],
        ...STEPS.map((s, i) => [
          s.name,
          cell(portico[i], s.unit),
          cell(dovecot[i], s.unit),
          ratio(portico[i] ?? 0, dovecot[i] ?? 0),
        ]),
      ]),
    );
  } finally {
    await tearDown(stops, dir);
  }
}

await main();
