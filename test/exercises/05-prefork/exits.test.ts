import { describe, expect, it } from 'vitest';
import { describeExit } from '@answers/05-prefork/exits.ts';

describe('exercise 5.3: what a worker exit means', () => {
  it('logs a SIGKILL as an error with the out-of-memory hint', () => {
    expect(describeExit(42, null, 'SIGKILL'), 'SIGKILL is usually the OOM killer or a timeout').toEqual({
      log: { level: 'error', message: 'Worker (pid:42) was sent SIGKILL! Perhaps out of memory?' },
      halt: null,
    });
  });

  it('logs SIGTERM as info and other signals as warnings', () => {
    expect(describeExit(7, null, 'SIGTERM').log, 'SIGTERM is a normal stop').toEqual({ level: 'info', message: 'Worker (pid:7) was sent SIGTERM!' });
    expect(describeExit(7, null, 'SIGSEGV').log, 'a crash signal is a warning').toEqual({ level: 'warning', message: 'Worker (pid:7) was sent SIGSEGV!' });
  });

  it('logs a non-zero exit code as an error, and a clean exit not at all', () => {
    expect(describeExit(9, 1, null), 'exit code 1: log it, replace the worker').toEqual({ log: { level: 'error', message: 'Worker (pid:9) exited with code 1.' }, halt: null });
    expect(describeExit(9, 0, null), 'exit 0 (max_requests, TERM): nothing to log').toEqual({ log: null, halt: null });
  });

  it('halts the server on exit codes 3 and 4 instead of respawning', () => {
    expect(describeExit(5, 3, null).halt, 'exit 3: the worker could not boot').toEqual({ code: 3, reason: 'Worker failed to boot.' });
    expect(describeExit(5, 4, null).halt, 'exit 4: the app could not be loaded').toEqual({ code: 4, reason: 'App failed to load.' });
    expect(describeExit(5, 3, null).log?.level, 'and the exit is still logged as an error').toBe('error');
  });
});
