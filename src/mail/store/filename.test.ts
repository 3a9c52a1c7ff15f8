import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FLAG,
  compareBases,
  flagNames,
  formatName,
  parseName,
  safeHostname,
  uniqueBase,
} from "./filename.js";

test("parseName reads the base, S=, W= and the flag letters", () => {
  const parsed = parseName("1035478339.27041_118.foo.org,S=1000,W=1030:2,FRSac,xyz");
  assert.equal(parsed.base, "1035478339.27041_118.foo.org,S=1000,W=1030");
  assert.equal(parsed.size, 1000);
  assert.equal(parsed.vsize, 1030);
  assert.equal(parsed.flags, FLAG.flagged | FLAG.replied | FLAG.seen);
  assert.equal(parsed.keywords, 0b101);
  assert.equal(parsed.rest, ",xyz");
  const plain = parseName("1491941793.M41850P8566.mx1.example.com");
  assert.equal(plain.base, "1491941793.M41850P8566.mx1.example.com");
  assert.equal(plain.size, undefined);
  assert.equal(plain.flags, 0);
  assert.equal(parseName("123.host:1,S").flags, 0, "only :2, info carries flags");
});

test("formatName sorts letters by ASCII code and keeps unknown ones", () => {
  const all = FLAG.trashed | FLAG.seen | FLAG.replied | FLAG.passed | FLAG.flagged | FLAG.draft;
  assert.equal(formatName("b", all, 0), "b:2,DFPRST");
  assert.equal(formatName("b", FLAG.seen, 0b10_0000_0000_0000_0000_0000_0001, "Z"), "b:2,SZaz");
  assert.equal(formatName("b", 0, 0), "b:2,");
  assert.equal(formatName("b", FLAG.seen, 0, "", ",x"), "b:2,S,x");
  const parsed = parseName("b:2,DFPRSTZaz,x");
  assert.equal(
    formatName(parsed.base, parsed.flags, parsed.keywords, parsed.unknown, parsed.rest),
    "b:2,DFPRSTZaz,x",
  );
});

test("flag letters map to IMAP flags; P is $Forwarded", () => {
  assert.deepEqual(flagNames(FLAG.passed | FLAG.trashed | FLAG.draft), [
    "\\Draft",
    "$Forwarded",
    "\\Deleted",
  ]);
});

test("unique bases have the Maildir shape and never repeat", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(uniqueBase());
  assert.equal(seen.size, 10_000);
  assert.match(uniqueBase(), new RegExp(`^\\d{10}\\.M\\d+P${process.pid}Q\\d+R[0-9a-f]{16}\\.`));
  assert.equal(safeHostname("a/b:c,d"), "a\\057b\\072c\\054d");
});

test("compareBases orders by seconds, then microseconds", () => {
  const sorted = ["20.M5P1.h", "3.M9P1.h", "20.M10P1.h", "3.M10P1.h", "100.x"].sort(compareBases);
  assert.deepEqual(sorted, ["3.M9P1.h", "3.M10P1.h", "20.M5P1.h", "20.M10P1.h", "100.x"]);
});
