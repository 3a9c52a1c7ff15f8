import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/** Quiet time after the last change before `onChange` runs: editors write in several steps. */
const SETTLE_MS = 300;

/**
 * Calls `onChange` when any of `files` changes, once the files have been quiet for a moment.
 * Watches the files' directories, not the files: editors and deploy tools replace a file by
 * renaming a new one over it, which a watch on the old inode would miss. Returns a function
 * that stops watching.
 */
export function watchZoneFiles(files: readonly string[], onChange: () => void): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  for (const [dir, names] of byDir) {
    const watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name !== null && !names.has(name)) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, SETTLE_MS);
    });
    watcher.on("error", () => undefined);
    watchers.push(watcher);
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
