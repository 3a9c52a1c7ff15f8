import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../core/errors.js";
import { guessOrigin, loadZoneFile } from "./load.js";

const SOA = "@ SOA ns1 hostmaster 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "portico-zone-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("guessOrigin: a leading $ORIGIN, else an absolute SOA owner, else the file name", () => {
  assert.equal(
    guessOrigin("; c\n$TTL 1h\n$ORIGIN example.test.\n@ SOA a b 1 2 3 4 5\n", "x.zone"),
    "example.test.",
  );
  assert.equal(guessOrigin("$TTL 1h\nexample.net. IN SOA a b 1 2 3 4 5\n", "x.zone"), "example.net.");
  assert.equal(guessOrigin("$TTL 1h\n@ SOA a b 1 2 3 4 5\n", "zones/example.org.zone"), "example.org.");
  assert.equal(guessOrigin("", "zones/example.org.db"), "example.org.");
  assert.equal(guessOrigin("", "example.org"), "example.org.");
  assert.equal(guessOrigin('x TXT "unclosed\n', "zones/e.test.zone"), "e.test.");
});

test("loadZoneFile reads a file and its includes, relative to the including file", () => {
  withDir((dir) => {
    mkdirSync(join(dir, "zones", "parts"), { recursive: true });
    writeFileSync(join(dir, "zones", "example.test.zone"), `$TTL 1h\n${SOA}$INCLUDE parts/hosts.zone\n`);
    writeFileSync(join(dir, "zones", "parts", "hosts.zone"), "www A 192.0.2.80\n$INCLUDE more.zone\n");
    writeFileSync(join(dir, "zones", "parts", "more.zone"), 'txt TXT "caf\xc3\xa9"\n', "latin1");
    const zone = loadZoneFile(join(dir, "zones", "example.test.zone"));
    assert.equal(zone.origin, "example.test.");
    assert.deepEqual(
      zone.records.map((r) => r.name),
      ["example.test.", "example.test.", "ns1.example.test.", "www.example.test.", "txt.example.test."],
    );
    // The file's bytes are kept exactly: UTF-8 stays UTF-8.
    const txt = zone.records[4]!.data;
    assert.ok(txt.kind === "TXT");
    assert.deepEqual([...txt.strings[0]!], [0x63, 0x61, 0x66, 0xc3, 0xa9]);
  });
});

test("loadZoneFile errors name the file that is wrong", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "a.zone"), `$TTL 1h\n${SOA}$INCLUDE b.zone\n`);
    writeFileSync(join(dir, "b.zone"), "ok A 192.0.2.2\nbad A 192.0.2\n");
    assert.throws(
      () => loadZoneFile(join(dir, "a.zone"), "example.test"),
      (e: unknown) => e instanceof ConfigError && e.file === join(dir, "b.zone") && e.line === 2,
    );
    assert.throws(
      () => loadZoneFile(join(dir, "missing.zone"), "example.test"),
      (e: unknown) => e instanceof ConfigError && /cannot read zone file/.test(e.message),
    );
  });
});

test("loadZoneFile passes on defaultTtl and onWarning", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "z.zone"), `${SOA}x.example.net. A 192.0.2.9\n`);
    const warnings: number[] = [];
    const zone = loadZoneFile(join(dir, "z.zone"), "example.test.", {
      defaultTtl: 42,
      onWarning: (w) => warnings.push(w.line),
    });
    assert.deepEqual(
      zone.records.map((r) => r.ttl),
      [42, 42, 42],
    );
    assert.deepEqual(warnings, [4]);
  });
});
