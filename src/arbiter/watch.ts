// @chapter 10
// --reload's eyes: a known set of files, and one callback per burst of changes to them.
//
// We watch the DIRECTORY of each file, not the file. An editor that saves by writing a temporary file
// and renaming it over the old one replaces the file's inode, and a watch on the old inode would go
// quiet; the directory stays, and reports the new entry by name. Editors also write in several steps
// (truncate, write, write, chmod), so changes are collected until the files have been quiet for
// `debounceMs`, then reported together. No polling, no dependency: the master knows exactly which files
// the app's build read, so it needs no globbing and no recursive watch.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface WatchOptions {
  /** Quiet time after the last change before `onChange` runs, in ms (default 100). */
  debounceMs?: number;
  /** A directory that cannot be watched (it does not exist, the inotify limit is reached): the rest still are. */
  onError?: (dir: string, err: Error) => void;
}

export interface FileWatcher {
  /** Watches this set of files from now on, instead of the previous one. */
  update(files: string[]): void;
  /** Stops: no callback after this, and no handle left open. */
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 100;

// #region watch-files
/**
 * Watches `files` (paths; they need not exist yet, their directories must) and calls `onChange` once per
 * burst of changes, with the absolute paths of the watched files that changed, sorted. A change is any
 * write, creation, deletion or rename that ends on a watched name. Other files in the same directories
 * are ignored. The watch never keeps the process alive by itself.
 */
export function watchFiles(files: string[], onChange: (changed: string[]) => void, opts: WatchOptions = {}): FileWatcher {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  // One watcher per directory, and the names in it that matter.
  const dirs = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const flush = (): void => {
    timer = null;
    const changed = [...pending].sort();
    pending.clear();
    if (!closed && changed.length) onChange(changed);
  };

  const noticed = (dir: string, name: string | null): void => {
    const names = dirs.get(dir)?.names;
    if (closed || !names) return;
    // Linux always names the entry; where a platform does not, any watched file there may have changed.
    let hits = name === null ? [...names] : names.has(name) ? [name] : [];
    // The directory itself was removed or moved (rm -rf, a branch switch): its files went with it, and
    // this watch is dead. Forget it, so that the next update() watches whatever takes its place.
    if (name === basename(dir) && !names.has(name)) {
      hits = [...names];
      stopWatching(dir);
    }
    if (!hits.length) return;
    for (const n of hits) pending.add(join(dir, n));
    // Every change restarts the quiet period: a burst ends in one call.
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  const stopWatching = (dir: string): void => {
    dirs.get(dir)?.watcher.close();
    dirs.delete(dir);
  };

  const update = (next: string[]): void => {
    const wanted = new Map<string, Set<string>>();
    for (const file of next) {
      const abs = resolve(file);
      const names = wanted.get(dirname(abs)) ?? new Set<string>();
      wanted.set(dirname(abs), names.add(basename(abs)));
    }
    for (const dir of [...dirs.keys()]) if (!wanted.has(dir)) stopWatching(dir);
    for (const [dir, names] of wanted) {
      const known = dirs.get(dir);
      if (known) {
        known.names = names;
        continue;
      }
      try {
        // persistent: false, so that a forgotten watcher never keeps a process from exiting.
        const watcher = watch(dir, { persistent: false }, (_event, name) => noticed(dir, name));
        watcher.on('error', (err) => {
          stopWatching(dir);
          opts.onError?.(dir, err);
        });
        dirs.set(dir, { watcher, names });
      } catch (err) {
        opts.onError?.(dir, err as Error);
      }
    }
  };

  update(files);
  return {
    update: (next) => {
      if (!closed) update(next);
    },
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
      for (const dir of [...dirs.keys()]) stopWatching(dir);
    },
  };
}
// #endregion watch-files
