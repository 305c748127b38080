// Chapter 9's config file. The stage copies it, with app.ts, into a temp dir and starts
//
//   npx prefork -c <tmp>/prefork.config.ts <tmp>/app.ts:app -p <tmp>/app.pid
//
// HUP reads this file again: change `workers` here, send HUP, and the master follows (TTIN and TTOU
// only change the running count; a HUP goes back to what the configuration says).
import type { RequestView, ServerView, WorkerView } from '../../src/hooks/call.ts';

export const workers = 2;

// ---- master: the hooks that TTIN, TTOU, HUP and USR2 run ------------------------------------------

export function nworkers_changed(server: ServerView, newValue: number, oldValue: number | null): void {
  server.log.info(`[hook] nworkers_changed(${newValue}, ${oldValue})`);
}

export function on_reload(server: ServerView): void {
  server.log.info('[hook] on_reload');
}

export function pre_exec(server: ServerView): void {
  server.log.info('[hook] pre_exec: a new master is about to start');
}

// ---- worker: when it is ready, and when a slow request starts --------------------------------------

export function post_worker_init(worker: WorkerView): void {
  worker.log?.info(`[hook] post_worker_init: worker ${worker.pid} of master ${worker.ppid} ready`);
}

export function pre_request(worker: WorkerView, req: RequestView): void {
  if (req.path === '/sleep') worker.log?.info(`[hook] pre_request: ${req.method} ${req.uri} in worker ${worker.pid}`);
}
