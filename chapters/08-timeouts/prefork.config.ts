// Chapter 8's config file: worker_abort appends "worker_abort PID" to the file named by $ABORT_LOG, so
// the stage can tell an aborted worker (the hook ran) from a killed one (nothing ran):
//
//   ABORT_LOG=/tmp/abort.log npx prefork -c chapters/08-timeouts/prefork.config.ts chapters/04-worker/app.ts:app -t 2
//
// worker_abort runs in the worker, on SIGABRT, after the master saw no heartbeat for `timeout` seconds.
// Keep it short: the master sends SIGKILL one second later whatever it is doing.
import { appendFileSync } from 'node:fs';
import type { WorkerView } from '../../src/hooks/call.ts';

export function worker_abort(worker: WorkerView): void {
  worker.log?.info(`[hook] worker_abort ran in pid ${process.pid}`);
  if (process.env.ABORT_LOG) appendFileSync(process.env.ABORT_LOG, `worker_abort ${process.pid}\n`);
}
