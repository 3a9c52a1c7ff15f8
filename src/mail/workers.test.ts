import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkSet, parseSocketAddress } from "../core/address.js";
import type { SmtpOptions } from "../options.js";
import { fromWorkerOptions, toWorkerOptions, type WorkerSmtpOptions } from "./workers.js";

test("SmtpOptions cross to a worker as JSON: networks and aliases come back whole", () => {
  const options: SmtpOptions = {
    listen: [parseSocketAddress("127.0.0.1:2525")],
    submission: [parseSocketAddress("[::1]:2587")],
    submissions: [],
    localDomains: ["z.test"],
    trustedNetworks: new NetworkSet(["10.0.0.0/8", "::1"]),
    proxyProtocol: new NetworkSet(["192.0.2.7"]),
    relayPort: 25,
    maxMessageSize: 1_000_000,
    aliases: new Map([["list@z.test", ["a@z.test", "b@z.test"]]]),
    retryIntervalsMs: [60_000],
    verify: "nobody",
    workers: 1,
  };
  const crossed = fromWorkerOptions(
    JSON.parse(JSON.stringify(toWorkerOptions(options))) as WorkerSmtpOptions,
  );
  assert.ok(crossed.trustedNetworks.has("10.1.2.3"));
  assert.ok(crossed.trustedNetworks.has("::1"));
  assert.ok(!crossed.trustedNetworks.has("192.0.2.7"));
  assert.ok(crossed.proxyProtocol?.has("192.0.2.7"));
  assert.deepEqual([...crossed.aliases], [["list@z.test", ["a@z.test", "b@z.test"]]]);
  const { trustedNetworks, proxyProtocol, aliases, ...rest } = crossed;
  const { trustedNetworks: t0, proxyProtocol: p0, aliases: a0, ...rest0 } = options;
  assert.deepEqual(rest, rest0);
  assert.deepEqual([trustedNetworks.networks, proxyProtocol?.networks], [t0.networks, p0?.networks]);
  assert.equal(aliases.size, a0.size);

  const { proxyProtocol: _, ...withoutProxy } = options;
  const bare = fromWorkerOptions(
    JSON.parse(JSON.stringify(toWorkerOptions(withoutProxy))) as WorkerSmtpOptions,
  );
  assert.equal(bare.proxyProtocol, undefined);
});
