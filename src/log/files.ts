// @chapter 7
// Log files that several processes share without losing or tearing a line.
//
// Every process (the master and each worker) opens the file itself, by path, with O_APPEND ('a'), and
// writes each line with ONE write(2). With O_APPEND the kernel moves the offset to the end of the file
// and writes there as one step, so lines from different processes can interleave but never overwrite
// or split each other (on a local file system: not on NFS). A file opened without O_APPEND ('w', 'r+')
// keeps its own offset per process, and the processes overwrite each other's lines.
//
// Rotation belongs to ONE owner outside the server (logrotate): it renames the file and sends USR1;
// each process then reopens the path, which creates a fresh file, and closes the renamed one.
import { closeSync, openSync, writeSync } from 'node:fs';

/** A path, or '-' for the standard stream (stdout for the access log, stderr for the error log). */
export type LogPath = string;

/** Every log file this process has open: what USR1 reopens. */
const openFiles = new Set<LogFile>();

/** Give up on a line after this long of EAGAIN (a non-blocking pipe nobody reads): count it as dropped. */
const STALL_MS = 2000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// #region logfile
export class LogFile {
  private fd: number;
  /** Lines that could not be written (a full disk, a closed or stuck pipe). Never thrown: logging must not take the server down. */
  dropped = 0;

  /** Opens `path` for appending (created 0666 minus the umask if missing); '-' means the file descriptor `std`. */
  constructor(
    readonly path: LogPath,
    private readonly std: 1 | 2,
  ) {
    this.fd = path === '-' ? std : openSync(path, 'a');
    openFiles.add(this);
  }

  /** Writes one whole line (with its "\n") in one write(2). */
  write(line: string): void {
    let data: string | Buffer = line;
    let left = Buffer.byteLength(line);
    let stalled = 0;
    for (;;) {
      try {
        // The string as it is: converting it to bytes first would cost as much as formatting the
        // line. (Two calls because writeSync has one overload for strings and one for bytes.)
        const n = typeof data === 'string' ? writeSync(this.fd, data) : writeSync(this.fd, data);
        if (n >= left) return;
        // A short write is rare (a full disk, a pipe); the rest goes out as a second write, which
        // another process's line may precede: the one case where a line can be torn.
        data = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).subarray(n);
        left -= n;
      } catch (err) {
        // stdout/stderr may be a non-blocking pipe (Node makes pipes non-blocking, and the flag is
        // shared by every process holding the pipe): wait for the reader rather than drop the line.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && stalled < STALL_MS) {
          Atomics.wait(sleeper, 0, 0, 1);
          stalled++;
          continue;
        }
        this.dropped++;
        return;
      }
    }
  }

  /**
   * Opens the path again and switches to the new descriptor, then closes the old one. After logrotate
   * renamed the file, this creates a new file under the old name; lines already written stay in the
   * renamed one. If the path cannot be opened, the old descriptor stays in use and the error is thrown.
   */
  reopen(): void {
    if (this.path === '-') return;
    const fresh = openSync(this.path, 'a');
    const old = this.fd;
    this.fd = fresh;
    closeSync(old);
  }

  close(): void {
    openFiles.delete(this);
    if (this.path !== '-') closeSync(this.fd);
  }
}
// #endregion logfile

// #region reopen
/** USR1: reopens every log file of this process. Returns what failed, for the error log. */
export function reopenLogFiles(): string[] {
  const failures: string[] = [];
  for (const file of openFiles) {
    try {
      file.reopen();
    } catch (err) {
      failures.push(`Cannot reopen log file ${file.path}: ${(err as Error).message}`);
    }
  }
  return failures;
}
// #endregion reopen

/** The check gunicorn makes when it reads the setting: the file can be opened for appending (and now exists). */
export function checkWritable(path: LogPath, setting: string): string | null {
  if (path === '-') return null;
  try {
    closeSync(openSync(path, 'a'));
    return null;
  } catch (err) {
    return `${setting}: cannot open ${JSON.stringify(path)} for appending: ${(err as Error).message}`;
  }
}
