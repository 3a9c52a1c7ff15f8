/**
 * Zone transfers out (RFC 5936 AXFR; RFC 1995 IXFR answered with the whole zone) on the
 * wire: BIND's `dig` transfers every test zone from Portico and from NSD (the reference,
 * with `provide-xfr`), and the record sets must be the same, and the same as
 * `named-checkzone -D` prints for the file; a zone larger than one message goes out in
 * several; refusals and NOTAUTH are compared with NSD's; a transfer shares its TCP connection
 * with other queries and waits for a slow reader. In one process and with two workers.
 *
 * Needs `dig` (bind9-dnsutils), `named-checkzone` (bind9-utils) and `nsd`: skipped without them,
 * except in CI (`CI` set), where it fails.
 */

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Socket } from "node:net";
import { NetworkSet } from "../../src/core/address.js";
import { decodeMessage, encodeMessage } from "../../src/dns/codec/index.js";
import { startDnsService, type DnsService } from "../../src/dns/service.js";
import { Opcode, Rcode, RRClass, RRType, type Message } from "../../src/dns/types.js";
import { findNsd, startNsd, zoneOfFile, type RunningNsd } from "./support/nsd.js";
import { buildQuery, connectTcp, exchangeTcp, exchangeUdp, framed } from "./support/wire.js";

const run = promisify(execFile);

const TESTDATA = join(import.meta.dirname, "../../../test/dns/testdata");
const TEST_ZONES = [
  "example.test",
  "other.test",
  "wild.test",
  "child.example.test",
  "2.0.192.in-addr.arpa",
  "8.b.d.0.1.0.0.2.ip6.arpa",
];

const HAVE_TOOLS =
  spawnSync("dig", ["-v"]).status === 0 &&
  spawnSync("named-checkzone", ["-v"]).status === 0 &&
  findNsd() !== undefined;
const skip = HAVE_TOOLS
  ? false
  : "dig, named-checkzone or nsd is not installed (bind9-dnsutils, bind9-utils, nsd)";
if (!HAVE_TOOLS && process.env.CI)
  throw new Error("dig, named-checkzone and nsd are needed; .ci/run must install them");

/** A zone of 6,000 names: big enough for several transfer messages. */
function bigZone(): string {
  const lines = [
    "$ORIGIN big.test.",
    "$TTL 300",
    "@ SOA ns1 hostmaster 42 3600 600 86400 60",
    "@ NS ns1",
    "ns1 A 192.0.2.53",
  ];
  for (let i = 0; i < 6000; i++) {
    lines.push(`host-${i} A 10.${(i >> 8) & 255}.${i & 255}.1`, `host-${i} TXT "record number ${i}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** What dig printed for a transfer: the records (normalized) and its summary line. */
interface Transfer {
  readonly records: string[];
  readonly messages: number;
  readonly text: string;
}

/**
 * `dig AXFR` (or another type) of `zone` from 127.0.0.1:`port`. Records are compared as
 * sets: whitespace collapsed, lower case (names are case-insensitive, and NSD lowercases
 * owners that Portico keeps as written), sorted, the closing SOA dropped.
 */
async function digTransfer(port: number, zone: string, type = "AXFR"): Promise<Transfer> {
  const { stdout } = await run(
    "dig",
    [`@127.0.0.1`, "-p", String(port), "+time=5", "+tries=1", "+nocookie", zone, type],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = stdout.split("\n");
  const records = normalize(lines.filter((l) => l !== "" && !l.startsWith(";")));
  const summary = /messages (\d+)/.exec(stdout);
  return { records, messages: summary ? Number(summary[1]) : 0, text: stdout };
}

function normalize(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const line of lines) seen.add(line.replace(/\s+/g, " ").trim().toLowerCase());
  return [...seen].sort();
}

/** `named-checkzone -D`: the zone as BIND loads it, one record per line. */
async function checkzone(zone: string, file: string): Promise<string[]> {
  const { stdout } = await run("named-checkzone", ["-q", "-D", "-o", "-", zone, file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return normalize(stdout.split("\n").filter((l) => l !== ""));
}

/** Reads the messages of one transfer from `socket` until the closing SOA or an error. */
function readTransfer(socket: Socket, timeoutMs = 10_000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const messages: Buffer[] = [];
    let buffer = Buffer.alloc(0);
    let soas = 0;
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      if (error) reject(error);
      else resolve(messages);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const message = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
        buffer = buffer.subarray(2 + message.length);
        messages.push(message);
        const m = decodeMessage(message);
        if (m.questions[0]?.type === RRType.AXFR || m.questions.length === 0) {
          soas += m.answers.filter((a) => a.type === RRType.SOA).length;
        }
        if (m.rcode !== Rcode.NOERROR || soas >= 2) {
          done();
          return;
        }
      }
    };
    const timer = setTimeout(() => {
      done(new Error(`transfer incomplete after ${messages.length} messages`));
    }, timeoutMs);
    socket.on("data", onData);
  });
}

const EDNS = { udpPayloadSize: 1232 };

for (const workers of [1, 2]) {
  void describe(`zone transfers out (workers: ${workers})`, { skip }, () => {
    let dir: string;
    let files: Map<string, string>;
    let portico: DnsService;
    let refusing: DnsService;
    let nsd: RunningNsd;
    let port: number;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "portico-axfr-"));
      files = new Map(TEST_ZONES.map((z) => [z, join(TESTDATA, `${z}.zone`)]));
      files.set("big.test", join(dir, "big.test.zone"));
      await writeFile(files.get("big.test")!, bigZone());
      portico = await startDnsService(
        {
          listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
          zones: [...files.values()],
          recursion: false,
          forwarders: [],
          workers,
          allowTransfer: new NetworkSet(["127.0.0.1/32"]),
        },
        { watchZones: false },
      );
      port = portico.endpoints[0]!.address.port;
      // The same zones, with transfers allowed only from elsewhere.
      refusing = await startDnsService(
        {
          listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
          zones: [...files.values()],
          recursion: false,
          forwarders: [],
          workers,
          allowTransfer: new NetworkSet(["192.0.2.0/24"]),
        },
        { watchZones: false },
      );
      // NSD provides every zone but other.test by transfer.
      nsd = await startNsd(
        [...files].map(([origin, file]) => ({
          ...zoneOfFile(file),
          origin,
          lines: origin === "other.test" ? [] : ["provide-xfr: 127.0.0.1 NOKEY"],
        })),
        { server: ["hide-version: yes", "hide-identity: yes"] },
      );
    });
    after(async () => {
      await Promise.all([portico.stop(0), refusing.stop(0), nsd.stop()]);
      await rm(dir, { recursive: true, force: true });
    });

    void it("transfers every zone with the records NSD transfers and named-checkzone -D lists", async () => {
      for (const [zone, file] of files) {
        const ours = await digTransfer(port, zone);
        assert.ok(ours.messages > 0, `dig AXFR ${zone} from Portico failed:\n${ours.text}`);
        assert.deepEqual(ours.records, await checkzone(zone, file), `${zone}: Portico vs named-checkzone -D`);
        if (zone === "other.test") continue; // NSD refuses it (no provide-xfr)
        const theirs = await digTransfer(nsd.port, zone);
        assert.deepEqual(ours.records, theirs.records, `${zone}: Portico vs NSD`);
      }
    });

    void it("sends a zone larger than one message in several of at most 65,535 bytes", async () => {
      const ours = await digTransfer(port, "big.test");
      assert.ok(ours.messages >= 10, `${ours.messages} messages`);
      assert.equal(ours.records.length, 12_003);
      const socket = await connectTcp(port);
      try {
        const reading = readTransfer(socket);
        socket.write(
          framed(buildQuery({ id: 7, name: "big.test.", type: RRType.AXFR, class: RRClass.IN, edns: EDNS })),
        );
        const messages = (await reading).map((bytes) => {
          assert.ok(bytes.length <= 65_535);
          return decodeMessage(bytes);
        });
        assert.equal(messages.length, ours.messages);
        for (const [index, m] of messages.entries()) {
          assert.equal(m.id, 7);
          assert.equal(m.flags.aa, true);
          assert.equal(m.flags.ra, false);
          assert.equal(m.questions.length, index === 0 ? 1 : 0, "the question in the first message only");
          assert.equal(m.edns !== undefined, index === 0, "the OPT record in the first message only");
        }
        const answers = messages.flatMap((m) => m.answers);
        assert.equal(answers[0]?.type, RRType.SOA);
        assert.equal(answers.at(-1)?.type, RRType.SOA);
        assert.equal(answers.length, 12_004);
      } finally {
        socket.destroy();
      }
    });

    void it("answers IXFR like NSD: the whole zone for an older serial, the SOA for the current one", async () => {
      for (const type of ["IXFR=2024060100", "IXFR=2024060101", "IXFR=2024060102"]) {
        const [ours, theirs] = await Promise.all([
          digTransfer(port, "example.test", type),
          digTransfer(nsd.port, "example.test", type),
        ]);
        assert.deepEqual(ours.records, theirs.records, type);
      }
      assert.equal((await digTransfer(port, "example.test", "IXFR=2024060101")).records.length, 1);
    });

    void it("refuses a client outside allow_transfer and answers NOTAUTH off the apex, as NSD", async () => {
      const refused = await digTransfer(refusing.endpoints[0]!.address.port, "example.test");
      assert.match(refused.text, /Transfer failed/);
      const ask = (p: number, name: string, type: number = RRType.AXFR): Promise<Message> =>
        exchangeTcp(p, buildQuery({ id: 9, name, type, class: RRClass.IN, edns: EDNS })).then(decodeMessage);
      const pick = (m: Message): unknown => ({
        rcode: m.rcode,
        aa: m.flags.aa,
        question: m.questions.map((q) => q.name),
        answers: m.answers.length,
        options: m.edns?.options.map((o) => [o.code, [...o.data]]),
      });
      // other.test: a zone NSD does not provide, as Portico refuses every zone here.
      assert.deepEqual(
        pick(await ask(refusing.endpoints[0]!.address.port, "other.test.")),
        pick(await ask(nsd.port, "other.test.")),
      );
      assert.equal((await ask(refusing.endpoints[0]!.address.port, "other.test.")).rcode, Rcode.REFUSED);
      for (const name of ["www.example.test.", "nowhere.test."]) {
        for (const type of [RRType.AXFR, RRType.IXFR]) {
          const ours = await ask(port, name, type);
          assert.equal(ours.rcode, Rcode.NOTAUTH);
          assert.deepEqual(pick(ours), pick(await ask(nsd.port, name, type)), `${name} ${type}`);
        }
      }
      // Over UDP, AXFR stays NOTIMP.
      const udp = decodeMessage(
        await exchangeUdp(
          port,
          buildQuery({ id: 3, name: "example.test.", type: RRType.AXFR, class: RRClass.IN }),
        ),
      );
      assert.equal(udp.rcode, Rcode.NOTIMP);
    });

    void it("shares the connection: queries pipelined behind a transfer are answered, a slow reader waits", async () => {
      const socket = await connectTcp(port);
      try {
        socket.pause(); // a reader that takes its time
        socket.write(framed(buildQuery({ id: 1, name: "big.test.", type: RRType.AXFR, class: RRClass.IN })));
        socket.write(
          framed(buildQuery({ id: 2, name: "www.example.test.", type: RRType.A, class: RRClass.IN })),
        );
        socket.write(
          framed(buildQuery({ id: 3, name: "example.test.", type: RRType.AXFR, class: RRClass.IN })),
        );
        await sleep(300);
        const byId = new Map<number, Message[]>();
        let buffer = Buffer.alloc(0);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`incomplete: ${[...byId].map(([id, ms]) => `${id}:${ms.length}`).join(" ")}`));
          }, 10_000);
          let closings = 0;
          socket.on("data", (chunk: Buffer) => {
            buffer = Buffer.concat([buffer, chunk]);
            while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
              const m = decodeMessage(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
              buffer = buffer.subarray(2 + buffer.readUInt16BE(0));
              byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
              const last = m.answers.at(-1);
              if (
                m.id !== 2 &&
                last?.type === RRType.SOA &&
                (byId.get(m.id)!.length > 1 || m.answers.length > 1)
              ) {
                closings++;
              }
              if (closings === 2 && byId.has(2)) {
                clearTimeout(timer);
                resolve();
              }
            }
          });
          socket.resume();
        });
        assert.equal(byId.get(2)?.[0]?.answers.length, 2);
        assert.equal(
          byId.get(1)!.reduce((n, m) => n + m.answers.length, 0),
          12_004,
        );
      } finally {
        socket.destroy();
      }
    });
  });
}

void describe("zone transfers: a transfer in progress survives a reload", { skip }, () => {
  void it("sends the zone as it was when the transfer began", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "portico-axfr-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "big.test.zone");
    await writeFile(file, bigZone());
    const dns = await startDnsService(
      {
        listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
        zones: [file],
        recursion: false,
        forwarders: [],
        allowTransfer: new NetworkSet(["127.0.0.0/8"]),
      },
      { watchZones: false },
    );
    t.after(() => dns.stop(0));
    const socket = await connectTcp(dns.endpoints[0]!.address.port);
    t.after(() => socket.destroy());
    socket.pause();
    socket.write(
      framed(
        encodeMessage({
          id: 5,
          opcode: Opcode.QUERY,
          flags: { qr: false, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
          rcode: 0,
          questions: [{ name: "big.test.", type: RRType.AXFR, class: RRClass.IN }],
          answers: [],
          authority: [],
          additional: [],
        }),
      ),
    );
    await sleep(200);
    await writeFile(
      file,
      bigZone()
        .replace("hostmaster 42", "hostmaster 43")
        .replace(/^host-1 .*$/gm, ""),
    );
    await dns.reload();
    const reading = readTransfer(socket);
    socket.resume();
    const answers = (await reading).flatMap((b) => decodeMessage(b).answers);
    assert.equal(answers.length, 12_004);
    assert.deepEqual(
      answers.filter((a) => a.type === RRType.SOA).map((a) => (a.data.kind === "SOA" ? a.data.serial : 0)),
      [42, 42],
    );
  });
});
