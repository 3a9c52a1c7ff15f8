import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPath, lineOf, locateKeys } from "./locate.js";

test("locates keys in tables, arrays of tables, dotted keys, inline tables and arrays", () => {
  const text = [
    'a = 1 # comment with "quote" and [bracket]',
    "[t]",
    "x.y = 2",
    'z = """multi',
    'line = "not a key"',
    '"""',
    "arr = [",
    '  "one", # c',
    "  'two',",
    "]",
    "[[u]]",
    "n = 1",
    "[[u]]",
    "n = { p = 1,",
    "   q = 2 }",
  ].join("\n");
  const lines = locateKeys(text);
  assert.equal(lineOf(lines, ["a"]), 1);
  assert.equal(lineOf(lines, ["t", "x", "y"]), 3);
  assert.equal(lineOf(lines, ["t", "line"]), 2, "text inside a multi-line string is not a key");
  assert.equal(lineOf(lines, ["t", "arr", 0]), 8);
  assert.equal(lineOf(lines, ["t", "arr", 1]), 9);
  assert.equal(lineOf(lines, ["u", 0, "n"]), 12);
  assert.equal(lineOf(lines, ["u", 1, "n"]), 14);
  assert.equal(lineOf(lines, ["u", 1]), 13);
  assert.equal(lineOf(lines, ["nope"]), 1);
});

test("formats paths as people write them", () => {
  assert.equal(formatPath(["smtp", "listen", 1]), "smtp.listen[1]");
  assert.equal(formatPath(["smtp", "aliases", "a@b.test"]), 'smtp.aliases."a@b.test"');
  assert.equal(formatPath(["users", 0, "password"]), "users[0].password");
});
