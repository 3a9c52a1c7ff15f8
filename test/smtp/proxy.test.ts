// PROXY protocol (v1 and v2) on the SMTP listeners, with swaks as the load balancer's stand-in.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { promisify } from "node:util";
import { parseConfig } from "../../src/core/config/load.js";
import { startPortico } from "../../src/portico.js";
import { freePort, tempDir } from "../support/cli.js";

const run = promisify(execFile);

/** swaks to 127.0.0.1:`port` from a@elsewhere.test, as if a proxy relayed 198.51.100.7:4321. */
function swaksViaProxy(
  port: number,
  version: "1" | "2",
  args: readonly string[],
): Promise<{ stdout: string }> {
  return run("swaks", [
    "--server",
    `127.0.0.1:${port}`,
    "--from",
    "a@elsewhere.test",
    "--proxy-version",
    version,
    "--proxy-family",
    version === "1" ? "TCP4" : "AF_INET",
    "--proxy-source",
    "198.51.100.7",
    "--proxy-source-port",
    "4321",
    "--proxy-dest",
    "127.0.0.1",
    "--proxy-dest-port",
    String(port),
    ...args,
  ]);
}

test("PROXY v1/v2 from a configured proxy: the session sees the client it names", async (t) => {
  const dir = await tempDir();
  const port = await freePort();
  const file = join(dir, "portico.toml");
  await writeFile(
    file,
    `hostname = "mx.proxy.test"\ndata_dir = "data"\n[[users]]\naddress = "u@proxy.test"\npassword = "pw"\n` +
      `[smtp]\nlisten = ["127.0.0.1:${port}"]\nsubmission = []\nsubmissions = []\nlocal_domains = ["proxy.test"]\n` +
      `trusted_networks = ["127.0.0.0/8"]\nproxy_protocol = ["127.0.0.1"]\n`,
  );
  const portico = await startPortico(parseConfig(await readFile(file, "utf8"), file));
  t.after(() => portico.stop(0));

  for (const version of ["1", "2"] as const) {
    const { stdout } = await swaksViaProxy(port, version, [
      "--to",
      "u@proxy.test",
      "--header",
      `Subject: via v${version}`,
    ]);
    assert.match(stdout, /250 2\.0\.0 Ok: queued as/);
  }
  const inbox = join(dir, "data", "mail", "proxy.test", "u", "new");
  for (let i = 0; i < 100 && (await readdir(inbox).catch(() => [])).length < 2; i++) await sleep(50);
  const texts = await Promise.all((await readdir(inbox)).map((f) => readFile(join(inbox, f), "utf8")));
  assert.equal(texts.length, 2);
  for (const text of texts) assert.match(text, /Received: from \S+ \(\[198\.51\.100\.7\]\)/);

  // The named client is not in trusted_networks, though the proxy is: no relaying for it.
  const denied = await swaksViaProxy(port, "1", ["--to", "x@remote.test", "--quit-after", "RCPT"]).catch(
    (error: unknown) => ({ stdout: (error as { stdout: string }).stdout }),
  );
  assert.match(denied.stdout, /550 5\.7\.1 Relay access denied/);

  // Without a header the connection is closed, unanswered (the spec: never guess).
  const socket = connect({ host: "127.0.0.1", port });
  let received = "";
  socket.on("data", (d: Buffer) => (received += d.toString()));
  socket.write("EHLO no-proxy.test\r\n");
  await new Promise((resolve) => socket.on("close", resolve));
  assert.equal(received, "");
});
