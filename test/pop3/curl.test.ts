/**
 * Wire tests of the POP3 server against curl: listing and RETR over pop3://, STLS with
 * --ssl-reqd, pop3s://, custom commands, SASL mechanisms, and a refused login.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PASSWORD, run, start, USER } from "./support.js";

const ONE = "Subject: one\r\n\r\nfirst\r\n";
const TWO = "Subject: two\r\n\r\n.leading dot\r\nsecond\r\n";

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await run("curl", ["-sS", "--max-time", "10", "-u", `${USER}:${PASSWORD}`, ...args], {
    timeout: 15_000,
  });
  return stdout;
}

describe("POP3 server with curl", () => {
  test("pop3://: LIST, RETR, UIDL; --ssl-reqd goes through STLS; pop3s:// is implicit TLS", async (t) => {
    const { port, tlsPort, put, traces } = await start(t);
    await put(ONE);
    await put(TWO);
    const base = `pop3://127.0.0.1:${port}`;
    assert.equal(await curl(`${base}/`), "1 23\r\n2 38\r\n");
    assert.equal(await curl(`${base}/2`), TWO, "dot-unstuffed by curl, byte for byte");
    assert.match(
      await curl(`${base}/`, "-X", "UIDL"),
      /^1 00000001[0-9a-f]{8}\r\n2 00000002[0-9a-f]{8}\r\n$/,
    );
    assert.equal(await curl("-k", "--ssl-reqd", `${base}/1`), ONE);
    assert.equal(await curl("-k", `pop3s://127.0.0.1:${tlsPort}/1`), ONE);
    assert.equal(await curl("--login-options", "AUTH=LOGIN", `${base}/1`), ONE);
    assert.equal(await curl("--sasl-ir", `${base}/1`), ONE);
    const client = traces.filter((e) => e.direction === "C").map((e) => e.line);
    for (const line of ["STLS", "AUTH PLAIN", "***", "AUTH LOGIN", "AUTH PLAIN ***"]) {
      assert.ok(client.includes(line), `${line} in\n${client.join("\n")}`);
    }
    assert.ok(!client.some((line) => line.includes(PASSWORD)));
  });

  test("DELE through curl takes effect at its QUIT; a wrong password is refused", async (t) => {
    const { port, put, inbox } = await start(t);
    await put(ONE);
    await put(TWO);
    await curl(`pop3://127.0.0.1:${port}/1`, "-X", "DELE", "-I");
    assert.deepEqual(
      (await inbox()).map((m) => m.uid),
      [2],
    );
    await assert.rejects(
      run("curl", ["-sS", "-u", `${USER}:wrong`, `pop3://127.0.0.1:${port}/`], { timeout: 15_000 }),
      (error: { code: number }) => error.code === 67, // CURLE_LOGIN_DENIED
    );
  });
});
