// @chapter 5
// The master: the thin shell around core.ts. It binds the sockets, turns what happens (signals, child
// exits, messages, the clock) into events for the core, and carries out the effects the core returns.
// It never accepts a connection: workers accept on their copies of the sockets.
import { initialState, step, type ArbiterEvent, type ArbiterState, type Effect } from './core.ts';
import { PidfileError, removePidfile, writePidfile } from './pidfile.ts';
import { AddressError, parseAddress } from '../sock/address.ts';
import { bind, BindError, closeListeners, type Listener } from '../sock/bind.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../log/logger.ts';
import type { WorkerBoot } from '../worker/boot.ts';
import { workerEntry } from '../worker/bundle.ts';
import { spawnWorker } from '../worker/spawn.ts';

export const VERSION = '0.1.0';

export interface MasterOptions {
  settings: Settings;
  log: Logger;
  cwd?: string;
}

/** The signals the master acts on; handlers only queue them, the loop acts. */
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

// #region run
/** Runs the server until it stops; resolves with the exit code. */
export async function runMaster({ settings, log, cwd = process.cwd() }: MasterOptions): Promise<number> {
  // #region startup
  const procName = settings.proc_name ?? settings.app ?? 'app';
  log.info(`Starting prefork ${VERSION}`);
  let listeners: Listener[];
  try {
    if (settings.pidfile) writePidfile(settings.pidfile);
    listeners = settings.bind.map((b) => bind(parseAddress(b), { umask: settings.umask }));
  } catch (err) {
    if (!(err instanceof PidfileError || err instanceof BindError || err instanceof AddressError)) throw err;
    log.error(`${(err as Error).message}`);
    if (settings.pidfile) removePidfile(settings.pidfile);
    return 1;
  }
  process.title = `prefork: master [${procName}]`;
  log.info(`Listening at: ${listeners.map((l) => l.name).join(',')} (${process.pid})`);
  log.info(`Using worker: ${settings.worker_class}`);
  const entry = await workerEntry(settings.app!, cwd, (why) => log.warning(`Workers will load the app through the TypeScript loader (slower, more memory): bundling failed: ${why}`));
  // #endregion startup

  let state: ArbiterState = initialState({
    workers: settings.workers,
    gracefulTimeout: settings.graceful_timeout,
    maxRequests: settings.max_requests,
    maxRequestsJitter: settings.max_requests_jitter,
  });
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));

  // #region queue
  // One event at a time, in arrival order: a signal handler only queues, like gunicorn's SIG_QUEUE.
  const queue: ArbiterEvent[] = [];
  let draining = false;
  const dispatch = (event: ArbiterEvent): void => {
    queue.push(event);
    if (draining) return;
    draining = true;
    while (queue.length) {
      const result = step(state, queue.shift()!, { now: Date.now(), random: Math.random });
      state = result.state;
      for (const effect of result.effects) perform(effect);
    }
    draining = false;
  };
  // #endregion queue

  // #region perform
  const perform = (effect: Effect): void => {
    switch (effect.type) {
      case 'spawn':
        spawn(effect.age, effect.maxRequests);
        break;
      case 'kill':
        try {
          process.kill(effect.pid, effect.signal);
        } catch {
          // already gone: its exit event is on the way
        }
        break;
      case 'log':
        log[effect.level](effect.message);
        break;
      case 'close-listeners':
        closeListeners(listeners);
        listeners = [];
        break;
      case 'exit':
        clearInterval(ticker);
        for (const s of SIGNALS) process.removeAllListeners(s);
        if (settings.pidfile) removePidfile(settings.pidfile);
        resolveExit(effect.code);
        break;
    }
  };
  // #endregion perform

  const spawn = (age: number, maxRequests: number): void => {
    const boot: WorkerBoot = {
      app: settings.app!,
      appKind: settings.app_kind,
      cwd,
      workerClass: settings.worker_class,
      workerConnections: settings.worker_connections,
      keepalive: settings.keepalive,
      limits: { requestLine: settings.limit_request_line, fields: settings.limit_request_fields, fieldSize: settings.limit_request_field_size },
      backlog: settings.backlog,
      listeners: listeners.length,
      multiprocess: settings.workers > 1,
      procName,
      age,
      maxRequests,
      logLevel: settings.loglevel,
    };
    const child = spawnWorker(entry, boot, () => listeners, {
      booted: (pid) => dispatch({ type: 'booted', pid }),
      listenError: (_pid, message) => dispatch({ type: 'listen-failed', message }),
      exit: (pid, code, signal) => dispatch({ type: 'exited', pid, code, signal }),
    });
    if (child.pid !== undefined) dispatch({ type: 'spawned', age, pid: child.pid });
  };

  for (const s of SIGNALS) process.on(s, () => dispatch({ type: 'signal', signal: s }));
  const ticker = setInterval(() => dispatch({ type: 'tick' }), 250);
  dispatch({ type: 'start' });
  return exited;
}
// #endregion run
