// `[smtp] workers`: the SMTP sessions in node:cluster worker processes, the queue in this one
// (the test process is the cluster primary). Mail accepted by the workers, over every kind of
// listener (swaks for STARTTLS + AUTH and implicit TLS), is queued and delivered; traces come
// back; a port in use is the same ListenError as in-process; a worker that dies is replaced
// and what it committed is delivered; `portico start --trace` prints the workers' dialogues.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import cluster from "node:cluster";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { promisify } from "node:util";
import { parseConfig } from "../../src/core/config/load.js";
import { ListenError } from "../../src/core/errors.js";
import type { TraceEvent } from "../../src/core/log.js";
import { Spool, newQueueId } from "../../src/mail/queue/spool.js";
import { startPortico, type Portico } from "../../src/portico.js";
import { connectSmtp } from "../../src/smtp/client/index.js";
import { waitFor } from "../support/wire.js";
import { freePort, startPortico as startPorticoCli, tempDir } from "../support/cli.js";

const run = promisify(execFile);

function config(smtp: string): string {
  return (
    `hostname = "mx.w.test"\ndata_dir = "data"\n` +
    `[[users]]\naddress = "a@w.test"\npassword = "pw"\n` +
    `[smtp]\nlocal_domains = ["w.test"]\n${smtp}`
  );
}

/** The files in a Maildir's new/, once there are `count`. */
function delivered(dir: string, count: number): Promise<string[]> {
  const newDir = join(dir, "data", "mail", "w.test", "a", "new");
  return waitFor(`${count} messages in ${newDir}`, async () => {
    const names = await readdir(newDir).catch(() => [] as string[]);
    return names.length >= count
      ? Promise.all(names.map((n) => readFile(join(newDir, n), "utf8")))
      : undefined;
  });
}

/** Sends `count` messages over `connections` connections at once; resolves with the replies. */
async function load(port: number, connections: number, count: number, tag: string): Promise<string[]> {
  const replies: string[] = [];
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const smtp = await connectSmtp({ host: "127.0.0.1", port, helo: "load.w.test", tls: "none" });
      for (let n = c; n < count; n += connections) {
        const r = await smtp.send({
          from: "load@else.test",
          recipients: ["a@w.test"],
          content: `Subject: ${tag} ${n}\r\n\r\nbody ${n}\r\n`,
        });
        replies.push(`${r.finalReply.code} ${r.finalReply.lines.join(" / ")}`);
      }
      await smtp.quit();
    }),
  );
  return replies;
}

function liveWorkers(): number[] {
  return Object.values(cluster.workers ?? {}).flatMap((w) => (w && !w.isDead() ? [w.process.pid ?? 0] : []));
}

test("workers = 2: every listener in worker processes, mail queued and delivered by this one", async (t) => {
  const dir = await tempDir();
  const traces: TraceEvent[] = [];
  const portico: Portico = await startPortico(
    parseConfig(
      config(
        `listen = ["127.0.0.1:0"]\nsubmission = ["127.0.0.1:0"]\nsubmissions = ["127.0.0.1:0"]\nworkers = 2\n`,
      ),
      join(dir, "portico.toml"),
    ),
    { trace: (event) => traces.push(event) },
  );
  t.after(() => portico.stop(0));
  assert.equal(liveWorkers().length, 2);
  const ports = portico.endpoints.map((e) => e.address.port);
  assert.equal(new Set(ports).size, 3, "port 0 became three different ports");
  assert.ok(ports.every((p) => p > 0));
  const port = (service: string): number =>
    portico.endpoints.find((e) => e.service === service)!.address.port;

  const replies = await load(port("smtp"), 6, 30, "load");
  assert.equal(replies.length, 30);
  for (const reply of replies) assert.match(reply, /^250 (2\.0\.0 )?Ok: queued as [0-9A-Z]{19}$/);

  // The workers have the accounts (AUTH), the certificate (STARTTLS, implicit TLS), the aliases.
  const submitted = await run("swaks", [
    ...["--server", `127.0.0.1:${port("submission")}`, "--tls", "--auth", "PLAIN"],
    ...["--auth-user", "a@w.test", "--auth-password", "pw", "--from", "a@w.test", "--to", "a@w.test"],
    ...["--header", "Subject: submitted"],
  ]);
  assert.match(submitted.stdout, /235 2\.7\.0 Authentication successful/);
  assert.match(submitted.stdout, /250 2\.0\.0 Ok: queued as/);
  const implicit = await run("swaks", [
    ...["--server", `127.0.0.1:${port("submissions")}`, "--tlsc", "--auth", "LOGIN"],
    ...[
      "--auth-user",
      "a@w.test",
      "--auth-password",
      "pw",
      "--from",
      "a@w.test",
      "--to",
      "postmaster@w.test",
    ],
  ]);
  assert.match(implicit.stdout, /250 2\.0\.0 Ok: queued as/);
  await assert.rejects(
    run("swaks", ["--server", `127.0.0.1:${port("smtp")}`, "--from", "x@else.test", "--to", "nobody@w.test"]),
    (error: { stdout: string }) => /550 5\.1\.1/.test(error.stdout),
  );

  const texts = await delivered(dir, 31);
  assert.equal(texts.length, 31);
  const bySubject = new Map(texts.map((x) => [/^Subject: (.*)\r$/m.exec(x)?.[1], x]));
  for (let n = 0; n < 30; n++) assert.ok(bySubject.has(`load ${n}`), `load ${n} delivered`);
  assert.match(bySubject.get("submitted") ?? "", /by mx\.w\.test \(Portico\) with ESMTPSA id [0-9A-Z]{19}/);
  await waitFor("postmaster's copy", async () =>
    (await readdir(join(dir, "data", "mail", "w.test", "postmaster", "new")).catch(() => [])).length === 1
      ? true
      : undefined,
  );
  await waitFor("an empty queue", () => (portico.queue?.size === 0 ? true : undefined));

  // The dialogues came back from the workers, each connection named with its worker.
  const greetings = traces.filter((e) => e.direction === "S" && e.line.startsWith("220 mx.w.test ESMTP"));
  assert.ok(greetings.length >= 6);
  assert.ok(
    greetings.every((e) => /^smtp-\w+@w[01]$/.test(e.connection)),
    greetings[0]?.connection,
  );
  assert.ok(
    traces.some((e) => e.direction === "C" && e.line === "AUTH PLAIN ***"),
    "passwords redacted",
  );
});

test("a port in use: the same ListenError as in-process, and nothing left running", async (t) => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => blocker.close(resolve)));
  const busy = (blocker.address() as { port: number }).port;
  const attempt = async (workers: number): Promise<ListenError> => {
    const dir = await tempDir();
    const error = await startPortico(
      parseConfig(
        config(`listen = ["127.0.0.1:${busy}"]\nsubmission = []\nsubmissions = []\nworkers = ${workers}\n`),
        join(dir, "portico.toml"),
      ),
    ).then(
      () => assert.fail("started on a port in use"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ListenError, String(error));
    return error;
  };
  const inProcess = await attempt(1);
  const inWorkers = await attempt(2);
  assert.equal(inWorkers.message, inProcess.message);
  assert.equal(
    inWorkers.message,
    `Cannot listen on 127.0.0.1:${busy} (smtp.listen, TCP): address in use; stop the program using it or change the port`,
  );
  assert.deepEqual(liveWorkers(), []);
});

test("a worker that dies is replaced; what it committed without announcing is delivered", async (t) => {
  const dir = await tempDir();
  const portico = await startPortico(
    parseConfig(
      config(`listen = ["127.0.0.1:0"]\nsubmission = []\nsubmissions = []\nworkers = 2\n`),
      join(dir, "portico.toml"),
    ),
  );
  t.after(() => portico.stop(0));
  const port = portico.endpoints[0]!.address.port;
  const before = liveWorkers();
  assert.equal(before.length, 2);

  // A message a worker made durable (and answered 250 for) but died before announcing.
  const spool = new Spool(join(dir, "data", "queue"));
  const id = newQueueId();
  await spool.put(
    {
      id,
      arrival: Date.now(),
      from: "x@else.test",
      recipients: [{ address: "a@w.test", original: "a@w.test", route: "local" }],
      body: "7BIT",
      smtputf8: false,
      client: { address: "127.0.0.1", helo: "x" },
    },
    Buffer.from("Subject: orphan\r\n\r\nbody\r\n"),
  );
  assert.equal(portico.queue?.size, 0);
  process.kill(before[0]!, "SIGKILL");
  const after = await waitFor("a replacement worker", () => {
    const live = liveWorkers();
    return live.length === 2 && !live.includes(before[0]!) ? live : undefined;
  });
  assert.ok(after.includes(before[1]!));
  assert.match((await delivered(dir, 1)).join(""), /Subject: orphan/);

  // Both workers take mail.
  await sleep(200);
  const replies = await load(port, 4, 12, "after");
  assert.ok(replies.every((r) => r.startsWith("250 ")));
  assert.equal((await delivered(dir, 13)).length, 13);
});

test("portico start --trace: the workers' dialogues on standard error", async (t) => {
  const dir = await tempDir();
  const port = await freePort();
  const file = join(dir, "portico.toml");
  await writeFile(
    file,
    config(`listen = ["127.0.0.1:${port}"]\nsubmission = []\nsubmissions = []\nworkers = 2\n`),
  );
  const server = await startPorticoCli(["start", "-c", file, "--trace"], { cwd: dir });
  t.after(async () => {
    server.child.kill("SIGTERM");
    await server.exited;
  });
  const sent = await run("swaks", [
    "--server",
    `127.0.0.1:${port}`,
    "--from",
    "x@else.test",
    "--to",
    "a@w.test",
  ]);
  assert.match(sent.stdout, /250 2\.0\.0 Ok: queued as/);
  await delivered(dir, 1);
  const stderr = await waitFor("the trace", () =>
    /\[smtp-\w+@w[01]\] C: QUIT/.test(server.stderr()) ? server.stderr() : undefined,
  );
  assert.match(stderr, /\[smtp-\w+@w[01]\] S: 220 mx\.w\.test ESMTP/);
  assert.match(stderr, /\[smtp-\w+@w[01]\] C: MAIL FROM:<x@else\.test>/);
  assert.match(stderr, /"msg":"SMTP workers started"/);
  server.child.kill("SIGTERM");
  const exit = await server.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /stopped/);
});
