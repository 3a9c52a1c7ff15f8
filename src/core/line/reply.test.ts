import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatReply, isEnhancedStatusCode } from "./reply.js";

void describe("formatReply", () => {
  void it("formats one line", () => {
    assert.equal(formatReply(250, "OK"), "250 OK\r\n");
    assert.equal(formatReply(221, ["Bye"]), "221 Bye\r\n");
  });

  void it("formats a multi-line reply (RFC 5321 §4.2.1)", () => {
    assert.equal(
      formatReply(250, ["First line", "Second line", "234 Text beginning with numbers", "The last line"]),
      "250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The last line\r\n",
    );
  });

  void it("puts the enhanced code on every line (RFC 2034 §4)", () => {
    assert.equal(formatReply(250, "Originator ok", "2.1.0"), "250 2.1.0 Originator ok\r\n");
    assert.equal(
      formatReply(
        551,
        ["Forwarding to remote hosts disabled", "Select another host to act as your forwarder"],
        "5.7.1",
      ),
      "551-5.7.1 Forwarding to remote hosts disabled\r\n551 5.7.1 Select another host to act as your forwarder\r\n",
    );
    assert.equal(formatReply(250, "", "2.0.0"), "250 2.0.0\r\n");
  });

  void it("keeps the space of an empty text (RFC 4954 §4: `334 `)", () => {
    assert.equal(formatReply(334, ""), "334 \r\n");
    assert.equal(formatReply(334, []), "334 \r\n");
  });

  void it("formats FTP's 1yz codes", () => {
    assert.equal(formatReply(150, "Opening data connection"), "150 Opening data connection\r\n");
  });

  void it("refuses what would break the framing or the rules", () => {
    assert.throws(() => formatReply(250, "a\r\n250 injected"), RangeError);
    assert.throws(() => formatReply(250, ["ok", "bare\n"]), RangeError);
    assert.throws(() => formatReply(600, "x"), RangeError);
    assert.throws(() => formatReply(99, "x"), RangeError);
    assert.throws(() => formatReply(250.5, "x"), RangeError);
    assert.throws(() => formatReply(250, "x", "5.1.1"), RangeError, "class disagrees with the code");
    assert.throws(() => formatReply(354, "x", "3.0.0"), RangeError, "3xx replies carry none");
    assert.throws(() => formatReply(250, "x", "2.01.0"), RangeError, "no leading zeros");
    assert.throws(() => formatReply(250, "x", "2.1000.0"), RangeError);
  });
});

void describe("isEnhancedStatusCode", () => {
  void it("follows RFC 3463 §2", () => {
    for (const good of ["2.0.0", "4.7.12", "5.1.1", "2.1.23", "5.999.999"])
      assert.ok(isEnhancedStatusCode(good), good);
    for (const bad of ["3.0.0", "2.0", "2.0.0.0", "2.00.0", "2.0.01", "2.0.0 ", "x.0.0", ""]) {
      assert.ok(!isEnhancedStatusCode(bad), bad);
    }
  });
});
