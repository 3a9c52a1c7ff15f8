/**
 * A private Postfix (Debian package `postfix`) as the reference MTA of the mail interop tests
 * and bench/smtp, per /work/shared/REFERENCE-SERVERS.md: its own config, queue, data and log
 * directories in a temporary folder, no chroot, listening on 127.0.0.1 only, no DNS (routes
 * come from `transport_maps`), one virtual mailbox domain delivered into Maildirs (or to the
 * `discard:` transport, to measure the accept path alone). Runs as root: `postfix start`
 * needs it, and the daemons drop to the `postfix` user themselves.
 *
 * Instances are independent (their own directories, ports and `MAIL_CONFIG`), so several can
 * run at once. It works with what `apt-get install postfix` leaves when debconf says "No
 * configuration": no /etc/postfix/main.cf, no aliases database (nothing here reads either).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort } from "./cli.js";

const run = promisify(execFile);

const POSTFIX = "/usr/sbin/postfix";

/** Options of `startPostfix()`. */
export interface PostfixOptions {
  /** The domain Postfix delivers itself (a virtual mailbox domain); default "postfix.test". */
  readonly domain?: string;
  /** Local parts of `domain` that have a mailbox; default ["someone"]. Others are refused. */
  readonly mailboxes?: readonly string[];
  /** What happens to mail for `domain`: "maildir" (default) delivers it, "discard" drops it. */
  readonly accept?: "maildir" | "discard";
  /**
   * Domains Postfix relays, each to an SMTP server on 127.0.0.1 at the given port
   * (`smtp:[127.0.0.1]:PORT`, no MX lookup): e.g. `{ "portico.test": 2525 }`. Clients in
   * 127.0.0.0/8 may relay; anything else is refused.
   */
  readonly relay?: Readonly<Record<string, number>>;
  /** `myhostname` (greeting, Received:); default "mx." + domain. */
  readonly hostname?: string;
  /** The port on 127.0.0.1; default a free one (retried on another if it was taken). */
  readonly port?: number;
  /** Extra main.cf parameters (they win over the ones written here). */
  readonly main?: Readonly<Record<string, string>>;
}

/** A running Postfix. */
export interface RunningPostfix {
  /** Its SMTP port on 127.0.0.1. */
  readonly port: number;
  /** Its `myhostname`. */
  readonly hostname: string;
  /** The domain it delivers. */
  readonly domain: string;
  /** The folder holding everything (conf/, queue/, data/, mail/, log/). */
  readonly dir: string;
  /** The Maildir of `local@domain` (messages appear in its `new/`). */
  maildir(local: string): string;
  /** Postfix's log so far (maillog_file), for failure messages. */
  log(): Promise<string>;
  /** `postfix stop`, waits for every process of this instance to end, removes `dir`. */
  stop(): Promise<void>;
}

/** Whether Postfix is installed (the binary and /etc/postfix, which `postfix check` reads). */
export function havePostfix(): boolean {
  return existsSync(POSTFIX) && existsSync("/etc/postfix/postfix-files");
}

/**
 * Starts a Postfix instance and resolves once its smtpd greets on `port`. Throws with
 * Postfix's own error output when it does not start.
 */
export async function startPostfix(options: PostfixOptions = {}): Promise<RunningPostfix> {
  if (!havePostfix()) {
    throw new Error("Cannot start Postfix: it is not installed (apt-get install postfix)");
  }
  if (process.getuid?.() !== 0) throw new Error("Cannot start Postfix: it must run as root");
  if (options.port !== undefined) return startOnce(options, options.port);
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

class PortTakenError extends Error {}

/** uid and gid of the `postfix` user (mail_owner), who must own data_directory and Maildirs. */
async function postfixUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const entry = passwd.split("\n").find((line) => line.startsWith("postfix:"));
  const [, , uid, gid] = entry?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error("Cannot start Postfix: there is no postfix user (is the package installed?)");
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** An `inline:{ k=v, … }` table (Postfix ≥ 3.0; needs no postmap). */
function inline(entries: readonly (readonly [string, string])[]): string {
  return entries.length === 0 ? "" : `inline:{ ${entries.map(([k, v]) => `${k}=${v}`).join(", ")} }`;
}

async function startOnce(options: PostfixOptions, port: number): Promise<RunningPostfix> {
  const domain = options.domain ?? "postfix.test";
  const hostname = options.hostname ?? `mx.${domain}`;
  const mailboxes = options.mailboxes ?? ["someone"];
  const { uid, gid } = await postfixUser();

  const dir = await mkdtemp(join(tmpdir(), "portico-postfix-"));
  // The daemons run as `postfix` and reach the Maildirs by absolute path.
  await chmod(dir, 0o755);
  const conf = join(dir, "conf");
  const queue = join(dir, "queue");
  const data = join(dir, "data");
  const mail = join(dir, "mail");
  const logDir = join(dir, "log");
  const logFile = join(logDir, "maillog");
  for (const d of [conf, queue, data, mail, logDir]) await mkdir(d, { mode: 0o755 });
  await chown(data, uid, gid);
  await chown(mail, uid, gid);

  const transports: [string, string][] = Object.entries(options.relay ?? {}).map(([d, p]) => [
    d,
    `smtp:[127.0.0.1]:${p}`,
  ]);
  if (options.accept === "discard") transports.push([domain, "discard:"]);
  const main: Record<string, string> = {
    compatibility_level: "3.6",
    queue_directory: queue,
    data_directory: data,
    // Postfix logs to syslog, which is absent here; postlogd writes this file instead.
    maillog_file: logFile,
    maillog_file_prefixes: logDir,
    myhostname: hostname,
    mydomain: domain,
    myorigin: "$myhostname",
    mydestination: "",
    inet_interfaces: "127.0.0.1",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    smtpd_relay_restrictions: "permit_mynetworks, reject_unauth_destination",
    smtpd_banner: "$myhostname ESMTP Postfix",
    // No local(8) delivery, so no aliases database to build (newaliases is not needed).
    alias_maps: "",
    alias_database: "",
    local_recipient_maps: "",
    // Routes come from transport_maps only: no MX lookups.
    smtp_dns_support_level: "disabled",
    transport_maps: inline(transports),
    virtual_mailbox_domains: domain,
    // "DOMAIN/LOCAL/": the trailing slash makes virtual(8) write a Maildir.
    virtual_mailbox_maps: inline(mailboxes.map((local) => [`${local}@${domain}`, `${domain}/${local}/`])),
    virtual_mailbox_base: mail,
    virtual_uid_maps: `static:${uid}`,
    virtual_gid_maps: `static:${gid}`,
    virtual_minimum_uid: String(Math.min(uid, 100)),
    // A test that starts Postfix before the server it relays to should not wait 5 minutes.
    queue_run_delay: "1s",
    minimal_backoff_time: "1s",
    maximal_backoff_time: "2s",
    ...options.main,
  };
  await writeFile(
    join(conf, "main.cf"),
    Object.entries(main)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(""),
  );
  // The services this setup uses; chroot "n" everywhere (the queue is not a chroot jail).
  const master = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    "pickup unix n - n 60 1 pickup",
    "cleanup unix n - n - 0 cleanup",
    "qmgr unix n - n 300 1 qmgr",
    "rewrite unix - - n - - trivial-rewrite",
    "bounce unix - - n - 0 bounce",
    "defer unix - - n - 0 bounce",
    "trace unix - - n - 0 bounce",
    "verify unix - - n - 1 verify",
    "flush unix n - n 1000? 0 flush",
    "proxymap unix - - n - - proxymap",
    "smtp unix - - n - - smtp",
    "relay unix - - n - - smtp",
    "showq unix n - n - - showq",
    "error unix - - n - - error",
    "retry unix - - n - - error",
    "discard unix - - n - - discard",
    "virtual unix - n n - - virtual",
    "anvil unix - - n - 1 anvil",
    "scache unix - - n - 1 scache",
    "postlog unix-dgram n - n - 1 postlogd",
  ];
  await writeFile(join(conf, "master.cf"), master.join("\n") + "\n");
  // Postfix reads a table file only once its mtime is 2 s in the past (a file being edited
  // must not be half read: dict_load_file_xt polls every 0.3 s); these are complete.
  const past = new Date(Date.now() - 60_000);
  for (const file of ["main.cf", "master.cf"]) await utimes(join(conf, file), past, past);

  const log = (): Promise<string> => readFile(logFile, "utf8").catch(() => "");
  const instance: RunningPostfix = {
    port,
    hostname,
    domain,
    dir,
    maildir: (local) => join(mail, domain, local),
    log,
    stop: () => stopInstance(conf, queue, dir),
  };

  // Postfix reports start-up errors on stderr only when it is a terminal (else to syslog,
  // absent here): `script` gives it one, and returns its exit status (-e).
  let output = "";
  let failure: string | undefined;
  try {
    const started = await run("script", ["-qec", `${POSTFIX} -c ${conf} start`, "/dev/null"], {
      timeout: 30_000,
    });
    output = started.stdout + started.stderr;
    await waitForGreeting(port, hostname, 15_000);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    failure = `${e.message}\n${output}${e.stdout ?? ""}${e.stderr ?? ""}\n${await log()}`.trim();
  }
  if (failure !== undefined) {
    await instance.stop();
    if (/address already in use/i.test(failure)) {
      throw new PortTakenError(`Cannot start Postfix: port ${port} is taken`);
    }
    throw new Error(`Cannot start Postfix on port ${port}: ${failure}`);
  }
  return instance;
}

/** Resolves once a connection to `port` is greeted by `220 hostname` (our Postfix, not another). */
async function waitForGreeting(port: number, hostname: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    last = await new Promise<string>((done) => {
      const socket = connect({ host: "127.0.0.1", port });
      let text = "";
      const finish = (result: string): void => {
        socket.destroy();
        done(result);
      };
      socket.setTimeout(2_000, () => {
        finish(`no greeting (${JSON.stringify(text)})`);
      });
      socket.on("error", (e) => {
        finish(e.message);
      });
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.includes("\n")) {
          socket.write("QUIT\r\n");
          finish(text.startsWith(`220 ${hostname} `) ? "" : `greeted by ${JSON.stringify(text.trim())}`);
        }
      });
    });
    if (last === "") return;
    await sleep(50);
  }
  throw new Error(`smtpd did not greet within ${timeoutMs} ms: ${last}`);
}

/** Whether `pid` is a live process (a zombie has ended: it only waits to be reaped). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * The processes of one instance: master exports MAIL_CONFIG (the `-c` folder) to every
 * daemon it starts, so the environment names the instance exactly, unlike the command line.
 */
async function instanceProcesses(conf: string): Promise<number[]> {
  const needle = Buffer.from(`\0MAIL_CONFIG=${conf}\0`);
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`).catch(() => undefined);
    if (environ === undefined) continue;
    if (Buffer.concat([Buffer.from([0]), environ]).includes(needle) && (await alive(Number(name)))) {
      pids.push(Number(name));
    }
  }
  return pids;
}

async function stopInstance(conf: string, queue: string, dir: string): Promise<void> {
  const pidText = await readFile(join(queue, "pid", "master.pid"), "utf8").catch(() => "");
  const masterPid = Number(pidText.trim());
  if (masterPid > 0 && (await alive(masterPid))) {
    await run(POSTFIX, ["-c", conf, "stop"], { timeout: 10_000 }).catch(() => undefined);
    // `postfix stop` only signals master; it ends its daemons, then itself.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await alive(masterPid))) await sleep(20);
  }
  // Whatever is left (a master that did not stop in time, a daemon it left behind).
  for (let round = 0; round < 3; round++) {
    const left = await instanceProcesses(conf);
    if (left.length === 0) break;
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
  await rm(dir, { recursive: true, force: true });
}
