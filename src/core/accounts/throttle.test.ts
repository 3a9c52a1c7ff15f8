import assert from "node:assert/strict";
import { test } from "node:test";
import { LoginThrottle } from "./throttle.js";

test("failures are slowed more and more, then refused for the block time", () => {
  let now = 1_000_000;
  const throttle = new LoginThrottle({
    maxFailures: 4,
    windowMs: 60_000,
    blockMs: 30_000,
    baseDelayMs: 100,
    maxDelayMs: 350,
    now: () => now,
  });
  assert.deepEqual(throttle.check("192.0.2.1"), { allowed: true });
  assert.deepEqual(
    [throttle.fail("192.0.2.1"), throttle.fail("192.0.2.1"), throttle.fail("192.0.2.1")],
    [100, 200, 350],
  );
  assert.deepEqual(throttle.check("192.0.2.1"), { allowed: true });
  throttle.fail("192.0.2.1");
  assert.deepEqual(throttle.check("192.0.2.1"), { allowed: false, retryAfterMs: 30_000 });
  assert.deepEqual(throttle.check("192.0.2.2"), { allowed: true }, "other addresses are not affected");
  now += 30_001;
  assert.deepEqual(throttle.check("192.0.2.1"), { allowed: true });
});

test("a success clears the record; old failures leave the window", () => {
  let now = 0;
  const throttle = new LoginThrottle({ maxFailures: 2, windowMs: 1_000, baseDelayMs: 10, now: () => now });
  throttle.fail("a");
  throttle.succeed("a");
  throttle.fail("a");
  assert.deepEqual(throttle.check("a"), { allowed: true });
  now += 1_001;
  assert.equal(throttle.fail("a"), 10, "a fresh window starts at the base delay");
  assert.deepEqual(throttle.check("a"), { allowed: true });
});

test("memory is bounded: the oldest address is forgotten first", () => {
  const throttle = new LoginThrottle({ maxFailures: 1, maxTracked: 2 });
  throttle.fail("a");
  throttle.fail("b");
  throttle.fail("c");
  assert.equal(throttle.check("a").allowed, true);
  assert.equal(throttle.check("b").allowed, false);
  assert.equal(throttle.check("c").allowed, false);
});
