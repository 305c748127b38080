// Chapter 10's config file. The stage copies it, with app.ts, into a temp dir and starts
//
//   npx prefork -c <tmp>/prefork.config.ts <tmp>/app.ts:app
//
// Two sync workers: the smallest pool where one busy or crashed worker leaves another to answer.
import type { WorkerView } from '../../src/hooks/call.ts';

export const workers = 2;

/** The stage counts the workers that serve from this line (a worker logs "Booting" before it listens). */
export function post_worker_init(worker: WorkerView): void {
  worker.log?.info(`[hook] post_worker_init: worker ${worker.pid} of master ${worker.ppid} ready`);
}
