// @chapter 5
// The master's pid file: what `kill -HUP $(cat app.pid)` reads.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export class PidfileError extends Error {}

// #region write
export function writePidfile(path: string, pid = process.pid): void {
  let existing: number | null = null;
  try {
    existing = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    // no file: the usual case
  }
  if (existing && existing !== pid && alive(existing)) {
    throw new PidfileError(`Already running on PID ${existing} (or pid file '${path}' is stale)`);
  }
  // Written next to the target and renamed over it, so a reader never sees a half-written file.
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}
// #endregion write

/** Removes the file, but only if it still holds our pid (a newer master may have taken it over). */
export function removePidfile(path: string, pid = process.pid): void {
  try {
    if (Number.parseInt(readFileSync(path, 'utf8'), 10) === pid) unlinkSync(path);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
