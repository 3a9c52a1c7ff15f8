import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkSet } from "../../core/address.js";
import type { ResolveResult } from "../resolver/index.js";
import { Rcode } from "../types.js";
import { Recursion } from "./recursion.js";

const ok = (name: string, type: number): ResolveResult => ({
  rcode: Rcode.NOERROR,
  name,
  type,
  answers: [],
  finalName: name,
});

describe("Recursion", () => {
  it("allows the networks of `allow` only, v4-mapped addresses included", () => {
    const r = new Recursion({
      resolve: (n, t) => Promise.resolve(ok(n, t)),
      allow: new NetworkSet(["127.0.0.0/8", "::1/128"]),
    });
    for (const _ of [1, 2]) {
      // Asked twice: the second answers come from what was remembered.
      assert.equal(r.allows("127.0.0.1"), true);
      assert.equal(r.allows("::ffff:127.0.0.9"), true);
      assert.equal(r.allows("::1"), true);
      assert.equal(r.allows("192.0.2.1"), false);
      assert.equal(r.allows("2001:db8::1"), false);
    }
  });

  it("runs at most maxLookups at once, and counts them down when they end", async () => {
    const gates: (() => void)[] = [];
    const r = new Recursion({
      resolve: (name, type) =>
        new Promise((resolve) =>
          gates.push(() => {
            resolve(ok(name, type));
          }),
        ),
      allow: new NetworkSet([]),
      maxLookups: 2,
    });
    const first = r.lookup("a.test.", 1);
    const second = r.lookup("b.test.", 1);
    assert.ok(first && second);
    assert.equal(r.lookup("c.test.", 1), undefined);
    assert.equal(r.lookups, 2);
    gates[0]!();
    assert.equal((await first).rcode, Rcode.NOERROR);
    assert.equal(r.lookups, 1);
    assert.ok(r.lookup("c.test.", 1));
  });

  it("turns a lookup that throws or rejects into SERVFAIL with the reason", async () => {
    const throwing = new Recursion({
      resolve: () => {
        throw new RangeError("not a record type");
      },
      allow: new NetworkSet([]),
    });
    const thrown = await throwing.lookup("a.test.", 255)!;
    assert.deepEqual([thrown.rcode, thrown.reason], [Rcode.SERVFAIL, "not a record type"]);
    assert.equal(throwing.lookups, 0);
    const rejecting = new Recursion({
      resolve: () => Promise.reject(new Error("bug")),
      allow: new NetworkSet([]),
    });
    assert.equal((await rejecting.lookup("a.test.", 1)!).rcode, Rcode.SERVFAIL);
  });

  it("rejects a limit that is not a positive integer", () => {
    assert.throws(
      () =>
        new Recursion({
          resolve: () => Promise.resolve(ok("a.", 1)),
          allow: new NetworkSet([]),
          maxLookups: 0,
        }),
      RangeError,
    );
  });
});
