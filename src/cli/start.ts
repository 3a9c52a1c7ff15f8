import { parseArgs } from "node:util";
import { formatSocketAddress } from "../core/address.js";
import { createLogger, traceTo } from "../core/log.js";
import { startPortico } from "../portico.js";
import type { Endpoint } from "../service.js";
import { resolveOptions } from "./options.js";
import { defaultZoneFile } from "../core/config/load.js";
import { ensureDefaultZone } from "../core/default-zone.js";

export const START_HELP = `usage: portico start [-c FILE] [--trace] [--log-level LEVEL]
  Runs every service the config enables (without -c: ./portico.toml, else the embedded default).
  --trace prints every session's dialogue as C:/S: lines on standard error.`;

/** `portico start`: runs until SIGTERM/SIGINT, then stops gracefully and exits 0. */
export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      trace: { type: "boolean" },
      "log-level": { type: "string" },
    },
  });
  const { options, source, embedded } = await resolveOptions(values.config);
  if (embedded) await ensureDefaultZone(defaultZoneFile(options.dataDir), options.hostname);
  const logger = createLogger({ level: values["log-level"] ?? (values.trace ? "info" : "warn"), fd: 2 });
  const portico = await startPortico(options, {
    logger,
    ...(values.trace && { trace: traceTo((text) => process.stderr.write(text)) }),
  });

  // Signal handlers go in before the banner, so a signal sent as soon as it shows is handled.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, "signal received");
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      process.off("SIGHUP", onHup);
      portico.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, "error while stopping");
        resolve();
      });
    };
    const onTerm = (): void => {
      stop("SIGTERM");
    };
    const onInt = (): void => {
      stop("SIGINT");
    };
    const onHup = (): void => {
      portico.reload().catch((error: unknown) => {
        logger.error({ err: error }, "reload failed; the old state keeps serving");
      });
    };
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    process.on("SIGHUP", onHup);
  });

  console.log(`Portico on ${options.hostname}, config: ${source}, data: ${options.dataDir}`);
  console.log(table(portico.endpoints));
  if (portico.skipped.length > 0) {
    console.log(`not in this version yet (configured, not started): ${portico.skipped.join(", ")}`);
  }
  console.log("Stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads zone files.");
  await stopped;
  console.log("stopped");
  return 0;
}

function table(endpoints: readonly Endpoint[]): string {
  const rows = [
    ["service", "address", "connect with"],
    ...endpoints.map((e) => [
      e.service,
      `${formatSocketAddress(e.address)} ${e.transport}${e.tls ? " (TLS)" : ""}`,
      e.example,
    ]),
  ];
  const widths = [0, 1].map((col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!}`.trimEnd())
    .join("\n");
}
