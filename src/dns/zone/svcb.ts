/**
 * SvcParams of SVCB and HTTPS records (RFC 9460 §2.1, §7, Appendix A): `key=value` pairs in
 * presentation form to their wire form and back.
 *
 * Presentation rules (RFC 9460 §2.1): a key alone or `key=value`, the value optionally
 * quoted; keys are the names below or `keyNNNNN`; each key at most once; on the wire the
 * params are sorted by key. Values that are lists (mandatory, alpn, ipv4hint, ipv6hint) are
 * comma-separated; in alpn a comma or backslash inside an item is escaped with a backslash
 * after the character-string escapes are removed (RFC 9460 Appendix A.1).
 */

import { formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
import { ByteReader, ByteWriter, MalformedRdataError } from "./bytes.js";
import { decodeBase64, decodeCharString, encodeBase64, encodeCharString } from "./encoding.js";
import type { FieldReader } from "./fields.js";
import { TOKEN_QUOTED } from "./lexer.js";

const KEY_NAMES = [
  "mandatory",
  "alpn",
  "no-default-alpn",
  "port",
  "ipv4hint",
  "ech",
  "ipv6hint",
  "dohpath",
  "ohttp",
];

const MANDATORY = 0;
const ALPN = 1;
const NO_DEFAULT_ALPN = 2;
const PORT = 3;
const IPV4HINT = 4;
const ECH = 5;
const IPV6HINT = 6;
const DOHPATH = 7;
const OHTTP = 8;
/** Keys whose values are strings, where `\X` and `\DDD` escapes make sense (BIND). */
const ESCAPES_ALLOWED = new Set(["alpn", "dohpath"]);
/** Key 65535 is reserved ("Invalid key", RFC 9460 §14.3.2). */
const INVALID_KEY = 65535;

/** The number of a SvcParamKey name or `keyNNNNN`; -1 if it is neither. */
export function svcKeyFromText(text: string): number {
  const known = KEY_NAMES.indexOf(text);
  if (known >= 0) return known;
  if (!text.startsWith("key") || text.length < 4 || text.length > 8) return -1;
  let v = 0;
  for (let i = 3; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  // RFC 9460 §2.1: no leading zeros ("key01" is not key1).
  if (text.length > 4 && text.charCodeAt(3) === 0x30) return -1;
  return v <= 0xffff ? v : -1;
}

/** The presentation name of SvcParamKey `key`. */
export function svcKeyToText(key: number): string {
  return KEY_NAMES[key] ?? `key${key}`;
}

/** Splits a value-list on commas that are not escaped, removing the list-level escapes. */
function splitValueList(value: Uint8Array): Uint8Array[] | null {
  const items: Uint8Array[] = [];
  let current: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (b === 0x5c) {
      i++;
      if (i >= value.length) return null;
      current.push(value[i]!);
    } else if (b === 0x2c) {
      items.push(Uint8Array.from(current));
      current = [];
    } else {
      current.push(b);
    }
  }
  items.push(Uint8Array.from(current));
  return items;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}

/** Writes one param's value for `key` from its decoded presentation bytes. */
function writeValue(
  key: number,
  value: Uint8Array | null,
  out: ByteWriter,
  f: FieldReader,
  at: number,
): void {
  const keyText = svcKeyToText(key);
  const needValue = (): Uint8Array => {
    if (value === null || value.length === 0) f.fail(`SvcParam ${keyText} needs a value`, at);
    return value;
  };
  switch (key) {
    case MANDATORY: {
      const items = latin1(needValue()).split(",");
      const keys: number[] = [];
      for (const item of items) {
        const k = svcKeyFromText(item);
        if (k < 0) f.fail(`unknown SvcParam key '${item}' in mandatory`, at);
        if (k === MANDATORY) f.fail("mandatory must not list itself (RFC 9460 §8)", at);
        if (keys.includes(k)) f.fail(`mandatory lists ${item} twice`, at);
        keys.push(k);
      }
      keys.sort((a, b) => a - b);
      for (const k of keys) out.u16(k);
      return;
    }
    case ALPN: {
      const items = splitValueList(needValue());
      if (items === null) f.fail("bad escape in alpn", at);
      for (const item of items) {
        if (item.length === 0 || item.length > 255) f.fail("alpn ids must be 1 to 255 bytes long", at);
        out.string(item);
      }
      return;
    }
    case NO_DEFAULT_ALPN:
    case OHTTP:
      if (value !== null) f.fail(`SvcParam ${keyText} takes no value`, at);
      return;
    case PORT: {
      const text = latin1(needValue());
      if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 0xffff) f.fail(`bad port '${text}'`, at);
      out.u16(Number(text));
      return;
    }
    case IPV4HINT: {
      const quad = new Uint8Array(4);
      for (const item of latin1(needValue()).split(",")) {
        if (!parseIPv4(item, quad, 0)) f.fail(`bad IPv4 address '${item}' in ipv4hint`, at);
        out.bytes(quad);
      }
      return;
    }
    case IPV6HINT: {
      const addr = new Uint8Array(16);
      for (const item of latin1(needValue()).split(",")) {
        if (!parseIPv6(item, addr, 0)) f.fail(`bad IPv6 address '${item}' in ipv6hint`, at);
        out.bytes(addr);
      }
      return;
    }
    case ECH: {
      const data = decodeBase64(latin1(needValue()));
      if (data === null) f.fail("ech is not valid base64", at);
      out.bytes(data);
      return;
    }
    case DOHPATH:
      out.bytes(needValue());
      return;
    default:
      if (value !== null) out.bytes(value);
  }
}

/**
 * Reads the SvcParams from the rest of the tokens and writes them, sorted by key, to `out`.
 * Checks RFC 9460 §7 and §8 as BIND does: each key once, values well-formed, every key in
 * `mandatory` present, `no-default-alpn` only with `alpn`.
 */
export function parseSvcParams(f: FieldReader, out: ByteWriter): void {
  const lx = f.lexer;
  const params: { key: number; data: Uint8Array; at: number }[] = [];
  while (!f.done) {
    const at = f.i;
    if ((lx.flags[at]! & TOKEN_QUOTED) !== 0)
      f.fail(`SvcParam must start with a key, not '"${lx.text(at)}"'`, at);
    const start = lx.starts[at]!;
    const end = lx.ends[at]!;
    f.i++;
    let eq = start;
    while (eq < end && lx.source.charCodeAt(eq) !== 0x3d) eq++;
    let keyText: string;
    let value: Uint8Array | null = null;
    if (eq === end) {
      keyText = lx.text(at);
    } else {
      keyText = lx.source.slice(start, eq);
      let decoded: Uint8Array | null;
      if (eq + 1 === end && lx.adjacent(at) && (lx.flags[at + 1]! & TOKEN_QUOTED) !== 0) {
        // key="quoted value": the lexer made two tokens of it.
        const q = f.i++;
        decoded = decodeCharString(lx.source, lx.starts[q]!, lx.ends[q]!, f.names.bytes);
      } else {
        decoded = decodeCharString(lx.source, eq + 1, end, f.names.bytes);
      }
      if (decoded === null) f.fail(`bad escape in SvcParam ${keyText}`, at);
      value = decoded;
      const raw = lx.source.slice(start, lx.adjacent(at) ? lx.ends[at + 1] : end);
      if (raw.includes("\\") && KEY_NAMES.includes(keyText) && !ESCAPES_ALLOWED.has(keyText))
        f.fail(`SvcParam ${keyText} takes no escapes`, at);
    }
    const key = svcKeyFromText(keyText);
    if (key < 0) f.fail(`unknown SvcParam key '${keyText}'`, at);
    if (key === INVALID_KEY) f.fail("SvcParam key65535 is reserved", at);
    if (params.some((p) => p.key === key)) f.fail(`SvcParam ${keyText} appears twice`, at);
    const w = new ByteWriter();
    writeValue(key, value, w, f, at);
    params.push({ key, data: w.finish(), at });
  }
  params.sort((a, b) => a.key - b.key);
  const keys = new Set(params.map((p) => p.key));
  const mandatory = params.find((p) => p.key === MANDATORY);
  if (mandatory !== undefined) {
    for (let i = 0; i < mandatory.data.length; i += 2) {
      const k = (mandatory.data[i]! << 8) | mandatory.data[i + 1]!;
      if (!keys.has(k)) f.fail(`mandatory lists ${svcKeyToText(k)}, which is not present`, mandatory.at);
    }
  }
  if (keys.has(NO_DEFAULT_ALPN) && !keys.has(ALPN)) f.fail("no-default-alpn needs alpn (RFC 9460 §7.1.1)");
  for (const p of params) {
    if (p.data.length > 0xffff) f.fail(`SvcParam ${svcKeyToText(p.key)} is too long`, p.at);
    out.u16(p.key);
    out.u16(p.data.length);
    out.bytes(p.data);
  }
}

/** Escapes an alpn id for a value-list: `,` and `\` get a list-level backslash first. */
function alpnItemText(item: Uint8Array): string {
  let needs = false;
  for (const b of item) if (b === 0x2c || b === 0x5c) needs = true;
  if (!needs) return encodeCharString(item);
  const escaped: number[] = [];
  for (const b of item) {
    if (b === 0x2c || b === 0x5c) escaped.push(0x5c);
    escaped.push(b);
  }
  return encodeCharString(Uint8Array.from(escaped));
}

/** The text of one param's value, or null for a key without a value. */
function valueText(key: number, r: ByteReader): string | null {
  switch (key) {
    case MANDATORY: {
      if (r.remaining === 0 || r.remaining % 2 !== 0) throw new MalformedRdataError("bad mandatory");
      const names: string[] = [];
      while (r.remaining > 0) names.push(svcKeyToText(r.u16()));
      return names.join(",");
    }
    case ALPN: {
      if (r.remaining === 0) throw new MalformedRdataError("empty alpn");
      const items: string[] = [];
      while (r.remaining > 0) {
        const item = r.string();
        if (item.length === 0) throw new MalformedRdataError("empty alpn id");
        items.push(alpnItemText(item));
      }
      return `"${items.join(",")}"`;
    }
    case NO_DEFAULT_ALPN:
    case OHTTP:
      if (r.remaining !== 0) throw new MalformedRdataError(`${svcKeyToText(key)} with a value`);
      return null;
    case PORT:
      if (r.remaining !== 2) throw new MalformedRdataError("bad port");
      return String(r.u16());
    case IPV4HINT: {
      if (r.remaining === 0 || r.remaining % 4 !== 0) throw new MalformedRdataError("bad ipv4hint");
      const items: string[] = [];
      while (r.remaining > 0) items.push(r.bytes(4).join("."));
      return items.join(",");
    }
    case IPV6HINT: {
      if (r.remaining === 0 || r.remaining % 16 !== 0) throw new MalformedRdataError("bad ipv6hint");
      const items: string[] = [];
      while (r.remaining > 0) items.push(formatIPv6(r.bytes(16)));
      return items.join(",");
    }
    case ECH:
      if (r.remaining === 0) throw new MalformedRdataError("empty ech");
      return encodeBase64(r.rest());
    default: {
      if (key === DOHPATH && r.remaining === 0) throw new MalformedRdataError("empty dohpath");
      if (r.remaining === 0) return null;
      return `"${encodeCharString(r.rest())}"`;
    }
  }
}

/**
 * The presentation text of the SvcParams in `r` (to its end), as dig prints them:
 * `alpn="h2,h3" port=443`. Throws MalformedRdataError for params out of order or malformed.
 */
export function svcParamsToText(r: ByteReader): string {
  let out = "";
  let last = -1;
  while (r.remaining > 0) {
    const key = r.u16();
    if (key <= last) throw new MalformedRdataError("SvcParams out of order");
    last = key;
    const len = r.u16();
    const value = valueText(key, new ByteReader(r.bytes(len)));
    out += ` ${svcKeyToText(key)}`;
    if (value !== null) out += `=${value}`;
  }
  return out;
}
