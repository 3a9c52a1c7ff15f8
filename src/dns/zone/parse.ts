/**
 * The RFC 1035 §5 master-file ("zone file") parser, accepting what BIND's named-checkzone
 * accepts.
 *
 * Entries (RFC 1035 §5.1):
 *   $ORIGIN <domain-name>
 *   $TTL <ttl>                                   (RFC 2308 §4)
 *   $INCLUDE <file-name> [<domain-name>]
 *   $GENERATE <range> <lhs> [<ttl>] [<class>] <type> <rhs>   (BIND)
 *   $DATE <YYYYMMDDHHmmSS>                       (BIND: read, then `$INCLUDE` is refused)
 *   <owner> [<TTL>] [<class>] <type> <RDATA>     or with class before TTL
 *   <blank> [<TTL>] [<class>] <type> <RDATA>     (the previous owner)
 *
 * TTLs, as named-checkzone assigns them:
 * 1. a TTL written on the record;
 * 2. else the last `$TTL` (or the `defaultTtl` option, which acts as a `$TTL` at the top);
 * 3. else the last TTL written on a record, with a warning ("RFC 1035 TTL semantics");
 * 4. else, for the SOA record, its MINIMUM field, which then becomes the default, with a
 *    warning; any other record is an error ("no TTL specified").
 * A TTL above 2^31-1 is loaded as 0, with a warning (RFC 2181 §8); one above 2^32-1 is an
 * error. The records of an RRset share the TTL as described in builder.ts.
 *
 * Records whose owner is outside the zone are dropped with a warning, as BIND drops them.
 * The other rules named-checkzone applies (CNAME and other data, singletons, one SOA at the
 * apex, NS records at the apex with addresses, no DS at the apex, no NS at a wildcard, no
 * MD/MF, NSEC3 owners that are hashes, merging of duplicates) are made here and in
 * builder.ts; check-names, MX/SRV targets without addresses and delegations without glue
 * are only warnings there, and here too (or not reported).
 * `$INCLUDE` reads a file relative to the including file's directory; the included file
 * starts with the given origin (or the current one) and the current owner, and neither its
 * `$ORIGIN` nor its owners leak back into the including file, while its `$TTL` does (BIND).
 *
 * Text is read as characters; with the `bytes` option each character is one byte (the file
 * was decoded as latin1), which keeps arbitrary bytes in TXT data exact.
 */

import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { canonicalName, isAbsoluteName, isSubdomain, normalizeName } from "../name.js";
import { RRClass, RRType, type ResourceRecord } from "../types.js";
import { ZoneBuilder, type MutableRecord, type ZoneWarning } from "./builder.js";
import { decodeBase32Hex, decodeCharString } from "./encoding.js";
import { FieldReader, NameResolver, nameErrorReason, oneLine } from "./fields.js";
import { TOKEN_ESCAPED, TOKEN_QUOTED, ZoneLexer } from "./lexer.js";
import { parseSigTime } from "./formats.js";
import { classToText, textToClass, textToType, typeToText } from "./mnemonics.js";
import { isMetaType, parseRdata } from "./rdata.js";
import { MAX_TTL, TTL_RANGE, TTL_SYNTAX, parseTtl } from "./ttl.js";

export type { ZoneWarning } from "./builder.js";

/** Options of `parseZone`. */
export interface ParseZoneOptions {
  /** The file name used in errors and warnings, and the base for relative `$INCLUDE`s. */
  readonly file: string;
  /** The zone's origin (apex), absolute ("example.test." — a missing final dot is added). */
  readonly origin: string;
  /** A TTL used as if `$TTL` set it at the top of the file. */
  readonly defaultTtl?: number;
  /**
   * Reads an `$INCLUDE`d file, given its path (already joined to the including file's
   * directory). Without it, `$INCLUDE` is an error.
   */
  readonly readInclude?: (path: string) => string;
  /** Whether each character of the text is one byte (the file was decoded as latin1). */
  readonly bytes?: boolean;
  /** Called for each warning as it is found (they are also returned, up to a limit). */
  readonly onWarning?: (warning: ZoneWarning) => void;
}

/** A parsed zone. */
export interface ZoneFile {
  /** The zone's apex, in the presentation form of name.ts. */
  readonly origin: string;
  /** The records in file order, duplicates merged. */
  readonly records: ResourceRecord[];
  /** Warnings, in order (at most `MAX_KEPT_WARNINGS`; `onWarning` sees all). */
  readonly warnings: readonly ZoneWarning[];
}

/** How many warnings `ZoneFile.warnings` keeps; a huge zone could have one per record. */
export const MAX_KEPT_WARNINGS = 1000;
/** How deep `$INCLUDE`s may nest (BIND's limit is the process's open files). */
export const MAX_INCLUDE_DEPTH = 20;
/** The most records one `$GENERATE` may make. */
export const MAX_GENERATE = 1 << 20;

const { SOA, NS, DS, NSEC3 } = RRType;
/** Mail destination and forwarder (RFC 1035 §3.3.4, §3.3.5), obsolete since RFC 973. */
const MD = 3;
const MF = 4;

/** Parse state that lives as long as one file (the top file or an included one). */
interface FileState {
  readonly lexer: ZoneLexer;
  readonly names: NameResolver;
  readonly path: string;
  /** Whether the current origin is at or below the zone's apex (so relative names are). */
  originInZone: boolean;
  /**
   * BIND's "current" name: the last owner that was not glue. Owners named by the NS records
   * just read at it are "glue" and leave it in place (see `#enterOwner()`).
   */
  current: string | undefined;
  /** The glue name being read, if any. */
  glue: string | undefined;
}

class ZoneParser {
  readonly #opts: ParseZoneOptions;
  readonly #origin: string;
  readonly #apexKey: string;
  readonly #bytes: boolean;
  readonly #builder: ZoneBuilder;
  readonly warnings: ZoneWarning[] = [];
  /** `$TTL` (or the defaultTtl option), once known. */
  #defaultTtl: number | undefined;
  /** The last TTL written on a record (RFC 1035 §5.1 semantics). */
  #lastTtl: number | undefined;
  #warned1035 = false;
  /** The owner of the previous record, and the token text it came from. */
  #owner: string | undefined;
  #ownerKey = "";
  #ownerToken: string | undefined;
  #ownerOrigin = "";
  /** Whether the current owner is known to be in the zone. */
  #ownerInZone = false;
  /** Whether the current owner was set before the last `$ORIGIN`/`$INCLUDE` (BIND warns). */
  #ownerBeforeOrigin = false;
  readonly #includeStack: string[] = [];
  /** Whether an NS record was read at the current name, and the names it points to. */
  #hasDelegation = false;
  #currentNs: string[] = [];
  /** Run numbers (see ZoneBuilder.add) for the current name and for glue. */
  #currentRun = 0;
  #glueRun = 0;
  #runs = 0;
  /** Whether a `$DATE` was seen (BIND then refuses `$INCLUDE`). */
  #seenDate = false;
  /** The reader of RDATA fields, reused from record to record. */
  #fields: FieldReader | undefined;

  constructor(opts: ParseZoneOptions) {
    this.#opts = opts;
    this.#origin = absoluteOrigin(opts.origin);
    this.#apexKey = canonicalName(this.#origin);
    this.#bytes = opts.bytes ?? false;
    this.#builder = new ZoneBuilder((file, line, message) => {
      this.#warn(file, line, message);
    });
    if (opts.defaultTtl !== undefined) {
      if (!Number.isInteger(opts.defaultTtl) || opts.defaultTtl < 0 || opts.defaultTtl > 0xffffffff) {
        throw new RangeError(`Cannot parse zone: defaultTtl ${opts.defaultTtl} is not a TTL`);
      }
      this.#defaultTtl = opts.defaultTtl > MAX_TTL ? 0 : opts.defaultTtl;
    }
  }

  get origin(): string {
    return this.#origin;
  }

  #warn(file: string, line: number, message: string): void {
    const warning = { file, line, message };
    if (this.warnings.length < MAX_KEPT_WARNINGS) this.warnings.push(warning);
    this.#opts.onWarning?.(warning);
  }

  parse(text: string): ResourceRecord[] {
    this.#parseFile(text, this.#opts.file, this.#origin, undefined);
    this.#builder.finish(this.#origin, this.#opts.file);
    return this.#builder.result();
  }

  #parseFile(text: string, path: string, origin: string, current: string | undefined): void {
    this.#includeStack.push(path);
    const st: FileState = {
      lexer: new ZoneLexer(text, path),
      names: new NameResolver(origin, this.#bytes),
      path,
      originInZone: isSubdomain(origin, this.#apexKey),
      current,
      glue: undefined,
    };
    const lx = st.lexer;
    while (lx.next()) {
      if (!lx.leadingBlank && lx.flags[0] === 0 && lx.source.charCodeAt(lx.starts[0]!) === 0x24 /* $ */) {
        this.#directive(st);
      } else {
        this.#record(st);
      }
    }
    if (lx.missingFinalNewline) this.#warn(path, lx.line, "file does not end with a newline");
    this.#includeStack.pop();
  }

  /** Ends the runs of records being gathered, as BIND does at `$INCLUDE` and end of file. */
  #commitAll(): void {
    this.#currentNs = [];
    this.#currentRun = ++this.#runs;
    this.#glueRun = ++this.#runs;
  }

  /**
   * Follows BIND's notion of the current name for an entry owned by `owner` (canonical
   * `key`): the owner of an address record right after the NS records that name it is glue,
   * read in a run of its own while the current name stays. It matters for the run a record
   * belongs to (TTL handling) and for BIND's check of DS records at the apex.
   */
  #enterOwner(st: FileState, owner: string, key: string): void {
    if (st.glue !== undefined && st.glue !== owner) {
      st.glue = undefined;
      this.#glueRun = ++this.#runs;
    }
    // Names are compared with case here, as BIND does.
    if (st.glue === undefined && st.current !== owner) {
      if (this.#hasDelegation && this.#currentNs.includes(key)) {
        st.glue = owner;
        this.#glueRun = ++this.#runs;
      } else {
        st.current = owner;
        this.#hasDelegation = false;
        this.#currentNs = [];
        this.#currentRun = ++this.#runs;
      }
    }
  }

  #error(st: FileState, message: string, i = 0): never {
    const lx = st.lexer;
    throw new ConfigError(oneLine(message), st.path, i < lx.count ? lx.lines[i] : lx.line);
  }

  /** The absolute name of token `i` of the current entry (quoted only if `quotedOk`). */
  #name(st: FileState, i: number, what: string, quotedOk = false): string {
    const lx = st.lexer;
    const flags = lx.flags[i]!;
    const text = lx.text(i);
    if (!quotedOk && (flags & TOKEN_QUOTED) !== 0)
      this.#error(st, `${what} must not be quoted: "${text}"`, i);
    try {
      return st.names.resolve(text, needsEscapes(flags, text), false);
    } catch (e) {
      return this.#error(st, `bad ${what} '${text}': ${nameErrorReason(e)}`, i);
    }
  }

  #directive(st: FileState): void {
    const lx = st.lexer;
    const word = lx.text(0).toUpperCase();
    switch (word) {
      case "$ORIGIN": {
        this.#arguments(st, 1, 1, "$ORIGIN", "a domain name");
        st.names.origin = this.#name(st, 1, "$ORIGIN name");
        st.originInZone = isSubdomain(st.names.origin, this.#apexKey);
        this.#ownerBeforeOrigin = true;
        return;
      }
      case "$TTL": {
        this.#arguments(st, 1, 1, "$TTL", "a TTL");
        this.#defaultTtl = this.#ttlValue(st, 1, "$TTL");
        return;
      }
      case "$INCLUDE":
        this.#include(st);
        return;
      case "$GENERATE":
        this.#generate(st);
        return;
      case "$DATE":
        // BIND: the time the file was dumped, used only to age TTLs when loading a cache.
        this.#arguments(st, 1, 1, "$DATE", "a time (YYYYMMDDHHmmSS)");
        if (lx.text(1).length !== 14 || parseSigTime(lx.text(1)) < 0) {
          this.#error(st, `bad $DATE '${lx.text(1)}' (YYYYMMDDHHmmSS)`, 1);
        }
        this.#seenDate = true;
        return;
      default:
        this.#error(st, `unknown directive '${lx.text(0)}' ($ORIGIN, $TTL, $INCLUDE, $GENERATE or $DATE)`);
    }
  }

  /** Throws unless the directive has `min` to `max` arguments. */
  #arguments(st: FileState, min: number, max: number, directive: string, what: string): void {
    const lx = st.lexer;
    if (lx.count - 1 < min) this.#error(st, `${directive} needs ${what}`);
    if (lx.count - 1 > max)
      this.#error(st, `unexpected extra data '${lx.text(max + 1)}' after ${directive}`, max + 1);
  }

  /** The TTL of token `i`, which must be one; above 2^31-1 gives 0 and a warning. */
  #ttlValue(st: FileState, i: number, what: string): number {
    const lx = st.lexer;
    const v =
      (lx.flags[i]! & TOKEN_QUOTED) !== 0 ? TTL_SYNTAX : parseTtl(lx.source, lx.starts[i], lx.ends[i]);
    if (v === TTL_SYNTAX) this.#error(st, `bad ${what} '${lx.text(i)}' (seconds, or units like 1h30m)`, i);
    if (v === TTL_RANGE) this.#error(st, `${what} '${lx.text(i)}' does not fit in 32 bits`, i);
    return this.#limitTtl(st, v, lx.lines[i]!, what);
  }

  #limitTtl(st: FileState, ttl: number, line: number, what: string): number {
    if (ttl <= MAX_TTL) return ttl;
    this.#warn(st.path, line, `${what} ${ttl} is above ${MAX_TTL}; using 0 (RFC 2181 §8)`);
    return 0;
  }

  #include(st: FileState): void {
    const lx = st.lexer;
    this.#arguments(st, 1, 2, "$INCLUDE", "a file name");
    if (this.#seenDate) this.#error(st, "$INCLUDE may not be used with $DATE (BIND)");
    const read = this.#opts.readInclude;
    if (read === undefined) this.#error(st, "$INCLUDE is not allowed here (no way to read files was given)");
    const nameBytes = decodeCharString(lx.source, lx.starts[1]!, lx.ends[1]!, this.#bytes);
    if (nameBytes === null || nameBytes.length === 0)
      this.#error(st, `bad $INCLUDE file name '${lx.text(1)}'`, 1);
    const written = Buffer.from(nameBytes).toString(this.#bytes ? "latin1" : "utf8");
    const path = isAbsolute(written) ? written : join(dirname(st.path), written);
    const origin = lx.count === 3 ? this.#name(st, 2, "$INCLUDE origin") : st.names.origin;
    if (this.#includeStack.includes(path)) {
      this.#error(st, `$INCLUDE loop: ${[...this.#includeStack, path].join(" includes ")}`, 1);
    }
    if (this.#includeStack.length > MAX_INCLUDE_DEPTH) {
      this.#error(st, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`, 1);
    }
    let text: string;
    try {
      text = read(path);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      return this.#error(st, `cannot read $INCLUDE file '${path}': ${reason}`, 1);
    }
    // The included file inherits the current owner; BIND restores the owner afterwards.
    const saved = [
      this.#owner,
      this.#ownerKey,
      this.#ownerToken,
      this.#ownerOrigin,
      this.#ownerInZone,
    ] as const;
    this.#ownerBeforeOrigin = true;
    this.#commitAll();
    this.#parseFile(text, path, origin, st.glue ?? st.current);
    this.#commitAll();
    [this.#owner, this.#ownerKey, this.#ownerToken, this.#ownerOrigin, this.#ownerInZone] = saved;
  }

  /** Reads a record entry: owner (or the previous one), TTL and class, type, RDATA. */
  #record(st: FileState): void {
    const lx = st.lexer;
    let i = 0;
    let owner: string;
    let key: string;
    let inZone = false;
    if (lx.leadingBlank) {
      if (this.#owner === undefined) this.#error(st, "no owner name: the first record starts with a blank");
      owner = this.#owner;
      key = this.#ownerKey;
      inZone = this.#ownerInZone;
      if (this.#ownerBeforeOrigin) {
        this.#warn(st.path, lx.line, `record with inherited owner (${owner}) after $ORIGIN or $INCLUDE`);
        this.#ownerBeforeOrigin = false;
      }
    } else {
      const text = lx.text(0);
      if (text === this.#ownerToken && st.names.origin === this.#ownerOrigin && this.#owner !== undefined) {
        owner = this.#owner;
        key = this.#ownerKey;
        inZone = this.#ownerInZone;
      } else {
        // BIND takes a quoted owner name as the name it spells.
        owner = this.#name(st, 0, "owner name", true);
        key = canonicalName(owner);
        // A relative name under an origin in the zone is in the zone: skip the check.
        inZone = st.originInZone && !isAbsoluteName(text);
        this.#owner = owner;
        this.#ownerKey = key;
        this.#ownerToken = (lx.flags[0]! & TOKEN_ESCAPED) === 0 ? text : undefined;
        this.#ownerOrigin = st.names.origin;
      }
      this.#ownerBeforeOrigin = false;
      this.#enterOwner(st, owner, key);
      i = 1;
    }

    // [<TTL>] [<class>] <type> or [<class>] [<TTL>] <type> (RFC 1035 §5.1), as BIND reads it.
    let rrclass = -1;
    let ttl = -1;
    let ttlLine = 0;
    if (i < lx.count && lx.flags[i] === 0) {
      rrclass = textToClass(lx.text(i));
      if (rrclass >= 0) i++;
    }
    if (i < lx.count && lx.flags[i] === 0) {
      const v = parseTtl(lx.source, lx.starts[i], lx.ends[i]);
      if (v === TTL_RANGE) this.#error(st, `TTL '${lx.text(i)}' does not fit in 32 bits`, i);
      if (v >= 0) {
        ttlLine = lx.lines[i]!;
        ttl = this.#limitTtl(st, v, ttlLine, "TTL");
        i++;
      }
    }
    if (rrclass < 0 && i < lx.count && lx.flags[i] === 0) {
      rrclass = textToClass(lx.text(i));
      if (rrclass >= 0) i++;
    }
    if (i >= lx.count) this.#error(st, "missing record type", lx.count - 1);
    const typeText = lx.text(i);
    const type = lx.flags[i] === 0 ? textToType(typeText) : -1;
    if (type < 0) {
      const c = typeText.charCodeAt(0);
      if (c >= 0x30 && c <= 0x39) {
        this.#error(
          st,
          `'${typeText}' is neither a TTL (up to 4294967295 seconds, or units like 1h30m) nor a record type`,
          i,
        );
      }
      this.#error(st, `unknown record type '${typeText}'`, i);
    }
    if (isMetaType(type)) this.#error(st, `${typeToText(type)} is a meta-type, not data (RFC 6895 §3.1)`, i);
    if (rrclass >= 0 && rrclass !== RRClass.IN) {
      this.#error(st, `class ${classToText(rrclass)} differs from the zone's class IN`, i - 1);
    }
    if (type === MD || type === MF)
      this.#error(st, `${typeToText(type)} is obsolete: use MX (RFC 1123 §5.2.13)`, i);
    if (type === NSEC3 && !isHashLabel(owner)) {
      this.#error(st, `NSEC3 owner ${owner} does not start with a base32hex hash label (RFC 5155 §3)`);
    }
    if (type === NS && st.glue === undefined) this.#hasDelegation = true;
    i++;

    const typeName = typeToText(type);
    const f =
      this.#fields?.reset(lx, i, lx.count, st.names, typeName) ??
      new FieldReader(lx, i, lx.count, st.names, typeName);
    this.#fields = f;
    const data = parseRdata(type, f);
    const glue = st.glue !== undefined;
    const run = glue ? this.#glueRun : this.#currentRun;
    this.#ownerInZone = this.#add(st, owner, key, type, ttl, data, lx.line, inZone, run, st.current);
    if (this.#ownerInZone && type === NS && !glue && data.kind === "NS")
      this.#currentNs.push(canonicalName(data.target));
  }

  /**
   * Applies the TTL rules and the zone rules to a parsed record and adds it in run `run`.
   * `current` is BIND's current name, which its check of DS records at the apex looks at
   * (undefined for `$GENERATE`d records, which BIND adds without that check). Returns whether
   * the record is in the zone (else it was dropped).
   */
  #add(
    st: FileState,
    owner: string,
    key: string,
    type: number,
    explicitTtl: number,
    data: MutableRecord["data"],
    line: number,
    inZone: boolean,
    run: number,
    current: string | undefined,
  ): boolean {
    if (explicitTtl >= 0) this.#lastTtl = explicitTtl;
    // Records outside the zone are ignored, as BIND ignores them.
    if (!inZone && !isSubdomain(key, this.#apexKey)) {
      this.#warn(st.path, line, `ignoring out-of-zone data (${owner})`);
      return false;
    }
    if (type === SOA && key !== this.#apexKey) {
      throw new ConfigError(`SOA record not at the top of the zone (${owner})`, st.path, line);
    }
    if (type === DS && current !== undefined && canonicalName(current) === this.#apexKey) {
      throw new ConfigError(
        `DS record at the top of the zone (${current}): it belongs in the parent zone`,
        st.path,
        line,
      );
    }

    let ttl: number;
    if (explicitTtl >= 0) {
      ttl = explicitTtl;
    } else if (this.#defaultTtl !== undefined) {
      ttl = this.#defaultTtl;
    } else if (this.#lastTtl !== undefined) {
      ttl = this.#lastTtl;
      if (!this.#warned1035) {
        this.#warned1035 = true;
        this.#warn(st.path, line, "no TTL and no $TTL: using the previous record's TTL (RFC 1035 §5.1)");
      }
    } else if (data.kind === "SOA") {
      ttl = this.#limitTtl(st, data.minimum, line, "SOA MINIMUM as TTL");
      this.#defaultTtl = ttl;
      this.#warn(st.path, line, "no TTL specified; using the SOA MINIMUM field instead");
    } else {
      throw new ConfigError(
        "no TTL specified: write a TTL on the record or a $TTL line before it",
        st.path,
        line,
      );
    }

    if (type === NS && owner.startsWith("*") && (owner.length === 1 || owner.charCodeAt(1) === 0x2e)) {
      throw new ConfigError(`NS records may not be owned by a wildcard name (${owner})`, st.path, line);
    }
    // The TTL it ends up with (a run keeps its first) is the last TTL, as in BIND.
    this.#lastTtl = this.#builder.add(
      { name: owner, type, class: RRClass.IN, ttl, data },
      key,
      st.path,
      line,
      run,
    );
    return true;
  }

  // --- $GENERATE (BIND) ---------------------------------------------------------------------

  /**
   * `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs`: one record per value, `$` in
   * lhs and rhs replaced by it, `${offset,width,base}` with base d, o, x, X, n or N, `\$` and
   * `$$` a literal `$`.
   */
  #generate(st: FileState): void {
    const lx = st.lexer;
    if (lx.count < 5) this.#error(st, "$GENERATE needs a range, an owner, a type and data", lx.count - 1);
    const rangeText = lx.text(1);
    // BIND reads the range with sscanf("%u-%u/%u"), which ignores what follows.
    const m = /^([0-9]+)-([0-9]+)(?:\/([0-9]+))?/.exec(rangeText);
    const start = Number(m?.[1]);
    const stop = Number(m?.[2]);
    const step = m?.[3] === undefined ? 1 : Number(m[3]);
    if (m === null || start > stop || step < 1 || stop > 0xffffffff) {
      this.#error(st, `bad $GENERATE range '${rangeText}' (start-stop or start-stop/step)`, 1);
    }
    if ((stop - start) / step >= MAX_GENERATE)
      this.#error(st, `$GENERATE range '${rangeText}' makes more than ${MAX_GENERATE} records`, 1);
    const lhs = lx.text(2);
    // Between the owner and the last two tokens (type and data): an optional TTL and class.
    const typeAt = lx.count - 2;
    let ttl = -1;
    let rrclass = -1;
    for (let k = 3; k < typeAt; k++) {
      const c = rrclass < 0 && lx.flags[k] === 0 ? textToClass(lx.text(k)) : -1;
      if (c >= 0) {
        rrclass = c;
        continue;
      }
      const v = ttl < 0 && lx.flags[k] === 0 ? parseTtl(lx.source, lx.starts[k], lx.ends[k]) : TTL_SYNTAX;
      if (v === TTL_RANGE) this.#error(st, `TTL '${lx.text(k)}' does not fit in 32 bits`, k);
      if (v < 0 || k > 4)
        this.#error(st, `unexpected '${lx.text(k)}' in $GENERATE (quote data that has blanks)`, k);
      ttl = this.#limitTtl(st, v, lx.lines[k]!, "TTL");
    }
    if (rrclass >= 0 && rrclass !== RRClass.IN)
      this.#error(st, `class ${classToText(rrclass)} differs from the zone's class IN`);
    const i = typeAt;
    const typeText = lx.text(i);
    const type = lx.flags[i] === 0 ? textToType(typeText) : -1;
    if (type < 0) this.#error(st, `unknown record type '${typeText}'`, i);
    if (isMetaType(type)) this.#error(st, `${typeToText(type)} is a meta-type, not data (RFC 6895 §3.1)`, i);
    const rhs = lx.text(i + 1);
    const line = lx.line;
    for (let value = start; value <= stop; value += step) {
      const ownerText = substitute(lhs, value, () => this.#error(st, `bad $GENERATE owner '${lhs}'`, 2));
      const rdataText = substitute(rhs, value, () => this.#error(st, `bad $GENERATE data '${rhs}'`, i + 1));
      let owner: string;
      try {
        owner = st.names.resolve(ownerText, true, false);
      } catch (e) {
        this.#error(st, `bad owner name '${ownerText}': ${nameErrorReason(e)}`, 2);
      }
      const sub = new ZoneLexer(rdataText, st.path, line);
      const count = sub.next() ? sub.count : 0;
      const data = parseRdata(type, new FieldReader(sub, 0, count, st.names, typeToText(type)));
      // BIND adds each generated record by itself: a run of its own.
      this.#add(st, owner, canonicalName(owner), type, ttl, data, line, false, ++this.#runs, undefined);
    }
  }
}

/** Whether a token may hold escapes or characters name.ts cannot take as they are. */
function needsEscapes(flags: number, text: string): boolean {
  if ((flags & TOKEN_ESCAPED) !== 0) return true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

/** Whether the first label of `name` is base32hex that decodes (an NSEC3 owner). */
function isHashLabel(name: string): boolean {
  const dot = name.indexOf(".");
  const label = dot < 0 ? name : name.slice(0, dot);
  if (label.length === 0 || label.includes("\\")) return false;
  const hash = decodeBase32Hex(label);
  return hash !== null && hash.length > 0 && hash.length <= 155;
}

/** The `$GENERATE` text `template` for iterator value `value` (BIND's genname). */
function substitute(template: string, value: number, fail: () => never): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === "\\" && template[i + 1] === "$") {
      out += "\\$";
      i++;
      continue;
    }
    if (c !== "$") {
      out += c;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "\\$";
      i++;
      continue;
    }
    let offset = 0;
    let width = 0;
    let base = "d";
    if (template[i + 1] === "{") {
      const close = template.indexOf("}", i);
      if (close < 0) fail();
      const m = /^(-?[0-9]+)(?:,([0-9]+)(?:,([doxXnN]))?)?$/.exec(template.slice(i + 2, close));
      if (m === null) fail();
      offset = Number(m[1]);
      width = m[2] === undefined ? 0 : Number(m[2]);
      // No name or label is longer than this; BIND's buffer for the number is smaller still.
      if (width > 255) fail();
      base = m[3] ?? "d";
      i = close;
    }
    const v = value + offset;
    if (v < 0) fail();
    if (base === "n" || base === "N") {
      out += nibbles(v, width, base === "N");
      continue;
    }
    const digits = v.toString(base === "d" ? 10 : base === "o" ? 8 : 16);
    out += (base === "X" ? digits.toUpperCase() : digits).padStart(width, "0");
  }
  return out;
}

/** BIND's nibble mode: hex digits least significant first, dot-separated; width counts dots. */
function nibbles(value: number, width: number, upper: boolean): string {
  const hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  let out = "";
  let v = value;
  let w = width;
  do {
    out += hex[v & 0x0f]!;
    v = Math.floor(v / 16);
    if (w > 0) w--;
    if (w > 0 || v !== 0) {
      out += ".";
      if (w > 0) w--;
    }
  } while (v !== 0 || w > 0);
  return out;
}

/** The origin option as an absolute name in the one presentation form. */
function absoluteOrigin(origin: string): string {
  if (origin.length === 0) throw new RangeError("Cannot parse zone: the origin is empty");
  let text = origin;
  if (text !== "." && !text.endsWith(".")) text += ".";
  try {
    return normalizeName(text);
  } catch (e) {
    throw new RangeError(`Cannot parse zone: bad origin '${origin}': ${nameErrorReason(e)}`);
  }
}

/**
 * Parses master-file text into the zone's records. Throws ConfigError naming FILE:LINE for
 * the first error (a syntax error, bad data, or a zone rule named-checkzone enforces);
 * RangeError for bad options.
 */
export function parseZone(text: string, opts: ParseZoneOptions): ZoneFile {
  const parser = new ZoneParser(opts);
  const records = parser.parse(text);
  return { origin: parser.origin, records, warnings: parser.warnings };
}
