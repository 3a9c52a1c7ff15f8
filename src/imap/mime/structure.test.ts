import { test } from "node:test";
import assert from "node:assert/strict";
import { findPart } from "../fetch.js";
import { MimeScanner, scanBuffer, type MimePart } from "./structure.js";

const MESSAGE = Buffer.from(
  [
    "Subject: s",
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "preamble",
    "--b",
    "Content-Type: text/plain",
    "",
    "one",
    "two",
    "--b",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner",
    "",
    "inner body",
    "--b--",
    "epilogue",
    "",
  ].join("\r\n"),
);

function text(part: MimePart | undefined, what: "header" | "body"): string {
  assert.ok(part);
  return what === "header"
    ? MESSAGE.toString("latin1", part.headerStart, part.bodyStart)
    : MESSAGE.toString("latin1", part.bodyStart, part.bodyEnd);
}

test("parts as byte ranges: headers through the blank line, bodies without the CRLF before a boundary", () => {
  const root = scanBuffer(MESSAGE);
  assert.equal(root.kind, "multipart");
  assert.equal(text(root, "header"), "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
  assert.equal(root.bodyEnd, MESSAGE.length);
  const [first, second] = root.children;
  assert.equal(text(first, "header"), "Content-Type: text/plain\r\n\r\n");
  assert.equal(text(first, "body"), "one\r\ntwo");
  assert.equal(first!.bodyLines, 1);
  assert.equal(second!.kind, "message");
  assert.equal(text(second, "body"), "Subject: inner\r\n\r\ninner body");
  assert.equal(second!.bodyLines, 2);
  const inner = second!.children[0]!;
  assert.equal(text(inner, "header"), "Subject: inner\r\n\r\n");
  assert.equal(text(inner, "body"), "inner body");
  // Section numbers (RFC 3501 §6.4.5).
  assert.equal(findPart(root, [1]), first);
  assert.equal(findPart(root, [2]), second);
  assert.equal(findPart(root, [2, 1]), inner);
  assert.equal(findPart(root, [3]), undefined);
  assert.equal(findPart(root, [1, 1]), first);
  assert.equal(findPart(root, [1, 2]), undefined);
});

test("the same structure however the message is split into chunks", () => {
  const whole = JSON.stringify(scanBuffer(MESSAGE));
  for (let i = 1; i < MESSAGE.length; i++) {
    const scanner = new MimeScanner();
    scanner.push(MESSAGE.subarray(0, i));
    scanner.push(MESSAGE.subarray(i));
    assert.equal(JSON.stringify(scanner.end()), whole, `split at ${i}`);
  }
  const scanner = new MimeScanner();
  for (const byte of MESSAGE) scanner.push(Buffer.from([byte]));
  assert.equal(JSON.stringify(scanner.end()), whole, "one octet at a time");
});

test("long lines: only the start of a body line is kept, so a huge base64 line costs no memory", () => {
  const big = Buffer.concat([
    Buffer.from("Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n"),
    Buffer.alloc(3_000_000, 0x41),
    Buffer.from("\r\n--q--\r\n"),
  ]);
  const root = scanBuffer(big);
  assert.equal(root.children.length, 1);
  assert.equal(root.children[0]!.bodyEnd - root.children[0]!.bodyStart, 3_000_000);
});

test("limits: depth and part count are capped, header bytes are capped", () => {
  let nested = "";
  for (let i = 0; i < 20; i++) nested += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  const root = scanBuffer(Buffer.from(`${nested}\r\nleaf\r\n`), { maxDepth: 5 });
  let depth = 0;
  for (let p: MimePart | undefined = root; p !== undefined; p = p.children[0]) depth++;
  assert.ok(depth <= 7, `depth ${depth}`);
  const many = `Content-Type: multipart/mixed; boundary=m\r\n\r\n${"--m\r\n\r\nx\r\n".repeat(50)}--m--\r\n`;
  assert.equal(scanBuffer(Buffer.from(many), { maxParts: 10 }).children.length, 9);
  const header = scanBuffer(Buffer.from(`X-Big: ${"y".repeat(5000)}\r\nSubject: z\r\n\r\nbody`), {
    maxHeaderBytes: 1000,
  });
  assert.ok(header.header.length <= 1000);
  assert.equal(header.bodyStart, 5000 + 9 + 12 + 2);
});
