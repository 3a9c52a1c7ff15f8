/**
 * Dovecot's doveadm (Debian package dovecot-core, pulled in by dovecot-imapd) as an oracle
 * over a Maildir we wrote: a private config in a test directory, run as "nobody" because
 * doveadm refuses root.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The uid and gid doveadm runs as; the Maildir must be handed to it (chownToDovecot). */
export const NOBODY = "65534";

/** Writes `dir`/dovecot.conf for a Maildir at `maildir` (no TLS, logs to stderr). */
export async function writeDovecotConfig(dir: string, maildir: string): Promise<void> {
  await writeFile(
    join(dir, "dovecot.conf"),
    [
      `mail_location = maildir:${maildir}`,
      "ssl = no",
      "log_path = /dev/stderr",
      `base_dir = ${join(dir, "run")}`,
      `state_dir = ${join(dir, "state")}`,
      "",
    ].join("\n"),
  );
}

/** Hands `path` (recursively) to the user doveadm runs as. */
export function chownToDovecot(path: string): void {
  execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, path]);
}

/** Runs doveadm with `dir`'s config; returns its output. */
export function doveadm(dir: string, args: readonly string[], encoding: BufferEncoding = "utf8"): string {
  return execFileSync(
    "doveadm",
    ["-c", join(dir, "dovecot.conf"), "-o", `mail_uid=${NOBODY}`, "-o", `mail_gid=${NOBODY}`, ...args],
    { encoding, env: { ...process.env, HOME: dir, USER: "portico" }, timeout: 30_000 },
  );
}
