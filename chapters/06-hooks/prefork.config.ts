// Chapter 6's config file. The scheduler starts in on_starting: once, in the master, however many
// workers there are. Every other hook only says in the log that it ran, and in which process:
//
//   npx prefork -c chapters/06-hooks/prefork.config.ts chapters/06-hooks/app.ts:app
//
// Hooks live only here, in the config file (never in the app), as functions named after the hook.
import type { RequestView, ServerView, WorkerView } from '../../src/hooks/call.ts';
import type { Logger } from '../../src/log/logger.ts';
import { record, startScheduler } from './scheduler.ts';

export const workers = 4;

// A demonstration, not a habit to copy: top-level code of this file runs when the master reads it,
// and AGAIN in every worker, which imports the file to find its own hooks (workers are new Node.js
// processes, not forks). With 4 workers this line is written 5 times. Keep real config files free of
// side effects at the top level; put them in the hook that runs where you want them.
record(`config file evaluated in pid ${process.pid}`);

/** One log line per hook: "[hook] NAME ran in pid PID (DETAIL)". */
function ran(log: Logger | undefined, name: string, detail = ''): void {
  log?.info(`[hook] ${name} ran in pid ${process.pid}${detail ? ` (${detail})` : ''}`);
}

// ---- master ---------------------------------------------------------------------------------------

export function nworkers_changed(server: ServerView, newValue: number, oldValue: number | null): void {
  ran(server.log, 'nworkers_changed', `new ${newValue}, old ${oldValue}`);
}

export function on_starting(server: ServerView): void {
  server.log.info('Starting the scheduler...');
  startScheduler();
  ran(server.log, 'on_starting');
}

export function when_ready(server: ServerView): void {
  ran(server.log, 'when_ready', `listening, ${server.cfg.workers} workers to start`);
}

export function pre_fork(server: ServerView, worker: WorkerView): void {
  ran(server.log, 'pre_fork', `worker age ${worker.age}, no pid yet`);
}

export function child_exit(server: ServerView, worker: WorkerView): void {
  ran(server.log, 'child_exit', `worker ${worker.pid}, age ${worker.age}`);
}

export function on_exit(server: ServerView): void {
  ran(server.log, 'on_exit');
}

// Chapter 9 (HUP and USR2) calls these two; until then they never run.
export function on_reload(server: ServerView): void {
  ran(server.log, 'on_reload');
}

export function pre_exec(server: ServerView): void {
  ran(server.log, 'pre_exec');
}

// ---- worker ---------------------------------------------------------------------------------------

export function post_fork(_server: unknown, worker: WorkerView): void {
  ran(worker.log, 'post_fork', `age ${worker.age}`);
}

export function post_worker_init(worker: WorkerView): void {
  ran(worker.log, 'post_worker_init', `age ${worker.age}, app loaded`);
}

export function pre_request(worker: WorkerView, req: RequestView): void {
  ran(worker.log, 'pre_request', `${req.method} ${req.path}`);
}

export function post_request(worker: WorkerView, req: RequestView, _environ: unknown, resp: { status: number }): void {
  ran(worker.log, 'post_request', `${req.method} ${req.path}, status ${resp.status}`);
}

export function worker_int(worker: WorkerView): void {
  ran(worker.log, 'worker_int');
}

// Chapter 8 (timeouts) calls this one.
export function worker_abort(worker: WorkerView): void {
  ran(worker.log, 'worker_abort');
}

export function worker_exit(_server: unknown, worker: WorkerView): void {
  ran(worker.log, 'worker_exit', `age ${worker.age}`);
}
