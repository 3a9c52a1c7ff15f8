import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c, CRC32C_INIT, crc32cFinish, crc32cUpdate } from "./crc32c.js";

test("CRC-32C check values (RFC 3720 §B.4 and the usual '123456789')", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(crc32c(ascending), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test("feeding pieces gives the same checksum as the whole", () => {
  const data = Buffer.from("The PROXY protocol, versions 1 and 2");
  let crc = CRC32C_INIT;
  crc = crc32cUpdate(crc, data, 0, 7);
  crc = crc32cUpdate(crc, data, 7, data.length);
  assert.equal(crc32cFinish(crc), crc32c(data));
  assert.equal(crc32c(data, 4, 9), crc32c(data.subarray(4, 9)));
});
