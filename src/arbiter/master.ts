// @chapter 5
// The master: the thin shell around core.ts. It binds the sockets, turns what happens (signals, child
// exits, messages, the clock) into events for the core, which its loop (loop.ts) hands over one at a
// time, and carries out the effects the core returns. It never accepts a connection: workers accept on
// their copies of the sockets.
import { initialState, type ArbiterEvent, type Effect } from './core.ts';
import { masterLoop } from './loop.ts';
import { PidfileError, removePidfile, writePidfile } from './pidfile.ts';
import { AddressError, parseAddress } from '../sock/address.ts';
import { bind, BindError, closeListeners, type Listener } from '../sock/bind.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../log/logger.ts';
import type { WorkerBoot } from '../worker/boot.ts';
// >>> chapter 6
import { existsSync } from 'node:fs';
import { callHook, HookError, type ServerView } from '../hooks/call.ts';
// <<< chapter 6
import { workerEntry } from '../worker/bundle.ts';
import { spawnWorker } from '../worker/spawn.ts';
// >>> chapter 7
import { reopenLogFiles } from '../log/files.ts';
// <<< chapter 7
// >>> chapter 9
import type { ArbiterConfig } from './core.ts';
import { startNewMaster } from './reexec.ts';
import { PID_ENV, takeOver } from '../sock/inherit.ts';
import type { WorkerEntry } from '../worker/entry.ts';
// <<< chapter 9
// >>> chapter 10
import { formatAddress } from '../sock/address.ts';
import { listenFds, planSockets } from '../sock/systemd.ts';
import { relative, resolve } from 'node:path';
import { parseAppSpec } from '../app/app-spec.ts';
import type { BuiltEntry } from '../worker/bundle.ts';
import { watchFiles, type FileWatcher } from './watch.ts';
import { giveLogFiles, giveSocket, ownerOf } from '../worker/privileges.ts';
// <<< chapter 10

export const VERSION = '0.1.0';

export interface MasterOptions {
  settings: Settings;
  log: Logger;
  cwd?: string;
  // >>> chapter 9
  /** HUP: read the settings again (the command line, PREFORK_CMD_ARGS, the config file); a failure throws. */
  reloadSettings?: () => Promise<Settings>;
  // <<< chapter 9
}

/** The signals the master acts on; handlers only queue them, the loop acts. */
// >>> chapter 7
// #region signals
// <<< chapter 7
const SIGNALS = [
  'SIGTERM',
  'SIGINT',
  'SIGQUIT',
  // >>> chapter 7
  // USR1: reopen the log files. Listening for it turns off Node's own use of USR1 (start the inspector,
  // `node --inspect` on demand), and removing the listener later would make the next USR1 kill the
  // master (Node restores the default action, which is to exit): so it is never removed.
  'SIGUSR1',
  // <<< chapter 7
  // >>> chapter 9
  'SIGHUP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGUSR2',
  'SIGWINCH',
  // <<< chapter 9
] as const;
// >>> chapter 7
// #endregion signals
// <<< chapter 7

// #region run
/** Runs the server until it stops; resolves with the exit code. */
/* >>> chapters 5-8
export async function runMaster({ settings, log, cwd = process.cwd() }: MasterOptions): Promise<number> {
<<< chapters 5-8 */
// >>> chapter 9
export async function runMaster({ settings: initial, log, cwd = process.cwd(), reloadSettings }: MasterOptions): Promise<number> {
  // HUP replaces these: the settings in use, and the worker entry built for them.
  let settings = initial;
  // A master started by USR2 is 'Master.2', with a `.2` pid file and process name, while its parent runs.
  const parentPid = process.env[PID_ENV] ? Number(process.env[PID_ENV]) : null;
  delete process.env[PID_ENV];
  const pidfileName = (): string | null => (settings.pidfile ? (loop.state.parentPid === null ? settings.pidfile : `${settings.pidfile}.2`) : null);
  // <<< chapter 9
  // #region startup
  /* >>> chapters 5-8
  const procName = settings.proc_name ?? settings.app ?? 'app';
  <<< chapters 5-8 */
  // >>> chapter 9
  const procName = (): string => `${settings.proc_name ?? settings.app ?? 'app'}${loop.state.parentPid === null ? '' : '.2'}`;
  // <<< chapter 9
  // >>> chapter 6
  // The loop and the core's state exist from the start, so that hooks can ask about the workers.
  /* >>> chapters 6-8
  const loop = masterLoop(initialState({
    workers: settings.workers,
    gracefulTimeout: settings.graceful_timeout,
    maxRequests: settings.max_requests,
    maxRequestsJitter: settings.max_requests_jitter,
    // >>> chapter 8
    timeout: settings.timeout,
    // <<< chapter 8
  }), (effect) => perform(effect));
  <<< chapters 6-8 */
  // >>> chapter 9
  const onTerminal = Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
  const loop = masterLoop(initialState(arbiterConfig(settings), { parentPid, onTerminal }), (effect) => perform(effect), { onAbandon: (message) => abandon(message) });
  // <<< chapter 9
  // What master hooks receive as `server`.
  const server: ServerView = {
    pid: process.pid,
    /* >>> chapters 6-8
    cfg: settings,
    <<< chapters 6-8 */
    // >>> chapter 9
    get cfg() {
      return settings;
    },
    // <<< chapter 9
    log,
    get numWorkers() {
      return loop.state.config.workers;
    },
    workers: () => loop.state.workers.map((w) => ({ age: w.age, pid: w.pid })),
  };
  const hook = (name: string, ...args: unknown[]): void => callHook(settings, name, [server, ...args], log);
  // <<< chapter 6
  log.info(`Starting prefork ${VERSION}`);
  // >>> chapter 10
  // #region pid1
  // PID 1 (a container started without an init): every orphan in the container becomes our child, and
  // libuv waits only for the children it started itself (Node has no waitpid), so exited orphans stay
  // zombies. Our own exits come from our ChildProcess handles, so an orphan is never taken for a worker.
  // Signals: PID 1 has no default actions, so a signal without a handler does nothing; TERM, INT, QUIT
  // and the rest have ours (SIGNALS) from the end of the start-up.
  if (process.pid === 1) log.warning('Running as PID 1: orphaned processes will not be reaped. Run under an init (docker run --init, tini, dumb-init).');
  // #endregion pid1
  // <<< chapter 10
  let listeners: Listener[];
  try {
    // >>> chapter 6
    hook('nworkers_changed', settings.workers, null); // gunicorn: when the arbiter is set up
    // <<< chapter 6
    /* >>> chapters 5-8
    if (settings.pidfile) writePidfile(settings.pidfile);
    <<< chapters 5-8 */
    // >>> chapter 9
    if (pidfileName()) writePidfile(pidfileName()!);
    // <<< chapter 9
    // >>> chapter 6
    hook('on_starting');
    // <<< chapter 6
    /* >>> chapters 5-8
    listeners = settings.bind.map((b) => bind(parseAddress(b), { umask: settings.umask }));
    <<< chapters 5-8 */
    // >>> chapter 9
    // Started by USR2: the old master's sockets, not new ones (the addresses are already taken).
    // <<< chapter 9
    /* >>> chapters 9-9
    listeners = takeOver() ?? settings.bind.map((b) => bind(parseAddress(b), { umask: settings.umask }));
    <<< chapters 9-9 */
    // >>> chapter 10
    listeners = takeOver() ?? openListeners(settings, log);
    // #region chown
    // Workers will run as user/group (worker/privileges.ts), and open by path what the master made as
    // root: the unix sockets and the log files become theirs. The pid file stays the master's.
    const owner = ownerOf(settings);
    if (owner) for (const l of listeners) giveSocket(l, owner);
    for (const failure of giveLogFiles(settings)) log.warning(failure);
    // #endregion chown
    // <<< chapter 10
    // >>> chapter 6
    // when_ready below runs once the listening lines are logged.
    // <<< chapter 6
  } catch (err) {
    // >>> chapter 6
    if (err instanceof HookError) {
      log.error(err.message);
      /* >>> chapters 6-8
      if (settings.pidfile) removePidfile(settings.pidfile);
      <<< chapters 6-8 */
      // >>> chapter 9
      if (pidfileName()) removePidfile(pidfileName()!);
      // <<< chapter 9
      return 1;
    }
    // <<< chapter 6
    if (!(err instanceof PidfileError || err instanceof BindError || err instanceof AddressError)) throw err;
    log.error(`${(err as Error).message}`);
    /* >>> chapters 5-8
    if (settings.pidfile) removePidfile(settings.pidfile);
    <<< chapters 5-8 */
    // >>> chapter 9
    if (pidfileName()) removePidfile(pidfileName()!);
    // <<< chapter 9
    return 1;
  }
  /* >>> chapters 5-8
  process.title = `prefork: master [${procName}]`;
  <<< chapters 5-8 */
  // >>> chapter 9
  process.title = `prefork: master [${procName()}]`;
  // <<< chapter 9
  log.info(`Listening at: ${listeners.map((l) => l.name).join(',')} (${process.pid})`);
  log.info(`Using worker: ${settings.worker_class}`);
  // >>> chapter 6
  try {
    hook('when_ready');
  } catch (err) {
    log.error((err as Error).message);
    closeListeners(listeners);
    /* >>> chapters 5-8
    if (settings.pidfile) removePidfile(settings.pidfile);
    <<< chapters 5-8 */
    // >>> chapter 9
    if (pidfileName()) removePidfile(pidfileName()!);
    // <<< chapter 9
    return 1;
  }
  // <<< chapter 6
  /* >>> chapters 5-5
  const entry = await workerEntry(settings.app!, cwd, (why) => log.warning(`Workers will load the app through the TypeScript loader (slower, more memory): bundling failed: ${why}`));
  <<< chapters 5-5 */
  // >>> chapter 6
  /* >>> chapters 6-8
  const configFile = settings.config && existsSync(settings.config) ? settings.config : null;
  const entry = await workerEntry(settings.app!, cwd, (why) => log.warning(`Workers will load the app through the TypeScript loader (slower, more memory): bundling failed: ${why}`), configFile);
  <<< chapters 6-8 */
  // <<< chapter 6
  // >>> chapter 9
  // What workers run: the settings, the config file they import, and the app's entry, per version.
  const build = async (next: Settings): Promise<{ settings: Settings; configFile: string | null; entry: WorkerEntry }> => {
    const file = next.config && existsSync(next.config) ? next.config : null;
    const built = await workerEntry(next.app!, cwd, (why) => log.warning(`Workers will load the app through the TypeScript loader (slower, more memory): bundling failed: ${why}`), file);
    return { settings: next, configFile: file, entry: built };
  };
  const versions = new Map([[0, await build(settings)]]);
  let { configFile, entry } = versions.get(0)!;
  // <<< chapter 9
  // #endregion startup
  // >>> chapter 10

  // #region reload-watch
  // --reload: the master watches the files the last build read, and a change starts the very reload a
  // HUP starts, through the core. So a change that breaks the app is rolled back like a bad HUP: the
  // old workers keep serving (chapter 9), where gunicorn's reloader, inside each worker, exits it first.
  let watcher: FileWatcher | null = null;
  let watched: string[] = [];
  const watchBuild = (built: { settings: Settings; configFile: string | null; entry: BuiltEntry }): void => {
    const next = built.settings;
    if (!next.reload) {
      watcher?.close();
      watcher = null;
      return;
    }
    // No bundle (it failed, or --mine): what the app imports is unknown; keep watching what was, and the app.
    const inputs = built.entry.inputs ?? [...watched, resolve(cwd, parseAppSpec(next.app!).file)];
    // The config file even when it does not exist yet: creating it is a change too.
    watched = [...new Set([...inputs, resolve(cwd, next.config), ...next.reload_extra_files.map((f) => resolve(cwd, f))])];
    try {
      if (watcher) return watcher.update(watched);
      watcher = watchFiles(watched, onChange, { onError: (dir, err) => log.warning(`Reloader cannot watch ${dir}: ${err.message}`) });
      log.warning('Reloader is on. Use in development only!');
      // gunicorn's preload freezes the app in the master, so its workers never see a change; ours only checks it there.
      if (next.preload_app) log.warning('preload_app: the master loaded the app once, at start; reloads load the changed app in new workers only');
    } catch (err) {
      // A watcher that cannot start (an exercise stub under --mine, say) costs the reloading, not the server.
      log.error(`Reloader cannot start, serving without it: ${(err as Error).message}`);
    }
  };
  const onChange = (changed: string[]): void => {
    log.info(`Reloading: ${changed.map((f) => relative(cwd, f) || f).join(', ')} modified`);
    dispatch({ type: 'signal', signal: 'SIGHUP' });
  };
  watchBuild(versions.get(0)!);
  // #endregion reload-watch
  // <<< chapter 10

  /* >>> chapters 5-5
  const loop = masterLoop(initialState({
    workers: settings.workers,
    gracefulTimeout: settings.graceful_timeout,
    maxRequests: settings.max_requests,
    maxRequestsJitter: settings.max_requests_jitter,
  }), (effect) => perform(effect));
  <<< chapters 5-5 */
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));

  // Every event goes through the loop (loop.ts): one at a time, in arrival order, into the core.
  const dispatch = (event: ArbiterEvent): void => loop.dispatch(event);
  // >>> chapter 9
  /** The loop gave up (the core cannot even stop): kill the workers, release the pid file, exit 255. */
  const abandon = (message: string): void => {
    log.critical(`The master cannot go on:\n${message}`);
    for (const w of loop.state.workers) if (w.pid !== null) perform({ type: 'kill', pid: w.pid, signal: 'SIGKILL' });
    perform({ type: 'exit', code: 255 });
  };
  // <<< chapter 9

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
      // >>> chapter 7
      // #region reopen-logs
      case 'reopen-logs':
        for (const failure of reopenLogFiles()) log.error(failure);
        // >>> chapter 10
        // Before the workers get their USR1 (the effects that follow): a file logrotate moved away is
        // made again here and given to the workers, who may not create files in the log directory.
        for (const failure of giveLogFiles(settings)) log.warning(failure);
        // <<< chapter 10
        break;
      // #endregion reopen-logs
      // <<< chapter 7
      case 'close-listeners':
        /* >>> chapters 5-8
        closeListeners(listeners);
        <<< chapters 5-8 */
        // >>> chapter 9
        closeListeners(listeners, effect.unlink);
        // <<< chapter 9
        listeners = [];
        break;
      // >>> chapter 6
      case 'release':
        /* >>> chapters 6-8
        if (settings.pidfile) removePidfile(settings.pidfile);
        <<< chapters 6-8 */
        // >>> chapter 9
        if (pidfileName()) removePidfile(pidfileName()!);
        // <<< chapter 9
        break;
      case 'hook':
        try {
          if (effect.name === 'child_exit') hook('child_exit', effect.worker);
          // >>> chapter 9
          else if (effect.name === 'nworkers_changed') hook('nworkers_changed', ...effect.args);
          // <<< chapter 9
          else hook(effect.name);
        } catch (err) {
          // gunicorn: an exception in child_exit ends the main loop; one in on_exit only goes to the log.
          if (effect.name === 'on_exit') log.error((err as Error).message);
          else dispatch({ type: 'fatal', message: (err as Error).message });
        }
        break;
      // <<< chapter 6
      // >>> chapter 9
      // #region perform-reload
      case 'reload':
        void reload(effect.seq);
        break;
      case 'use-version': {
        const before = pidfileName();
        ({ settings, configFile, entry } = versions.get(effect.version)!);
        movePidfile(before, pidfileName());
        // Only the version in use and the one a rollback would return to can be asked for again.
        for (const v of versions.keys()) if (v !== loop.state.version && v !== loop.state.rollout?.fallback.version) versions.delete(v);
        break;
      }
      // #endregion perform-reload
      case 'reexec':
        reexec();
        break;
      case 'promote':
        // The old master removed its pid file on the way out; this one takes the plain name.
        if (settings.pidfile) {
          writePidfile(settings.pidfile);
          removePidfile(`${settings.pidfile}.2`);
        }
        process.title = `prefork: master [${procName()}]`;
        break;
      // <<< chapter 9
      case 'exit':
        clearInterval(ticker);
        // >>> chapter 10
        watcher?.close();
        watcher = null;
        // <<< chapter 10
        for (const s of SIGNALS) {
          // >>> chapter 7
          if (s === 'SIGUSR1') continue; // never removed: see SIGNALS
          // <<< chapter 7
          process.removeAllListeners(s);
        }
        /* >>> chapters 5-8
        if (settings.pidfile) removePidfile(settings.pidfile);
        <<< chapters 5-8 */
        // >>> chapter 9
        if (pidfileName()) removePidfile(pidfileName()!);
        // <<< chapter 9
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
      /* >>> chapters 5-8
      procName,
      <<< chapters 5-8 */
      // >>> chapter 9
      procName: procName(),
      // <<< chapter 9
      age,
      maxRequests,
      logLevel: settings.loglevel,
      // >>> chapter 8
      timeout: settings.timeout,
      // <<< chapter 8
      // >>> chapter 7
      // Paths, not descriptors: each worker opens the log files itself (O_APPEND), and reopens them on USR1.
      errorlog: settings.errorlog,
      accesslog: settings.accesslog,
      accessLogFormat: settings.access_log_format,
      // <<< chapter 7
      // >>> chapter 6
      configFile,
      // <<< chapter 6
      // >>> chapter 10
      forwardedAllowIps: settings.forwarded_allow_ips,
      secureSchemeHeaders: settings.secure_scheme_headers,
      owner: ownerOf(settings),
      // <<< chapter 10
    };
    // >>> chapter 6
    // #region pre-fork
    try {
      hook('pre_fork', { age, pid: null });
    } catch (err) {
      dispatch({ type: 'spawn-failed', age });
      dispatch({ type: 'fatal', message: (err as Error).message });
      return;
    }
    // #endregion pre-fork
    // <<< chapter 6
    const child = spawnWorker(entry, boot, () => listeners, {
      booted: (pid) => dispatch({ type: 'booted', pid }),
      // >>> chapter 8
      beat: (pid) => dispatch({ type: 'heartbeat', pid }),
      // <<< chapter 8
      listenError: (_pid, message) => dispatch({ type: 'listen-failed', message }),
      exit: (pid, code, signal) => dispatch({ type: 'exited', pid, code, signal }),
    });
    if (child.pid !== undefined) dispatch({ type: 'spawned', age, pid: child.pid });
  };
  // >>> chapter 9

  // #region reload
  /** HUP: the settings and the app, read and built again; the core decides the rest. */
  let lastVersion = 0;
  const reload = async (seq: number): Promise<void> => {
    // Numbered now, not after the awaits: two reloads under way never share a number.
    const version = ++lastVersion;
    try {
      const next = reloadSettings ? await reloadSettings() : settings;
      if (next.bind.join(',') !== settings.bind.join(',')) log.warning(`bind changed (${settings.bind.join(',')} -> ${next.bind.join(',')}): the sockets stay as they are until a restart (a USR2 master inherits them too)`);
      versions.set(version, await build({ ...next, bind: settings.bind }));
      // >>> chapter 10
      // What this build read is what to watch now (unless a later reload has started meanwhile).
      if (version === lastVersion) watchBuild(versions.get(version)!);
      // <<< chapter 10
      dispatch({ type: 'reloaded', seq, version, config: arbiterConfig(next) });
    } catch (err) {
      dispatch({ type: 'reload-failed', seq, message: err instanceof Error ? err.message : String(err) });
    }
  };
  // #endregion reload

  /** A reload that names another pid file: gunicorn writes the new one and removes the old one. */
  const movePidfile = (before: string | null, after: string | null): void => {
    if (before === after) return;
    try {
      if (after) writePidfile(after);
      if (before) removePidfile(before);
    } catch (err) {
      log.error(`Cannot write the pid file ${after}: ${(err as Error).message}; keeping ${before ?? 'none'}`);
    }
  };

  // #region usr2
  /** USR2: pre_exec, then a new master on our sockets; it tells us when it is gone. */
  const reexec = (): void => {
    try {
      hook('pre_exec');
    } catch (err) {
      log.error(`pre_exec failed, no new master started: ${(err as Error).message}`);
      return;
    }
    const child = startNewMaster(listeners, cwd);
    child.on('error', (err) => log.error(`Cannot start a new master: ${err.message}`));
    if (child.pid === undefined) return;
    const pid = child.pid;
    child.on('exit', () => dispatch({ type: 'reexec-exited', pid }));
    dispatch({ type: 'reexeced', pid });
  };
  // #endregion usr2
  // <<< chapter 9

  for (const s of SIGNALS) process.on(s, () => dispatch({ type: 'signal', signal: s }));
  /* >>> chapters 5-8
  const ticker = setInterval(() => dispatch({ type: 'tick' }), 250);
  <<< chapters 5-8 */
  // >>> chapter 9
  const ticker = setInterval(() => {
    // A master started by USR2 is promoted when the master that started it has gone (we are reparented).
    if (loop.state.parentPid !== null && process.ppid !== loop.state.parentPid) dispatch({ type: 'promoted' });
    dispatch({ type: 'tick' });
  }, 250);
  // <<< chapter 9
  dispatch({ type: 'start' });
  return exited;
}
// #endregion run
// >>> chapter 9

/** The settings the core decides with. */
function arbiterConfig(settings: Settings): ArbiterConfig {
  return {
    workers: settings.workers,
    gracefulTimeout: settings.graceful_timeout,
    maxRequests: settings.max_requests,
    maxRequestsJitter: settings.max_requests_jitter,
    timeout: settings.timeout,
  };
}
// <<< chapter 9
// >>> chapter 10

// #region listen-fds
/**
 * The sockets to serve on. Sockets opened for us, passed by systemd (LISTEN_FDS) or named as fd://N
 * binds, are taken as they are; if there are any, they are the only ones (gunicorn's rule: the -b
 * addresses are not bound). Otherwise the -b addresses are bound here.
 */
function openListeners(settings: Settings, log: Logger): Listener[] {
  const activation = listenFds(process.env, process.pid);
  if (activation.ignored) log.warning(activation.ignored);
  if (activation.fds.length) log.info(`Socket activation (LISTEN_FDS): ${activation.fds.map((s) => `fd ${s.fd} (${s.name})`).join(', ')}`);
  const plan = planSockets(settings.bind.map(parseAddress), activation.fds.map((s) => s.fd));
  if (plan.ignored.length) log.info(`Not binding ${plan.ignored.map(formatAddress).join(',')}: inherited sockets are used instead`);
  return [...plan.fds.map((fd) => bind({ kind: 'fd', fd })), ...plan.bind.map((a) => bind(a, { umask: settings.umask }))];
}
// #endregion listen-fds
// <<< chapter 10
