// @chapter 4
// Chapter 4's way to run workers without a master, for the exercise tester: binds port 0 and starts
// worker processes on it with spawnWorker. `node worker.ts [sync|async] [workers] [max_requests] [worker_connections]`.
// Prints "Listening at:", "Booting worker with pid:" per worker and "Worker exited: pid code signal";
// exits once every worker has exited (TERM is passed on to them).
import { join } from 'node:path';
import { parseAddress } from '../../../src/sock/address.ts';
import { bind } from '../../../src/sock/bind.ts';
import type { WorkerBoot } from '../../../src/worker/boot.ts';
import { sourceEntry } from '../../../src/worker/entry.ts';
import { spawnWorker } from '../../../src/worker/spawn.ts';

const [workerClass = 'sync', count = '1', maxRequests = '0', workerConnections = '1000'] = process.argv.slice(2);
const listener = bind(parseAddress('127.0.0.1:0'));
const boot: WorkerBoot = {
  app: `${join(import.meta.dirname, 'echo-app.ts')}:app`,
  appKind: 'auto',
  cwd: process.cwd(),
  workerClass: workerClass as 'sync' | 'async',
  workerConnections: Number(workerConnections),
  keepalive: 2,
  limits: { requestLine: 4094, fields: 100, fieldSize: 8190 },
  backlog: 2048,
  listeners: 1,
  multiprocess: Number(count) > 1,
  procName: 'tester',
  age: 1,
  maxRequests: Number(maxRequests),
  logLevel: 'info',
};
console.log(`Listening at: ${listener.name}`);
let alive = 0;
for (let i = 0; i < Number(count); i++) {
  alive++;
  const child = spawnWorker(sourceEntry(), boot, () => [listener], {
    booted: (pid) => console.log(`Booting worker with pid: ${pid}`),
    listenError: (pid, message) => console.log(`Worker ${pid} cannot listen: ${message}`),
    exit: (pid, code, signal) => {
      console.log(`Worker exited: ${pid} ${code} ${signal}`);
      if (--alive === 0) process.exit(0);
    },
  });
  process.on('SIGTERM', () => child.kill('SIGTERM'));
}
