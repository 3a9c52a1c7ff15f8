/** Fuzz test of the MIME scanner: random boundary soup never throws, ranges stay in the message. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzIterations, fuzzSeed, seededRandom } from "../../../test/support/fuzz.js";
import { scanBuffer, type MimePart } from "./structure.js";

test("fuzz: random boundary soup never throws and keeps every range inside the message", () => {
  const rand = seededRandom(fuzzSeed(7));
  const pieces = [
    "--a\r\n",
    "--a--\r\n",
    "--ab\r\n",
    "--b\r\n",
    "Content-Type: multipart/mixed; boundary=a\r\n",
    "Content-Type: multipart/digest; boundary=ab\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Type: multipart/alternative; boundary=b\r\n",
    "\r\n",
    "text\r\n",
    "Subject: x\r\n",
    " folded\r\n",
    "\n",
    "--",
  ];
  const iterations = fuzzIterations(300);
  for (let i = 0; i < iterations; i++) {
    const n = Math.floor(rand() * 30);
    const message = Buffer.from(
      Array.from({ length: n }, () => pieces[Math.floor(rand() * pieces.length)]!).join(""),
    );
    const root = scanBuffer(message, { maxDepth: 10, maxParts: 50 });
    const check = (part: MimePart): void => {
      assert.ok(
        part.headerStart <= part.bodyStart &&
          part.bodyStart <= part.bodyEnd &&
          part.bodyEnd <= message.length,
      );
      assert.ok(part.bodyLines >= 0);
      part.children.forEach(check);
    };
    check(root);
  }
});
