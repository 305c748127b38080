// The boot a master gives a worker with prefork's defaults (src/arbiter/master.ts), for the benchmark
// scripts that start one worker by hand, without a master.
import type { WorkerBoot } from '../../../src/worker/boot.ts';

export function handBoot(app: string, boot: Pick<WorkerBoot, 'cwd' | 'workerClass' | 'procName'>): WorkerBoot {
  return {
    app,
    appKind: 'auto',
    workerConnections: 1000,
    keepalive: 2,
    limits: { requestLine: 4094, fields: 100, fieldSize: 8190 },
    backlog: 2048,
    listeners: 1,
    multiprocess: false,
    age: 1,
    maxRequests: 0,
    logLevel: 'warning',
    ...boot,
  };
}
