/**
 * Replies of the numeric-code protocols (SMTP, FTP; RFC 5321 §4.2, RFC 959 §4.2): formatting
 * for servers. The matching parser for clients is {@link ReplyParser}.
 */

/**
 * RFC 3463 §2 status-code = class "." subject "." detail; class 2/4/5, subject and detail
 * 1*3digit "without leading zero digits".
 */
const ENHANCED_CODE = /^[245]\.(?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2})$/;

/** True if `text` is an RFC 3463 enhanced status code such as `2.1.0`. */
export function isEnhancedStatusCode(text: string): boolean {
  return ENHANCED_CODE.test(text);
}

const LINE_BREAK = /[\r\n]/;

/**
 * Formats a reply: one line per entry of `lines`, `250-` on all but the last, `250 ` on the
 * last (RFC 5321 §4.2.1, the multi-line format). With `enhanced` (RFC 2034 §4), the code is
 * put at the start of the text of every line, as RFC 2034 requires for continued replies.
 *
 * ```ts
 * formatReply(250, ["mx.example.org", "PIPELINING", "8BITMIME"]);
 * // "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
 * formatReply(550, "Mailbox unavailable", "5.1.1"); // "550 5.1.1 Mailbox unavailable\r\n"
 * ```
 *
 * An empty text gives `334 ` — the space is kept, since RFC 4954 §4 defines an empty SASL
 * challenge as exactly that and RFC 5321 §4.2 says servers SHOULD send it.
 *
 * Throws RangeError for a code outside 100–599, a malformed enhanced code or one whose class
 * is not the reply's first digit (RFC 2034 §4; so 3xx replies can carry none), and for text
 * containing CR or LF (which would let text inject a reply of its own).
 */
export function formatReply(code: number, lines: string | readonly string[], enhanced?: string): string {
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new RangeError(`Cannot format reply: code must be an integer from 100 to 599, got ${code}`);
  }
  if (enhanced !== undefined) {
    if (!ENHANCED_CODE.test(enhanced)) {
      throw new RangeError(`Cannot format reply: "${enhanced}" is not an enhanced status code (RFC 3463)`);
    }
    if (enhanced.charCodeAt(0) - 0x30 !== Math.floor(code / 100)) {
      throw new RangeError(
        `Cannot format reply: enhanced code ${enhanced} does not agree with reply code ${code}`,
      );
    }
  }
  const texts = typeof lines === "string" ? [lines] : lines;
  const count = texts.length === 0 ? 1 : texts.length;
  let out = "";
  for (let i = 0; i < count; i++) {
    const text = texts[i] ?? "";
    if (LINE_BREAK.test(text)) {
      throw new RangeError("Cannot format reply: a line of text contains CR or LF");
    }
    out += `${code}${i === count - 1 ? " " : "-"}`;
    if (enhanced === undefined) out += text;
    else out += text === "" ? enhanced : `${enhanced} ${text}`;
    out += "\r\n";
  }
  return out;
}
