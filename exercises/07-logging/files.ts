// Exercise 7.3: log files that the master and every worker write at the same time, and reopen on USR1.
//
// Every process opens the file itself, by path, and writes into it directly: no lock, no master in
// the middle. Nothing may be lost or torn when several processes write at once, and nothing may be
// lost when logrotate renames the file and sends USR1. `npm run chapter 7 -- --mine` swaps this whole
// file in: the master opens the error log with it, and every worker its error log and access log.
import { todo } from '../todo.ts';

/** Given. A path, or '-' for the standard stream (stdout for the access log, stderr for the error log). */
export type LogPath = string;

/**
 * Given, for the optional part of write() (see there): how long to keep retrying a line on EAGAIN
 * before counting it as dropped.
 */
const STALL_MS = 2000;

/** Yours. One log file, as one process holds it. */
export class LogFile {
  /**
   * Lines that could not be written (a full disk, a closed pipe...). Counted, never thrown: a log that
   * cannot be written must not take the server down.
   */
  dropped = 0;

  /**
   * Opens `path` for appending, creating it if missing: every write must land at the end of the file
   * as it is at that moment, whatever other processes wrote since (the kernel's O_APPEND does that).
   * '-' opens nothing: the file is the descriptor `std` (1 stdout, 2 stderr). If the path cannot be
   * opened, the constructor throws the error of the open (the callers report it). The new file is
   * one of this process's open files, which reopenLogFiles() reopens.
   */
  constructor(
    readonly path: LogPath,
    private readonly std: 1 | 2,
  ) {
    todo('7.3 (exercises/07-logging/files.ts)');
  }

  /**
   * Writes `line` (a whole line, ending with "\n") with ONE write(2), so that a line of another process
   * can come before or after it, never inside it. Synchronous: the line is in the file when write
   * returns, nothing waits in memory.
   * - A short write (fewer bytes written than asked): write the rest, until the line is out.
   * - A write that fails: add 1 to `dropped` and return. Never throw.
   * - Optional: stdout and stderr may be non-blocking pipes (Node makes them so), where a full pipe
   *   fails with EAGAIN. The server's version waits a millisecond and retries, for up to STALL_MS,
   *   before it drops the line. The tests do not require it.
   */
  write(line: string): void {
    return todo('7.3 (exercises/07-logging/files.ts)');
  }

  /**
   * USR1, after logrotate renamed the file: open the path again (which creates a new file there), use
   * the new descriptor from now on, and close the old one. Lines written before stay in the renamed
   * file. If the open fails, keep writing to the old descriptor and throw the error. '-': nothing to do.
   */
  reopen(): void {
    return todo('7.3 (exercises/07-logging/files.ts)');
  }

  /** Closes the file ('-': the standard stream stays open); reopenLogFiles() no longer sees it. */
  close(): void {
    return todo('7.3 (exercises/07-logging/files.ts)');
  }
}

/**
 * Yours. USR1: reopen() every LogFile this process has open (and has not closed). A failure does not
 * stop the others: return one message per file that failed, `Cannot reopen log file PATH: REASON`
 * (REASON the error's message), for the caller's error log; [] when all went well.
 */
export function reopenLogFiles(): string[] {
  return todo('7.3 (exercises/07-logging/files.ts)');
}

/**
 * Yours. The check gunicorn makes when it reads a log setting: can `path` be opened for appending? It
 * opens the file (creating it, so it exists afterwards), closes it at once, and returns null; or
 * returns `SETTING: cannot open "PATH" for appending: REASON` (PATH as JSON, REASON the error's
 * message). '-' is always fine.
 */
export function checkWritable(path: LogPath, setting: string): string | null {
  return todo('7.3 (exercises/07-logging/files.ts)');
}
