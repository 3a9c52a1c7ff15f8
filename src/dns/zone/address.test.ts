import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIPv6, isIPv4, parseIPv6 } from "./address.js";

test("IPv4 dotted quads as inet_pton reads them", () => {
  for (const good of ["0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.0.10"]) assert.ok(isIPv4(good), good);
  for (const bad of [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.256",
    "1..3.4",
    "1.2.3.4.",
    " 1.2.3.4",
    "1.2.3.a",
    "0x1.2.3.4",
  ]) {
    assert.equal(isIPv4(bad), false, bad);
  }
});

function v6(text: string): string | null {
  const out = new Uint8Array(16);
  return parseIPv6(text, out, 0) ? formatIPv6(out) : null;
}

test("IPv6 parsing and RFC 5952 printing as inet_ntop does", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of two equal runs
    ["2001:db8::", "2001:db8::"],
    ["2001:0db8:0001:0000:0000:0ab9:C0A8:0102", "2001:db8:1::ab9:c0a8:102"],
    ["1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"], // a single zero word is not compressed
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::ffff:102:304", "::ffff:1.2.3.4"],
    ["0:0::1.2.3.4", "::1.2.3.4"],
    ["::2", "::2"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ];
  for (const [input, output] of cases) assert.equal(v6(input), output, input);
});

test("malformed IPv6 addresses", () => {
  for (const bad of [
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8::",
    "::1.2.3",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "g::",
    "1:",
    ":1",
    "fe80::1%eth0",
  ]) {
    assert.equal(v6(bad), null, bad);
  }
});
