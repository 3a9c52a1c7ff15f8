/**
 * Random and mutated zone text: parseZone either returns or throws ConfigError, never
 * anything else, and never hangs; every record it returns prints, and its printed RDATA reads
 * back to the same bytes. `npm run fuzz` runs it with PORTICO_FUZZ_ITERATIONS=1000000.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ConfigError } from "../../core/errors.js";
import { parseZone } from "./parse.js";
import { recordToText } from "./print.js";
import { rdataFromText, rdataToText, rdataToWire } from "./rdata.js";
import { seededRandom as random } from "../../../test/support/fuzz.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "300");
const SEED = Number(process.env.PORTICO_FUZZ_SEED ?? "20240101");

const BASE = readFileSync(
  new URL("../../../../src/dns/zone/testdata/everything.zone", import.meta.url),
  "latin1",
);
const INCLUDED = readFileSync(
  new URL("../../../../src/dns/zone/testdata/everything-include.zone", import.meta.url),
  "latin1",
);

const PIECES = [
  "\\",
  '"',
  "(",
  ")",
  ";",
  "$",
  "@",
  ".",
  " ",
  "\t",
  "\n",
  "\r",
  "0",
  "9",
  "a",
  "Z",
  "-",
  "*",
  "=",
  ",",
  "\\0",
  "\\#",
  "\\255",
  "\\999",
  "IN",
  "CH",
  "1h",
  "4294967296",
  "TYPE0",
  "TYPE65535",
  "CLASS1",
  "é",
  "\u0000",
  "$ORIGIN ",
  "$TTL ",
  "$INCLUDE ",
  "$GENERATE ",
  " SOA ",
  " NS ",
  " CNAME ",
  " TXT ",
  " A ",
  " AAAA ",
  " MX ",
  " SVCB ",
  " DS ",
  " NSEC ",
  " NSEC3 ",
  " RRSIG ",
  "${0,3,n}",
  "\\# 2 00",
  "x".repeat(70),
  "a.".repeat(40),
];

function mutate(text: string, rnd: () => number): string {
  let t = text;
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(rnd() * (t.length + 1));
    const op = Math.floor(rnd() * 6);
    if (op === 0) {
      t = t.slice(0, pos) + t.slice(pos + 1 + Math.floor(rnd() * 8));
    } else if (op <= 2) {
      t = t.slice(0, pos) + PIECES[Math.floor(rnd() * PIECES.length)]! + t.slice(pos);
    } else if (op === 3) {
      const lines = t.split("\n");
      const from = Math.floor(rnd() * lines.length);
      lines.splice(Math.floor(rnd() * lines.length), 0, lines[from]!);
      t = lines.join("\n");
    } else if (op === 4) {
      const lines = t.split("\n");
      lines.splice(Math.floor(rnd() * lines.length), 1);
      t = lines.join("\n");
    } else {
      const c = String.fromCharCode(Math.floor(rnd() * 256));
      t = t.slice(0, pos) + c + t.slice(pos + 1);
    }
  }
  return t;
}

/** Random text from the pieces alone. */
function noise(rnd: () => number): string {
  let t = "";
  const n = Math.floor(rnd() * 60);
  for (let i = 0; i < n; i++) t += PIECES[Math.floor(rnd() * PIECES.length)]!;
  return t;
}

test("mutated and random zone text: records or ConfigError, nothing else", () => {
  const rnd = random(SEED);
  let accepted = 0;
  for (let n = 0; n < ITERATIONS; n++) {
    const text =
      rnd() < 0.8 ? mutate(BASE, rnd) : "$TTL 1h\n@ SOA a b 1 2 3 4 5\n@ NS a\na A 192.0.2.1\n" + noise(rnd);
    const included = mutate(INCLUDED, rnd);
    try {
      const zone = parseZone(text, {
        file: "fuzz.zone",
        origin: "everything.test.",
        bytes: rnd() < 0.5,
        readInclude: (path) => {
          if (path.endsWith("everything-include.zone")) return included;
          throw new Error("no such file");
        },
      });
      accepted++;
      for (const rr of zone.records) {
        assert.equal(typeof recordToText(rr), "string");
        const printed = rdataToText(rr.type, rr.data);
        assert.deepEqual(rdataToWire(rdataFromText(rr.type, printed)), rdataToWire(rr.data), printed);
      }
    } catch (e) {
      if (!(e instanceof ConfigError)) {
        assert.fail(
          `seed ${SEED} iteration ${n}: ${String(e)}\n${e instanceof Error ? e.stack : ""}\n--- zone:\n${text}`,
        );
      }
      assert.ok(!e.message.includes("\n"), `one-line message: ${e.message}`);
      assert.ok(typeof e.line === "number" && e.line >= 1, e.message);
    }
  }
  // The mutations are mild enough that some zones stay valid.
  if (ITERATIONS >= 100) assert.ok(accepted > 0);
});
