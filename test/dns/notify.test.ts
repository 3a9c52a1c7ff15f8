/**
 * NOTIFY (RFC 1996) on the wire. Out: a secondary stand-in (a UDP socket in the test)
 * records each NOTIFY and acknowledges it; Portico announces every zone at start and a zone
 * whose serial changed after a reload, once however many worker processes answer, and tries
 * again until answered. End to end: NSD as a secondary of a Portico zone (`request-xfr`,
 * `allow-notify`) transfers the new version as soon as Portico reloads it. In: a NOTIFY to
 * Portico is answered as NSD answers one for a zone it is primary for.
 *
 * Needs `nsd` and `dig`: skipped without them, except in CI (`CI` set), where it fails.
 */

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { NetworkSet } from "../../src/core/address.js";
import { decodeMessage, encodeMessage } from "../../src/dns/codec/index.js";
import { startDnsService, type DnsService } from "../../src/dns/service.js";
import { Opcode, Rcode, RRClass, RRType, type Message, type ResourceRecord } from "../../src/dns/types.js";
import { freePort } from "../support/cli.js";
import { findNsd, startNsd, zoneOfFile } from "./support/nsd.js";
import { exchangeTcp, exchangeUdp } from "./support/wire.js";

const run = promisify(execFile);

const HAVE_TOOLS = spawnSync("dig", ["-v"]).status === 0 && findNsd() !== undefined;
const skip = HAVE_TOOLS ? false : "dig or nsd is not installed (bind9-dnsutils, nsd)";
if (!HAVE_TOOLS && process.env.CI) throw new Error("dig and nsd are needed; .ci/run must install them");

const TESTDATA = join(import.meta.dirname, "../../../test/dns/testdata");

const zoneText = (origin: string, serial: number, address = "192.0.2.10"): string =>
  `$ORIGIN ${origin}\n$TTL 300\n@ IN SOA ns hostmaster ${serial} 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\nwww IN A ${address}\n`;

/** A secondary stand-in: the NOTIFY messages received, acknowledged unless `ignore` says no. */
interface Listener {
  readonly port: number;
  readonly received: Message[];
  ignore: (message: Message, index: number) => boolean;
  /** Resolves when `count` messages have come. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

async function listener(t: TestContext): Promise<Listener> {
  const socket: Socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  t.after(() => socket.close());
  const waiting: { count: number; resolve: () => void }[] = [];
  const state: Listener = {
    port: socket.address().port,
    received: [],
    ignore: () => false,
    waitFor: (count, timeoutMs = 5_000) =>
      state.received.length >= count
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiting.push({ count, resolve })),
            sleep(timeoutMs).then(() => {
              throw new Error(`${state.received.length} of ${count} NOTIFY messages after ${timeoutMs} ms`);
            }),
          ]),
  };
  socket.on("message", (bytes, remote) => {
    const message = decodeMessage(bytes);
    const index = state.received.push(message) - 1;
    for (const w of waiting.filter((w) => state.received.length >= w.count)) w.resolve();
    if (state.ignore(message, index)) return;
    // RFC 1996 §4.7: the response is the request with QR set.
    socket.send(
      encodeMessage({ ...message, flags: { ...message.flags, qr: true }, answers: [] }),
      remote.port,
      remote.address,
    );
  });
  return state;
}

const serialOf = (m: Message): number | undefined => {
  const soa = m.answers.find((r: ResourceRecord) => r.type === RRType.SOA);
  return soa?.data.kind === "SOA" ? soa.data.serial : undefined;
};

const summary = (messages: readonly Message[]): string[] =>
  messages.map((m) => `${m.questions[0]?.name ?? "?"} ${serialOf(m) ?? "-"}`).sort();

for (const workers of [1, 2]) {
  void describe(`NOTIFY out (workers: ${workers})`, { skip }, () => {
    void it("announces every zone at start, then each zone whose serial changed, once", async (t) => {
      const dir = await mkdtemp(join(tmpdir(), "portico-notify-"));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const a = join(dir, "a.test.zone");
      const b = join(dir, "b.test.zone");
      await writeFile(a, zoneText("a.test.", 1));
      await writeFile(b, zoneText("b.test.", 10));
      const secondary = await listener(t);
      const dns = await startDnsService(
        {
          listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
          zones: [a, b],
          recursion: false,
          forwarders: [],
          workers,
          notify: [{ host: "127.0.0.1", port: secondary.port, family: 4 }],
        },
        { watchZones: true },
      );
      t.after(() => dns.stop(0));
      await secondary.waitFor(2);
      for (const m of secondary.received) {
        assert.equal(m.opcode, Opcode.NOTIFY);
        assert.equal(m.flags.aa, true);
        assert.equal(m.questions[0]?.type, RRType.SOA);
      }
      await sleep(300); // a NOTIFY from every worker would show up by now
      assert.deepEqual(summary(secondary.received), ["a.test. 1", "b.test. 10"]);

      // A reload with a new serial for one zone: a NOTIFY for that zone only.
      await writeFile(a, zoneText("a.test.", 2, "192.0.2.20"));
      await dns.reload();
      await secondary.waitFor(3);
      await sleep(300);
      assert.deepEqual(summary(secondary.received.slice(2)), ["a.test. 2"]);

      // A reload without a serial change: nothing.
      await dns.reload();
      await sleep(300);
      assert.equal(secondary.received.length, 3);

      // The file watcher's reload announces too (rename over, as editors do).
      await writeFile(`${b}.new`, zoneText("b.test.", 11));
      await rename(`${b}.new`, b);
      await secondary.waitFor(4);
      assert.deepEqual(summary(secondary.received.slice(3)), ["b.test. 11"]);
    });

    void it("tries again until the secondary answers", async (t) => {
      const secondary = await listener(t);
      secondary.ignore = (_m, index) => index < 2;
      const dns = await startDnsService(
        {
          listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
          zones: [join(TESTDATA, "other.test.zone")],
          recursion: false,
          forwarders: [],
          workers,
          notify: [{ host: "127.0.0.1", port: secondary.port, family: 4 }],
        },
        { watchZones: false, notifyRetryMs: 100 },
      );
      t.after(() => dns.stop(0));
      await secondary.waitFor(3);
      await sleep(500); // answered: no fourth try
      assert.equal(secondary.received.length, 3);
      assert.equal(new Set(secondary.received.map((m) => m.id)).size, 1);
    });
  });
}

/** The SOA serial NSD serves for `zone` now (undefined while it has none). */
async function servedSerial(port: number, zone: string): Promise<number | undefined> {
  const { stdout } = await run("dig", [
    "@127.0.0.1",
    "-p",
    String(port),
    "+short",
    "+time=1",
    "+tries=1",
    zone,
    "SOA",
  ]);
  const serial = stdout.trim().split(/\s+/)[2];
  return serial === undefined ? undefined : Number(serial);
}

async function until(what: string, check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

for (const workers of [1, 2]) {
  void describe(`NOTIFY end to end: NSD as a secondary of Portico (workers: ${workers})`, { skip }, () => {
    void it("NSD transfers the new version of the zone as soon as Portico reloads it", async (t) => {
      const dir = await mkdtemp(join(tmpdir(), "portico-notify-"));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, "sec.test.zone");
      await writeFile(file, zoneText("sec.test.", 1, "192.0.2.10"));
      const nsdPort = await freePort();
      const traces: string[] = [];
      const dns: DnsService = await startDnsService(
        {
          listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
          zones: [file],
          recursion: false,
          forwarders: [],
          workers,
          allowTransfer: new NetworkSet(["127.0.0.1/32"]),
          notify: [{ host: "127.0.0.1", port: nsdPort, family: 4 }],
        },
        {
          watchZones: false,
          trace: (event) => {
            if (event.connection === "dns-notify") traces.push(event.line);
          },
        },
      );
      t.after(() => dns.stop(0));
      const primary = dns.endpoints[0]!.address.port;
      const nsd = await startNsd(
        [
          {
            origin: "sec.test",
            file: join(dir, "nsd-sec.test.zone"), // where NSD keeps what it transferred
            lines: [`request-xfr: 127.0.0.1@${primary} NOKEY`, "allow-notify: 127.0.0.1 NOKEY"],
          },
        ],
        { port: nsdPort },
      );
      t.after(() => nsd.stop());
      // NSD transfers the zone when it starts.
      await until("NSD's first transfer", async () => (await servedSerial(nsd.port, "sec.test")) === 1);

      // The zone's refresh is an hour away: only a NOTIFY makes NSD look again now.
      await writeFile(file, zoneText("sec.test.", 2, "192.0.2.20"));
      await dns.reload();
      await until(
        `NSD's transfer after the NOTIFY\n${nsd.output()}`,
        async () => (await servedSerial(nsd.port, "sec.test")) === 2,
        5_000,
      );
      const { stdout } = await run("dig", [
        "@127.0.0.1",
        "-p",
        String(nsd.port),
        "+short",
        "www.sec.test",
        "A",
      ]);
      assert.equal(stdout.trim(), "192.0.2.20");
      // Portico's side: NSD acknowledged the NOTIFY (RFC 1996 §4.7).
      assert.ok(
        traces.some((line) => line.startsWith(`NOERROR from 127.0.0.1:${nsdPort} for sec.test.`)),
        traces.join("\n"),
      );
    });
  });
}

void describe("NOTIFY in: answered as NSD answers it for a zone it is primary for", { skip }, () => {
  void it("REFUSED for a zone apex we serve, NXDOMAIN elsewhere, FORMERR without a question", async (t) => {
    const files = ["example.test.zone", "other.test.zone"].map((f) => join(TESTDATA, f));
    const nsd = await startNsd(files.map(zoneOfFile), {
      server: ["hide-version: yes", "hide-identity: yes"],
    });
    t.after(() => nsd.stop());
    const dns = await startDnsService(
      {
        listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
        zones: files,
        recursion: true, // RA and recursion change nothing here
        forwarders: [],
        notify: [],
      },
      { watchZones: false },
    );
    t.after(() => dns.stop(0));
    const port = dns.endpoints[0]!.address.port;
    const soa: ResourceRecord = {
      name: "example.test.",
      type: RRType.SOA,
      class: RRClass.IN,
      ttl: 3600,
      data: {
        kind: "SOA",
        mname: "ns1.example.test.",
        rname: "h.example.test.",
        serial: 5,
        refresh: 1,
        retry: 1,
        expire: 1,
        minimum: 1,
      },
    };
    const notify = (name: string | undefined, edns: boolean): Uint8Array =>
      encodeMessage({
        id: 0x1996,
        opcode: Opcode.NOTIFY,
        flags: { qr: false, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
        rcode: 0,
        questions: name === undefined ? [] : [{ name, type: RRType.SOA, class: RRClass.IN }],
        answers: name === "example.test." ? [soa] : [],
        authority: [],
        additional: [],
        ...(edns && {
          edns: {
            udpPayloadSize: 1232,
            extendedRcode: 0,
            version: 0,
            dnssecOk: false,
            flags: 0,
            options: [],
          },
        }),
      });
    const expected = new Map([
      ["example.test.", Rcode.REFUSED],
      ["other.test.", Rcode.REFUSED],
      ["www.example.test.", Rcode.NXDOMAIN],
      ["nowhere.test.", Rcode.NXDOMAIN],
      [undefined, Rcode.FORMERR],
    ]);
    for (const [name, rcode] of expected) {
      for (const edns of [false, true]) {
        for (const exchange of [exchangeUdp, exchangeTcp]) {
          const query = notify(name, edns);
          const ours = await exchange(port, query);
          assert.equal(decodeMessage(ours).rcode, rcode);
          // Without a question NSD is no reference: over TCP it resets the connection, and it
          // reads an OPT record that follows the header as the question (NXDOMAIN for ".").
          if (name === undefined && (exchange === exchangeTcp || edns)) continue;
          const theirs = await exchange(nsd.port, query);
          assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), `NOTIFY ${name ?? "(no question)"}`);
        }
      }
    }
  });
});
