// @chapter 4
// A worker process: loads the app, takes copies of the listening sockets from the master, serves.
// >>> chapter 6
import type { Settings } from '../config/settings.ts';
import { callHook, HookError, loadWorkerHooks, type RequestHooks, type WorkerView } from '../hooks/call.ts';
// <<< chapter 6
// >>> chapter 5
import { installLightResponse } from '../app/light-fetch.ts';
// <<< chapter 5
import { AppLoadError, loadApp } from '../app/load-app.ts';
import type { App } from '../app/types.ts';
import { SERVER_SOFTWARE } from '../cgi/server.ts';
import { normaliseLimits } from '../http/limits.ts';
import { createLogger, describeError, type Logger } from '../log/logger.ts';
import type { RawHandle } from '../sock/bind.ts';
import { AcceptGate, HandlePool } from './accept-gate.ts';
import { EXIT_APP_LOAD_FAILED, EXIT_BOOT_FAILED, readBoot, type WorkerBoot } from './boot.ts';
import { requestBudget } from './budget.ts';
import { workerLoop } from './loops.ts';
/* >>> chapters 4-5
import { handleWorkerSignals } from './signals.ts';
<<< chapters 4-5 */
// >>> chapter 6
import { handleWorkerSignals, holdStopSignals } from './signals.ts';
// <<< chapter 6
// >>> chapter 8
import { startHeartbeat } from './heartbeat.ts';
// <<< chapter 8
// >>> chapter 10
import { dropPrivileges, PrivilegeError } from './privileges.ts';
// <<< chapter 10
// >>> chapter 7
import { DEFAULT_ACCESS_LOG_FORMAT } from '../log/access-format.ts';
import { createAccessLog } from '../log/access-log.ts';
import { reopenLogFiles } from '../log/files.ts';
import { workerLogger } from '../log/setup.ts';
// <<< chapter 7

/** Messages between master and worker: small plain objects with a `cmd`, as node:cluster does. */
export type ToWorker = { cmd: 'handle'; listener: number };
export type ToMaster =
  | { cmd: 'handles'; listener: number; count: number }
  | { cmd: 'booted' }
  | { cmd: 'listen-error'; message: string }
  // >>> chapter 8
  /** The heartbeat: "my event loop is turning (and, sync, I am between requests)". */
  | { cmd: 'beat' }
  // <<< chapter 8
  ;

const send = (m: ToMaster): void => void process.send?.(m);

// #region boot
/**
 * Runs the worker. `importApp` is given when the app was bundled into the worker ahead of time (plain
 * JavaScript, no TypeScript loader in the worker); otherwise the worker imports the app file itself.
 */
/* >>> chapters 4-5
export async function runWorker(importApp?: () => Promise<Record<string, unknown>>): Promise<void> {
<<< chapters 4-5 */
// >>> chapter 6
export async function runWorker(importApp?: () => Promise<Record<string, unknown>>, importConfig?: () => Promise<Record<string, unknown>>): Promise<void> {
// <<< chapter 6
  const boot = readBoot();
  /* >>> chapters 4-6
  const log = createLogger({ level: boot.logLevel });
  <<< chapters 4-6 */
  // >>> chapter 7
  // #region worker-logs
  // The worker opens the log files itself, by path (O_APPEND), and reopens them on USR1. The listener
  // goes in first thing: until it exists, a USR1 would start Node's inspector instead.
  const log = workerLogger(boot.logLevel, boot.errorlog ?? '-');
  process.on('SIGUSR1', () => {
    for (const failure of reopenLogFiles()) log.error(failure);
  });
  // #endregion worker-logs
  // <<< chapter 7
  process.title = `prefork: worker [${boot.procName}]`;
  // >>> chapter 6
  // #region hold-signals
  // From here on, a TERM, INT or QUIT is kept rather than fatal (Node's default action would kill the
  // worker while it loads the app); the handlers below get it once they exist (worker/signals.ts).
  const held = holdStopSignals();
  // #endregion hold-signals
  // <<< chapter 6
  log.info(`Booting worker with pid: ${process.pid}`);
  // >>> chapter 10
  // #region drop-privileges
  // user/group: before the first line of the user's code (hooks, app), after the error log is open, so
  // that a failure is logged where the other lines go. A worker that cannot drop does not serve (exit 3).
  if (boot.owner) {
    try {
      dropPrivileges(boot.owner, boot);
    } catch (err) {
      log.error(`Exception in worker process:\n${err instanceof PrivilegeError ? err.message : describeError(err)}`);
      log.info(`Worker exiting (pid: ${process.pid})`);
      process.exit(EXIT_BOOT_FAILED);
    }
  }
  // #endregion drop-privileges
  // <<< chapter 10
  // >>> chapter 6
  // #region worker-hooks
  let hooks: Settings;
  const worker: WorkerView = { age: boot.age, pid: process.pid, ppid: process.ppid, log, alive: true };
  const server = { pid: process.ppid, log };
  const hook = (name: string, ...args: unknown[]): void => callHook(hooks, name, args, log);
  /** A failure before the worker serves is a boot failure: exit 3, and the master stops. */
  const bootFailed = (err: unknown): never => {
    log.error(`Exception in worker process:\n${err instanceof HookError ? err.message : describeError(err)}`);
    log.info(`Worker exiting (pid: ${process.pid})`);
    process.exit(EXIT_BOOT_FAILED);
  };
  try {
    hooks = await loadWorkerHooks(boot.configFile, importConfig);
    worker.cfg = { ...(boot as unknown as Settings), ...hooks };
    hook('post_fork', server, worker);
  } catch (err) {
    bootFailed(err);
  }
  // #endregion worker-hooks
  // <<< chapter 6
  // #region post-worker-init
  const { app, kind } = await loadOrExit(boot, log, importApp);
  // >>> chapter 6
  try {
    hook('post_worker_init', worker);
  } catch (err) {
    bootFailed(err);
  }
  // <<< chapter 6
  // #endregion post-worker-init
  // >>> chapter 5
  // A fetch-style app makes a Response per request: give it the cheap kind (app/light-fetch.ts).
  if (kind === 'fetch') installLightResponse();
  // <<< chapter 5

  const budget = requestBudget(boot.maxRequests);
  // >>> chapter 8
  // #region start-heartbeat
  // The master counts from the 'booted' message below; from then on the loop's activity and a timer
  // tell it the worker is alive (worker/heartbeat.ts says exactly when).
  const heartbeat = startHeartbeat({ workerClass: boot.workerClass, timeout: boot.timeout ?? 0, idle: () => loop.open === 0, send: () => send({ cmd: 'beat' }) });
  // #endregion start-heartbeat
  // <<< chapter 8
  const loop = workerLoop({
    app,
    workerClass: boot.workerClass,
    workerConnections: boot.workerConnections,
    connection: {
      limits: normaliseLimits(boot.limits),
      keepalive: boot.keepalive,
      multiprocess: boot.multiprocess,
      serverSoftware: SERVER_SOFTWARE,
      // >>> chapter 7
      accessLog: createAccessLog(boot.accesslog ?? null, boot.accessLogFormat ?? DEFAULT_ACCESS_LOG_FORMAT, log),
      // <<< chapter 7
      // >>> chapter 10
      ...(boot.forwardedAllowIps ? { proxy: { forwardedAllowIps: boot.forwardedAllowIps, secureSchemeHeaders: boot.secureSchemeHeaders ?? {} } } : {}),
      // <<< chapter 10
      log,
      // >>> chapter 6
      ...(hooks!.pre_request || hooks!.post_request
        ? { requestHooks: { pre: (req) => hook('pre_request', worker, req), post: (req, environ, resp) => hook('post_request', worker, req, environ, resp) } as RequestHooks }
        : {}),
      // <<< chapter 6
    },
    onRequest: () => {
      if (budget.take()) return;
      // The last request: answer it with Connection: close, then exit; the master starts a fresh worker.
      log.info('Autorestarting worker after current request.');
      void loop.stop().then(() => exit(0));
    },
    // >>> chapter 8
    onActivity: heartbeat.pulse,
    // <<< chapter 8
  });

  const pools = Array.from({ length: boot.listeners }, (_, i) => new HandlePool((count) => send({ cmd: 'handles', listener: i, count })));
  process.on('message', (m: ToWorker, handle?: RawHandle) => {
    if (m.cmd === 'handle' && handle) pools[m.listener]?.add(handle);
  });
  const gates = pools.map(
    (pool) =>
      new AcceptGate(pool, boot.backlog, (err) => {
        // listen(2) failed on our copy of the socket: tell the master (once the message is out), then go.
        log.error(`Cannot listen: ${err.message}`);
        const message: ToMaster = { cmd: 'listen-error', message: err.message };
        if (process.send) process.send(message, () => process.exit(EXIT_BOOT_FAILED));
        else process.exit(EXIT_BOOT_FAILED);
      }),
  );

  // #region worker-exit
  const exit = (code: number): void => {
    for (const p of pools) p.drain();
    log.info(`Worker exiting (pid: ${process.pid})`);
    // >>> chapter 6
    try {
      hook('worker_exit', server, worker);
    } catch (err) {
      log.error(`Exception during worker exit:\n${(err as Error).message}`);
    }
    // <<< chapter 6
    process.exit(code);
  };
  // #endregion worker-exit
  // #region worker-signals
  // worker/signals.ts decides which signal leads to which of these, in which order; here is what each
  // of them does in this worker.
  /* >>> chapters 4-5
  handleWorkerSignals({ stop: () => loop.stop(), exit, log });
  <<< chapters 4-5 */
  // >>> chapter 6
  /** INT, QUIT and ABRT: the worker is no longer alive; its hook runs, and if it throws the exit goes on. */
  const lastHook = (name: string) => (): void => {
    worker.alive = false;
    try {
      hook(name, worker);
    } catch (err) {
      log.error((err as Error).message);
    }
  };
  handleWorkerSignals({
    stop: () => {
      worker.alive = false;
      return loop.stop();
    },
    exit,
    log,
    onQuit: lastHook('worker_int'),
    // >>> chapter 8
    onAbort: lastHook('worker_abort'),
    // <<< chapter 8
  });
  held.release();
  // <<< chapter 6
  // #endregion worker-signals

  loop.start(gates);
  await Promise.all(gates.map((g) => g.ready));
  send({ cmd: 'booted' });
}
// #endregion boot

// #region load
async function loadOrExit(boot: WorkerBoot, log: Logger, importApp?: () => Promise<Record<string, unknown>>): Promise<{ app: App; kind: 'wsgi' | 'fetch' }> {
  try {
    // A bundled worker imports the copy of the app compiled into it (importApp); the checks are the same.
    return await loadApp(boot.app, { cwd: boot.cwd, kind: boot.appKind, ...(importApp ? { importModule: importApp } : {}) });
  } catch (err) {
    // gunicorn: an import that fails is a boot failure (3); a missing or wrong export is an app load failure (4).
    const loadFailed = err instanceof AppLoadError && err.reason !== 'import-failed';
    // A missing file or export is said in one line: a stack would only point into the server (or its
    // bundle cache). An app that threw while it was imported gets its stack: that says where.
    if (loadFailed) log.error(err.message);
    else {
      log.error(`Exception in worker process:\n${describeError(err instanceof AppLoadError && err.cause ? err.cause : err)}`);
      if (err instanceof AppLoadError) process.stderr.write(`${err.message}\n`);
    }
    log.info(`Worker exiting (pid: ${process.pid})`);
    process.exit(loadFailed ? EXIT_APP_LOAD_FAILED : EXIT_BOOT_FAILED);
  }
}
// #endregion load
