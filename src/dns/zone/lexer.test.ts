import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../core/errors.js";
import { TOKEN_ESCAPED, TOKEN_QUOTED, ZoneLexer } from "./lexer.js";

interface Entry {
  blank: boolean;
  line: number;
  tokens: string[];
}

/** All entries of `text`: quoted tokens shown as "…", with their line numbers. */
function entries(text: string): Entry[] {
  const lx = new ZoneLexer(text, "t.zone");
  const out: Entry[] = [];
  while (lx.next()) {
    const tokens: string[] = [];
    for (let i = 0; i < lx.count; i++) {
      const t = lx.text(i);
      tokens.push((lx.flags[i]! & TOKEN_QUOTED) !== 0 ? `"${t}"` : t);
    }
    out.push({ blank: lx.leadingBlank, line: lx.line, tokens });
  }
  return out;
}

function lexError(text: string): ConfigError {
  try {
    entries(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  assert.fail("expected a ConfigError");
}

test("splits lines into blank-separated tokens", () => {
  assert.deepEqual(entries("a IN A 1.2.3.4\nb\tTXT  x\n"), [
    { blank: false, line: 1, tokens: ["a", "IN", "A", "1.2.3.4"] },
    { blank: false, line: 2, tokens: ["b", "TXT", "x"] },
  ]);
});

test("a line that starts with a blank has no owner", () => {
  assert.deepEqual(entries("a A 1.2.3.4\n  A 1.2.3.5\n\tTXT x\n"), [
    { blank: false, line: 1, tokens: ["a", "A", "1.2.3.4"] },
    { blank: true, line: 2, tokens: ["A", "1.2.3.5"] },
    { blank: true, line: 3, tokens: ["TXT", "x"] },
  ]);
});

test("skips blank lines and comment lines, strips comments", () => {
  assert.deepEqual(entries("; header\n\n   \n  ; indented comment\na TXT x;comment\nb TXT y ; c\n"), [
    { blank: false, line: 5, tokens: ["a", "TXT", "x"] },
    { blank: false, line: 6, tokens: ["b", "TXT", "y"] },
  ]);
});

test("parentheses join lines and may nest; comments inside are skipped", () => {
  const got = entries("@ SOA ns host (\n 1 ; serial\n 2 3 (4)\n 5 )\nnext A 1.2.3.4\n");
  assert.deepEqual(got, [
    { blank: false, line: 1, tokens: ["@", "SOA", "ns", "host", "1", "2", "3", "4", "5"] },
    { blank: false, line: 5, tokens: ["next", "A", "1.2.3.4"] },
  ]);
});

test("parentheses and quotes end unquoted tokens", () => {
  assert.deepEqual(entries('a TXT x(y)z ab"cd"ef\n')[0]!.tokens, [
    "a",
    "TXT",
    "x",
    "y",
    "z",
    "ab",
    '"cd"',
    "ef",
  ]);
});

test("quoted strings keep blanks, semicolons, parentheses and escaped quotes", () => {
  const lx = new ZoneLexer('a TXT "x y;(z)\\"w" ""\n', "t.zone");
  assert.ok(lx.next());
  assert.equal(lx.count, 4);
  assert.equal(lx.text(2), 'x y;(z)\\"w');
  assert.equal(lx.flags[2], TOKEN_QUOTED | TOKEN_ESCAPED);
  assert.equal(lx.text(3), "");
  assert.equal(lx.flags[3], TOKEN_QUOTED);
});

test("a backslash keeps the next character in an unquoted token", () => {
  const lx = new ZoneLexer("a\\ b TXT x\\;y \\(\n", "t.zone");
  assert.ok(lx.next());
  assert.deepEqual([lx.text(0), lx.text(1), lx.text(2), lx.text(3)], ["a\\ b", "TXT", "x\\;y", "\\("]);
  assert.equal(lx.flags[0], TOKEN_ESCAPED);
  assert.equal(lx.flags[1], 0);
});

test("a backslash does not continue an unquoted token past the line end", () => {
  assert.deepEqual(entries("a TXT x\\\nb TXT y\n"), [
    { blank: false, line: 1, tokens: ["a", "TXT", "x\\"] },
    { blank: false, line: 2, tokens: ["b", "TXT", "y"] },
  ]);
});

test("CR LF, and a lone CR, end lines as BIND ends them", () => {
  assert.deepEqual(entries("a TXT x\r\nb TXT y\rc TXT z\r\n"), [
    { blank: false, line: 1, tokens: ["a", "TXT", "x"] },
    { blank: false, line: 2, tokens: ["b", "TXT", "y"] },
    { blank: false, line: 2, tokens: ["c", "TXT", "z"] },
  ]);
  // Inside parentheses a CR is a blank; inside quotes, a character.
  assert.deepEqual(entries("a TXT ( x\ry )\n")[0]!.tokens, ["a", "TXT", "x", "y"]);
  assert.deepEqual(entries('a TXT "x\ry"\n')[0]!.tokens, ["a", "TXT", '"x\ry"']);
});

test("an escaped line end inside quotes continues the string and counts the line", () => {
  const got = entries('a TXT "x\\\ny"\nb A 1.2.3.4\n');
  assert.deepEqual(got[0]!.tokens, ["a", "TXT", '"x\\\ny"']);
  assert.equal(got[1]!.line, 3);
});

test("records the line of each token", () => {
  const lx = new ZoneLexer("\n\na TXT (\n x\n\n y )\n", "t.zone");
  assert.ok(lx.next());
  assert.deepEqual(lx.lines.slice(0, lx.count), [3, 3, 4, 6]);
  assert.equal(lx.line, 3);
});

test("adjacent() tells tokens that touch from tokens with blanks between", () => {
  const lx = new ZoneLexer('k="v" k= "v" a(b)\n', "t.zone");
  assert.ok(lx.next());
  assert.equal(lx.text(0), "k=");
  assert.equal(lx.adjacent(0), true);
  assert.equal(lx.adjacent(2), false);
  assert.equal(lx.adjacent(4), false); // a(b: the parenthesis separates them
});

test("notes a missing final newline", () => {
  const lx = new ZoneLexer("a TXT x", "t.zone");
  assert.ok(lx.next());
  assert.equal(lx.next(), false);
  assert.equal(lx.missingFinalNewline, true);
});

test("unbalanced quotes are an error on the quote's line", () => {
  const e = lexError('a A 1.2.3.4\nb TXT "open\nc TXT x\n');
  assert.equal(e.line, 2);
  assert.match(e.message, /^t\.zone:2: unbalanced quotes/);
  assert.equal(lexError('a TXT "open').line, 1);
});

test("unbalanced parentheses are errors", () => {
  const close = lexError("a A 1.2.3.4\nb TXT x )\n");
  assert.equal(close.line, 2);
  assert.match(close.message, /unbalanced parentheses: '\)' without '\('/);
  const open = lexError("a A 1.2.3.4\nb TXT ( x\n y\n");
  assert.equal(open.line, 4);
  assert.match(open.message, /'\(' on line 2 is not closed/);
});

test("starts counting at the given first line", () => {
  const lx = new ZoneLexer("x y\n", "t.zone", 42);
  assert.ok(lx.next());
  assert.equal(lx.line, 42);
  assert.equal(lx.lines[0], 42);
});
