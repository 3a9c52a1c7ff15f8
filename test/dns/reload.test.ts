import assert from "node:assert/strict";
import { writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startDnsService } from "../../src/dns/service.js";
import { freePort, startPortico, tempDir } from "../support/cli.js";

const run = promisify(execFile);

const zone = (serial: number, address: string): string =>
  `$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns hostmaster ${serial} 1h 15m 1w 5m\n  IN NS ns\nns IN A 192.0.2.1\nwww IN A ${address}\n`;

async function digShort(port: number, name: string, type = "A"): Promise<string> {
  const { stdout } = await run("dig", [
    `@127.0.0.1`,
    "-p",
    String(port),
    name,
    type,
    "+short",
    "+tries=1",
    "+time=2",
  ]);
  return stdout.trim();
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("zones reload when their file changes; a bad edit keeps the old zone serving", async (t) => {
  const dir = await tempDir();
  const file = join(dir, "example.test.zone");
  await writeFile(file, zone(1, "192.0.2.10"));
  const dns = await startDnsService({
    listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
    zones: [file],
    recursion: false,
    forwarders: [],
  });
  t.after(() => dns.stop(0));
  const port = dns.endpoints[0]!.address.port;
  assert.equal(await digShort(port, "www.example.test"), "192.0.2.10");

  // Editors replace the file (write a temp file, rename over): the watcher must survive that.
  await writeFile(`${file}.new`, zone(2, "192.0.2.20"));
  await rename(`${file}.new`, file);
  await until(async () => (await digShort(port, "www.example.test")) === "192.0.2.20");

  await writeFile(file, zone(3, "192.0.2.30") + "bad IN A 999.1.1.1\n");
  await assert.rejects(dns.reload(), /example\.test\.zone:7: /);
  await new Promise((r) => setTimeout(r, 600)); // the watcher's reload fails the same way
  assert.equal(await digShort(port, "www.example.test"), "192.0.2.20", "old zone still served");

  // A second replacement after the first: still watched.
  await writeFile(`${file}.new`, zone(4, "192.0.2.40"));
  await rename(`${file}.new`, file);
  await until(async () => (await digShort(port, "www.example.test")) === "192.0.2.40");
});

test("SIGHUP reloads zones in a running `portico start`", async (t) => {
  const dir = await tempDir();
  const port = await freePort();
  await writeFile(join(dir, "example.test.zone"), zone(1, "192.0.2.10"));
  await writeFile(
    join(dir, "portico.toml"),
    `[dns]\nlisten = ["127.0.0.1:${port}"]\nzones = ["example.test.zone"]\n`,
  );
  const portico = await startPortico(["start"], { cwd: dir });
  t.after(async () => {
    portico.child.kill("SIGTERM");
    await portico.exited;
  });
  assert.equal(await digShort(port, "www.example.test"), "192.0.2.10");
  await writeFile(join(dir, "example.test.zone"), zone(2, "192.0.2.99"));
  portico.child.kill("SIGHUP");
  await until(async () => (await digShort(port, "www.example.test")) === "192.0.2.99");
});
