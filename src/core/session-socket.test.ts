import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { Connection } from "./listen.js";
import { silentLogger, type TraceSink } from "./log.js";
import { SessionSocket, type SessionSocketEvents } from "./session-socket.js";

/** A connected pair: the server side wrapped in a SessionSocket, the client a plain socket. */
async function pair(
  events: Partial<SessionSocketEvents> = {},
  encoding?: BufferEncoding,
  trace?: TraceSink,
): Promise<{ io: SessionSocket; connection: Connection; client: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const client = createConnection(port, "127.0.0.1");
  const [socket] = (await once(server, "connection")) as [Socket];
  const spec = { key: "test.listen", address: { host: "127.0.0.1", port, family: 4 as const } };
  const connection = new Connection(socket, spec, "test", silentLogger, trace, 60_000);
  const noop = (): void => undefined;
  const io = new SessionSocket(
    connection,
    { data: noop, wake: noop, closed: noop, idle: noop, ...events },
    encoding,
  );
  return {
    io,
    connection,
    client,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

async function readAll(client: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  client.on("data", (c: Buffer) => chunks.push(c));
  await once(client, "end");
  return Buffer.concat(chunks);
}

test("queued replies go out in order on flush, strings in the channel's encoding; end() closes after them", async (t) => {
  const { io, client, close } = await pair({}, "latin1");
  t.after(close);
  io.queue("* OK caf\u00e9\r\n");
  io.queue(Buffer.from([0xff, 0x0d, 0x0a]));
  assert.equal(io.queuedParts, 2);
  assert.equal(io.queuedBytes, 14);
  const received = readAll(client);
  io.flush();
  io.queue("* BYE\r\n");
  io.end();
  assert.deepEqual(
    await received,
    Buffer.concat([
      Buffer.from("* OK caf\u00e9\r\n", "latin1"),
      Buffer.from([0xff, 0x0d, 0x0a]),
      Buffer.from("* BYE\r\n"),
    ]),
  );
});

test("drain() returns when the socket closes instead of draining (no hang)", async (t) => {
  const { io, client, close } = await pair();
  t.after(close);
  client.pause();
  const big = Buffer.alloc(1 << 20, 0x61);
  while (io.write(big)) {
    // fill the kernel buffers until the socket asks for a drain
  }
  const drained = io.drain();
  io.destroy();
  await drained;
  assert.equal(io.writable, false);
});

test("the client's data and FIN reach the channel; the close is reported once", async (t) => {
  const seen: string[] = [];
  let closes = 0;
  const { io, client, close } = await pair({
    data: (chunk) => seen.push(chunk.toString()),
    wake: () => seen.push(`<wake: ${io.inputEnded ? "ended" : "?"}>`),
    closed: () => closes++,
  });
  t.after(close);
  client.end("NOOP\r\n");
  await once(io.socket, "end");
  io.end();
  await once(io.socket, "close");
  assert.deepEqual(seen, ["NOOP\r\n", "<wake: ended>"]);
  assert.equal(io.shutdownRequested, false);
  assert.equal(closes, 1);
});

test("a server shutdown sets shutdownRequested and wakes the channel", async (t) => {
  let wakes = 0;
  const { io, connection, close } = await pair({ wake: () => wakes++ });
  t.after(close);
  connection.beginShutdown();
  assert.equal(io.shutdownRequested, true);
  assert.equal(io.inputEnded, false);
  assert.equal(wakes, 1);
});

test("reply() queues replies and traces each line as S:, the client's lines as C:", async (t) => {
  const traced: string[] = [];
  const { io, client, close } = await pair({}, undefined, (e) => traced.push(`${e.direction}: ${e.line}`));
  t.after(close);
  io.traceClient("EHLO client.example");
  io.reply("250-mx.example\r\n250 SIZE 1000\r\n");
  io.reply("");
  io.traceServer("<12 octets of message>");
  assert.equal(io.queuedParts, 1);
  const received = readAll(client);
  io.end();
  assert.equal((await received).toString(), "250-mx.example\r\n250 SIZE 1000\r\n");
  assert.deepEqual(traced, [
    "C: EHLO client.example",
    "S: 250-mx.example",
    "S: 250 SIZE 1000",
    "S: <12 octets of message>",
  ]);
});
