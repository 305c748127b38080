// One process writing numbered lines into a shared log file, as a worker's logger would. The stage (and
// a test) start several of these at once and count what survives. Started by race.ts with fork():
//   writer.ts <mode> <file> <id> <lines> [<rotate-bytes>]
// Modes:
//   w, r+     a naive logger: the file opened with that flag, one write per line
//   rotate    a naive logger that rotates by itself: 'a', but when the file passes <rotate-bytes> it
//             renames file -> file.1 -> file.2 ... and reopens, as Python's RotatingFileHandler does
//   a         the chapter's way: LogFile from src/log/files.ts (O_APPEND, one write per line), and on
//             USR1 reopen the path (the one rotator is race.ts)
import { closeSync, existsSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { LogFile, reopenLogFiles } from '../../src/log/files.ts';
import { lineFor } from './lines.ts';

const [mode, file, idText, linesText, rotateText] = process.argv.slice(2);
const id = Number(idText);
const total = Number(linesText);
const rotateBytes = Number(rotateText ?? 0);
/** Lines per turn of the event loop: a server writes between requests, so signals get a chance to run. */
const BATCH = 50;

let write: (line: string) => void;
if (mode === 'a') {
  const log = new LogFile(file!, 2);
  write = (line) => log.write(line);
  process.on('SIGUSR1', () => void reopenLogFiles());
} else if (mode === 'rotate') {
  let fd = openSync(file!, 'a');
  write = (line) => {
    writeSync(fd, line);
    // Each process decides on its own, from the size its own descriptor sees. Two processes can both
    // decide; the second one renames the file the first one has just created.
    if (fstatSync(fd).size < rotateBytes) return;
    closeSync(fd);
    for (let k = 199; k >= 0; k--) {
      const from = k === 0 ? file! : `${file}.${k}`;
      // Another writer may have moved it between the check and the rename: Python's handler would
      // print a traceback for that record; here it is skipped, like the file it meant to move.
      if (existsSync(from)) tryRename(from, `${file}.${k + 1}`);
    }
    fd = openSync(file!, 'a');
  };
} else {
  const fd = openSync(file!, mode!); // 'w' or 'r+'
  write = (line) => writeSync(fd, line);
}

function tryRename(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd !== 'go') return;
  let seq = 0;
  const turn = (): void => {
    for (let i = 0; i < BATCH && seq < total; i++) write(lineFor(id, seq++));
    if (seq < total) setImmediate(turn);
    else process.send!({ cmd: 'done' }, () => process.exit(0));
  };
  turn();
});
process.send!({ cmd: 'ready' });
