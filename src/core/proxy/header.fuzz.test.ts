/**
 * Seeded fuzzing of the PROXY header parser: mutated valid headers and random bytes must
 * never throw, must give a well-formed answer that depends on no byte past the input, and
 * must be consistent as the input grows (an answer, once given, never changes). Random
 * endpoints must survive encode → parse. PORTICO_FUZZ_ITERATIONS sets the count,
 * PORTICO_FUZZ_SEED replays a failure.
 */
import assert from "node:assert/strict";
import { isIP } from "node:net";
import { test } from "node:test";
import { fuzzIterations, fuzzSeed, seededRandom } from "../../../test/support/fuzz.js";
import { encodeProxyV1, encodeProxyV2 } from "./encode.js";
import {
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  type ProxyEndpoint,
  type ProxyParseResult,
} from "./header.js";

const ITERATIONS = fuzzIterations(3000);
const SEED = fuzzSeed(0x50524f58);

class Fuzz {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = seededRandom(seed);
  }
  int(max: number): number {
    return Math.floor(this.#next() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  endpoint(family: 4 | 6): ProxyEndpoint {
    const port = this.int(65536);
    if (family === 4) return { address: Array.from({ length: 4 }, () => this.int(256)).join("."), port };
    // Runs of zero groups now and then, so "::" compression is exercised.
    const groups = Array.from({ length: 8 }, () => (this.int(3) === 0 ? 0 : this.int(65536)).toString(16));
    return { address: groups.join(":"), port };
  }
  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
}

function corpus(f: Fuzz): Buffer[] {
  const v4 = (): [ProxyEndpoint, ProxyEndpoint] => [f.endpoint(4), f.endpoint(4)];
  const v6 = (): [ProxyEndpoint, ProxyEndpoint] => [f.endpoint(6), f.endpoint(6)];
  const [a, b] = v4();
  const [c, d] = v6();
  return [
    encodeProxyV1({ source: a, destination: b }),
    encodeProxyV1({ source: c, destination: d }),
    encodeProxyV1(),
    Buffer.from("PROXY UNKNOWN ffff:f::1 ffff::2 65535 65535\r\n"),
    encodeProxyV2({ source: a, destination: b }),
    encodeProxyV2({ source: c, destination: d, transport: "DGRAM" }),
    encodeProxyV2({ command: "LOCAL" }),
    encodeProxyV2(),
    encodeProxyV2({
      source: c,
      destination: d,
      tlvs: [
        { type: 0x02, value: Buffer.from("mx.example.test") },
        { type: 0x20, value: f.bytes(12) },
      ],
      crc32c: true,
    }),
    Buffer.concat([Buffer.from(PROXY_V2_SIGNATURE), Buffer.from([0x21, 0x31, 0x00, 0xd8]), f.bytes(216)]),
  ];
}

function mutate(f: Fuzz, input: Buffer): Buffer {
  const out = Buffer.from(input);
  const edits = 1 + f.int(3);
  let result = out;
  for (let e = 0; e < edits; e++) {
    const at = f.int(Math.max(1, result.length));
    switch (f.int(6)) {
      case 0: // flip a bit
        if (result.length > 0) result[at]! ^= 1 << f.int(8);
        break;
      case 1: // set an interesting byte
        if (result.length > 0)
          result[at] = f.pick([0x00, 0x0a, 0x0d, 0x20, 0x2e, 0x3a, 0x30, 0x39, 0xff, 0x21]);
        break;
      case 2: // truncate
        result = result.subarray(0, at);
        break;
      case 3: // insert random bytes
        result = Buffer.concat([result.subarray(0, at), f.bytes(1 + f.int(4)), result.subarray(at)]);
        break;
      case 4: // delete bytes
        result = Buffer.concat([result.subarray(0, at), result.subarray(at + 1 + f.int(4))]);
        break;
      default: // append what a client sends next
        result = Buffer.concat([result, f.bytes(f.int(40))]);
    }
  }
  return result;
}

function checkShape(result: ProxyParseResult, input: Buffer): void {
  switch (result.kind) {
    case "incomplete":
      assert.ok(input.length < PROXY_V2_MAX_LENGTH);
      return;
    case "error":
      assert.ok(result.offset >= 0 && result.offset < Math.max(1, input.length), `offset ${result.offset}`);
      assert.ok(result.reason.length > 0);
      return;
    case "done": {
      assert.ok(result.consumed > 0 && result.consumed <= input.length);
      if (result.version === 1) assert.ok(result.consumed <= PROXY_V1_MAX_LENGTH);
      for (const endpoint of [result.source, result.destination]) {
        if (endpoint === undefined) continue;
        assert.ok(Number.isInteger(endpoint.port) && endpoint.port >= 0 && endpoint.port <= 65535);
        assert.notEqual(isIP(endpoint.address), 0, endpoint.address);
      }
      const addressed = ["TCP4", "TCP6", "UDP4", "UDP6"].includes(result.family);
      assert.equal(result.source !== undefined, addressed);
      assert.equal(result.destination !== undefined, addressed);
      return;
    }
  }
}

test(`parseProxyHeader never throws and answers consistently (${ITERATIONS} inputs, seed ${SEED})`, () => {
  const f = new Fuzz(SEED);
  const seeds = corpus(f);
  for (let i = 0; i < ITERATIONS; i++) {
    const input =
      f.int(8) === 0
        ? Buffer.concat([
            f.pick([Buffer.from("PROXY "), Buffer.from(PROXY_V2_SIGNATURE), Buffer.alloc(0)]),
            f.bytes(f.int(120)),
          ])
        : mutate(f, f.pick(seeds));
    let full: ProxyParseResult;
    try {
      full = parseProxyHeader(input);
      checkShape(full, input);
      // The answer depends on no byte past the input: the same bytes inside a larger buffer.
      const parent = Buffer.concat([input, f.bytes(64)]);
      assert.deepEqual(parseProxyHeader(parent.subarray(0, input.length)), full);
      // Growing the input never changes an answer already given.
      const cut = f.int(input.length + 1);
      const prefix = parseProxyHeader(input.subarray(0, cut));
      checkShape(prefix, input.subarray(0, cut));
      if (prefix.kind === "error") assert.equal(full.kind, "error");
      if (prefix.kind === "done") assert.deepEqual(prefix, full);
      if (full.kind === "done") {
        assert.deepEqual(parseProxyHeader(input.subarray(0, full.consumed)), full);
        if (cut < full.consumed) assert.equal(prefix.kind, "incomplete");
      }
    } catch (error) {
      throw new Error(`seed ${SEED}, iteration ${i}, input ${input.toString("hex")}`, { cause: error });
    }
  }
});

test(`random endpoints survive encode → parse (${ITERATIONS} headers, seed ${SEED})`, () => {
  const f = new Fuzz(SEED + 1);
  for (let i = 0; i < ITERATIONS; i++) {
    const family = f.int(2) === 0 ? 4 : 6;
    const source = f.endpoint(family);
    const destination = f.endpoint(family);
    const v2 = f.int(2) === 0;
    const header = v2
      ? encodeProxyV2({ source, destination, crc32c: f.int(2) === 0 })
      : encodeProxyV1({ source, destination });
    const result = parseProxyHeader(header);
    assert.equal(result.kind, "done", `${header.toString("hex")}: ${JSON.stringify(result)}`);
    if (result.kind !== "done") continue;
    assert.equal(result.consumed, header.length);
    assert.equal(result.family, family === 4 ? "TCP4" : "TCP6");
    // Node's own parser agrees on the address (compare in its canonical text form).
    const canonical = (address: string): string => new URL(`http://[${address}]/`).hostname;
    for (const [sent, got] of [
      [source, result.source!],
      [destination, result.destination!],
    ] as const) {
      assert.equal(got.port, sent.port);
      if (family === 4) assert.equal(got.address, sent.address);
      else assert.equal(canonical(got.address), canonical(sent.address));
    }
  }
});
