import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { REDACT_RULES, REDACTED, redactSaslResponse, Redactor } from "./redact.js";

void describe("Redactor", () => {
  void it("SMTP: hides the initial response of AUTH, keeps the mechanism", () => {
    const smtp = new Redactor(REDACT_RULES.smtp);
    assert.equal(smtp.redact("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="), "AUTH PLAIN ***");
    assert.equal(smtp.redact("auth login dGlt"), "auth login ***");
    assert.equal(smtp.redact("AUTH LOGIN"), "AUTH LOGIN", "nothing secret yet");
    assert.equal(smtp.redact("MAIL FROM:<a@b>"), "MAIL FROM:<a@b>");
    assert.equal(smtp.redact(""), "");
  });

  void it("POP3: hides PASS whole, spaces and all", () => {
    const pop3 = new Redactor(REDACT_RULES.pop3);
    assert.equal(pop3.redact("PASS my secret pass"), `PASS ${REDACTED}`);
    assert.equal(pop3.redact("USER tim"), "USER tim");
    assert.equal(pop3.redact("APOP mrose c4c9334bac560ecc979e58001b3e22fb"), "APOP mrose ***");
    assert.equal(pop3.redact("AUTH PLAIN AHRpbQBwdw=="), "AUTH PLAIN ***");
    assert.equal(pop3.redact("PASS"), "PASS");
  });

  void it("IMAP: skips the tag and understands quoted strings", () => {
    const imap = new Redactor(REDACT_RULES.imap);
    assert.equal(imap.redact("a001 LOGIN SMITH SESAME"), "a001 LOGIN SMITH ***");
    assert.equal(imap.redact('a002 login "John Smith" "open sesame"'), 'a002 login "John Smith" ***');
    assert.equal(imap.redact('a003 LOGIN "J \\"Q\\" Smith" pw'), 'a003 LOGIN "J \\"Q\\" Smith" ***');
    assert.equal(imap.redact('a004 LOGIN "unterminated pw'), "a004 LOGIN ***", "unclear: hide it all");
    assert.equal(imap.redact("a005 AUTHENTICATE PLAIN AHRpbQBwdw=="), "a005 AUTHENTICATE PLAIN ***");
    assert.equal(imap.redact("a006 SELECT INBOX"), "a006 SELECT INBOX");
    assert.equal(imap.redact("LOGIN user pw"), "LOGIN user pw", "the first word is the tag");
  });

  void it("FTP: hides PASS and ACCT, not AUTH TLS", () => {
    const ftp = new Redactor(REDACT_RULES.ftp);
    assert.equal(ftp.redact("PASS hunter2"), "PASS ***");
    assert.equal(ftp.redact("ACCT billing-42"), "ACCT ***");
    assert.equal(ftp.redact("AUTH TLS"), "AUTH TLS");
  });

  void it("takes custom rules", () => {
    const telnetLike = new Redactor({ rules: [{ verb: "secret", keep: 2 }] });
    assert.equal(telnetLike.redact("SECRET a\tb  c d"), "SECRET a\tb  ***");
    assert.throws(() => new Redactor({ rules: [{ verb: "X", keep: -1 }] }), RangeError);
  });
});

void describe("redactSaslResponse", () => {
  void it("hides every response line but the cancellation", () => {
    assert.equal(redactSaslResponse("dGVzdAB0ZXN0ADEyMzQ="), REDACTED);
    assert.equal(redactSaslResponse(""), REDACTED);
    assert.equal(redactSaslResponse("*"), "*");
  });
});
