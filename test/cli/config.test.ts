import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { runPortico, tempDir } from "../support/cli.js";

/** Runs check-config on `text` and returns the result. */
async function check(
  text: string,
): Promise<{ code: number | null; lines: string[]; file: string; stderr: string }> {
  const dir = await tempDir();
  const file = join(dir, "portico.toml");
  await writeFile(file, text);
  const r = await runPortico(["check-config", "-c", file], { cwd: dir });
  return { code: r.code, lines: r.stderr.trimEnd().split("\n"), file, stderr: r.stderr };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
}

test("check-config accepts a valid file: exit 0", async () => {
  const r = await check('hostname = "mx.organization.test"\n[dns]\nlisten = ["127.0.0.1:1053"]\n');
  assert.equal(r.code, 0, r.stderr);
});

test("check-config: an unknown key is exit 2 with FILE:LINE", async () => {
  const r = await check('hostname = "a.test"\n\n[smtp]\nlisten = ["127.0.0.1:2525"]\nmax_mesage_size = 10\n');
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 1);
  assert.match(
    r.lines[0]!,
    new RegExp(`^${r.file}:5: smtp\\.max_mesage_size: unknown key \\(expected one of: .*max_message_size`),
  );
  assertNoStack(r.stderr);
});

test("check-config: a TOML syntax error is exit 2 with FILE:LINE", async () => {
  const r = await check('hostname = "a.test"\n[dns]\nlisten = ["127.0.0.1:1053"\nrecursion = false\n');
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0]!, new RegExp(`^${r.file}:\\d+: TOML syntax error`));
  assertNoStack(r.stderr);
});

test("check-config: a bad address is exit 2 with FILE:LINE", async () => {
  const r = await check('[pop3]\nlisten = ["localhost:110"]\n');
  assert.equal(r.code, 2);
  assert.deepEqual(r.lines, [
    `${r.file}:2: pop3.listen[0]: "localhost" is not an IPv4 or IPv6 address (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")`,
  ]);
  assertNoStack(r.stderr);
});

test("check-config: a port out of range is exit 2 with FILE:LINE", async () => {
  const r = await check('[imap]\nlisten = ["127.0.0.1:2143"]\nlisten_tls = ["127.0.0.1:99999"]\n');
  assert.equal(r.code, 2);
  assert.deepEqual(r.lines, [
    `${r.file}:3: imap.listen_tls[0]: port 99999 is out of range 0-65535 (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")`,
  ]);
  assertNoStack(r.stderr);
});

test("check-config: every problem of a file is reported, one line each, in file order", async () => {
  const r = await check('colour = "blue"\n[smtp]\nrelay_port = 70000\n[dns]\nlisten = ["1.2.3:53"]\n');
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 3);
  assert.deepEqual(
    r.lines.map((l) => l.split(": ")[0]),
    [`${r.file}:1`, `${r.file}:3`, `${r.file}:5`],
  );
});

test("check-config: a zone file with an error names the zone file's FILE:LINE", async () => {
  const dir = await tempDir();
  await writeFile(
    join(dir, "example.test.zone"),
    "$TTL 1h\n@ IN SOA ns hostmaster 1 1h 15m 1w 5m\n  IN NS ns\nns IN A 300.1.1.1\n",
  );
  await writeFile(
    join(dir, "portico.toml"),
    '[dns]\nlisten = ["127.0.0.1:0"]\nzones = ["example.test.zone"]\n',
  );
  const r = await runPortico(["check-config"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trim(), new RegExp(`^${join(dir, "example.test.zone")}:4: `));
  assertNoStack(r.stderr);
});

test("check-config: a missing file is exit 2, one line", async () => {
  const dir = await tempDir();
  const r = await runPortico(["check-config", "-c", "nope.toml"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "nope.toml:1: cannot read the config file: no such file");
});

test("an unknown command or option is exit 2", async () => {
  const dir = await tempDir();
  assert.equal((await runPortico(["frobnicate"], { cwd: dir })).code, 2);
  assert.equal((await runPortico(["check-config", "--bogus"], { cwd: dir })).code, 2);
});
