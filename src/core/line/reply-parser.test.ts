import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../errors.js";
import { ReplyParser } from "./reply-parser.js";
import type { Reply, ReplyParserOptions } from "./reply-parser.js";
import { formatReply } from "./reply.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

function parse(chunks: readonly Buffer[] | string, options?: ReplyParserOptions): Reply[] {
  const parser = new ReplyParser(options);
  const replies: Reply[] = [];
  for (const chunk of typeof chunks === "string" ? [bytes(chunks)] : chunks) {
    parser.push(chunk);
    for (const reply of parser) replies.push(reply);
  }
  return replies;
}

void describe("ReplyParser", () => {
  void it("parses single and multi-line replies (RFC 5321 §4.2.1)", () => {
    assert.deepEqual(
      parse("220 mx.example.org ESMTP\r\n250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
      [
        { code: 220, lines: ["mx.example.org ESMTP"] },
        { code: 250, lines: ["mx.example.org", "PIPELINING", "8BITMIME"] },
      ],
    );
  });

  void it("accepts a code alone, with or without its space (RFC 5321 §4.2)", () => {
    assert.deepEqual(parse("354\r\n334 \r\n250-a\r\n250\r\n"), [
      { code: 354, lines: [""] },
      { code: 334, lines: [""] },
      { code: 250, lines: ["a", ""] },
    ]);
  });

  void it("separates the enhanced status code (RFC 2034 §4)", () => {
    assert.deepEqual(
      parse("551-5.7.1 Forwarding disabled\r\n551 5.7.1 Select another host\r\n250 2.0.0\r\n"),
      [
        { code: 551, enhanced: "5.7.1", lines: ["Forwarding disabled", "Select another host"] },
        { code: 250, enhanced: "2.0.0", lines: [""] },
      ],
    );
    // Not one when the class disagrees, nor when switched off.
    assert.deepEqual(parse("250 5.0.0 odd\r\n"), [{ code: 250, lines: ["5.0.0 odd"] }]);
    assert.deepEqual(parse("250 2.0.0 ok\r\n", { enhancedStatusCodes: false }), [
      { code: 250, lines: ["2.0.0 ok"] },
    ]);
  });

  void it("round-trips formatReply", () => {
    const wire = formatReply(250, ["one", "two", ""], "2.1.5") + formatReply(502, "Command not implemented");
    assert.deepEqual(parse(wire), [
      { code: 250, enhanced: "2.1.5", lines: ["one", "two", ""] },
      { code: 502, lines: ["Command not implemented"] },
    ]);
  });

  void it("gives the same replies at every split point, bare LF included", () => {
    const input = bytes("250-first\r\n250-second\n250 2.0.0 last\r\n421 bye\r\n");
    const expected = parse([input]);
    assert.equal(expected.length, 2);
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        assert.deepEqual(parse([input.subarray(0, a), input.subarray(a, b), input.subarray(b)]), expected);
      }
    }
  });

  void it("throws ProtocolError for a malformed reply, and keeps throwing", () => {
    for (const bad of [
      "hello\r\n",
      "25\r\n",
      "2500 x\r\n",
      "250x\r\n",
      "650 x\r\n",
      "250-a\r\n251 b\r\n",
      "\r\n",
    ]) {
      const parser = new ReplyParser();
      parser.push(bytes(bad));
      assert.throws(() => parser.next(), ProtocolError, JSON.stringify(bad));
      parser.push(bytes("250 ok\r\n"));
      assert.throws(() => parser.next(), ProtocolError, "the failure is final");
    }
  });

  void it("throws for a line over the cap", () => {
    const parser = new ReplyParser({ maxLineLength: 10 });
    parser.push(bytes("250 this is far too long\r\n"));
    assert.throws(() => parser.next(), ProtocolError);
  });

  void it("keeps at most maxLines lines and reads the rest (RFC 1123 §4.1.2.11)", () => {
    assert.deepEqual(parse("250-a\r\n250-b\r\n250-c\r\n250 d\r\n220 next\r\n", { maxLines: 2 }), [
      { code: 250, lines: ["a", "b"] },
      { code: 220, lines: ["next"] },
    ]);
  });

  void it("tells when a reply is under way", () => {
    const parser = new ReplyParser();
    parser.push(bytes("250-a\r\n"));
    assert.equal(parser.next(), null);
    assert.equal(parser.inReply, true);
    parser.push(bytes("250 b\r\n"));
    assert.deepEqual(parser.next(), { code: 250, lines: ["a", "b"] });
    assert.equal(parser.inReply, false);
  });

  void it("discards what arrived with the STARTTLS go-ahead", () => {
    const parser = new ReplyParser();
    parser.push(bytes("220 go ahead\r\n250 injected\r\n"));
    assert.deepEqual(parser.next(), { code: 220, lines: ["go ahead"] });
    assert.equal(parser.discardBuffered(), 14);
    assert.equal(parser.next(), null);
  });

  void describe("FTP style (RFC 959 §4.2)", () => {
    void it("takes free text between the first and the last line", () => {
      const input =
        "123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n";
      assert.deepEqual(parse(input, { style: "ftp" }), [
        {
          code: 123,
          lines: ["First line", "Second line", "  234 A line beginning with numbers", "The last line"],
        },
      ]);
    });

    void it("strips the code from lines that repeat it", () => {
      assert.deepEqual(parse("211-Features:\r\n EPRT\r\n211-UTF8\r\n211 End\r\n", { style: "ftp" }), [
        { code: 211, lines: ["Features:", " EPRT", "UTF8", "End"] },
      ]);
    });

    void it("does not look for enhanced codes", () => {
      assert.deepEqual(parse("250 2.0.0 ok\r\n", { style: "ftp" }), [{ code: 250, lines: ["2.0.0 ok"] }]);
    });

    void it("still requires the code on the first line", () => {
      const parser = new ReplyParser({ style: "ftp" });
      parser.push(bytes("Features\r\n"));
      assert.throws(() => parser.next(), ProtocolError);
    });
  });

  void it("rejects bad options", () => {
    assert.throws(() => new ReplyParser({ style: "pop3" as "ftp" }), RangeError);
    assert.throws(() => new ReplyParser({ maxLines: 0 }), RangeError);
  });
});
