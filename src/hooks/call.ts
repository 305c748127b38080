// @chapter 6
// Calling a server hook, and what hooks receive: a view of the server (master) or of a worker.
import { pathToFileURL } from 'node:url';
import { configExports } from '../config/load.ts';
import { SETTINGS, type Settings } from '../config/settings.ts';
import { describeError, type Logger } from '../log/logger.ts';
import { trace, traceArgs, tracing } from '../log/trace.ts';

/** What master hooks get as `server` (gunicorn passes its Arbiter). */
export interface ServerView {
  pid: number;
  cfg: Settings;
  log: Logger;
  /** The number of workers the master keeps. */
  readonly numWorkers: number;
  /** The workers it has now (a worker being spawned has pid null). */
  workers(): { age: number; pid: number | null }[];
}

/** What hooks get as `worker`. In the master (pre_fork, child_exit) only age and pid are known. */
export interface WorkerView {
  age: number;
  pid: number | null;
  ppid?: number;
  cfg?: Settings;
  log?: Logger;
  /** False once the worker is stopping. */
  alive?: boolean;
}

/** A hook threw; `cause` is what it threw. */
export class HookError extends Error {
  constructor(
    readonly hook: string,
    cause: unknown,
  ) {
    super(`Exception in ${hook} hook:\n${describeError(cause)}`, { cause });
  }
}

/** What pre_request and post_request get as `req`. */
export interface RequestView {
  method: string;
  /** The request target as sent. */
  uri: string;
  path: string;
  query: string;
  version: string;
  headers: [string, string][];
}

/** The worker's pre_request and post_request, as the connection calls them (http/connection.ts). */
export interface RequestHooks {
  pre(req: RequestView): void;
  /** `resp.status` is 0 when nothing was sent. */
  post(req: RequestView, environ: Record<string, unknown>, resp: { status: number }): void;
}

// #region call
/**
 * Calls the hook named `name` if the configuration defines one. Hooks are synchronous, as in
 * gunicorn; a hook that returns a promise is not waited for, and its failure is logged. What a hook
 * throws comes back as a HookError: each caller decides what it means, as gunicorn does hook by hook.
 */
export function callHook(settings: Settings, name: string, args: unknown[], log: Logger): void {
  if (tracing) trace({ kind: 'hook', name, args: traceArgs(args) });
  const hook = settings[name];
  if (typeof hook !== 'function') return;
  let result: unknown;
  try {
    result = hook(...args);
  } catch (err) {
    throw new HookError(name, err);
  }
  if (result instanceof Promise) result.catch((err: unknown) => log.error(`Exception in ${name} hook (a promise it returned):\n${describeError(err)}`));
}
// #endregion call

// #region worker-hooks
/**
 * The hooks a worker runs, from the config file. The master passes settings to workers as values, but
 * functions cannot travel that way, so each worker imports the config file itself (it is bundled in
 * with the app). Unlike gunicorn, where a forked worker inherits the master's already-run config, the
 * file's top-level code therefore runs again in every worker: keep it free of side effects.
 */
export async function loadWorkerHooks(configFile: string | null | undefined, importConfig?: () => Promise<Record<string, unknown>>): Promise<Settings> {
  if (!importConfig && !configFile) return {} as Settings;
  const mod = importConfig ? await importConfig() : ((await import(pathToFileURL(configFile!).href)) as Record<string, unknown>);
  const exported = configExports(mod);
  const hooks = SETTINGS.filter((s) => s.type === 'hook' && typeof exported[s.name] === 'function').map((s) => [s.name, exported[s.name]]);
  return Object.fromEntries(hooks) as Settings;
}
// #endregion worker-hooks
