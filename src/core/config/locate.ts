/**
 * Finds the line of every key and array element in a TOML document, so a value that parses
 * but is wrong (an unknown key, a bad address) can be reported as `FILE:LINE`. The document
 * has already been parsed by a real TOML parser; this scanner only follows its structure
 * (tables, arrays of tables, dotted keys, inline tables, arrays, strings, comments) and is
 * lenient about everything else.
 */

/** A path into the config: table keys and array indexes. */
export type KeyPath = readonly (string | number)[];

/** The map key for a path. */
export function pathKey(path: KeyPath): string {
  return JSON.stringify(path);
}

/** A path as people write it: `smtp.listen[1]`, `smtp.aliases."a@b.test"`, `users[0].password`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const bare = /^[A-Za-z0-9_-]+$/.test(part) ? part : JSON.stringify(part);
      out += out === "" ? bare : `.${bare}`;
    }
  }
  return out;
}

/** Returns path → 1-based line for every key, table header and array element in `text`. */
export function locateKeys(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const arrayTableCounts = new Map<string, number>();
  let pos = 0;
  let line = 1;
  let table: KeyPath = [];

  const peek = (): string => text[pos] ?? "";
  const advance = (): void => {
    if (text[pos] === "\n") line++;
    pos++;
  };
  const record = (path: KeyPath, at: number): void => {
    const k = pathKey(path);
    if (!lines.has(k)) lines.set(k, at);
  };
  const skipSpace = (newlines: boolean): void => {
    while (pos < text.length) {
      const c = peek();
      if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) advance();
      else if (c === "#") while (pos < text.length && peek() !== "\n") advance();
      else break;
    }
  };
  const readString = (): string => {
    const quote = peek();
    const triple = text.startsWith(quote.repeat(3), pos);
    const close = triple ? quote.repeat(3) : quote;
    pos += triple ? 3 : 1;
    let out = "";
    while (pos < text.length && !text.startsWith(close, pos)) {
      if (quote === '"' && peek() === "\\") {
        advance();
        const e = peek();
        out += e === "n" ? "\n" : e === "t" ? "\t" : e;
      } else out += peek();
      advance();
    }
    pos += close.length;
    return out;
  };
  const readKey = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpace(false);
      const c = peek();
      if (c === '"' || c === "'") parts.push(readString());
      else {
        const start = pos;
        while (pos < text.length && /[A-Za-z0-9_-]/.test(peek())) pos++;
        parts.push(text.slice(start, pos));
      }
      skipSpace(false);
      if (peek() !== ".") return parts;
      pos++;
    }
  };
  const readValue = (path: KeyPath): void => {
    skipSpace(false);
    const c = peek();
    if (c === '"' || c === "'") {
      readString();
    } else if (c === "[") {
      advance();
      let index = 0;
      for (;;) {
        skipSpace(true);
        if (peek() === "]" || pos >= text.length) break;
        const start = pos;
        record([...path, index], line);
        readValue([...path, index]);
        skipSpace(true);
        if (peek() === ",") {
          advance();
          index++;
        } else if (pos === start) advance();
      }
      advance();
    } else if (c === "{") {
      advance();
      for (;;) {
        skipSpace(true);
        if (peek() === "}" || pos >= text.length) break;
        const start = pos;
        const keyLine = line;
        const key = readKey();
        record([...path, ...key], keyLine);
        if (peek() === "=") pos++;
        readValue([...path, ...key]);
        skipSpace(true);
        if (peek() === ",") pos++;
        else if (pos === start) advance(); // not TOML we understand: move on, never loop
      }
      advance();
    } else {
      while (pos < text.length && !/[,\]}\n#]/.test(peek())) pos++;
    }
  };

  while (pos < text.length) {
    skipSpace(true);
    if (pos >= text.length) break;
    const headerLine = line;
    const start = pos;
    if (text.startsWith("[[", pos)) {
      pos += 2;
      const key = readKey();
      const k = pathKey(key);
      const index = arrayTableCounts.get(k) ?? 0;
      arrayTableCounts.set(k, index + 1);
      table = [...key, index];
      record(key, headerLine);
      record(table, headerLine);
      while (pos < text.length && peek() !== "\n") pos++;
    } else if (peek() === "[") {
      pos++;
      table = readKey();
      record(table, headerLine);
      while (pos < text.length && peek() !== "\n") pos++;
    } else {
      const key = readKey();
      const path = [...table, ...key];
      record(path, headerLine);
      if (peek() === "=") pos++;
      else while (pos < text.length && peek() !== "\n") pos++;
      readValue(path);
    }
    if (pos === start) advance();
  }
  return lines;
}

/** The line of `path`, or of its nearest located ancestor, or 1. */
export function lineOf(lines: ReadonlyMap<string, number>, path: KeyPath): number {
  for (let n = path.length; n > 0; n--) {
    const found = lines.get(pathKey(path.slice(0, n)));
    if (found !== undefined) return found;
  }
  return 1;
}
