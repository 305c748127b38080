// Exercise 6.1: call a server hook the way gunicorn does.
//
// Only callHook is yours. The rest of this file is given, copied from src/hooks/call.ts, because a
// stub must export the same names as the module it stands in for (`npm run chapter 6 -- --mine` swaps
// this whole file in, for the master and for the workers).
import { pathToFileURL } from 'node:url';
import { configExports } from '../../src/config/load.ts';
import { SETTINGS, type Settings } from '../../src/config/settings.ts';
import { describeError, type Logger } from '../../src/log/logger.ts';
import { todo } from '../todo.ts';

/** Given. What master hooks get as `server` (gunicorn passes its Arbiter). */
export interface ServerView {
  pid: number;
  cfg: Settings;
  log: Logger;
  /** The number of workers the master keeps. */
  readonly numWorkers: number;
  /** The workers it has now (a worker being spawned has pid null). */
  workers(): { age: number; pid: number | null }[];
}

/** Given. What hooks get as `worker`. In the master (pre_fork, child_exit) only age and pid are known. */
export interface WorkerView {
  age: number;
  pid: number | null;
  ppid?: number;
  cfg?: Settings;
  log?: Logger;
  /** False once the worker is stopping. */
  alive?: boolean;
}

/** Given. What pre_request and post_request get as `req`. */
export interface RequestView {
  method: string;
  /** The request target as sent. */
  uri: string;
  path: string;
  query: string;
  version: string;
  headers: [string, string][];
}

/** Given. The worker's pre_request and post_request, as the connection calls them (http/connection.ts). */
export interface RequestHooks {
  pre(req: RequestView): void;
  /** `resp.status` is 0 when nothing was sent. */
  post(req: RequestView, environ: Record<string, unknown>, resp: { status: number }): void;
}

/** Given. A hook threw; `hook` is its name, `cause` is what it threw. */
export class HookError extends Error {
  constructor(
    readonly hook: string,
    cause: unknown,
  ) {
    super(`Exception in ${hook} hook:\n${describeError(cause)}`, { cause });
  }
}

/**
 * Yours. Calls the hook named `name` (say 'post_fork') if `settings` has one.
 *
 * - `settings[name]` is the function the config file exported, or null/undefined when there is none:
 *   then do nothing at all.
 * - Call it with `args` spread out: `hook(...args)`.
 * - If it throws, throw `new HookError(name, whatItThrew)` instead. Don't log it: each caller decides
 *   what a failing hook means (the master stops, a worker fails to boot, worker_exit only logs).
 * - Hooks are synchronous, as in gunicorn. If the hook returns a promise (an `async function`), don't
 *   wait for it; but if it rejects later, write
 *   `Exception in NAME hook (a promise it returned):\n` + describeError(err) with `log.error`,
 *   so that the failure is not lost (and does not crash the process as an unhandled rejection).
 */
export function callHook(settings: Settings, name: string, args: unknown[], log: Logger): void {
  return todo('6.1 (exercises/06-hooks/call.ts)');
}

/**
 * Given. The hooks a worker runs, from the config file. Each worker imports the config file itself
 * (functions cannot be sent from the master), so the file's top-level code runs again in every worker.
 */
export async function loadWorkerHooks(configFile: string | null | undefined, importConfig?: () => Promise<Record<string, unknown>>): Promise<Settings> {
  if (!importConfig && !configFile) return {} as Settings;
  const mod = importConfig ? await importConfig() : ((await import(pathToFileURL(configFile!).href)) as Record<string, unknown>);
  const exported = configExports(mod);
  const hooks = SETTINGS.filter((s) => s.type === 'hook' && typeof exported[s.name] === 'function').map((s) => [s.name, exported[s.name]]);
  return Object.fromEntries(hooks) as Settings;
}
