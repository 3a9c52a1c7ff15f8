/**
 * NOTIFY out (RFC 1996): tells secondaries that a zone changed, so they ask for its SOA and
 * transfer it now instead of at their next refresh.
 */

import { randomInt } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { formatSocketAddress, type SocketAddress } from "../../core/address.js";
import { DecodeError } from "../../core/errors.js";
import { silentLogger, type Logger, type TraceSink } from "../../core/log.js";
import type { Zone } from "../authority/index.js";
import { decodeHeader, decodeMessage, encodeMessage, formatIPv6, parseIPv6 } from "../codec/index.js";
import { namesEqual } from "../name.js";
import { Opcode, Rcode, RRClass, RRType } from "../types.js";
import { rcodeToText } from "../zone/index.js";
import { DNS_LIMITS } from "./limits.js";

/** Options of `Notifier`. */
export interface NotifierOptions {
  /** The secondaries to notify (`notify` in `[dns]`), each IP and port. */
  readonly targets: readonly SocketAddress[];
  readonly logger?: Logger;
  /** Receives each NOTIFY sent ("C", we are the client here) and each answer ("S"). */
  readonly trace?: TraceSink | undefined;
  /** Wait for the first answer, in ms, doubled after each try (default `DNS_LIMITS.notifyRetryMs`). */
  readonly retryMs?: number;
  /** Tries per secondary and change (default `DNS_LIMITS.notifyMaxTries`). */
  readonly maxTries?: number;
}

/** How one notification ended, for logs and tests. */
export interface NotifyOutcome {
  /** The zone's origin. */
  readonly zone: string;
  readonly serial: number;
  readonly target: SocketAddress;
  /** Tries sent. */
  readonly tries: number;
  /** The rcode of the secondary's answer, or undefined when none came. */
  readonly rcode: number | undefined;
}

/** One NOTIFY waiting for its answer. */
interface Pending {
  readonly zone: string;
  readonly serial: number;
  readonly target: SocketAddress;
  /** `host|port|id`: how an answer finds it. */
  readonly key: string;
  /** `origin|target`: how a later change of the zone replaces it. */
  readonly zoneTarget: string;
  readonly packet: Uint8Array;
  tries: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Sends NOTIFY messages for zones whose serial changed: the first `update()` notifies every
 * zone (RFC 1996 §4.1: "reasonable to simply execute an SOA NOTIFY transaction on each
 * authority zone when a server first starts"), later ones only zones with a new serial or new
 * zones. Each secondary gets a NOTIFY over UDP (§3.4) with QTYPE SOA, AA set and the new SOA
 * in the answer section (§3.7: a hint), repeated with exponential backoff until it answers
 * with a NOTIFY response of the same id, from the address and port it was sent to, for the
 * same zone (§3.6), or until `maxTries` went unanswered. Any answer ends it: NOERROR, or an
 * error rcode (NOTIMP per §3.12; REFUSED from a server that does not take us as primary,
 * which is logged). A change before the last one was answered replaces it.
 */
export class Notifier {
  readonly #targets: readonly SocketAddress[];
  readonly #log: Logger;
  readonly #trace: TraceSink | undefined;
  readonly #retryMs: number;
  readonly #maxTries: number;
  /** Serial last notified, by zone origin (canonical). */
  readonly #notified = new Map<string, number>();
  /** Pending notifications by `origin|target` and by `host|port|id`. */
  readonly #byZoneTarget = new Map<string, Pending>();
  readonly #byKey = new Map<string, Pending>();
  #sockets: { 4?: Socket; 6?: Socket } = {};
  #waiters: (() => void)[] = [];
  #closed = false;
  /** Outcomes, most recent last (the last 100), for tests and diagnostics. */
  readonly outcomes: NotifyOutcome[] = [];

  /** Throws RangeError for a retry time or try count that is not positive. */
  constructor(options: NotifierOptions) {
    this.#targets = options.targets.map((t) => ({ ...t, host: canonicalHost(t) }));
    this.#log = (options.logger ?? silentLogger).child({ component: "notify" });
    this.#trace = options.trace;
    this.#retryMs = options.retryMs ?? DNS_LIMITS.notifyRetryMs;
    this.#maxTries = options.maxTries ?? DNS_LIMITS.notifyMaxTries;
    if (!(this.#retryMs > 0)) throw new RangeError(`Cannot notify: retryMs ${this.#retryMs} is not positive`);
    if (!Number.isInteger(this.#maxTries) || this.#maxTries < 1) {
      throw new RangeError(`Cannot notify: maxTries ${this.#maxTries} is not a positive integer`);
    }
  }

  /** Notifies every secondary of each zone of `zones` whose serial is not the one last notified. */
  update(zones: Iterable<Zone>): void {
    if (this.#closed || this.#targets.length === 0) return;
    const present = new Set<string>();
    for (const zone of zones) {
      const origin = zone.canonicalOrigin;
      present.add(origin);
      const serial = zone.soa.data.kind === "SOA" ? zone.soa.data.serial : 0;
      if (this.#notified.get(origin) === serial) continue;
      this.#notified.set(origin, serial);
      for (const target of this.#targets) this.#start(zone, serial, target);
    }
    for (const origin of this.#notified.keys()) {
      if (present.has(origin)) continue;
      this.#notified.delete(origin);
      for (const target of this.#targets) this.#cancel(`${origin}|${formatSocketAddress(target)}`);
    }
    this.#wake();
  }

  /** Resolves when no NOTIFY is waiting for an answer. */
  settled(): Promise<void> {
    if (this.#byKey.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops every retry and closes the sockets. */
  close(): void {
    this.#closed = true;
    for (const pending of this.#byKey.values()) clearTimeout(pending.timer);
    this.#byKey.clear();
    this.#byZoneTarget.clear();
    this.#sockets[4]?.close();
    this.#sockets[6]?.close();
    this.#sockets = {};
    this.#wake();
  }

  #start(zone: Zone, serial: number, target: SocketAddress): void {
    const zoneTarget = `${zone.canonicalOrigin}|${formatSocketAddress(target)}`;
    this.#cancel(zoneTarget);
    let id: number;
    let key: string;
    do {
      id = randomInt(0x10000);
      key = `${target.host}|${target.port}|${id}`;
    } while (this.#byKey.has(key));
    const packet = encodeMessage({
      id,
      opcode: Opcode.NOTIFY,
      // RFC 1996 §4.5: AA set, one question for the zone's SOA; §3.7: the SOA as a hint.
      flags: { qr: false, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
      rcode: Rcode.NOERROR,
      questions: [{ name: zone.origin, type: RRType.SOA, class: RRClass.IN }],
      answers: [zone.soa],
      authority: [],
      additional: [],
    });
    const pending: Pending = {
      zone: zone.origin,
      serial,
      target,
      key,
      zoneTarget,
      packet,
      tries: 0,
      timer: undefined,
    };
    this.#byKey.set(key, pending);
    this.#byZoneTarget.set(zoneTarget, pending);
    this.#send(pending);
  }

  #cancel(zoneTarget: string): void {
    const pending = this.#byZoneTarget.get(zoneTarget);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#byZoneTarget.delete(zoneTarget);
    this.#byKey.delete(pending.key);
  }

  #send(pending: Pending): void {
    if (pending.tries >= this.#maxTries) {
      this.#finish(pending, undefined);
      this.#log.warn(
        {
          zone: pending.zone,
          serial: pending.serial,
          target: formatSocketAddress(pending.target),
          tries: pending.tries,
        },
        "NOTIFY not acknowledged; giving up",
      );
      return;
    }
    pending.tries++;
    const { target } = pending;
    this.#trace?.({
      connection: "dns-notify",
      direction: "C",
      line: `NOTIFY ${pending.zone} SOA serial ${pending.serial} to ${formatSocketAddress(target)} (try ${pending.tries})`,
    });
    try {
      this.#socket(target.family).send(pending.packet, target.port, target.host, (error) => {
        if (error) this.#log.debug({ err: error, target: formatSocketAddress(target) }, "NOTIFY send failed");
      });
    } catch (error) {
      this.#log.debug({ err: error, target: formatSocketAddress(target) }, "NOTIFY send failed");
    }
    // §3.6: additive or exponential backoff between tries.
    pending.timer = setTimeout(
      () => {
        this.#send(pending);
      },
      this.#retryMs * 2 ** (pending.tries - 1),
    );
    pending.timer.unref();
  }

  #socket(family: 4 | 6): Socket {
    let socket = this.#sockets[family];
    if (socket === undefined) {
      socket = createSocket(family === 6 ? "udp6" : "udp4");
      // Exclusive: in a cluster worker, this socket is ours, not one shared by the primary.
      socket.bind({ port: 0, exclusive: true });
      socket.on("message", (message, remote) => {
        this.#receive(message, remote);
      });
      socket.on("error", (error) => {
        this.#log.warn({ err: error }, "NOTIFY socket error");
      });
      socket.unref();
      this.#sockets[family] = socket;
    }
    return socket;
  }

  /** An answer: it must be a NOTIFY response we are waiting for, for the zone asked about (§3.6). */
  #receive(message: Buffer, remote: RemoteInfo): void {
    if (message.length < 12) return;
    const header = decodeHeader(message);
    if (!header.flags.qr || header.opcode !== Opcode.NOTIFY) return;
    let host: string;
    try {
      host = canonicalHost({ host: remote.address, family: remote.family === "IPv6" ? 6 : 4 });
    } catch {
      return;
    }
    const pending = this.#byKey.get(`${host}|${remote.port}|${header.id}`);
    if (pending === undefined) return;
    try {
      const question = decodeMessage(message).questions[0];
      // An error answer may come without the question (NSD sends the header alone).
      if (question !== undefined && !namesEqual(question.name, pending.zone)) return;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      if (header.rcode === Rcode.NOERROR) return;
    }
    this.#trace?.({
      connection: "dns-notify",
      direction: "S",
      line: `${rcodeToText(header.rcode)} from ${formatSocketAddress(pending.target)} for ${pending.zone} (id=${header.id})`,
    });
    const fields = {
      zone: pending.zone,
      serial: pending.serial,
      target: formatSocketAddress(pending.target),
    };
    if (header.rcode === Rcode.NOERROR) this.#log.info(fields, "NOTIFY acknowledged");
    else this.#log.warn({ ...fields, rcode: rcodeToText(header.rcode) }, "NOTIFY answered with an error");
    this.#finish(pending, header.rcode);
  }

  #finish(pending: Pending, rcode: number | undefined): void {
    clearTimeout(pending.timer);
    this.#byKey.delete(pending.key);
    if (this.#byZoneTarget.get(pending.zoneTarget) === pending) this.#byZoneTarget.delete(pending.zoneTarget);
    this.outcomes.push({
      zone: pending.zone,
      serial: pending.serial,
      target: pending.target,
      tries: pending.tries,
      rcode,
    });
    if (this.outcomes.length > 100) this.outcomes.shift();
    this.#wake();
  }

  #wake(): void {
    if (this.#byKey.size !== 0 && !this.#closed) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** One text form per address, so an answer's source matches the target it was sent to. */
function canonicalHost(address: { host: string; family: 4 | 6 }): string {
  if (address.family === 4) return address.host;
  const bytes = new Uint8Array(16);
  parseIPv6(address.host, bytes, 0);
  return formatIPv6(bytes, 0);
}
