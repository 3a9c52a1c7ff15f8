import assert from "node:assert/strict";
import { test } from "node:test";
import { HeaderCompleter } from "./headers.js";

const now = (): Date => new Date(Date.UTC(2026, 10, 29, 12, 0, 0));

function run(input: string, split = 3): string {
  const c = new HeaderCompleter("mx.test", { now });
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += split) out.push(...c.push(Buffer.from(input.slice(i, i + split))));
  out.push(...c.end());
  return Buffer.concat(out).toString();
}

test("adds Date: and Message-ID: when missing, at the header's end, whatever the chunking", () => {
  for (const split of [1, 2, 7, 1000]) {
    const out = run("Subject: hi\r\nFrom: a@b.test\r\n\r\nbody\r\n", split);
    assert.match(
      out,
      /^Subject: hi\r\nFrom: a@b\.test\r\nDate: Sun, 29 Nov 2026 12:00:00 \+0000\r\nMessage-ID: <[\w.]+@mx\.test>\r\n\r\nbody\r\n$/,
    );
  }
});

test("keeps a message that has both untouched; adds only what is missing", () => {
  const full = "Date: x\r\nMessage-Id: <a@b>\r\n\r\nbody\r\n";
  assert.equal(run(full), full);
  assert.match(run("date: x\r\n\r\nb\r\n"), /^date: x\r\nMessage-ID: <[^>]+>\r\n\r\nb\r\n$/);
  // A "Date:" in the body does not count.
  assert.match(run("Subject: s\r\n\r\nDate: no\r\n"), /^Subject: s\r\nDate: Sun/);
});

test("a header-only message, an empty header, a header too long to hold", () => {
  assert.match(run("Subject: s\r\n"), /^Subject: s\r\nDate: .*\r\nMessage-ID: .*\r\n$/);
  assert.match(run("\r\nbody\r\n"), /^Date: .*\r\nMessage-ID: .*\r\n\r\nbody\r\n$/);
  const c = new HeaderCompleter("mx.test", { maxHeaderBytes: 10 });
  const long = Buffer.from("X-Long: 0123456789abcdef\r\n");
  assert.deepEqual(Buffer.concat(c.push(long)), long);
  assert.deepEqual(c.push(Buffer.from("\r\nbody")), [Buffer.from("\r\nbody")]);
});
