import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSaslClient, SASL_CANCEL } from "./client.js";
import { encodePlain } from "./plain.js";
import { startSasl } from "./server.js";
import type { SaslMechanism, SaslStep } from "./types.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

void describe("encodePlain", () => {
  void it("encodes RFC 4954 §4.1's example", () => {
    assert.equal(encodePlain("test", "1234", "test"), "dGVzdAB0ZXN0ADEyMzQ=");
    assert.equal(
      Buffer.from(encodePlain("tim", "tanstaaftanstaaf"), "base64").toString(),
      "\0tim\0tanstaaftanstaaf",
    );
  });

  void it("refuses what PLAIN cannot carry", () => {
    assert.throws(() => encodePlain("", "pw"), RangeError);
    assert.throws(() => encodePlain("u", ""), RangeError);
    assert.throws(() => encodePlain("u\0v", "pw"), RangeError);
    assert.throws(() => encodePlain("u", "p\0w"), RangeError);
    assert.throws(() => encodePlain("u", "pw", "a\0"), RangeError);
  });
});

void describe("createSaslClient", () => {
  void it("PLAIN: sends the initial response and nothing more", () => {
    const client = createSaslClient("PLAIN", { username: "tim", password: "tanstaaftanstaaf" });
    assert.equal(client.initialResponse(), b64("\0tim\0tanstaaftanstaaf"));
    assert.equal(client.respond(""), SASL_CANCEL, "a second challenge is not PLAIN");
  });

  void it("PLAIN: answers the empty challenge when no initial response went out", () => {
    const client = createSaslClient("PLAIN", { username: "tim", password: "pw", authzid: "admin" });
    assert.equal(client.respond(""), b64("admin\0tim\0pw"));
    assert.equal(client.respond(""), SASL_CANCEL);
  });

  void it("LOGIN: answers the prompts by their text, else by order", () => {
    const client = createSaslClient("LOGIN", { username: "tim", password: "pw" });
    assert.equal(client.initialResponse(), undefined);
    assert.equal(client.respond(b64("Password:")), b64("pw"));
    assert.equal(client.respond(b64("User Name")), b64("tim"));
    assert.equal(client.respond(b64("Username:")), SASL_CANCEL, "LOGIN has two prompts");

    const plain = createSaslClient("LOGIN", { username: "tim", password: "pw" });
    assert.equal(plain.respond(""), b64("tim"));
    assert.equal(plain.respond(b64("?")), b64("pw"));
  });

  void it("cancels on a challenge it cannot decode (RFC 4954 §4)", () => {
    assert.equal(
      createSaslClient("LOGIN", { username: "u", password: "p" }).respond("VXNlcm5hbWU6="),
      SASL_CANCEL,
    );
    assert.equal(createSaslClient("PLAIN", { username: "u", password: "p" }).respond("*"), SASL_CANCEL);
  });

  void it("refuses unusable credentials", () => {
    assert.throws(() => createSaslClient("LOGIN", { username: "", password: "p" }), RangeError);
    assert.throws(() => createSaslClient("LOGIN", { username: "u", password: "p\0" }), RangeError);
    assert.throws(
      () => createSaslClient("CRAM-MD5" as SaslMechanism, { username: "u", password: "p" }),
      RangeError,
    );
  });

  for (const mechanism of ["PLAIN", "LOGIN"] as const) {
    for (const useInitialResponse of [true, false]) {
      void it(`talks to the server side: ${mechanism}${useInitialResponse ? " with initial response" : ""}`, () => {
        const credentials = { username: "user2@organization.test", password: "s3cret wörd" };
        const client = createSaslClient(mechanism, credentials);
        const initial = useInitialResponse ? client.initialResponse() : undefined;
        const server = startSasl(mechanism, initial);
        let step: SaslStep = server.first;
        while (step.kind === "challenge") step = server.step(client.respond(step.data));
        assert.deepEqual(step, {
          kind: "done",
          credentials: { authzid: credentials.username, ...credentials },
        });
      });
    }
  }
});
