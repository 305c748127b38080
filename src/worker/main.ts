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
// >>> chapter 8
import { startHeartbeat } from './heartbeat.ts';
// <<< chapter 8
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
  // Until a signal has a listener, Node leaves the kernel's default action in place, which kills the
  // process: a TERM, INT or QUIT that arrives while the app loads (a quick stop, or a reload retiring a
  // worker that has not booted yet) would skip worker_int and worker_exit. So they are held from the
  // start and handed to the real handlers once those exist, as gunicorn installs its handlers before it
  // loads the app.
  const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  const held = new Set<NodeJS.Signals>();
  const hold = (signal: NodeJS.Signals): void => void held.add(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, hold);
  // #endregion hold-signals
  // <<< chapter 6
  log.info(`Booting worker with pid: ${process.pid}`);
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
  // TERM: finish what is in flight, then exit. INT and QUIT: exit now. (HUP and USR2 keep their default
  // action and kill a worker, as in gunicorn: the master replaces it.)
  /* >>> chapters 4-5
  process.on('SIGTERM', () => void loop.stop().then(() => exit(0)));
  process.on('SIGINT', () => exit(0));
  process.on('SIGQUIT', () => exit(0));
  <<< chapters 4-5 */
  // >>> chapter 6
  process.on('SIGTERM', () => {
    worker.alive = false;
    void loop.stop().then(() => exit(0));
  });
  const quit = (): void => {
    worker.alive = false;
    try {
      hook('worker_int', worker);
    } catch (err) {
      log.error((err as Error).message);
    }
    exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGQUIT', quit);
  // >>> chapter 8
  // #region abort
  // SIGABRT: the master saw no heartbeat for `timeout` seconds. This handler only runs if the event loop
  // gets a turn; a worker spinning in CPU work never runs it, and the master's SIGKILL follows.
  process.on('SIGABRT', () => {
    worker.alive = false;
    try {
      hook('worker_abort', worker);
    } catch (err) {
      log.error((err as Error).message);
    }
    exit(1);
  });
  // #endregion abort
  // <<< chapter 8
  // <<< chapter 6
  // The master is gone (its IPC channel closed): nobody would replace us or hand out sockets.
  process.on('disconnect', () => {
    log.info(`Parent changed, shutting down: ${process.pid}`);
    void loop.stop().then(() => exit(0));
  });
  // >>> chapter 6
  for (const signal of STOP_SIGNALS) process.removeListener(signal, hold);
  for (const signal of held) process.kill(process.pid, signal);
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
