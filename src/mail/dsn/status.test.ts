import assert from "node:assert/strict";
import { test } from "node:test";
import { describeStatus } from "./status.js";

test("RFC 3463 codes in words: class and detail, or the class alone", () => {
  assert.equal(describeStatus("5.1.1"), "Permanent failure: Bad destination mailbox address");
  assert.equal(describeStatus("4.4.7"), "Persistent transient failure: Delivery time expired");
  assert.equal(describeStatus("2.0.0"), "Success: Other undefined status");
  assert.equal(describeStatus("5.7.26"), "Permanent failure");
  assert.equal(describeStatus("4.9.0"), "Persistent transient failure");
  assert.throws(() => describeStatus("3.0.0"), RangeError);
  assert.throws(() => describeStatus("5.01.1"), RangeError);
});
