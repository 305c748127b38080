// Several processes, one log file: starts the writers (writer.ts) together, and counts what the file (and
// its rotated copies) hold afterwards. In mode 'a' this process plays logrotate: it renames the file
// every so often and sends USR1 to the writers, which reopen it.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { countLines, type Count } from './lines.ts';

export type Mode = 'w' | 'r+' | 'rotate' | 'a';

export interface RaceOptions {
  dir: string;
  processes?: number;
  lines?: number;
  /** rotate: the size at which each writer rotates on its own. a: rotate (rename + USR1) this often, in ms; 0 = never. */
  rotateBytes?: number;
  rotateEveryMs?: number;
}

export interface RaceResult extends Count {
  mode: Mode;
  /** How many files the lines ended up in: the live one and the rotated ones. */
  files: number;
  /** Numbered files missing from the chain file.1, file.2, ... (renamed over by another writer). */
  holes: number;
  ms: number;
}

export async function race(mode: Mode, opts: RaceOptions): Promise<RaceResult> {
  const processes = opts.processes ?? 4;
  const lines = opts.lines ?? 10_000;
  const file = join(opts.dir, `${mode === 'r+' ? 'rplus' : mode}.log`);
  if (mode === 'r+') writeFileSync(file, ''); // r+ does not create the file
  const writer = join(import.meta.dirname, 'writer.ts');
  const children: ChildProcess[] = [];
  try {
    const ready: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    for (let id = 0; id < processes; id++) {
      const child = fork(writer, [mode, file, String(id), String(lines), String(opts.rotateBytes ?? 0)], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(new Promise((resolve) => child.on('message', (m: { cmd: string }) => m.cmd === 'ready' && resolve())));
      done.push(
        new Promise((resolve, reject) => {
          child.on('message', (m: { cmd: string }) => m.cmd === 'done' && resolve());
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${id} exited with ${code}`))));
        }),
      );
    }
    await Promise.all(ready);
    // All start together: the barrier makes the writes interleave, as requests in workers do.
    const started = performance.now();
    for (const c of children) c.send({ cmd: 'go' });
    let rotations = 0;
    const rotator =
      mode === 'a' && opts.rotateEveryMs
        ? setInterval(() => {
            // logrotate's way: one owner renames, then tells every writer to reopen the path. The file
            // is back once a writer has reopened it; on a busy machine that can take longer than one
            // interval, and until then there is nothing to rotate (logrotate's `missingok`).
            if (!existsSync(file)) return;
            renameSync(file, `${file}.r${++rotations}`);
            for (const c of children) if (c.exitCode === null) c.kill('SIGUSR1');
          }, opts.rotateEveryMs)
        : null;
    await Promise.all(done);
    if (rotator) clearInterval(rotator);
    const ms = performance.now() - started;
    const names = readdirSync(opts.dir).filter((n) => n === basename(file) || n.startsWith(`${basename(file)}.`));
    const texts = names.map((n) => readFileSync(join(dirname(file), n), 'utf8'));
    const numbers = names.flatMap((n) => /\.(\d+)$/.exec(n)?.[1] ?? []).map(Number);
    const holes = numbers.length ? Math.max(...numbers) - numbers.length : 0;
    return { mode, files: names.length, holes, ms, ...countLines(texts, processes, lines) };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
