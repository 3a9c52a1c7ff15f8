import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64, encodeBase64 } from "./base64.js";

void describe("decodeBase64", () => {
  void it("decodes RFC 4648 §10's test vectors", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["Zg==", "f"],
      ["Zm8=", "fo"],
      ["Zm9v", "foo"],
      ["Zm9vYg==", "foob"],
      ["Zm9vYmE=", "fooba"],
      ["Zm9vYmFy", "foobar"],
    ];
    for (const [encoded, decoded] of vectors) {
      assert.equal(decodeBase64(encoded)?.toString(), decoded, encoded);
      assert.equal(encodeBase64(decoded), encoded);
    }
    assert.deepEqual(decodeBase64("+/8="), Buffer.from([0xfb, 0xff]));
  });

  void it("rejects what RFC 4954 §4 says to reject, and anything not canonical", () => {
    const bad = [
      "=AAA", // pad first (RFC 4954's example)
      "AAA=BBBB", // pad in the middle
      "AA=A",
      "Zg", // padding missing
      "Zg=",
      "Zg===",
      "====",
      "Zm9v\r\n",
      " Zm9v",
      "Zm9v ",
      "Zm 9v",
      "Zm9v!AAA",
      "Zm-_", // base64url is another alphabet
      "Zh==", // pad bits not zero (RFC 4648 §3.5)
      "Zm9=",
      "Zm9vé===",
      "*",
      "=",
    ];
    for (const text of bad) assert.equal(decodeBase64(text), null, JSON.stringify(text));
  });

  void it("encodes bytes", () => {
    assert.equal(encodeBase64(new Uint8Array([0, 1, 2]).subarray(1)), "AQI=");
  });
});
