import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { err, isError, multiline, ok, parseCommand, parseNumbers, RESP_CODES, trimArgs } from "./codec.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

void describe("parseCommand", () => {
  void it("splits keyword and arguments in place, upper-casing the keyword (RFC 1939 §3)", () => {
    const line = bytes("retr 12");
    const command = parseCommand(line);
    assert.equal(command?.verb, "RETR");
    assert.equal(command.args.toString(), "12");
    assert.equal(command.args.buffer, line.buffer, "a view, not a copy");
    assert.deepEqual(parseCommand(bytes("CAPA")), { verb: "CAPA", args: Buffer.alloc(0) });
    assert.equal(parseCommand(bytes("TOP 1 2"))?.verb, "TOP");
    assert.equal(parseCommand(bytes("PASS  two  spaces "))?.args.toString(), " two  spaces ");
    assert.equal(parseCommand(bytes("NOOP "))?.args.length, 0);
  });

  void it("takes only 3-4 letter keywords", () => {
    for (const line of ["", "AB", "ABCDE", "ABCDE x", " STAT", "ST4T", "STAT\t1", "ÉTAT", "LI\0T"]) {
      assert.equal(parseCommand(bytes(line)), undefined, JSON.stringify(line));
    }
  });
});

void describe("parseNumbers", () => {
  void it("reads 1*DIGIT arguments, tolerating extra spaces", () => {
    assert.deepEqual(parseNumbers(bytes(""), 0, 1), []);
    assert.deepEqual(parseNumbers(bytes("7"), 0, 1), [7]);
    assert.deepEqual(parseNumbers(bytes("  1   20 "), 2, 2), [1, 20]);
    assert.deepEqual(parseNumbers(bytes("007"), 1, 1), [7]);
    assert.deepEqual(parseNumbers(bytes("0"), 1, 1), [0]);
    assert.deepEqual(parseNumbers(bytes("123456789012345678901234"), 1, 1), [Number.MAX_SAFE_INTEGER]);
    assert.deepEqual(
      parseNumbers(bytes("000000000000000000000003"), 1, 1),
      [3],
      "leading zeros are no digits",
    );
  });

  void it("refuses signs, other characters and a wrong count", () => {
    for (const [text, min, max] of [
      ["-1", 1, 1],
      ["+1", 1, 1],
      ["1x", 1, 1],
      ["1.5", 1, 1],
      ["1 2", 1, 1],
      ["", 1, 1],
      ["1", 2, 2],
      ["0x10", 1, 1],
    ] as const) {
      assert.equal(parseNumbers(bytes(text), min, max), undefined, text);
    }
  });
});

void describe("replies", () => {
  void it("formats +OK, -ERR with RFC 2449 §8 codes, and dot-stuffed multi-line listings", () => {
    assert.equal(ok(), "+OK\r\n");
    assert.equal(ok("2 320"), "+OK 2 320\r\n");
    assert.equal(err("no such message"), "-ERR no such message\r\n");
    assert.equal(err("busy", RESP_CODES.inUse), "-ERR [IN-USE] busy\r\n");
    assert.equal(multiline("list", []), "+OK list\r\n.\r\n");
    assert.equal(multiline("x", ["1 120", ".dot", "."]), "+OK x\r\n1 120\r\n..dot\r\n..\r\n.\r\n");
    assert.equal(isError(err("x")), true);
    assert.equal(isError(ok()), false);
  });

  void it("refuses text that would break the framing or the 512-octet line", () => {
    assert.throws(() => ok("a\r\n+OK b"), RangeError);
    assert.throws(() => err("a\nb"), RangeError);
    assert.throws(() => multiline("x", ["a\r"]), RangeError);
    assert.throws(() => ok("x".repeat(507)), RangeError);
    assert.equal(ok("x".repeat(506)).length, 512);
    assert.throws(() => err("x".repeat(506)), RangeError);
    assert.equal(err("x".repeat(505)).length, 512);
  });

  void it("trims arguments without copying", () => {
    const args = bytes(" \t1 2\t ");
    assert.equal(trimArgs(args).toString(), "1 2");
    const clean = bytes("1");
    assert.equal(trimArgs(clean), clean);
  });
});
