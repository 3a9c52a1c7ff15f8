import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The installed command, as a user runs it. */
export const PORTICO = resolve(import.meta.dirname, "../../../bin/portico.js");

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `portico ARGS` in `cwd` to completion, with `input` on stdin. */
export function runPortico(
  args: readonly string[],
  options: { cwd: string; input?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [PORTICO, ...args], { cwd: options.cwd, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Starts `portico ARGS` and resolves once its standard output contains `ready`. */
export function startPortico(
  args: readonly string[],
  options: { cwd: string; ready?: string | RegExp; timeoutMs?: number },
): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<RunResult> }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [PORTICO, ...args], {
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<RunResult>((done) => {
      child.on("close", (code, signal) => {
        done({ code, signal, stdout, stderr });
      });
    });
    const ready = options.ready ?? "Stop with";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`portico did not get ready in time; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (typeof ready === "string" ? stdout.includes(ready) : ready.test(stdout)) {
        clearTimeout(timer);
        resolvePromise({ child, stdout: () => stdout, stderr: () => stderr, exited });
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    void exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`portico exited (${r.code ?? r.signal}) before it was ready; stderr: ${r.stderr}`));
    });
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix = "portico-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A port on 127.0.0.1 that is free for both TCP and UDP right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((done, fail) => {
      const server = createServer();
      server.once("error", fail);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => {
          done(typeof address === "object" && address ? address.port : 0);
        });
      });
    });
    const udpFree = await new Promise<boolean>((done) => {
      const socket = createSocket("udp4");
      socket.once("error", () => {
        socket.close();
        done(false);
      });
      socket.bind(port, "127.0.0.1", () => {
        socket.close();
        done(true);
      });
    });
    if (udpFree) return port;
  }
}
