import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { DecodeError, ProtocolError, TimeoutError } from "../errors.js";
import { loadTlsCredentials, serverContext, upgradeClientSocket, upgradeServerSocket } from "../tls.js";
import { encodeProxyV1, encodeProxyV2 } from "./encode.js";
import { readProxyHeader } from "./read.js";

/** A connected pair on loopback: `server` as accepted (nothing read yet), `client` to write. */
async function connection(t: TestContext): Promise<{ server: Socket; client: Socket }> {
  const listener = createServer();
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const address = listener.address();
  assert.ok(address !== null && typeof address === "object");
  const accepted = once(listener, "connection") as Promise<[Socket]>;
  const client = connect(address.port, "127.0.0.1");
  client.setNoDelay(true);
  await once(client, "connect");
  const [server] = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

/** Resumes `socket` and collects what it reads until `length` bytes have arrived. */
function collect(socket: Socket, length: number): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    socket.on("data", (chunk: Buffer) => {
      got += chunk.toString("latin1");
      if (got.length >= length) resolve(got);
    });
    socket.resume();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const V1 = encodeProxyV1({
  source: { address: "203.0.113.9", port: 51000 },
  destination: { address: "198.51.100.25", port: 25 },
});

test("a header and the first command in one segment: the command is read afterwards", async (t) => {
  const { server, client } = await connection(t);
  client.write(Buffer.concat([V1, Buffer.from("EHLO client.test\r\n")]));
  const result = await readProxyHeader(server, 2_000);
  assert.deepEqual(result.source, { address: "203.0.113.9", port: 51000 });
  assert.deepEqual(result.destination, { address: "198.51.100.25", port: 25 });
  assert.equal(result.proxied, true);
  assert.equal(result.header.version, 1);
  assert.equal(result.rest.toString(), "EHLO client.test\r\n");
  assert.equal(server.isPaused(), true);
  assert.equal(await collect(server, 18), "EHLO client.test\r\n");
});

test("a header that arrives one byte at a time", async (t) => {
  const { server, client } = await connection(t);
  const header = encodeProxyV2({
    source: { address: "2001:db8::77", port: 40001 },
    destination: { address: "2001:db8::1", port: 993 },
    tlvs: [{ type: 0x02, value: Buffer.from("imap.example.test") }],
    crc32c: true,
  });
  const reading = readProxyHeader(server, 5_000);
  for (const byte of header) {
    client.write(Uint8Array.of(byte));
    await sleep(1);
  }
  client.write("a1 CAPABILITY\r\n");
  const result = await reading;
  assert.deepEqual(result.source, { address: "2001:db8::77", port: 40001 });
  assert.equal(result.header.family, "TCP6");
  const after = await collect(server, 15);
  assert.equal(after, "a1 CAPABILITY\r\n");
});

test("LOCAL and UNKNOWN fall back to the real connection's endpoints", async (t) => {
  for (const header of [encodeProxyV2({ command: "LOCAL" }), encodeProxyV1(), encodeProxyV2()]) {
    const { server, client } = await connection(t);
    client.write(header);
    const result = await readProxyHeader(server, 2_000);
    assert.equal(result.proxied, false);
    assert.deepEqual(result.source, { address: client.localAddress, port: client.localPort });
    assert.deepEqual(result.destination, { address: client.remoteAddress, port: client.remotePort });
    assert.equal(result.rest.length, 0);
  }
});

test("a client that is not a proxy is refused with a DecodeError, the socket left to the caller", async (t) => {
  const { server, client } = await connection(t);
  client.write("EHLO client.test\r\n");
  await assert.rejects(readProxyHeader(server, 2_000), (error: unknown) => {
    assert.ok(error instanceof DecodeError);
    assert.equal(error.offset, 0);
    assert.match(error.message, /not a PROXY protocol header/);
    return true;
  });
  assert.equal(server.destroyed, false);
});

test("nothing within the time limit is a TimeoutError", async (t) => {
  const { server, client } = await connection(t);
  client.write("PROXY TCP4 ");
  await assert.rejects(readProxyHeader(server, 50), TimeoutError);
});

test("a peer that hangs up mid-header is a ProtocolError", async (t) => {
  const { server, client } = await connection(t);
  client.end(V1.subarray(0, 20));
  await assert.rejects(readProxyHeader(server, 2_000), (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    assert.match(error.message, /closed after 20 bytes/);
    return true;
  });
  server.destroy();
  await assert.rejects(readProxyHeader(server, 2_000), ProtocolError);
  assert.throws(() => readProxyHeader(server, 0), RangeError);
});

test("with unshift: false the bytes after the header are only returned", async (t) => {
  const { server, client } = await connection(t);
  client.write(Buffer.concat([V1, Buffer.from("early")]));
  const result = await readProxyHeader(server, 2_000, { unshift: false });
  assert.equal(result.rest.toString(), "early");
  const reading = collect(server, 4);
  client.write("late");
  assert.equal(await reading, "late");
});

test("implicit TLS behind a proxy: the ClientHello that follows the header reaches the TLS layer", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-proxy-"));
  const context = serverContext(await loadTlsCredentials({ tlsDir: dir, hostname: "localhost" }));
  const { server, client } = await connection(t);
  // Header and ClientHello in one segment, as a proxy that pipelines them sends them.
  client.cork();
  client.write(
    encodeProxyV2({
      source: { address: "192.0.2.44", port: 1234 },
      destination: { address: "192.0.2.1", port: 465 },
    }),
  );
  const clientTls = upgradeClientSocket(client, { servername: "localhost", verify: false, timeoutMs: 5_000 });
  process.nextTick(() => {
    client.uncork();
  });
  const result = await readProxyHeader(server, 2_000);
  assert.equal(result.source.address, "192.0.2.44");
  const [secureServer, secureClient] = await Promise.all([
    upgradeServerSocket(server, context, 5_000),
    clientTls,
  ]);
  t.after(() => {
    secureServer.destroy();
    secureClient.destroy();
  });
  const greeting = new Promise<string>((resolve) => {
    secureClient.once("data", (d: Buffer) => {
      resolve(d.toString());
    });
  });
  secureServer.write("220 ready\r\n");
  assert.equal(await greeting, "220 ready\r\n");
});
