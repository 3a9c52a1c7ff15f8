/**
 * Loading a zone from its master file on disk, with its `$INCLUDE`d files.
 */

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { ZoneLexer } from "./lexer.js";
import { parseZone, type ZoneFile, type ZoneWarning } from "./parse.js";

/** Options of `loadZoneFile`. */
export interface LoadZoneOptions {
  /** A TTL used as if `$TTL` set it at the top of the file. */
  readonly defaultTtl?: number;
  /** Called for each warning as it is found. */
  readonly onWarning?: (warning: ZoneWarning) => void;
}

function readText(path: string): string {
  // latin1 keeps every byte as one character, so TXT data and raw bytes in names are
  // exact whatever the file's encoding (UTF-8 text is carried byte for byte).
  return readFileSync(path, "latin1");
}

/**
 * The origin of a zone file when none is given: the first `$ORIGIN` if it comes before any
 * record, else the owner of a leading SOA record written as an absolute name, else the file
 * name without a `.zone`, `.db` or `.txt` extension ("zones/example.test.zone" →
 * "example.test.").
 */
export function guessOrigin(text: string, path: string): string {
  const lx = new ZoneLexer(text, path);
  try {
    while (lx.next()) {
      const first = lx.text(0);
      if (!lx.leadingBlank && first.toUpperCase() === "$ORIGIN" && lx.count === 2) {
        const name = lx.text(1);
        if (name.endsWith(".") && !name.endsWith("\\.")) return name;
        break;
      }
      if (first.startsWith("$")) continue;
      let isSoa = false;
      for (let i = 1; i < Math.min(lx.count, 4); i++) if (lx.text(i).toUpperCase() === "SOA") isSoa = true;
      if (!lx.leadingBlank && isSoa && first.endsWith(".") && !first.endsWith("\\.")) return first;
      break;
    }
  } catch (e) {
    // A syntax error: the parse proper will report it with the origin from the file name.
    if (!(e instanceof ConfigError)) throw e;
  }
  const name = basename(path).replace(/\.(zone|db|txt)$/i, "");
  return name.endsWith(".") ? name : `${name}.`;
}

/**
 * Reads and parses the master file at `path` and the files it `$INCLUDE`s (relative paths
 * are relative to the including file's directory). Without `origin`, the origin is found as
 * `guessOrigin()` describes. Throws ConfigError naming FILE:LINE for the first error,
 * including a file that cannot be read.
 */
export function loadZoneFile(path: string, origin?: string, opts: LoadZoneOptions = {}): ZoneFile {
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError(`cannot read zone file: ${reason}`, path);
  }
  return parseZone(text, {
    file: path,
    origin: origin ?? guessOrigin(text, path),
    bytes: true,
    readInclude: readText,
    ...(opts.defaultTtl === undefined ? {} : { defaultTtl: opts.defaultTtl }),
    ...(opts.onWarning === undefined ? {} : { onWarning: opts.onWarning }),
  });
}
