// Exercise 5.3: what a worker's exit means to the master.
import type { LogLevel } from '../../src/arbiter/core.ts';
import { todo } from '../todo.ts';

export const EXIT_WORKER_BOOT = 3;
export const EXIT_APP_LOAD = 4;

export interface ExitMeaning {
  log: { level: LogLevel; message: string } | null;
  halt: { code: number; reason: string } | null;
}

/**
 * The log line (gunicorn's current wording):
 * - killed by SIGKILL: error "Worker (pid:PID) was sent SIGKILL! Perhaps out of memory?"
 * - killed by SIGTERM: info "Worker (pid:PID) was sent SIGTERM!"; another signal: warning, same wording
 * - exited with a code other than 0: error "Worker (pid:PID) exited with code CODE."
 * - exited 0: no log line (null).
 * Halt: exit code 3 -> { code: 3, reason: 'Worker failed to boot.' }; 4 -> { code: 4, reason:
 * 'App failed to load.' }; anything else: null (the master just replaces the worker).
 */
export function describeExit(pid: number, code: number | null, signal: string | null): ExitMeaning {
  return todo('5.3 (exercises/05-prefork/exits.ts)');
}
