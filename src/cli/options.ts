import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { defaultOptions, loadConfig } from "../core/config/load.js";
import type { PorticoOptions } from "../options.js";

/** Where the options come from: `-c FILE`, else `./portico.toml`, else the embedded default. */
export async function resolveOptions(
  configFile: string | undefined,
): Promise<{ options: PorticoOptions; source: string; embedded?: true }> {
  if (configFile !== undefined) return { options: await loadConfig(configFile), source: configFile };
  const local = resolve("portico.toml");
  const exists = await access(local).then(
    () => true,
    () => false,
  );
  if (exists) return { options: await loadConfig(local), source: "portico.toml" };
  const options = defaultOptions(process.cwd());
  return { options, source: "the embedded default", embedded: true };
}
