// @chapter 4
// The worker's side of signals: what a worker does when it is told to go. TERM: finish what is in
// flight, then exit. INT and QUIT: exit now. The master gone: as TERM. (HUP and USR2 keep their default
// action and kill a worker, as in gunicorn: the master replaces it.) What "stop" and "exit" mean is the
// worker's business (main.ts); this module only says which signal leads to which, in which order.
import type { Logger } from '../log/logger.ts';

/** What the worker can do when a signal tells it to go; main.ts supplies each of them. */
export interface WorkerSignalActions {
  /** Stops accepting; resolves once every request in flight has been answered. */
  stop(): Promise<void>;
  /** Leaves at once with this exit code: logs "Worker exiting", runs worker_exit, ends the process. */
  exit(code: number): void;
  /** The worker's error log. */
  log: Logger;
  // >>> chapter 6
  /** INT or QUIT, just before the exit: the worker_int hook (a hook that throws is logged, never thrown). */
  onQuit(): void;
  // <<< chapter 6
  // >>> chapter 8
  /** ABRT, just before the exit: the worker_abort hook (a hook that throws is logged, never thrown). */
  onAbort(): void;
  // <<< chapter 8
}
// >>> chapter 6

/** Signals held since the worker's first line, until its real handlers exist. */
export interface HeldSignals {
  /** Stops holding and raises each signal that came meanwhile again, once, for the handlers now in place. */
  release(): void;
}

// #region hold-signals
// Until a signal has a listener, Node leaves the kernel's default action in place, which kills the
// process: a TERM, INT or QUIT that arrives while the app loads (a quick stop, or a reload retiring a
// worker that has not booted yet) would skip worker_int and worker_exit. So they are held from the
// start and handed to the real handlers once those exist, as gunicorn installs its handlers before it
// loads the app.
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

export function holdStopSignals(): HeldSignals {
  const held = new Set<NodeJS.Signals>();
  const hold = (signal: NodeJS.Signals): void => void held.add(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, hold);
  return {
    release() {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, hold);
      // A signal sent to ourselves is delivered like any other: to the listeners installed since.
      for (const signal of held) process.kill(process.pid, signal);
    },
  };
}
// #endregion hold-signals
// <<< chapter 6

// #region worker-signals
export function handleWorkerSignals(actions: WorkerSignalActions): void {
  const { stop, exit, log } = actions;
  process.on('SIGTERM', () => void stop().then(() => exit(0)));
  /* >>> chapters 4-5
  process.on('SIGINT', () => exit(0));
  process.on('SIGQUIT', () => exit(0));
  <<< chapters 4-5 */
  // >>> chapter 6
  const quit = (): void => {
    actions.onQuit();
    exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGQUIT', quit);
  // <<< chapter 6
  // >>> chapter 8
  // #region abort
  // SIGABRT: the master saw no heartbeat for `timeout` seconds. This handler only runs if the event loop
  // gets a turn; a worker spinning in CPU work never runs it, and the master's SIGKILL follows.
  process.on('SIGABRT', () => {
    actions.onAbort();
    exit(1);
  });
  // #endregion abort
  // <<< chapter 8
  // The master is gone (its IPC channel closed): nobody would replace us or hand out sockets.
  process.on('disconnect', () => {
    log.info(`Parent changed, shutting down: ${process.pid}`);
    void stop().then(() => exit(0));
  });
}
// #endregion worker-signals
