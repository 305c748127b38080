// Exercise 9.3: the worker's side of signals. The master tells a worker to go with a signal (TERM on a
// reload, TTOU or a graceful stop; QUIT on a quick stop; ABRT on a timeout), and a worker may get one
// before it has even loaded the app. This module decides which signal leads to what, in which order;
// the worker (src/worker/main.ts) supplies what "stop", "exit" and the hooks mean, and calls:
//   const held = holdStopSignals();     // its first line
//   ... loads the config file and the app, builds its loop ...
//   handleWorkerSignals({ stop, exit, log, onQuit, onAbort });
//   held.release();
import type { Logger } from '../../src/log/logger.ts';
import { todo } from '../todo.ts';

/** What the worker can do when a signal tells it to go; main.ts supplies each of them. */
export interface WorkerSignalActions {
  /** Stops accepting; resolves once every request in flight has been answered. */
  stop(): Promise<void>;
  /** Leaves at once with this exit code: logs "Worker exiting", runs worker_exit, ends the process. */
  exit(code: number): void;
  /** The worker's error log. */
  log: Logger;
  /** INT or QUIT, just before the exit: the worker_int hook (a hook that throws is logged, never thrown). */
  onQuit(): void;
  /** ABRT, just before the exit: the worker_abort hook (a hook that throws is logged, never thrown). */
  onAbort(): void;
}

/** Signals held since the worker's first line, until its real handlers exist. */
export interface HeldSignals {
  /** Stops holding and raises each signal that came meanwhile again, once, for the handlers now in place. */
  release(): void;
}

/**
 * Called first thing in a worker, long before it can handle anything. From now on SIGTERM, SIGINT and
 * SIGQUIT no longer kill the process (which is what they do to a Node.js process that does not listen
 * for them): each one that arrives is remembered instead.
 * `release()`, called once the handlers of handleWorkerSignals exist: stops holding (afterwards these
 * signals reach those handlers only), then delivers each signal that came meanwhile to them, once per
 * kind (two TERMs while holding make one TERM).
 */
export function holdStopSignals(): HeldSignals {
  return todo('9.3 (exercises/09-signals/worker-signals.ts)');
}

/**
 * Installs the worker's handlers, for the rest of its life:
 * - SIGTERM (graceful): `stop()`, and once it has resolved, `exit(0)`.
 * - SIGINT and SIGQUIT (quick): `onQuit()`, then `exit(0)` at once; requests in flight are cut.
 * - SIGABRT (the master saw no heartbeat): `onAbort()`, then `exit(1)`.
 * - 'disconnect' (the IPC channel to the master closed: the master is gone): log at info level
 *   `Parent changed, shutting down: PID` (this process's pid), then as TERM: `stop()`, then `exit(0)`.
 * Any other signal is left alone: HUP and USR2 keep their default action (they kill a worker, as in
 * gunicorn), and USR1 is the log files' (chapter 7).
 */
export function handleWorkerSignals(actions: WorkerSignalActions): void {
  return todo('9.3 (exercises/09-signals/worker-signals.ts)');
}
