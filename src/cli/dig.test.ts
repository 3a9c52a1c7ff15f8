/**
 * `portico dig` against BIND's dig (Debian's bind9-dnsutils), both asking a Portico DNS
 * server: the outputs must match line for line, except the banner, the id, the query time
 * and the date.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startDnsService } from "../dns/service.js";
import { runPortico } from "../../test/support/cli.js";
import { digCommand, type DigIo } from "./dig.js";
import { UsageError } from "./errors.js";

const ZONE = `$ORIGIN example.test.
$TTL 300
@        SOA   ns1 hostmaster 2024010101 3600 600 86400 60
@        NS    ns1
@        NS    ns2.example.test.
ns1      A     192.0.2.53
ns2      AAAA  2001:db8::53
www      A     192.0.2.1
www      AAAA  2001:db8::1
alias    CNAME www
@        MX    10 mail
@        MX    20 backup.mail
mail     A     192.0.2.25
backup.mail A  192.0.2.26
txt      TXT   "hello world" "second \\"string\\""
srv._tcp SRV   0 5 5060 www
a-very-long-owner-name-for-columns.sub A 192.0.2.99
big      TXT   ${Array.from({ length: 16 }, (_, i) => `"${String(i).padStart(2, "0")}${"y".repeat(100)}"`).join(" ")}
`;

const REVERSE = `$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@  SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@  NS  ns1.example.test.
1  PTR www.example.test.
`;

/** dig's output without what differs between runs: banner, id, time, date. */
function comparable(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => !/^; <<>> /.test(line) && !/^;; (Query time|WHEN):/.test(line))
    .map((line) => line.replace(/id: \d+/, "id: ID"));
}

function bindDig(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // -r: no ~/.digrc, so the machine's preferences cannot change the output.
    execFile("dig", ["-r", ...args], { timeout: 20_000 }, (error, stdout) => {
      if (error && stdout === "") reject(new Error(`dig ${args.join(" ")} failed: ${error.message}`));
      else resolve(stdout);
    });
  });
}

async function porticoDig(args: string[], resolvConf?: string): Promise<{ code: number; output: string }> {
  let output = "";
  const io: DigIo = {
    write: (text) => {
      output += text;
    },
    readResolvConf: () => Promise.resolve(resolvConf),
    now: () => new Date(),
  };
  const code = await digCommand(args, io);
  return { code, output };
}

async function startServer(t: { after: (fn: () => Promise<void>) => void }): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "portico-dig-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "example.test.zone"), ZONE);
  await writeFile(join(dir, "reverse.zone"), REVERSE);
  const service = await startDnsService(
    {
      listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
      zones: [join(dir, "example.test.zone"), join(dir, "reverse.zone")],
      recursion: false,
      forwarders: [],
    },
    { watchZones: false },
  );
  t.after(() => service.stop(0));
  return service.endpoints[0]!.address.port;
}

const QUERIES: readonly (readonly string[])[] = [
  ["www.example.test"],
  ["www.example.test", "AAAA"],
  ["alias.example.test", "+tcp"],
  ["ALIAS.Example.TEST", "A"],
  ["example.test", "MX"],
  ["example.test", "SOA", "+norec"],
  ["example.test", "NS"],
  ["txt.example.test", "TXT"],
  ["srv._tcp.example.test", "SRV"],
  ["a-very-long-owner-name-for-columns.sub.example.test"],
  ["nothing.example.test"],
  ["www.example.test", "TXT"],
  ["www.elsewhere.test"],
  ["-x", "192.0.2.1"],
  ["big.example.test", "TXT"],
  ["big.example.test", "TXT", "+noedns"],
  ["www.example.test", "+noedns"],
  ["www.example.test", "+dnssec", "+bufsize=4096"],
  ["example.test", "MX", "+short"],
  ["alias.example.test", "+short"],
  ["-t", "txt", "-q", "txt.example.test", "+short"],
  ["version.bind", "TXT", "CH"],
  ["example.test", "ANY"],
  ["www.example.test", "ANY", "+notcp"],
  ["big.example.test", "TXT", "+ignore"],
  [],
];

test("portico dig prints what BIND's dig prints", async (t) => {
  const port = await startServer(t);
  for (const query of QUERIES) {
    const args = ["@127.0.0.1", "-p", String(port), ...query];
    const expected = comparable(await bindDig(args));
    const got = await porticoDig(args);
    assert.equal(got.code, 0);
    assert.deepEqual(comparable(got.output), expected, `portico dig ${query.join(" ")}`);
  }
});

test("portico dig: the server comes from resolv.conf when not given", async (t) => {
  const port = await startServer(t);
  const got = await porticoDig(["-p", String(port), "www.example.test"], "search x\nnameserver 127.0.0.1\n");
  assert.match(got.output, new RegExp(`;; SERVER: 127\\.0\\.0\\.1#${port}\\(127\\.0\\.0\\.1\\) \\(UDP\\)`));
  assert.doesNotMatch(got.output, /server found/);
  assert.match(got.output, /^www\.example\.test\.\t300\tIN\tA\t192\.0\.2\.1$/m);
});

test("portico dig: no answer means exit 1 and dig's messages", async () => {
  const silent = createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
  const port = silent.address().port;
  try {
    const timedOut = await porticoDig([
      "@127.0.0.1",
      "-p",
      String(port),
      "www.example.test",
      "+time=1",
      "+tries=1",
    ]);
    assert.equal(timedOut.code, 1);
    assert.match(
      timedOut.output,
      new RegExp(`^;; communications error to 127\\.0\\.0\\.1#${port}: timed out$`, "m"),
    );
    assert.match(timedOut.output, /^;; no servers could be reached$/m);
  } finally {
    silent.close();
  }
  const refused = await porticoDig(["@127.0.0.1", "-p", String(port), "www.example.test", "+tries=1"]);
  assert.equal(refused.code, 1);
  assert.match(refused.output, /connection refused/);
});

test("portico dig from the command line: registered in main, usage errors exit 2", async (t) => {
  const port = await startServer(t);
  const dir = tmpdir();
  const ok = await runPortico(["dig", "@127.0.0.1", "-p", String(port), "www.example.test", "+short"], {
    cwd: dir,
  });
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, "192.0.2.1\n");
  const bad = await runPortico(["dig", "+frobnicate", "www.example.test"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option \+frobnicate/);
  await assert.rejects(porticoDig(["@127.0.0.1", "a..b"]), UsageError);
  await assert.rejects(porticoDig(["-x", "not-an-address"]), UsageError);
  await assert.rejects(porticoDig(["www.example.test", "+time=x"]), UsageError);
});
