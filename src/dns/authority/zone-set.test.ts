import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { zone } from "./test-support.js";
import { ZoneSet } from "./zone-set.js";

void describe("ZoneSet", () => {
  const parent = zone("example.", ["sub NS ns.sub"]);
  const child = zone("sub.example.", []);
  const root = zone(".", []);

  void it("finds the zone with the longest origin at or above a name", () => {
    const set = new ZoneSet([parent, child]);
    assert.equal(set.find("example."), parent);
    assert.equal(set.find("WWW.Example."), parent);
    assert.equal(set.find("sub.example."), child);
    assert.equal(set.find("a.b.c.d.sub.example."), child);
    assert.equal(set.find("xsub.example."), parent);
    assert.equal(set.find("test."), undefined);
    assert.equal(set.find("."), undefined);
    assert.equal(new ZoneSet().find("example."), undefined);
  });

  void it("serves the root zone", () => {
    const set = new ZoneSet([root, child]);
    assert.equal(set.find("."), root);
    assert.equal(set.find("example."), root);
    assert.equal(set.find("x.sub.example."), child);
    assert.equal(set.parentOf(child), root);
    assert.equal(set.parentOf(root), undefined);
  });

  void it("replaces a zone in one step and removes zones", () => {
    const set = new ZoneSet([parent, child]);
    const reloaded = zone("Example.", ["www A 192.0.2.1"]);
    assert.equal(set.set(reloaded), parent);
    assert.equal(set.find("www.example."), reloaded);
    assert.equal(set.get("EXAMPLE."), reloaded);
    assert.equal(set.size, 2);
    assert.equal(set.delete("sub.example."), true);
    assert.equal(set.delete("sub.example."), false);
    assert.equal(set.find("x.sub.example."), reloaded);
    assert.deepEqual([...set], [reloaded]);
  });

  void it("finds the parent side of a zone's apex", () => {
    const set = new ZoneSet([parent, child]);
    assert.equal(set.parentOf(child), parent);
    assert.equal(set.parentOf(parent), undefined);
  });
});
