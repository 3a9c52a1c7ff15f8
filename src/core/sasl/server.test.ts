import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startSasl } from "./server.js";
import type { SaslStep } from "./types.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

function done(authzid: string, username: string, password: string): SaslStep {
  return { kind: "done", credentials: { authzid, username, password } };
}

function assertError(step: SaslStep, reason: string, secret?: string): void {
  assert.equal(step.kind, "error");
  assert.equal(step.reason, reason);
  assert.match(step.message, /^Cannot authenticate: /);
  if (secret !== undefined) assert.ok(!step.message.includes(secret), "the message quotes no secret");
}

void describe("startSasl PLAIN", () => {
  void it("authenticates RFC 4616 §4's first example (no initial response)", () => {
    const auth = startSasl("PLAIN");
    assert.deepEqual(auth.first, { kind: "challenge", data: "" });
    assert.equal(auth.finished, false);
    assert.deepEqual(auth.step(b64("\0tim\0tanstaaftanstaaf")), done("tim", "tim", "tanstaaftanstaaf"));
    assert.equal(auth.finished, true);
    assert.throws(() => auth.step("AAAA"), TypeError);
  });

  void it("refuses RFC 4616 §4's second example: Kurt may not act as Ursel", () => {
    const auth = startSasl("PLAIN", b64("Ursel\0Kurt\0xipj3plmq"));
    assertError(auth.first, "authzid-not-allowed", "xipj3plmq");
    assert.equal(auth.finished, true);
  });

  void it("lets the caller allow an authzid", () => {
    const calls: string[][] = [];
    const allowAuthzid = (authzid: string, username: string): boolean => {
      calls.push([authzid, username]);
      return true;
    };
    assert.deepEqual(
      startSasl("PLAIN", b64("Ursel\0Kurt\0xipj3plmq"), { allowAuthzid }).first,
      done("Ursel", "Kurt", "xipj3plmq"),
    );
    assert.deepEqual(calls, [["Ursel", "Kurt"]]);
    // An authzid equal to the username needs no permission.
    assert.deepEqual(
      startSasl("PLAIN", b64("tim\0tim\0pw"), { allowAuthzid: () => false }).first,
      done("tim", "tim", "pw"),
    );
  });

  void it("takes RFC 4954 §4.1's initial response", () => {
    assert.deepEqual(startSasl("plain", "dGVzdAB0ZXN0ADEyMzQ=").first, done("test", "test", "1234"));
  });

  void it('reads "=" as an empty initial response, which PLAIN refuses (RFC 4954 §4)', () => {
    assertError(startSasl("PLAIN", "=").first, "malformed");
    assertError(startSasl("PLAIN", "").first, "invalid-base64");
  });

  void it('cancels on "*" (RFC 4954 §4)', () => {
    const auth = startSasl("PLAIN");
    assertError(auth.step("*"), "cancelled");
    assert.equal(auth.finished, true);
  });

  void it("refuses base64 that is not strict", () => {
    for (const line of [
      "=AAA",
      "AAA=BBBB",
      "dGVzdAB0ZXN0ADEyMzQ",
      " dGVzdAB0ZXN0ADEyMzQ=",
      "dGVz dAB0ZXN0ADEyMzQ=",
    ]) {
      assertError(startSasl("PLAIN").step(line), "invalid-base64");
      assertError(startSasl("PLAIN", line).first, "invalid-base64");
    }
  });

  void it("refuses a message without two NULs, with more, or with empty fields", () => {
    const bad = ["tim", "tim\0secret", "\0\0secret", "\0tim\0", "a\0tim\0sec\0ret", "\0tim\0pw\0", ""];
    for (const message of bad) {
      assertError(startSasl("PLAIN", message === "" ? "=" : b64(message)).first, "malformed", "secret");
      assertError(startSasl("PLAIN").step(b64(message)), "malformed");
    }
  });

  void it("validates UTF-8 in every field", () => {
    const utf8 = Buffer.concat([Buffer.from("\0"), Buffer.from("jürgen"), Buffer.from("\0pässwörd")]);
    assert.deepEqual(startSasl("PLAIN", utf8.toString("base64")).first, done("jürgen", "jürgen", "pässwörd"));
    const invalid = [
      Buffer.from([0x00, 0x61, 0x00, 0xc3]), // truncated sequence
      Buffer.from([0x00, 0x61, 0x00, 0xc0, 0xaf]), // overlong "/"
      Buffer.from([0x00, 0xed, 0xa0, 0x80, 0x00, 0x61]), // surrogate
      Buffer.from([0xff, 0x00, 0x61, 0x00, 0x61]), // not UTF-8 at all, in the authzid
    ];
    for (const message of invalid)
      assertError(startSasl("PLAIN", message.toString("base64")).first, "malformed");
    // A BOM is a character like any other, not something to strip.
    const bom = Buffer.concat([Buffer.from("\0"), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("u\0p")]);
    assert.deepEqual(startSasl("PLAIN", bom.toString("base64")).first, done("\ufeffu", "\ufeffu", "p"));
  });

  void it("accepts fields of 255 octets (RFC 4616 §2: MUST)", () => {
    const long = "x".repeat(255);
    assert.deepEqual(startSasl("PLAIN", b64(`${long}\0${long}\0${long}`)).first, done(long, long, long));
  });
});

void describe("startSasl LOGIN", () => {
  void it('prompts "Username:" then "Password:"', () => {
    const auth = startSasl("LOGIN");
    assert.deepEqual(auth.first, { kind: "challenge", data: b64("Username:") });
    assert.deepEqual(auth.step(b64("user2@organization.test")), {
      kind: "challenge",
      data: b64("Password:"),
    });
    assert.deepEqual(
      auth.step(b64("s3cret")),
      done("user2@organization.test", "user2@organization.test", "s3cret"),
    );
    assert.equal(auth.finished, true);
    assert.throws(() => auth.step(b64("again")), TypeError);
  });

  void it("takes an initial response as the username", () => {
    const auth = startSasl("login", b64("tim"));
    assert.deepEqual(auth.first, { kind: "challenge", data: b64("Password:") });
    assert.deepEqual(auth.step(b64("pw")), done("tim", "tim", "pw"));
  });

  void it("cancels on * at either prompt", () => {
    assertError(startSasl("LOGIN").step("*"), "cancelled");
    const auth = startSasl("LOGIN");
    auth.step(b64("tim"));
    assertError(auth.step("*"), "cancelled");
  });

  void it("refuses bad base64, empty fields, NUL and invalid UTF-8", () => {
    const cases = ["", b64("a\0b"), Buffer.from([0xc3]).toString("base64")];
    for (const line of cases) assertError(startSasl("LOGIN").step(line), "malformed");
    assertError(startSasl("LOGIN").step("dGlt="), "invalid-base64");
    assertError(startSasl("LOGIN", "=").first, "malformed");
    const auth = startSasl("LOGIN");
    auth.step(b64("tim"));
    assertError(auth.step(b64("secret\0")), "malformed", "secret");
  });
});

void describe("startSasl, other mechanisms", () => {
  void it("refuses what it does not implement", () => {
    const auth = startSasl("CRAM-MD5");
    assert.equal(auth.mechanism, "CRAM-MD5");
    assertError(auth.first, "unsupported-mechanism");
    assert.equal(auth.finished, true);
    assert.throws(() => auth.step(""), TypeError);
  });
});
