import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { ListenError } from "./errors.js";
import { LineReader } from "./line/index.js";
import { TcpService, type Connection, type ConnectionLimits } from "./listen.js";
import { silentLogger, type TraceEvent } from "./log.js";
import { loadTlsCredentials, serverContext, upgradeClientSocket } from "./tls.js";

const LIMITS: ConnectionLimits = { maxConnections: 10, maxPerAddress: 10, idleTimeoutMs: 5_000 };
const ANY = { host: "127.0.0.1", port: 0, family: 4 as const };

async function credentials() {
  const dir = await mkdtemp(join(tmpdir(), "portico-listen-"));
  return loadTlsCredentials({ tlsDir: dir, hostname: "localhost" });
}

/** Reads lines from a socket, one at a time. */
function lines(socket: Socket): () => Promise<string> {
  const reader = new LineReader();
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  socket.on("data", (chunk: Buffer) => {
    reader.push(chunk);
    for (let event = reader.next(); event; event = reader.next()) {
      if (event.tooLong) continue;
      const text = event.line.toString();
      const waiter = waiting.shift();
      if (waiter) waiter(text);
      else ready.push(text);
    }
  });
  return () =>
    new Promise((resolve) => {
      const line = ready.shift();
      if (line !== undefined) resolve(line);
      else waiting.push(resolve);
    });
}

async function service(
  handle: (c: Connection) => void,
  limits: ConnectionLimits = LIMITS,
  extra: Partial<ConstructorParameters<typeof TcpService>[0]> = {},
): Promise<{ svc: TcpService; port: number }> {
  const svc = new TcpService({
    name: "test",
    listen: [{ key: "test.listen", address: ANY }],
    limits,
    logger: silentLogger,
    handle,
    ...extra,
  });
  await svc.start();
  return { svc, port: svc.bound[0]!.address.port };
}

test("STARTTLS: a session upgrades its connection, and the client verifies the certificate", async (t) => {
  const creds = await credentials();
  const context = serverContext(creds);
  const traced: TraceEvent[] = [];
  const { svc, port } = await service(
    (c) => {
      c.trace("S", "220 ready");
      c.socket.write("220 ready\r\n");
      c.socket.once("data", () => {
        c.trace("C", "STARTTLS");
        c.socket.write("220 go ahead\r\n");
        c.startTls(context).then(
          (secure) => {
            secure.write(`secure=${String(c.secure)}\r\n`);
            secure.end();
          },
          () => undefined,
        );
      });
    },
    LIMITS,
    { trace: (e) => traced.push(e) },
  );
  t.after(() => svc.stop(0));
  const socket = connect(port, "127.0.0.1");
  const next = lines(socket);
  assert.equal(await next(), "220 ready");
  socket.write("STARTTLS\r\n");
  assert.equal(await next(), "220 go ahead");
  socket.removeAllListeners("data");
  const secure = await upgradeClientSocket(socket, { servername: "localhost", verify: true, ca: creds.cert });
  const [data] = (await once(secure, "data")) as [Buffer];
  assert.equal(data.toString(), "secure=true\r\n");
  assert.deepEqual(
    traced.map((e) => `${e.direction}: ${e.line}`),
    ["S: 220 ready", "C: STARTTLS"],
  );
  assert.match(traced[0]!.connection, /^test-/);
});

test("implicit TLS listener: the handshake happens before the session starts", async (t) => {
  const creds = await credentials();
  const svc = new TcpService({
    name: "tls",
    listen: [{ key: "test.listen_tls", address: ANY, tls: serverContext(creds) }],
    limits: LIMITS,
    logger: silentLogger,
    handle: (c) => {
      c.socket.end(`hello secure=${String(c.secure)}\r\n`);
    },
  });
  await svc.start();
  t.after(() => svc.stop(0));
  assert.equal(svc.bound[0]!.tls, true);
  const socket = tlsConnect({
    port: svc.bound[0]!.address.port,
    host: "127.0.0.1",
    servername: "localhost",
    ca: creds.cert,
  });
  const [data] = (await once(socket, "data")) as [Buffer];
  assert.equal(data.toString(), "hello secure=true\r\n");
  socket.destroy();
});

test("limits: too many connections from one address are refused with the protocol's words", async (t) => {
  const { svc, port } = await service(
    (c) => {
      c.socket.write("hello\r\n");
    },
    { ...LIMITS, maxPerAddress: 1 },
    {
      onRefuse: (socket, reason) => {
        socket.write(`421 ${reason}\r\n`);
      },
    },
  );
  t.after(() => svc.stop(0));
  const first = connect(port, "127.0.0.1");
  assert.equal(await lines(first)(), "hello");
  const second = connect(port, "127.0.0.1");
  assert.equal(await lines(second)(), "421 too-many-from-address");
  await once(second, "close");
  first.destroy();
});

test("idle connections get the session's goodbye, then close", async (t) => {
  const { svc, port } = await service(
    (c) => {
      c.onIdle = () => {
        c.socket.end("421 idle too long\r\n");
      };
    },
    { ...LIMITS, idleTimeoutMs: 150 },
  );
  t.after(() => svc.stop(0));
  const socket = connect(port, "127.0.0.1");
  const started = Date.now();
  assert.equal(await lines(socket)(), "421 idle too long");
  assert.ok(Date.now() - started >= 100);
  await once(socket, "close");
});

test("stop: sessions are told to finish, and ones that do not are cut after the grace period", async () => {
  let polite = 0;
  const { svc, port } = await service((c) => {
    if (polite++ === 0) {
      c.shutdown.addEventListener("abort", () => {
        c.socket.end("421 shutting down\r\n");
      });
    }
  });
  const a = connect(port, "127.0.0.1");
  await once(a, "connect");
  const b = connect(port, "127.0.0.1");
  await once(b, "connect");
  while (svc.connections < 2) await new Promise((r) => setTimeout(r, 10));
  const got = lines(a)();
  const started = Date.now();
  await svc.stop(300);
  assert.equal(await got, "421 shutting down");
  assert.ok(Date.now() - started >= 250, "waited for the impolite session");
  assert.ok(Date.now() - started < 2_000);
  assert.equal(svc.connections, 0);
  a.destroy();
  b.destroy();
});

test("a port in use is a ListenError naming the address and the config key", async (t) => {
  const { svc, port } = await service(() => undefined);
  t.after(() => svc.stop(0));
  const clash = new TcpService({
    name: "other",
    listen: [{ key: "smtp.submission", address: { ...ANY, port } }],
    limits: LIMITS,
    logger: silentLogger,
    handle: () => undefined,
  });
  await assert.rejects(clash.start(), (e: Error) => {
    assert.ok(e instanceof ListenError);
    assert.equal(
      e.message,
      `Cannot listen on 127.0.0.1:${port} (smtp.submission, TCP): address in use; stop the program using it or change the port`,
    );
    return true;
  });
});
