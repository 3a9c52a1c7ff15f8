import { UsageError } from "./errors.js";

/** Reads all of standard input (for `--password-stdin`): the first line, without its newline. */
export async function readFirstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  if (line === "") throw new UsageError("Cannot read a password: standard input is empty");
  return line;
}

/** Asks for a password on the terminal without echoing it. */
export async function promptPassword(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new UsageError("Cannot prompt for a password: no terminal; use --password-stdin");
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let password = "";
  try {
    for await (const chunk of stdin) {
      for (const ch of (chunk as Buffer).toString("utf8")) {
        if (ch === "\r" || ch === "\n") return password;
        if (ch === "\u0003") throw new UsageError("Cancelled");
        if (ch === "\u007f" || ch === "\b") password = password.slice(0, -1);
        else password += ch;
      }
    }
    return password;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}
