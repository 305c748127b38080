// Exercise 9.1: what the master does with each signal (gunicorn's handle_hup, handle_ttin, ... as one decision).
import { todo } from '../todo.ts';

export type MasterSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGTTIN' | 'SIGTTOU' | 'SIGUSR1' | 'SIGUSR2' | 'SIGWINCH';

/** What the decision needs to know about the master. */
export interface SignalContext {
  /** The number of workers the master keeps (num_workers). */
  workers: number;
  /** A stop is under way (after TERM, INT or QUIT). */
  stopping: boolean;
  /** A new master started by USR2 is still running. */
  hasChild: boolean;
  /** This master was started by USR2 and the master that started it still runs. */
  hasParent: boolean;
  /** The master runs in a terminal, where resizing the window sends WINCH. */
  onTerminal: boolean;
}

export type SignalAction =
  /** HUP: read the config again, start new workers, retire the old ones. */
  | { action: 'reload' }
  /** TERM: graceful (finish requests within graceful_timeout); INT, QUIT: quick. */
  | { action: 'stop'; graceful: boolean }
  /** INT or QUIT during a graceful stop: make it quick. */
  | { action: 'quicken' }
  /** TTIN, TTOU, WINCH: keep this many workers from now on. */
  | { action: 'scale'; workers: number }
  /** USR1: reopen the log files, here and in every worker. */
  | { action: 'reopen-logs' }
  /** USR2: start a new master on the same sockets. */
  | { action: 'reexec' }
  /** Nothing to do, and the log line that says why. */
  | { action: 'ignore'; level: 'info' | 'warning'; why: string };

/**
 * Decide what the master does when it receives `signal`.
 * While a stop is under way (`ctx.stopping`), first:
 * - SIGINT or SIGQUIT: { action: 'quicken' } (turn the graceful stop into a quick one);
 * - SIGUSR1: { action: 'reopen-logs' } (logs can still be rotated);
 * - any other signal: { action: 'ignore', level: 'info', why } with a `why` that names the signal.
 * Otherwise (the master runs normally):
 * - SIGHUP: { action: 'reload' };
 * - SIGTERM: { action: 'stop', graceful: true };
 * - SIGINT and SIGQUIT: { action: 'stop', graceful: false };
 * - SIGTTIN: { action: 'scale', workers: ctx.workers + 1 };
 * - SIGTTOU: { action: 'scale', workers: ctx.workers - 1 }, but with 1 worker or fewer, never go
 *   lower: { action: 'ignore', level: 'info', why } with a `why` that names the signal;
 * - SIGUSR1: { action: 'reopen-logs' };
 * - SIGUSR2: { action: 'reexec' }, except
 *   with `ctx.hasChild`: { action: 'ignore', level: 'warning', why: 'USR2 signal ignored. Child exists.' },
 *   else with `ctx.hasParent`: { action: 'ignore', level: 'warning', why: 'USR2 signal ignored. Parent exists.' };
 * - SIGWINCH: { action: 'scale', workers: 0 }, except on a terminal (`ctx.onTerminal`), where resizing
 *   the window sends it: { action: 'ignore', level: 'info', why } with a `why` that names the signal.
 * A `why` you write yourself can say it in your own words, as long as it names the signal (e.g. 'SIGTTOU').
 */
export function signalAction(signal: MasterSignal, ctx: SignalContext): SignalAction {
  return todo('9.1 (exercises/09-signals/signals.ts)');
}
