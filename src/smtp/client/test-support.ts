/**
 * Postfix's `smtp-sink` (Debian package `postfix`) as a test server for the client: started
 * on 127.0.0.1 on a random high port (it cannot take port 0), optionally dumping each message
 * it receives into a directory.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running smtp-sink. */
export interface RunningSink {
  readonly port: number;
  /** The dumped messages so far (with `dump: true`), each the file's text. */
  messages(): Promise<string[]>;
  stop(): Promise<void>;
}

const SINK = "/usr/sbin/smtp-sink";

/** Starts smtp-sink with extra `args` (`["-r", "MAIL"]`, `["-f", "RCPT"]`, …). */
export async function startSmtpSink(
  args: readonly string[] = [],
  options: { dump?: boolean; port?: number } = {},
): Promise<RunningSink> {
  if (!existsSync(SINK))
    throw new Error("Cannot start smtp-sink: it is not installed (apt-get install postfix)");
  const dir = await mkdtemp(join(tmpdir(), "portico-sink-"));
  await chmod(dir, 0o777);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? 20_000 + Math.floor(Math.random() * 40_000);
    const dump = options.dump === true ? ["-d", `${dir}/%H%M%S.`] : [];
    const child = spawn(SINK, ["-u", "postfix", ...dump, ...args, `127.0.0.1:${port}`, "64"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        resolve();
      }),
    );
    try {
      await waitForPort(port, exited);
      return {
        port,
        messages: async () => {
          const files = (await readdir(dir)).sort();
          return Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
        },
        stop: async () => {
          child.kill();
          await exited;
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      child.kill();
      await exited;
      lastError = new Error(`Cannot start smtp-sink: ${(error as Error).message} ${stderr}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function waitForPort(port: number, exited: Promise<void>): Promise<void> {
  const state = { gone: false };
  void exited.then(() => {
    state.gone = true;
  });
  for (let i = 0; i < 100; i++) {
    if (state.gone) throw new Error("it exited");
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => {
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("it did not listen within 5 s");
}
