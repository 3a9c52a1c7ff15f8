/**
 * The resolver forwarding to NSD (Debian's `nsd`, a reference authoritative server) with
 * the zone of the Portico forwarding test: the same answers, negative answers, cache and MX
 * results, so the resolver does not depend on Portico's own server's choices.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { SocketAddress } from "../../src/core/address.js";
import { query } from "../../src/dns/client/index.js";
import { Resolver } from "../../src/dns/resolver/index.js";
import { EXAMPLE_ZONE, manualClock } from "../../src/dns/resolver/test-support.js";
import { Rcode, RRType } from "../../src/dns/types.js";
import type { ResourceRecord } from "../../src/dns/types.js";
import { startNsd } from "./support/nsd.js";

const addresses = (records: readonly ResourceRecord[]): string[] =>
  records.flatMap((r) => (r.data.kind === "A" || r.data.kind === "AAAA" ? [r.data.address] : []));

test("forwarding to NSD: answers, chains, negative answers, cache, MX", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-resolver-nsd-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "example.test.zone");
  await writeFile(file, `$ORIGIN example.test.\n${EXAMPLE_ZONE}\n`);
  const nsd = await startNsd([{ origin: "example.test", file }]);
  t.after(() => nsd.stop());

  const forwarder: SocketAddress = { host: "127.0.0.1", port: nsd.port, family: 4 };
  const sent: string[] = [];
  const clock = manualClock();
  const resolver = new Resolver({
    forwarders: [forwarder],
    clock: clock.now,
    timeoutMs: 1000,
    query: (server, message, options) => {
      sent.push(`${message.questions[0]?.name ?? ""}/${message.questions[0]?.type ?? 0}`);
      return query(server, message, options);
    },
  });

  const www = await resolver.resolve("www.example.test.", RRType.A);
  assert.equal(www.rcode, Rcode.NOERROR);
  assert.deepEqual(addresses(www.answers), ["192.0.2.1"]);
  assert.equal(www.answers[0]?.ttl, 300);

  const chain = await resolver.resolve("alias2.example.test.", RRType.AAAA);
  assert.deepEqual(
    chain.answers.map((r) => [r.name, r.type]),
    [
      ["alias2.example.test.", RRType.CNAME],
      ["alias.example.test.", RRType.CNAME],
      ["www.example.test.", RRType.AAAA],
    ],
  );

  const nx = await resolver.resolve("nx.example.test.", RRType.A);
  assert.equal(nx.rcode, Rcode.NXDOMAIN);
  assert.equal(nx.soa?.ttl, 60);
  const nodata = await resolver.resolve("www.example.test.", RRType.TXT);
  assert.equal(nodata.rcode, Rcode.NOERROR);
  assert.deepEqual(nodata.answers, []);
  assert.equal(nodata.soa?.name, "example.test.");

  // Everything above is cached now: asking again sends nothing.
  const before = sent.length;
  clock.advance(30);
  await resolver.resolve("www.example.test.", RRType.A);
  await resolver.resolve("nx.example.test.", RRType.MX);
  await resolver.resolve("www.example.test.", RRType.TXT);
  assert.equal(sent.length, before);
  clock.advance(31);
  await resolver.resolve("nx.example.test.", RRType.MX);
  assert.equal(sent.length, before + 1, "the negative answer expired after 60 s");

  const mx = await resolver.resolveMx("example.test.");
  assert.ok(mx.kind === "hosts");
  assert.deepEqual(
    mx.hosts.map((h) => h.preference),
    [10, 10, 20],
  );
  assert.deepEqual(mx.hosts.find((h) => h.exchange === "mx2.example.test.")?.addresses, [
    "192.0.2.26",
    "2001:db8::26",
  ]);
  assert.deepEqual(await resolver.resolveMx("nullmx.example.test."), { kind: "null-mx" });
  const implicit = await resolver.resolveMx("nomx.example.test.");
  assert.ok(implicit.kind === "hosts" && implicit.implicit);
  assert.deepEqual(implicit.hosts[0]?.addresses, ["192.0.2.80", "2001:db8::80"]);

  // NSD refuses names outside its zones: SERVFAIL, not a hang.
  assert.equal((await resolver.resolve("www.elsewhere.test.", RRType.A)).rcode, Rcode.SERVFAIL);
});
