// One prefork worker started on the TypeScript sources (src/worker/start.ts with the tsx loader), the way
// the master falls back to when it cannot bundle: the memory benchmark compares it with the bundled worker.
//
//   node --import tsx source-worker.ts path/to/app.ts:name [sync|async]
//
// Binds 127.0.0.1 on a free port, starts one worker on it, and prints one JSON line once the worker has
// booted: {"url":"http://127.0.0.1:PORT","workers":[pid]}. Stops the worker on TERM/INT, and when its
// stdin closes (its parent died).
import type { ChildProcess } from 'node:child_process';
import { parseAddress } from '../../../src/sock/address.ts';
import { bind, closeListeners } from '../../../src/sock/bind.ts';
import { sourceEntry } from '../../../src/worker/entry.ts';
import { spawnWorker } from '../../../src/worker/spawn.ts';
import { handBoot } from './boot.ts';

const [spec, workerClass = 'async'] = process.argv.slice(2);
if (!spec || (workerClass !== 'sync' && workerClass !== 'async')) {
  console.error('usage: node --import tsx source-worker.ts path/to/app.ts:name [sync|async]');
  process.exit(2);
}

const listener = bind(parseAddress('127.0.0.1:0'));
const boot = handBoot(spec, { cwd: process.cwd(), workerClass, procName: spec });

let stopping = false;
const worker: ChildProcess = spawnWorker(sourceEntry(), boot, () => [listener], {
  booted: (pid) => process.stdout.write(`${JSON.stringify({ url: listener.name, workers: [pid] })}\n`),
  listenError: (_pid, message) => {
    console.error(`worker cannot listen: ${message}`);
    void stop(1);
  },
  exit: (pid, code, signal) => {
    if (!stopping) console.error(`worker ${pid} exited (${signal ?? `code ${code}`})`);
    void stop(stopping ? 0 : 1);
  },
});

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (worker.exitCode === null && worker.signalCode === null) {
    const gone = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    const timer = setTimeout(() => worker.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
  closeListeners([listener]);
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0)).on('error', () => void stop(0)).resume();
