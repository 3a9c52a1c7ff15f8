import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import { RRClass, RRType, type Edns, type Message } from "../types.js";
import { ResponseCache } from "./response-cache.js";

function query(
  name: string,
  options: { id?: number; rd?: boolean; edns?: Edns; type?: number } = {},
): Uint8Array {
  const message: Message = {
    id: options.id ?? 1,
    opcode: 0,
    flags: {
      qr: false,
      aa: false,
      tc: false,
      rd: options.rd ?? false,
      ra: false,
      z: false,
      ad: false,
      cd: false,
    },
    rcode: 0,
    questions: [{ name, type: options.type ?? RRType.A, class: RRClass.IN }],
    answers: [],
    authority: [],
    additional: [],
    ...(options.edns && { edns: options.edns }),
  };
  return encodeMessage(message);
}

function response(q: Uint8Array): Uint8Array {
  const m = decodeMessage(q);
  return encodeMessage({
    ...m,
    flags: { ...m.flags, qr: true, aa: true },
    answers: [
      {
        name: m.questions[0]!.name,
        type: RRType.A,
        class: RRClass.IN,
        ttl: 60,
        data: { kind: "A", address: "192.0.2.1" },
      },
    ],
  });
}

const EDNS: Edns = {
  udpPayloadSize: 1232,
  extendedRcode: 0,
  version: 0,
  dnssecOk: false,
  flags: 0,
  options: [],
};

test("a repeated question gets the stored response with its own id and case", () => {
  const cache = new ResponseCache();
  const zones = {};
  const first = query("www.Example.test.", { id: 7 });
  const key = cache.key(first, "udp", false, zones)!;
  assert.equal(cache.get(key, first), undefined);
  cache.set(key, response(first));
  const second = query("WWW.example.TEST.", { id: 9 });
  assert.equal(cache.key(second, "udp", false, zones), key, "names differing in ASCII case share an entry");
  const hit = decodeMessage(cache.get(key, second)!);
  assert.equal(hit.id, 9);
  assert.equal(hit.questions[0]!.name, "WWW.example.TEST.");
  assert.equal(
    hit.answers[0]!.name,
    "WWW.example.TEST.",
    "the answer owner is compressed against the question",
  );
});

test("whatever changes the response changes the key", () => {
  const cache = new ResponseCache();
  const zones = {};
  const base = cache.key(query("a.test."), "udp", false, zones);
  const others = [
    cache.key(query("a.test."), "tcp", false, zones),
    cache.key(query("a.test."), "udp", true, zones),
    cache.key(query("a.test.", { rd: true }), "udp", false, zones),
    cache.key(query("a.test.", { edns: EDNS }), "udp", false, zones),
    cache.key(query("a.test.", { edns: { ...EDNS, udpPayloadSize: 4096 } }), "udp", false, zones),
    cache.key(query("a.test.", { edns: { ...EDNS, dnssecOk: true } }), "udp", false, zones),
    cache.key(query("a.test.", { type: RRType.AAAA }), "udp", false, zones),
    cache.key(query("b.test."), "udp", false, zones),
    cache.key(query("\\195.test."), "udp", false, zones),
    cache.key(query("\\227.test."), "udp", false, zones),
  ];
  assert.equal(new Set([base, ...others]).size, others.length + 1);
});

test("new zone data empties the cache", () => {
  const cache = new ResponseCache();
  const q = query("a.test.");
  const key = cache.key(q, "udp", false, "zones-1")!;
  cache.set(key, response(q));
  assert.ok(cache.get(key, q));
  assert.equal(cache.key(q, "udp", false, "zones-2"), key);
  assert.equal(cache.get(key, q), undefined);
});

test("only plain queries are cacheable", () => {
  const cache = new ResponseCache();
  const q = Buffer.from(query("a.test."));
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const copy = Buffer.from(q);
    f(copy);
    return copy;
  };
  assert.equal(
    cache.key(
      mutate((b) => (b[2] = 0x80)),
      "udp",
      false,
      0,
    ),
    undefined,
    "a response",
  );
  assert.equal(
    cache.key(
      mutate((b) => (b[2] = 0x28)),
      "udp",
      false,
      0,
    ),
    undefined,
    "opcode UPDATE",
  );
  assert.equal(
    cache.key(
      mutate((b) => (b[5] = 2)),
      "udp",
      false,
      0,
    ),
    undefined,
    "two questions",
  );
  assert.equal(
    cache.key(
      mutate((b) => (b[7] = 1)),
      "udp",
      false,
      0,
    ),
    undefined,
    "an answer record",
  );
  assert.equal(
    cache.key(
      mutate((b) => (b[11] = 1)),
      "udp",
      false,
      0,
    ),
    undefined,
    "ARCOUNT 1 without an OPT",
  );
  assert.equal(cache.key(Buffer.concat([q, Buffer.from([0])]), "udp", false, 0), undefined, "trailing bytes");
  assert.equal(cache.key(q.subarray(0, 15), "udp", false, 0), undefined, "truncated");
  assert.ok(cache.key(query("a.test.", { edns: EDNS }), "udp", false, 0));
});

test("the cache is bounded", () => {
  const cache = new ResponseCache(2);
  for (const name of ["a.test.", "b.test.", "c.test."]) {
    const q = query(name);
    cache.set(cache.key(q, "udp", false, 0)!, response(q));
  }
  assert.ok(cache.size <= 2);
});
