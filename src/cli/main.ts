import { parseArgs } from "node:util";
import { ConfigError } from "../core/errors.js";
import { checkPortico } from "../portico.js";
import { digCommand } from "./dig.js";
import { UsageError } from "./errors.js";
import { resolveOptions } from "./options.js";
import { demoCommand } from "./demo.js";
import { queueCommand } from "./queue.js";
import { sendCommand } from "./send.js";
import { START_HELP, startCommand } from "./start.js";
import { USER_HELP, userCommand } from "./user.js";

const HELP = `usage: portico COMMAND [OPTIONS]

  start [-c FILE]          run every service the config enables
  check-config [-c FILE]   validate a config file: exit 0, or 2 with FILE:LINE: key: problem
  user add|del|list|passwd ADDRESS [--password-stdin]
                           manage accounts
  queue list|show ID|flush|delete ID
                           the mail queue (works while the server runs)
  dig [@SERVER] [-p PORT] NAME [TYPE] [-x ADDR] [+tcp] [+short] [+norec]
                           DNS lookup, output like BIND's dig
  send --server HOST[:PORT] --from ADDR --to ADDR [--subject S] [--body T] [--user U]
                           send a message by SMTP (from stdin, or built); prints the reply
  demo [--port PORT] [--dir DIR]
                           the seeds' e-mail scenario on loopback, every exchange shown
  help                     this text

Add --debug to any command to see stack traces.`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  start: startCommand,
  "check-config": checkConfigCommand,
  user: userCommand,
  queue: queueCommand,
  demo: (args) => demoCommand(args),
  dig: digCommand,
  send: (args) => sendCommand(args),
  help: () => {
    console.log(HELP);
    return Promise.resolve(0);
  },
};

/**
 * Runs the `portico` command line and returns its exit status: 0 ok, 1 runtime failure,
 * 2 usage or config error. Errors are printed as one line (`--debug`: with the stack).
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`portico: unknown command "${name}"; run \`portico help\` for the list`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    return report(error, debug);
  }
}

function report(error: unknown, debug: boolean): number {
  if (debug) console.error(error);
  else if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error)
    console.error(error.message.startsWith("portico") ? error.message : `portico: ${error.message}`);
  else console.error(`portico: ${String(error)}`);
  if (error instanceof ConfigError || error instanceof UsageError) return 2;
  if ((error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return 2;
  return 1;
}

/** `portico check-config`: validation only. */
async function checkConfigCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string", short: "c" } } });
  const { options, source } = await resolveOptions(values.config);
  await checkPortico(options);
  console.log(`${source}: ok`);
  return 0;
}

export { HELP, START_HELP, USER_HELP };
