// @chapter 9
// What the master does with each signal it handles: gunicorn's handle_hup, handle_ttin, ... as one
// pure decision. The core (core.ts) carries the decision out.

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

// #region signal-action
export function signalAction(signal: MasterSignal, ctx: SignalContext): SignalAction {
  if (ctx.stopping) {
    if (signal === 'SIGINT' || signal === 'SIGQUIT') return { action: 'quicken' };
    if (signal === 'SIGUSR1') return { action: 'reopen-logs' };
    return { action: 'ignore', level: 'info', why: `${signal} ignored: the master is stopping.` };
  }
  switch (signal) {
    case 'SIGHUP':
      return { action: 'reload' };
    case 'SIGTERM':
      return { action: 'stop', graceful: true };
    case 'SIGINT':
    case 'SIGQUIT':
      return { action: 'stop', graceful: false };
    case 'SIGTTIN':
      return { action: 'scale', workers: ctx.workers + 1 };
    case 'SIGTTOU':
      // gunicorn never goes below one worker this way; WINCH is the way to zero.
      if (ctx.workers <= 1) return { action: 'ignore', level: 'info', why: 'SIGTTOU ignored: one worker is the minimum (WINCH stops them all).' };
      return { action: 'scale', workers: ctx.workers - 1 };
    case 'SIGUSR1':
      return { action: 'reopen-logs' };
    case 'SIGUSR2':
      if (ctx.hasChild) return { action: 'ignore', level: 'warning', why: 'USR2 signal ignored. Child exists.' };
      if (ctx.hasParent) return { action: 'ignore', level: 'warning', why: 'USR2 signal ignored. Parent exists.' };
      return { action: 'reexec' };
    case 'SIGWINCH':
      // A terminal sends WINCH to its foreground processes whenever its window is resized.
      if (ctx.onTerminal) return { action: 'ignore', level: 'info', why: 'SIGWINCH ignored: the master runs in a terminal, where resizing the window sends it.' };
      return { action: 'scale', workers: 0 };
  }
}
// #endregion signal-action
