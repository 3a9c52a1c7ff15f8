import assert from "node:assert/strict";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { describe, it, type TestContext } from "node:test";
import { Zone } from "../authority/index.js";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import { Opcode, Rcode, RRType } from "../types.js";
import type { Message } from "../types.js";
import { parseZone } from "../zone/index.js";
import { Notifier } from "./notify.js";

function zone(origin: string, serial: number): Zone {
  return new Zone(
    parseZone(`$TTL 60\n@ SOA ns1 hostmaster ${serial} 7200 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n`, {
      file: `${origin}zone`,
      origin,
    }),
  );
}

/** A secondary stand-in: records each NOTIFY and answers as `reply` says (undefined: silence). */
interface Secondary {
  readonly port: number;
  readonly received: Message[];
  reply: (query: Message, index: number) => Partial<Message> | undefined;
}

async function secondary(t: TestContext): Promise<Secondary> {
  const socket: Socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  t.after(() => socket.close());
  const state: Secondary = {
    port: socket.address().port,
    received: [],
    reply: () => ({}),
  };
  socket.on("message", (bytes: Buffer, remote: RemoteInfo) => {
    const query = decodeMessage(bytes);
    const index = state.received.push(query) - 1;
    const extra = state.reply(query, index);
    if (extra === undefined) return;
    const response = encodeMessage({
      ...query,
      flags: { ...query.flags, qr: true },
      answers: [],
      ...extra,
    });
    socket.send(response, remote.port, remote.address);
  });
  return state;
}

function notifier(t: TestContext, port: number, retryMs = 30, maxTries = 5): Notifier {
  const n = new Notifier({ targets: [{ host: "127.0.0.1", port, family: 4 }], retryMs, maxTries });
  t.after(() => {
    n.close();
  });
  return n;
}

describe("Notifier (RFC 1996)", () => {
  it("sends every zone at the first update: opcode NOTIFY, AA, the zone's SOA asked and hinted", async (t) => {
    const s = await secondary(t);
    const n = notifier(t, s.port);
    n.update([zone("a.test.", 5), zone("b.test.", 9)]);
    await n.settled();
    assert.deepEqual(s.received.map((m) => m.questions[0]?.name).sort(), ["a.test.", "b.test."]);
    for (const m of s.received) {
      assert.equal(m.opcode, Opcode.NOTIFY);
      assert.deepEqual([m.flags.qr, m.flags.aa, m.flags.rd], [false, true, false]);
      assert.equal(m.questions[0]?.type, RRType.SOA);
      assert.equal(m.answers[0]?.type, RRType.SOA);
    }
    assert.deepEqual(n.outcomes.map((o) => [o.zone, o.tries, o.rcode]).sort(), [
      ["a.test.", 1, Rcode.NOERROR],
      ["b.test.", 1, Rcode.NOERROR],
    ]);
  });

  it("notifies again only for a changed serial or a new zone", async (t) => {
    const s = await secondary(t);
    const n = notifier(t, s.port);
    n.update([zone("a.test.", 5), zone("b.test.", 9)]);
    await n.settled();
    n.update([zone("a.test.", 5), zone("b.test.", 10), zone("c.test.", 1)]);
    await n.settled();
    assert.deepEqual(
      s.received
        .slice(2)
        .map((m) => [m.questions[0]?.name, m.answers[0]?.data.kind === "SOA" && m.answers[0].data.serial])
        .sort(),
      [
        ["b.test.", 10],
        ["c.test.", 1],
      ],
    );
  });

  it("retries with backoff until answered, and accepts only a matching answer (§3.6)", async (t) => {
    const s = await secondary(t);
    s.reply = (query, index) => {
      if (index === 0) return undefined; // lost
      if (index === 1) return { id: (query.id + 1) & 0xffff }; // another id: ignored
      if (index === 2) return { questions: [{ name: "other.test.", type: RRType.SOA, class: 1 }] }; // another zone
      return {};
    };
    const n = notifier(t, s.port, 20);
    const started = Date.now();
    n.update([zone("a.test.", 5)]);
    await n.settled();
    const elapsed = Date.now() - started;
    assert.equal(s.received.length, 4);
    assert.deepEqual(
      n.outcomes.map((o) => [o.tries, o.rcode]),
      [[4, Rcode.NOERROR]],
    );
    // 20 + 40 + 80 ms of waiting before the fourth try.
    assert.ok(elapsed >= 130, `answered after ${elapsed} ms`);
    assert.equal(new Set(s.received.map((m) => m.id)).size, 1, "one id for every try");
  });

  it("gives up after maxTries, and takes an error answer (NOTIMP, §3.12) as the end", async (t) => {
    const silent = await secondary(t);
    silent.reply = () => undefined;
    const n = notifier(t, silent.port, 10, 3);
    n.update([zone("a.test.", 5)]);
    await n.settled();
    assert.equal(silent.received.length, 3);
    assert.deepEqual(
      n.outcomes.map((o) => [o.tries, o.rcode]),
      [[3, undefined]],
    );

    const old = await secondary(t);
    old.reply = () => ({ rcode: Rcode.NOTIMP, questions: [] });
    const m = notifier(t, old.port, 10, 3);
    m.update([zone("a.test.", 5)]);
    await m.settled();
    assert.deepEqual(
      m.outcomes.map((o) => [o.tries, o.rcode]),
      [[1, Rcode.NOTIMP]],
    );
  });

  it("replaces a notification still unanswered when the zone changes again", async (t) => {
    const s = await secondary(t);
    s.reply = (query) =>
      query.answers[0]?.data.kind === "SOA" && query.answers[0].data.serial === 6 ? {} : undefined;
    const n = notifier(t, s.port, 1000);
    n.update([zone("a.test.", 5)]);
    n.update([zone("a.test.", 6)]);
    await n.settled();
    assert.deepEqual(
      n.outcomes.map((o) => [o.serial, o.rcode]),
      [[6, Rcode.NOERROR]],
    );
  });

  it("rejects nonsense options", () => {
    assert.throws(() => new Notifier({ targets: [], retryMs: 0 }), RangeError);
    assert.throws(() => new Notifier({ targets: [], maxTries: 0 }), RangeError);
  });
});
