import { describe, expect, it } from 'vitest';
import { signalAction, type MasterSignal, type SignalAction, type SignalContext } from '@answers/09-signals/signals.ts';

/** A master running normally with 3 workers, started by hand, in the background. */
const running: SignalContext = { workers: 3, stopping: false, hasChild: false, hasParent: false, onTerminal: false };
const stopping: SignalContext = { ...running, stopping: true };

/** Checks an 'ignore' answer: its level, and a `why` that names the signal. */
function expectIgnored(result: SignalAction, signal: string, level: 'info' | 'warning', message: string): void {
  expect(result.action, `${message}: the action should be 'ignore'`).toBe('ignore');
  if (result.action !== 'ignore') return;
  expect(result.level, `${message}: the log level`).toBe(level);
  expect(typeof result.why === 'string' && result.why.length > 0, `${message}: 'why' should be the log line that says why`).toBe(true);
  expect(result.why, `${message}: 'why' should name the signal`).toContain(signal.replace(/^SIG/, ''));
}

describe('exercise 9.1: what the master does with each signal', () => {
  it('HUP reloads', () => {
    expect(signalAction('SIGHUP', running), 'HUP: read the config again, new workers, old ones retired').toEqual({ action: 'reload' });
  });

  it('TERM stops gracefully; INT and QUIT stop quickly', () => {
    expect(signalAction('SIGTERM', running), 'TERM: a graceful stop').toEqual({ action: 'stop', graceful: true });
    expect(signalAction('SIGINT', running), 'INT (Ctrl-C): a quick stop').toEqual({ action: 'stop', graceful: false });
    expect(signalAction('SIGQUIT', running), 'QUIT: a quick stop').toEqual({ action: 'stop', graceful: false });
  });

  it('TTIN adds a worker and TTOU removes one', () => {
    expect(signalAction('SIGTTIN', running), 'TTIN with 3 workers: keep 4').toEqual({ action: 'scale', workers: 4 });
    expect(signalAction('SIGTTOU', running), 'TTOU with 3 workers: keep 2').toEqual({ action: 'scale', workers: 2 });
    expect(signalAction('SIGTTOU', { ...running, workers: 2 }), 'TTOU with 2 workers: keep 1').toEqual({ action: 'scale', workers: 1 });
  });

  it('ignores TTOU with one worker left (one is the minimum)', () => {
    expectIgnored(signalAction('SIGTTOU', { ...running, workers: 1 }), 'SIGTTOU', 'info', 'TTOU with 1 worker');
  });

  it('USR1 reopens the logs', () => {
    expect(signalAction('SIGUSR1', running), 'USR1: reopen the log files').toEqual({ action: 'reopen-logs' });
  });

  it('USR2 starts a new master', () => {
    expect(signalAction('SIGUSR2', running), 'USR2: a new master on the same sockets').toEqual({ action: 'reexec' });
  });

  it('ignores USR2 with a warning while a new master (a child) still runs', () => {
    expect(signalAction('SIGUSR2', { ...running, hasChild: true }), 'USR2 with a child master: gunicorn\'s exact warning').toEqual({
      action: 'ignore',
      level: 'warning',
      why: 'USR2 signal ignored. Child exists.',
    });
    expect(signalAction('SIGUSR2', { ...running, hasChild: true, hasParent: true }), 'USR2 with both a child and a parent: the child is checked first').toEqual({
      action: 'ignore',
      level: 'warning',
      why: 'USR2 signal ignored. Child exists.',
    });
  });

  it('ignores USR2 with a warning in a new master whose parent still runs', () => {
    expect(signalAction('SIGUSR2', { ...running, hasParent: true }), 'USR2 with a parent master: gunicorn\'s exact warning').toEqual({
      action: 'ignore',
      level: 'warning',
      why: 'USR2 signal ignored. Parent exists.',
    });
  });

  it('WINCH stops all the workers, when the master is not in a terminal', () => {
    expect(signalAction('SIGWINCH', running), 'WINCH in the background: keep 0 workers').toEqual({ action: 'scale', workers: 0 });
  });

  it('ignores WINCH in a terminal, where resizing the window sends it', () => {
    expectIgnored(signalAction('SIGWINCH', { ...running, onTerminal: true }), 'SIGWINCH', 'info', 'WINCH in a terminal');
  });

  it('while stopping, INT and QUIT make the stop quick', () => {
    expect(signalAction('SIGINT', stopping), 'INT during a stop: quicken it').toEqual({ action: 'quicken' });
    expect(signalAction('SIGQUIT', stopping), 'QUIT during a stop: quicken it').toEqual({ action: 'quicken' });
  });

  it('while stopping, USR1 still reopens the logs', () => {
    expect(signalAction('SIGUSR1', stopping), 'USR1 during a stop: reopen the log files all the same').toEqual({ action: 'reopen-logs' });
  });

  it('while stopping, ignores every other signal', () => {
    const others: MasterSignal[] = ['SIGHUP', 'SIGTERM', 'SIGTTIN', 'SIGTTOU', 'SIGUSR2', 'SIGWINCH'];
    for (const signal of others) expectIgnored(signalAction(signal, stopping), signal, 'info', `${signal} during a stop`);
  });
});
