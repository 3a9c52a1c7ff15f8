import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort, runPortico, startPortico, tempDir } from "../support/cli.js";

async function configWithDns(dir: string): Promise<number> {
  const port = await freePort();
  await writeFile(
    join(dir, "portico.toml"),
    `hostname = "mx.example.test"\n[dns]\nlisten = ["127.0.0.1:${port}"]\n`,
  );
  return port;
}

test("start prints the service table; SIGTERM on an idle run exits 0 within 10 s", async () => {
  const dir = await tempDir();
  const port = await configWithDns(dir);
  const run = await startPortico(["start"], { cwd: dir });
  assert.match(
    run.stdout(),
    new RegExp(`dns +127\\.0\\.0\\.1:${port} udp\\+tcp +dig @127\\.0\\.0\\.1 -p ${port} `),
  );
  const started = Date.now();
  run.child.kill("SIGTERM");
  const result = await run.exited;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});

test("SIGINT also stops cleanly with exit 0", async () => {
  const dir = await tempDir();
  await configWithDns(dir);
  const run = await startPortico(["start"], { cwd: dir });
  run.child.kill("SIGINT");
  const result = await run.exited;
  assert.equal(result.code, 0, `signal ${result.signal ?? "none"}; stderr: ${result.stderr}`);
});

test("a second start on the same ports fails with a one-line 'address in use' error", async () => {
  const dir = await tempDir();
  const port = await configWithDns(dir);
  const first = await startPortico(["start"], { cwd: dir });
  try {
    const second = await runPortico(["start"], { cwd: dir });
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr.trim(),
      `portico: Cannot listen on 127.0.0.1:${port} (dns.listen, TCP): address in use; stop the program using it or change the port`,
    );
  } finally {
    first.child.kill("SIGTERM");
    await first.exited;
  }
});

test("the embedded default: no -c and no ./portico.toml serves DNS on 127.0.0.1:1053 with a localhost zone", async (t) => {
  const dir = await tempDir();
  const run = await startPortico(["start"], { cwd: dir });
  t.after(async () => {
    run.child.kill("SIGTERM");
    await run.exited;
  });
  assert.match(run.stdout(), /config: the embedded default, data: .*portico-data/);
  assert.match(run.stdout(), /dns +127\.0\.0\.1:1053 udp\+tcp +dig @127\.0\.0\.1 -p 1053 localhost\. SOA/);
  const { stdout } = await promisify(execFile)("dig", [
    "@127.0.0.1",
    "-p",
    "1053",
    "localhost",
    "A",
    "+short",
  ]);
  assert.equal(stdout.trim(), "127.0.0.1");
});
