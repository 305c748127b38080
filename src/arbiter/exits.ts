// @chapter 5
// What a worker's exit means to the master: what to log, and whether to stop the whole server.
import type { LogLevel } from './core.ts';

export const EXIT_WORKER_BOOT = 3;
export const EXIT_APP_LOAD = 4;

export interface ExitMeaning {
  log: { level: LogLevel; message: string } | null;
  /** Stop the server with this exit code and reason, instead of replacing the worker. */
  halt: { code: number; reason: string } | null;
}

// #region describe
export function describeExit(pid: number, code: number | null, signal: string | null): ExitMeaning {
  let log: ExitMeaning['log'] = null;
  if (signal === 'SIGKILL') log = { level: 'error', message: `Worker (pid:${pid}) was sent SIGKILL! Perhaps out of memory?` };
  else if (signal) log = { level: signal === 'SIGTERM' ? 'info' : 'warning', message: `Worker (pid:${pid}) was sent ${signal}!` };
  else if (code !== 0) log = { level: 'error', message: `Worker (pid:${pid}) exited with code ${code}.` };
  // A worker that cannot boot will not boot the next time either: stop instead of a respawn loop.
  if (code === EXIT_WORKER_BOOT) return { log, halt: { code, reason: 'Worker failed to boot.' } };
  if (code === EXIT_APP_LOAD) return { log, halt: { code, reason: 'App failed to load.' } };
  return { log, halt: null };
}
// #endregion describe
