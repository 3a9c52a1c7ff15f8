import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Whether a program is on PATH. */
export async function have(program: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${program}`]);
    return true;
  } catch {
    return false;
  }
}

/** `a / b` as "1.23x", or "n/a". */
export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : "n/a";
}

/** A plain table: first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export { run };

/** Stops what a bench started, last first (reporting, not throwing, a failure), then removes `dir`. */
export async function tearDown(stops: readonly (() => Promise<void>)[], dir: string): Promise<void> {
  for (const stop of [...stops].reverse()) {
    await stop().catch((e: unknown) => {
      console.error(e);
    });
  }
  await rm(dir, { recursive: true, force: true });
}
