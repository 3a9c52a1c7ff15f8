/**
 * Wire tests against fetchmail (Debian package `fetchmail`), the classic POP3 retrieval
 * client: it fetches every message into an MDA, over STLS (which it starts on its own when
 * CAPA offers it) or POP3S, deleting them (`nokeep`) or keeping them and remembering their
 * UIDLs between runs (`keep` + `uidl`).
 */
import assert from "node:assert/strict";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PASSWORD, run, start, USER } from "./support.js";

interface Fetch {
  readonly code: number;
  readonly output: string;
}

/** Runs fetchmail once (not as a daemon) with an rc file for `port`, messages to `out`. */
async function fetchmail(
  home: string,
  port: number,
  options: { readonly ssl: boolean; readonly keep: boolean },
): Promise<Fetch> {
  const out = join(home, "out");
  const rc = join(home, "fetchmailrc");
  await writeFile(
    rc,
    [
      "set no bouncemail",
      "set no syslog",
      `poll 127.0.0.1 service ${port} protocol pop3${options.keep ? " uidl" : ""}`,
      `  user "${USER}" there with password "${PASSWORD}" is "root" here`,
      // The server's certificate is self-signed; fetchmail checks certificates by default.
      // fetchall only without keep: with keep, fetchmail skips messages whose UIDL it has seen.
      `  options ${options.keep ? "keep" : "nokeep fetchall"} no sslcertck${options.ssl ? " ssl" : ""}`,
      `  mda "cat >> ${out}; echo ==END== >> ${out}"`,
      "",
    ].join("\n"),
  );
  // fetchmail refuses an rc file that others may read.
  await chmod(rc, 0o600);
  const args = ["-f", rc, "--idfile", join(home, "fetchids"), "--nodetach", "-v"];
  try {
    const { stdout, stderr } = await run("fetchmail", args, {
      env: { ...process.env, HOME: home },
      timeout: 20_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** The messages the MDA received, their Received: line from fetchmail removed. */
async function delivered(home: string): Promise<string[]> {
  const text = await readFile(join(home, "out"), "utf8").catch(() => "");
  return text
    .split("==END==\n")
    .filter((m) => m !== "")
    .map((m) => m.replace(/^Received: [^\n]*\n(?:\t[^\n]*\n)*/, ""));
}

describe("POP3 server with fetchmail", () => {
  test("fetches all mail over STLS into an MDA and deletes it (nokeep)", async (t) => {
    const { port, dir, put, inbox, traces } = await start(t);
    await put("Subject: one\r\n\r\nfirst\r\n");
    await put("Subject: two\r\n\r\n.leading dot\r\n..two dots\r\nlast\r\n");
    const result = await fetchmail(dir, port, { ssl: false, keep: false });
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(await delivered(dir), [
      "Subject: one\n\nfirst\n",
      "Subject: two\n\n.leading dot\n..two dots\nlast\n",
    ]);
    assert.deepEqual(await inbox(), []);
    const client = traces.filter((e) => e.direction === "C").map((e) => e.line);
    assert.ok(client.includes("STLS"), client.join("\n"));
    assert.ok(client.includes("PASS ***") || client.includes("***"), client.join("\n"));
  });

  test("over POP3S with keep: UIDL stays the same between runs, so only new mail is fetched", async (t) => {
    const { tlsPort, dir, put, inbox } = await start(t);
    await put("Subject: one\r\n\r\nfirst\r\n");
    const first = await fetchmail(dir, tlsPort, { ssl: true, keep: true });
    assert.equal(first.code, 0, first.output);
    assert.equal((await delivered(dir)).length, 1);
    const second = await fetchmail(dir, tlsPort, { ssl: true, keep: true });
    assert.equal(second.code, 1, `nothing new: ${second.output}`); // fetchmail's PS_NOMAIL
    await put("Subject: two\r\n\r\nsecond\r\n");
    const third = await fetchmail(dir, tlsPort, { ssl: true, keep: true });
    assert.equal(third.code, 0, third.output);
    assert.deepEqual(await delivered(dir), ["Subject: one\n\nfirst\n", "Subject: two\n\nsecond\n"]);
    // With keep, fetchmail reads with "TOP n 99999999" so as not to mark the mail read: TOP
    // leaves \Seen alone (as Dovecot's does), and the server sends the whole message.
    assert.match(third.output, /POP3> TOP 2 99999999\n/);
    assert.doesNotMatch(third.output, /POP3> (?:TOP|RETR) 1 /, "message 1 is known by its UIDL");
    assert.deepEqual(
      (await inbox()).map((m) => [m.uid, m.flags]),
      [
        [1, []],
        [2, []],
      ],
    );
  });
});
