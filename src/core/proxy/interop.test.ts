/**
 * A third-party PROXY sender: swaks (already needed by the SMTP wire tests) opens an SMTP
 * session with a version 1 or 2 header, as a load balancer in front of an MTA would. The
 * server reads the header with readProxyHeader, greets, and must then see swaks' QUIT as the
 * very next bytes.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { promisify } from "node:util";
import { readProxyHeader, type ProxiedConnection } from "./read.js";

const run = promisify(execFile);

interface Seen {
  readonly header: ProxiedConnection;
  readonly next: string;
}

/** A one-connection-at-a-time SMTP stub behind the PROXY protocol. */
async function stub(): Promise<{ port: number; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    readProxyHeader(socket, 5_000).then(
      (header) => {
        socket.write("220 stub.test ESMTP\r\n");
        let next = "";
        socket.on("data", (chunk: Buffer) => {
          next += chunk.toString("latin1");
          if (!next.endsWith("\r\n")) return;
          seen.push({ header, next });
          socket.end("221 2.0.0 bye\r\n");
        });
        socket.resume();
      },
      () => socket.destroy(),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    port: address.port,
    seen,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function swaks(port: number, proxy: readonly string[]): Promise<string> {
  const { stdout } = await run(
    "swaks",
    ["--server", `127.0.0.1:${port}`, "--quit-after", "connect", "--timeout", "10", ...proxy],
    { timeout: 20_000 },
  );
  return stdout;
}

test("swaks' version 1 and version 2 headers, IPv4 and IPv6", async (t) => {
  const server = await stub();
  t.after(server.close);
  const v4 = { source: "192.0.2.7", dest: "192.0.2.1", expect: ["192.0.2.7", "192.0.2.1"] };
  // Upper case and a needless ":0:" on the way in; Node's canonical form on the way out.
  const v6 = { source: "2001:DB8:0::7", dest: "2001:db8::1", expect: ["2001:db8::7", "2001:db8::1"] };
  const cases = [
    { version: "1", family: "TCP4", ...v4 },
    { version: "2", family: "AF_INET", ...v4 },
    { version: "1", family: "TCP6", ...v6 },
    { version: "2", family: "AF_INET6", ...v6 },
  ];
  for (const c of cases) {
    const before = server.seen.length;
    const out = await swaks(server.port, [
      ...["--proxy-version", c.version, "--proxy-family", c.family],
      ...["--proxy-source", c.source, "--proxy-source-port", "4444"],
      ...["--proxy-dest", c.dest, "--proxy-dest-port", "25"],
    ]);
    assert.match(out, /221 2\.0\.0 bye/, out);
    const got = server.seen[before];
    assert.ok(got !== undefined, `nothing recorded for version ${c.version} ${c.family}`);
    assert.equal(got.header.header.version, Number(c.version));
    assert.equal(got.header.proxied, true);
    assert.deepEqual(got.header.source, { address: c.expect[0], port: 4444 });
    assert.deepEqual(got.header.destination, { address: c.expect[1], port: 25 });
    assert.equal(got.next, "QUIT\r\n", "the first bytes after the header");
  }
});
