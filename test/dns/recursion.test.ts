/**
 * The DNS server with `recursion = true`, on the wire with BIND's `dig`: an authoritative
 * Portico serves example.test.; a second Portico, recursive, forwards to it (and, in one
 * process, iterates from a made-up root instead). Answers for names outside the recursive
 * server's zones come with RA and without AA; its own zones stay authoritative; queries
 * without RD and clients outside `allow_recursion` are REFUSED; a lookup that fails is
 * SERVFAIL with an Extended DNS Error; over TCP a slow lookup does not hold up the answers
 * behind it (RFC 7766 §7). Also PTR synthesis (`synthesize_ptr`) with `dig -x`. In one process
 * and with two workers.
 *
 * Needs `dig` (bind9-dnsutils): skipped without it, except in CI (`CI` set), where it fails.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it, type TestContext } from "node:test";
import { NetworkSet, type SocketAddress } from "../../src/core/address.js";
import { decodeMessage } from "../../src/dns/codec/index.js";
import { Resolver } from "../../src/dns/resolver/index.js";
import { startDnsService, type DnsService } from "../../src/dns/service.js";
import { Rcode, RRClass, RRType } from "../../src/dns/types.js";
import { dig, records } from "./support/dig.js";
import { buildQuery, connectTcp, exchangeUdp, framed, readTcpMessages } from "./support/wire.js";

const HAVE_DIG = spawnSync("dig", ["-v"]).status === 0;
const skip = HAVE_DIG ? false : "dig is not installed (apt-get install bind9-dnsutils)";
if (!HAVE_DIG && process.env.CI) throw new Error("dig is not installed; .ci/run must install bind9-dnsutils");

const EXAMPLE = `$ORIGIN example.test.
$TTL 300
@      SOA   ns1 hostmaster 1 3600 600 86400 60
@      NS    ns1
ns1    A     192.0.2.53
www    A     192.0.2.1
www    AAAA  2001:db8::1
alias  CNAME www
`;

/** The recursive server's own zone. */
const OWN = `$ORIGIN own.test.
$TTL 300
@      SOA   ns hostmaster 1 3600 600 86400 60
@      NS    ns
ns     A     192.0.2.99
host   A     192.0.2.77
host   AAAA  2001:db8::77
`;

/** The root of the iterative test: delegates test. to the authoritative server (glue). */
const ROOT = `$ORIGIN .
$TTL 86400
@                  SOA  a.root.test. hostmaster.root.test. 1 1800 900 604800 86400
@                  NS   a.root.test.
a.root.test.       A    192.0.2.250
example.test.      NS   ns1.example.test.
ns1.example.test.  A    192.0.2.53
`;

/** Record lines without their TTL: a resolver's cache counts TTLs down. */
const withoutTtl = (lines: readonly string[]): string[] => lines.map((l) => l.replace(/ \d+ IN /, " IN "));

const local = (port = 0): SocketAddress => ({ host: "127.0.0.1", port, family: 4 });

async function zoneFiles(dir: string, zones: Record<string, string>): Promise<string[]> {
  return Promise.all(
    Object.entries(zones).map(async ([name, text]) => {
      const file = join(dir, `${name}.zone`);
      await writeFile(file, text);
      return file;
    }),
  );
}

/**
 * A forwarder that relays each UDP query to `upstream` after `delayMs` (a slow upstream), so
 * a recursive lookup takes a while.
 */
async function slowForwarder(t: TestContext | undefined, upstream: number, delayMs: number): Promise<number> {
  const socket: UdpSocket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const close = (): void => {
    socket.close();
  };
  if (t) t.after(close);
  else after(close);
  socket.on("message", (query, remote) => {
    void sleep(delayMs)
      .then(() => exchangeUdp(upstream, query, { tries: 1 }))
      .then((response) => {
        socket.send(response, remote.port, remote.address);
      })
      .catch(() => undefined);
  });
  return socket.address().port;
}

for (const workers of [1, 2]) {
  void describe(`recursion (workers: ${workers})`, { skip }, () => {
    let dir: string;
    let authoritative: DnsService;
    let recursive: DnsService;
    let port: number;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "portico-recursion-"));
      const [example, own] = await zoneFiles(dir, { "example.test": EXAMPLE, "own.test": OWN });
      authoritative = await startDnsService(
        { listen: [local()], zones: [example!], recursion: false, forwarders: [], workers },
        { watchZones: false },
      );
      recursive = await startDnsService(
        {
          listen: [local()],
          zones: [own!],
          recursion: true,
          forwarders: [authoritative.endpoints[0]!.address],
          workers,
          synthesizePtr: true,
        },
        { watchZones: false },
      );
      port = recursive.endpoints[0]!.address.port;
    });
    after(async () => {
      await Promise.all([authoritative.stop(0), recursive.stop(0)]);
      await rm(dir, { recursive: true, force: true });
    });

    void it("answers a name outside its zones through the resolver: RA set, AA clear", async () => {
      for (const transport of ["+notcp", "+tcp"]) {
        const r = await dig(port, [transport, "www.example.test", "A"]);
        assert.equal(r.status, "NOERROR", r.text);
        assert.ok(r.flags.has("ra") && r.flags.has("rd"), r.text);
        assert.ok(!r.flags.has("aa"), r.text);
        assert.deepEqual(withoutTtl(records(r, "ANSWER")), ["www.example.test. IN A 192.0.2.1"]);
      }
      const chain = await dig(port, ["alias.example.test", "AAAA"]);
      assert.deepEqual(withoutTtl(records(chain, "ANSWER")), [
        "alias.example.test. IN CNAME www.example.test.",
        "www.example.test. IN AAAA 2001:db8::1",
      ]);
    });

    void it("passes NXDOMAIN on with the zone's SOA", async () => {
      const r = await dig(port, ["nothere.example.test", "A"]);
      assert.equal(r.status, "NXDOMAIN", r.text);
      assert.ok(r.flags.has("ra"));
      assert.match(records(r, "AUTHORITY")[0] ?? "", /^example\.test\. \d+ IN SOA ns1\.example\.test\. /);
    });

    void it("answers its own zones authoritatively, with RA", async () => {
      const r = await dig(port, ["host.own.test", "A"]);
      assert.equal(r.status, "NOERROR");
      assert.ok(r.flags.has("aa") && r.flags.has("ra"), r.text);
    });

    void it("refuses a query without RD for a name outside its zones (EDE 20)", async () => {
      const r = await dig(port, ["+norec", "www.example.test", "A"]);
      assert.equal(r.status, "REFUSED", r.text);
      assert.match(r.text, /EDE: 20 \(Not Authoritative\)/);
    });

    void it("synthesizes PTR answers from its zones' addresses (dig -x), and resolves the rest", async () => {
      const v4 = await dig(port, ["-x", "192.0.2.77"]);
      assert.equal(v4.status, "NOERROR", v4.text);
      assert.ok(v4.flags.has("aa"));
      assert.deepEqual(records(v4, "ANSWER"), ["77.2.0.192.in-addr.arpa. 300 IN PTR host.own.test."]);
      const v6 = await dig(port, ["-x", "2001:db8::77"]);
      assert.match(records(v6, "ANSWER")[0] ?? "", / IN PTR host\.own\.test\.$/);
      // An address of no zone here goes to the resolver (and the upstream refuses it).
      const other = await dig(port, ["-x", "192.0.2.1"]);
      assert.equal(other.status, "SERVFAIL", other.text);
    });

    void it("keeps answering on a TCP connection while a lookup is slow (RFC 7766 §7)", async (t) => {
      const slow = await slowForwarder(t, authoritative.endpoints[0]!.address.port, 400);
      const patient = await startDnsService(
        {
          listen: [local()],
          zones: [join(dir, "own.test.zone")],
          recursion: true,
          forwarders: [local(slow)],
          workers,
        },
        { watchZones: false },
      );
      t.after(() => patient.stop(0));
      const socket = await connectTcp(patient.endpoints[0]!.address.port);
      t.after(() => socket.destroy());
      const reading = readTcpMessages(socket, 3, 5_000);
      const ask = (id: number, name: string): void => {
        socket.write(framed(buildQuery({ id, name, type: RRType.A, class: RRClass.IN, rd: true })));
      };
      ask(1, "www.example.test."); // slow: through the forwarder
      ask(2, "host.own.test."); // authoritative: at once
      ask(3, "ns.own.test.");
      socket.end(); // half-close: the answers still come (RFC 7766 §6.2.4)
      const answers = (await reading).map((b) => decodeMessage(b));
      assert.deepEqual(
        answers.map((m) => m.id),
        [2, 3, 1],
      );
      assert.equal(answers[2]?.rcode, Rcode.NOERROR);
      assert.equal(
        answers[2]?.answers[0]?.data.kind === "A" && answers[2].answers[0].data.address,
        "192.0.2.1",
      );
    });
  });
}

void describe("recursion: who may use it, and failures", { skip }, () => {
  void it("refuses clients outside allow_recursion (EDE 18), without RA", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "portico-recursion-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const [example] = await zoneFiles(dir, { "example.test": EXAMPLE });
    const authoritative = await startDnsService(
      { listen: [local()], zones: [example!], recursion: false, forwarders: [] },
      { watchZones: false },
    );
    t.after(() => authoritative.stop(0));
    const closed = await startDnsService(
      {
        listen: [local()],
        zones: [],
        recursion: true,
        forwarders: [authoritative.endpoints[0]!.address],
        allowRecursion: new NetworkSet(["192.0.2.0/24", "::1/128"]),
      },
      { watchZones: false },
    );
    t.after(() => closed.stop(0));
    const r = await dig(closed.endpoints[0]!.address.port, ["www.example.test", "A"]);
    assert.equal(r.status, "REFUSED", r.text);
    assert.ok(!r.flags.has("ra"), r.text);
    assert.match(r.text, /EDE: 18 \(Prohibited\)/);
  });

  void it("answers SERVFAIL with an Extended DNS Error when no forwarder answers", async (t) => {
    // A port nobody listens on: the forwarder's "port unreachable" fails the lookup at once.
    const nobody = createSocket("udp4");
    await new Promise<void>((resolve) => nobody.bind(0, "127.0.0.1", resolve));
    const deadPort = nobody.address().port;
    nobody.close();
    const dns = await startDnsService(
      { listen: [local()], zones: [], recursion: true, forwarders: [local(deadPort)] },
      { watchZones: false },
    );
    t.after(() => dns.stop(0));
    const r = await dig(dns.endpoints[0]!.address.port, ["+time=5", "www.example.test", "A"]);
    assert.equal(r.status, "SERVFAIL", r.text);
    assert.ok(r.flags.has("ra"));
    assert.match(r.text, /EDE: 22 \(No Reachable Authority\)/);
  });

  void it("iterates from the root when there are no forwarders", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "portico-recursion-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const [example, root] = await zoneFiles(dir, { "example.test": EXAMPLE, root: ROOT });
    const start = (file: string): Promise<DnsService> =>
      startDnsService(
        { listen: [local()], zones: [file], recursion: false, forwarders: [] },
        { watchZones: false },
      );
    const [auth, rootServer] = await Promise.all([start(example!), start(root!)]);
    t.after(() => Promise.all([auth.stop(0), rootServer.stop(0)]));
    // The root hint and the glue name made-up addresses; the resolver's test hook maps them.
    const resolver = new Resolver({
      rootHints: [{ name: "a.root.test.", address: "192.0.2.250" }],
      addressMap: new Map([
        ["192.0.2.250", rootServer.endpoints[0]!.address],
        ["192.0.2.53", auth.endpoints[0]!.address],
      ]),
    });
    const dns = await startDnsService(
      { listen: [local()], zones: [], recursion: true, forwarders: [] },
      { watchZones: false, resolver },
    );
    t.after(() => dns.stop(0));
    const r = await dig(dns.endpoints[0]!.address.port, ["www.example.test", "AAAA"]);
    assert.equal(r.status, "NOERROR", r.text);
    assert.ok(r.flags.has("ra") && !r.flags.has("aa"));
    assert.deepEqual(withoutTtl(records(r, "ANSWER")), ["www.example.test. IN AAAA 2001:db8::1"]);
  });
});

void describe("PTR synthesis without recursion", { skip }, () => {
  void it("answers dig -x from the zones, refuses other reverse names, and follows a reload", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "portico-ptr-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const [own] = await zoneFiles(dir, { "own.test": OWN });
    for (const workers of [1, 2]) {
      const dns = await startDnsService(
        { listen: [local()], zones: [own!], recursion: false, forwarders: [], workers, synthesizePtr: true },
        { watchZones: false },
      );
      const port = dns.endpoints[0]!.address.port;
      try {
        assert.deepEqual(records(await dig(port, ["-x", "192.0.2.99"]), "ANSWER"), [
          "99.2.0.192.in-addr.arpa. 300 IN PTR ns.own.test.",
        ]);
        assert.equal((await dig(port, ["-x", "192.0.2.98"])).status, "REFUSED");
        await writeFile(own!, OWN.replace("1 3600", "2 3600") + "new A 192.0.2.98\n");
        await dns.reload();
        assert.deepEqual(records(await dig(port, ["-x", "192.0.2.98"]), "ANSWER"), [
          "98.2.0.192.in-addr.arpa. 300 IN PTR new.own.test.",
        ]);
      } finally {
        await writeFile(own!, OWN);
        await dns.stop(0);
      }
    }
  });
});
