import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "./errors.js";
import { loadTlsCredentials } from "./tls.js";

test("a self-signed certificate for the hostname is made once, kept, and remade for a new hostname", async () => {
  const tlsDir = join(await mkdtemp(join(tmpdir(), "portico-tls-")), "tls");
  const first = await loadTlsCredentials({ tlsDir, hostname: "mx.example.test" });
  const cert = new X509Certificate(first.cert);
  assert.ok(cert.checkHost("mx.example.test"));
  assert.ok(cert.checkHost("localhost"));
  assert.ok(cert.checkIP("127.0.0.1"));
  assert.equal(cert.ca, false);
  assert.ok(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(first.key)));
  assert.equal(await readFile(join(tlsDir, "cert.pem"), "utf8"), first.cert);
  const again = await loadTlsCredentials({ tlsDir, hostname: "mx.example.test" });
  assert.equal(again.cert, first.cert, "kept across starts");
  const renamed = await loadTlsCredentials({ tlsDir, hostname: "other.example.test" });
  assert.notEqual(renamed.cert, first.cert);
  assert.ok(new X509Certificate(renamed.cert).checkHost("other.example.test"));
});

test("configured files are used; unreadable or mismatched ones are config errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "portico-tls-"));
  const a = await loadTlsCredentials({ tlsDir: join(dir, "a"), hostname: "a.test" });
  const b = await loadTlsCredentials({ tlsDir: join(dir, "b"), hostname: "b.test" });
  await writeFile(join(dir, "cert.pem"), a.cert);
  await writeFile(join(dir, "key.pem"), a.key);
  await writeFile(join(dir, "other-key.pem"), b.key);
  const files = await loadTlsCredentials({
    files: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") },
    tlsDir: "/nonexistent",
    hostname: "x",
  });
  assert.equal(files.cert, a.cert);
  assert.equal(files.source, join(dir, "cert.pem"));
  await assert.rejects(
    loadTlsCredentials({
      files: { cert: join(dir, "missing.pem"), key: join(dir, "key.pem") },
      tlsDir: "",
      hostname: "x",
    }),
    (e: Error) => e instanceof ConfigError && /tls\.cert: cannot read .*missing\.pem: ENOENT/.test(e.message),
  );
  await assert.rejects(
    loadTlsCredentials({
      files: { cert: join(dir, "cert.pem"), key: join(dir, "other-key.pem") },
      tlsDir: "",
      hostname: "x",
    }),
    (e: Error) => e instanceof ConfigError && /cannot use .* with .*other-key\.pem/.test(e.message),
  );
});

test("a server-side upgrade fails at once when the client hangs up mid-handshake", async (t) => {
  const { createServer, connect } = await import("node:net");
  const { serverContext, upgradeServerSocket } = await import("./tls.js");
  const creds = await loadTlsCredentials({
    tlsDir: join(await mkdtemp(join(tmpdir(), "portico-tls-")), "tls"),
    hostname: "localhost",
  });
  let upgrade: Promise<unknown> | undefined;
  const server = createServer((socket) => {
    upgrade = upgradeServerSocket(socket, serverContext(creds), 30_000);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const client = connect((server.address() as { port: number }).port, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  while (upgrade === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = Date.now();
  client.destroy();
  await assert.rejects(upgrade, /connection was closed/);
  assert.ok(Date.now() - started < 5_000, "not after the 30 s handshake timeout");
});
