// Exercise 10.3: the eyes of --reload. The master knows which files the app's last build read (the
// app, its own modules, the config file, the folders of the packages it imports); this module watches
// them and tells the master, once per burst of changes, which ones changed. The master then starts the
// same reload a HUP starts (src/arbiter/master.ts, #region reload-watch):
//   const watcher = watchFiles(files, (changed) => { log.info(`Reloading: ... modified`); hup(); }, { onError });
//   watcher.update(filesOfTheNextBuild);   // after every build
//   watcher.close();                        // when the master exits
// node:fs's `watch` is all you need: no polling, no package.
import { todo } from '../todo.ts';

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

/**
 * Watches `files` and calls `onChange(changed)` once per burst of changes.
 * - `files` are paths (relative ones from the current directory). A file need not exist yet; its
 *   directory must, else `onError(dir, err)` is called and the other files are still watched.
 * - A change is anything that ends on a watched name: a write, a creation, a deletion, or a rename of
 *   another file onto it (how many editors save: write a temporary file, rename it over the old one).
 *   After a rename-over the file is still watched, and so are later changes to it.
 * - Changes to other files, even in the same directory, are ignored.
 * - Changes are collected until none has come for `debounceMs`; then `onChange` is called once, with
 *   the absolute paths of the watched files that changed, sorted, each once.
 * - `update(next)`: from now on only the files of `next` are watched (a file no longer in the list
 *   causes no call; a new one does).
 * - `close()`: no call of `onChange` afterwards, even for a burst already under way; nothing left
 *   open that would keep the process alive. The watch never keeps the process alive by itself.
 */
export function watchFiles(files: string[], onChange: (changed: string[]) => void, opts: WatchOptions = {}): FileWatcher {
  return todo('10.3 (exercises/10-production/watch.ts)');
}
