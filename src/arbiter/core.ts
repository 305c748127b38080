// @chapter 5
// The master's decisions, as a pure function: (state, event) -> (new state, effects).
//
// Nothing here forks, kills or sleeps. The shell (master.ts) turns real happenings (a child exited, a
// signal arrived, a second passed) into events, and carries out the effects this returns. So the logic
// can be tested without processes or clocks, and read in one place.
import { describeExit } from './exits.ts';
import { planWorkers } from './plan.ts';
// >>> chapter 8
import { requestLimit } from './jitter.ts';
import { timedOut } from './timeouts.ts';
// <<< chapter 8
// >>> chapter 9
import { oldToRetire } from './rollout.ts';
import { signalAction, type MasterSignal } from './signals.ts';
// <<< chapter 9

/* >>> chapters 5-7
export type Signal = 'SIGTERM' | 'SIGQUIT' | 'SIGKILL' | 'SIGINT';
<<< chapters 5-7 */
// >>> chapter 8
export type Signal = 'SIGTERM' | 'SIGQUIT' | 'SIGKILL' | 'SIGINT' | 'SIGABRT';
// <<< chapter 8
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export interface ArbiterConfig {
  workers: number;
  /** Seconds the workers get to finish after a graceful stop, before SIGKILL. */
  gracefulTimeout: number;
  maxRequests: number;
  maxRequestsJitter: number;
  // >>> chapter 8
  /** Seconds a worker may go without a heartbeat before it is aborted, then killed; 0 = never. */
  timeout?: number;
  // <<< chapter 8
}

export interface Worker {
  /** Generation number, unique: 1, 2, 3, ... Older workers have smaller ages. */
  age: number;
  /** null until the shell reports the process started. */
  pid: number | null;
  booted: boolean;
  /** Requests it serves before retiring; 0 = no limit. Drawn when the worker is spawned. */
  maxRequests: number;
  // >>> chapter 8
  /** When the master last heard from it (ms); it counts from the spawn. */
  lastBeat?: number;
  /** When it was sent SIGABRT for a timeout; a second later, if it is still there, SIGKILL. */
  abortedAt?: number;
  // <<< chapter 8
  // >>> chapter 9
  /** Sent SIGTERM to retire (TTOU, reload): SIGKILL if still there at `by` (graceful_timeout). */
  retiring?: { by: number; killed: boolean };
  // <<< chapter 9
}
// >>> chapter 9

/** A configuration the master has run with, by number: the shell keeps the settings behind each. */
export interface Version {
  version: number;
  config: ArbiterConfig;
}
// <<< chapter 9

export interface ArbiterState {
  config: ArbiterConfig;
  workers: Worker[];
  lastAge: number;
  /** running, then stopping, then done once the exit effect has been issued. */
  phase: 'running' | 'stopping' | 'done';
  /** While stopping: when to escalate to SIGKILL, and the exit code and reason to leave with. */
  stop: { deadline: number; killed: boolean; exitCode: number; reason: string | null } | null;
  // >>> chapter 9
  /** The configuration in use (0: the one the master started with). */
  version: number;
  /** Counts HUPs, so that the result of an older, slower reload is recognised and dropped. */
  reloadSeq: number;
  /** While a reload replaces the workers: who is old (age <= boundary), and what to go back to if the new ones fail. */
  rollout: { boundary: number; fallback: Version } | null;
  /** The new master started by USR2, while it runs. */
  childPid: number | null;
  /** The master that started this one by USR2, while it runs ('Master.2' until then). */
  parentPid: number | null;
  /** In a terminal, WINCH comes from window resizes and is ignored. */
  onTerminal: boolean;
  // <<< chapter 9
}

export type ArbiterEvent =
  | { type: 'start' }
  | { type: 'spawned'; age: number; pid: number }
  | { type: 'booted'; pid: number }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null }
  /* >>> chapters 5-8
  | { type: 'signal'; signal: 'SIGTERM' | 'SIGINT' | 'SIGQUIT' }
  <<< chapters 5-8 */
  /* >>> chapters 7-8
  | { type: 'signal'; signal: 'SIGUSR1' }
  <<< chapters 7-8 */
  // >>> chapter 9
  | { type: 'signal'; signal: MasterSignal }
  /** The shell read the configuration again for HUP number `seq`, and built the app. */
  | { type: 'reloaded'; seq: number; version: number; config: ArbiterConfig }
  | { type: 'reload-failed'; seq: number; message: string }
  /** USR2: the new master started (its pid), or it exited. */
  | { type: 'reexeced'; pid: number }
  | { type: 'reexec-exited'; pid: number }
  /** The master that started this one (USR2) is gone: this one takes its place. */
  | { type: 'promoted' }
  // <<< chapter 9
  | { type: 'listen-failed'; message: string }
  // >>> chapter 6
  /** The shell could not start a worker it was asked to spawn (pre_fork threw, fork failed). */
  | { type: 'spawn-failed'; age: number }
  /** Something the master runs failed unexpectedly (a hook): stop at once, exit 255, as gunicorn. */
  | { type: 'fatal'; message: string }
  // <<< chapter 6
  // >>> chapter 8
  /** A worker said it is alive (its event loop turned). */
  | { type: 'heartbeat'; pid: number }
  // <<< chapter 8
  | { type: 'tick' };

export type Effect =
  | { type: 'spawn'; age: number; maxRequests: number }
  | { type: 'kill'; pid: number; signal: Signal }
  | { type: 'log'; level: LogLevel; message: string }
  /* >>> chapters 5-8
  | { type: 'close-listeners' }
  <<< chapters 5-8 */
  // >>> chapter 9
  /** `unlink`: remove unix socket files, unless the other master (USR2) still serves on them. */
  | { type: 'close-listeners'; unlink: boolean }
  // <<< chapter 9
  // >>> chapter 7
  /** Reopen this process's log files (USR1, after logrotate renamed them). */
  | { type: 'reopen-logs' }
  /** Pass USR1 on to a worker, which reopens its own files. */
  | { type: 'kill'; pid: number; signal: 'SIGUSR1' }
  // <<< chapter 7
  // >>> chapter 6
  /* >>> chapters 6-8
  // Run a master hook; `worker` for child_exit.
  | { type: 'hook'; name: 'child_exit' | 'on_exit'; worker?: { age: number; pid: number } }
  <<< chapters 6-8 */
  // >>> chapter 9
  /** Run a master hook: child_exit gets the worker, nworkers_changed (new, old). */
  | { type: 'hook'; name: 'child_exit'; worker: { age: number; pid: number } }
  | { type: 'hook'; name: 'nworkers_changed'; args: [number, number] }
  | { type: 'hook'; name: 'on_exit' | 'on_reload' }
  // <<< chapter 9
  /** Remove the pid file (before on_exit runs, as gunicorn does). */
  | { type: 'release' }
  // <<< chapter 6
  // >>> chapter 9
  /** HUP: read the configuration again and build the app, then report `reloaded` or `reload-failed`. */
  | { type: 'reload'; seq: number }
  /** Spawn (and run hooks) with this configuration from now on. */
  | { type: 'use-version'; version: number }
  /** USR2: run pre_exec and start a new master that inherits the sockets. */
  | { type: 'reexec' }
  /** Take the pid file's name without `.2`, and the process title of a master. */
  | { type: 'promote' }
  // <<< chapter 9
  | { type: 'exit'; code: number };

/** What the outside world supplies: the clock and randomness, so that tests can fix both. */
export interface Deps {
  now: number;
  random: () => number;
}


/* >>> chapters 5-8
export function initialState(config: ArbiterConfig): ArbiterState {
  return { config, workers: [], lastAge: 0, phase: 'running', stop: null };
}
<<< chapters 5-8 */
// >>> chapter 9
export function initialState(config: ArbiterConfig, opts: { parentPid?: number | null; onTerminal?: boolean } = {}): ArbiterState {
  return {
    config,
    workers: [],
    lastAge: 0,
    phase: 'running',
    stop: null,
    version: 0,
    reloadSeq: 0,
    rollout: null,
    childPid: null,
    parentPid: opts.parentPid ?? null,
    onTerminal: opts.onTerminal ?? false,
  };
}

/** 'Master', or 'Master.2' for a master started by USR2 until the old one is gone (gunicorn's names). */
const masterName = (s: ArbiterState): string => (s.parentPid === null ? 'Master' : 'Master.2');
// <<< chapter 9

// #region step
export function step(state: ArbiterState, event: ArbiterEvent, deps: Deps): { state: ArbiterState; effects: Effect[] } {
  const effects: Effect[] = [];
  const s: ArbiterState = { ...state, workers: [...state.workers] };
  switch (event.type) {
    case 'start':
      manageWorkers(s, effects, deps);
      break;
    case 'spawned':
      s.workers = s.workers.map((w) => (w.age === event.age ? { ...w, pid: event.pid } : w));
      // >>> chapter 8
      s.workers = s.workers.map((w) => (w.age === event.age ? { ...w, lastBeat: deps.now } : w));
      // <<< chapter 8
      break;
    // >>> chapter 8
    case 'heartbeat':
      s.workers = s.workers.map((w) => (w.pid === event.pid ? { ...w, lastBeat: deps.now } : w));
      break;
    // <<< chapter 8
    case 'booted':
      s.workers = s.workers.map((w) => (w.pid === event.pid ? { ...w, booted: true } : w));
      // >>> chapter 8
      // Booting counts against the timeout (a slow import never boots); serving starts a fresh count.
      s.workers = s.workers.map((w) => (w.pid === event.pid ? { ...w, lastBeat: deps.now } : w));
      // <<< chapter 8
      // >>> chapter 9
      // During a reload, each new worker that boots lets an old one go.
      if (s.rollout && s.phase === 'running') manageWorkers(s, effects, deps);
      // <<< chapter 9
      break;
    case 'exited':
      reap(s, event, effects, deps);
      break;
    case 'signal':
      effects.push({ type: 'log', level: 'info', message: `Handling signal: ${event.signal.slice(3).toLowerCase()}` });
      /* >>> chapters 7-8
      // #region usr1
      // USR1: reopen the log files, here and in every worker (gunicorn's handle_usr1).
      if (event.signal === 'SIGUSR1') {
        effects.push({ type: 'reopen-logs' });
        for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGUSR1' });
        break;
      }
      // #endregion usr1
      <<< chapters 7-8 */
      /* >>> chapters 5-8
      if (s.phase === 'running') stop(s, effects, deps, event.signal === 'SIGTERM', 0, null);
      else if (s.phase === 'stopping' && event.signal !== 'SIGTERM') quicken(s, effects, deps);
      <<< chapters 5-8 */
      // >>> chapter 9
      if (s.phase === 'done') break;
      onSignal(s, event.signal, effects, deps);
      // <<< chapter 9
      break;
    // >>> chapter 9
    case 'reloaded':
      if (event.seq === s.reloadSeq && s.phase === 'running') startRollout(s, event, effects, deps);
      break;
    case 'reload-failed':
      if (event.seq === s.reloadSeq) effects.push({ type: 'log', level: 'error', message: `Reload failed, still serving with the running configuration: ${event.message}` });
      break;
    case 'reexeced':
      s.childPid = event.pid;
      break;
    case 'reexec-exited':
      if (s.childPid === event.pid) s.childPid = null;
      break;
    case 'promoted':
      if (s.parentPid === null) break;
      s.parentPid = null;
      effects.push({ type: 'log', level: 'info', message: 'Master has been promoted.' }, { type: 'promote' });
      break;
    // <<< chapter 9
    case 'listen-failed':
      effects.push({ type: 'log', level: 'error', message: `Cannot listen: ${event.message}` });
      if (s.phase === 'running') stop(s, effects, deps, false, 1, "Can't listen on the address.");
      break;
    // >>> chapter 6
    case 'spawn-failed':
      s.workers = s.workers.filter((w) => w.age !== event.age);
      break;
    case 'fatal':
      effects.push({ type: 'log', level: 'error', message: `Unhandled exception in main loop:\n${event.message}` });
      if (s.phase === 'running') stop(s, effects, deps, false, 255, null);
      break;
    // <<< chapter 6
    case 'tick':
      // >>> chapter 8
      if (s.phase === 'running' && (s.config.timeout ?? 0) > 0) murderWorkers(s, effects, deps);
      // <<< chapter 8
      // >>> chapter 9
      if (s.phase === 'running') killLateRetirees(s, effects, deps);
      // <<< chapter 9
      if (s.stop && !s.stop.killed && deps.now >= s.stop.deadline && s.workers.length > 0) {
        s.stop = { ...s.stop, killed: true };
        for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGKILL' });
      }
      break;
  }
  // >>> chapter 9
  // A reload is over once every new worker has booted and the last old one has exited.
  const rollout = s.rollout;
  if (rollout && s.workers.every((w) => w.age > rollout.boundary && (w.booted || w.retiring))) s.rollout = null;
  // <<< chapter 9
  if (s.phase === 'stopping' && s.workers.length === 0) finish(s, effects);
  return { state: s, effects };
}
// #endregion step

// #region reap
function reap(s: ArbiterState, event: Extract<ArbiterEvent, { type: 'exited' }>, effects: Effect[], deps: Deps): void {
  const worker = s.workers.find((w) => w.pid === event.pid);
  if (!worker) return; // not ours (say, a process the app started and left behind)
  s.workers = s.workers.filter((w) => w !== worker);
  const meaning = describeExit(event.pid, event.code, event.signal);
  // >>> chapter 8
  // Our own SIGKILL after a timeout is no sign of the out-of-memory killer.
  if (worker.abortedAt !== undefined && event.signal === 'SIGKILL') meaning.log = { level: 'error', message: `Worker (pid:${event.pid}) was sent SIGKILL after its timeout.` };
  // <<< chapter 8
  // >>> chapter 9
  if (worker.retiring?.killed && event.signal === 'SIGKILL') meaning.log = { level: 'error', message: `Worker (pid:${event.pid}) was sent SIGKILL after graceful_timeout.` };
  // <<< chapter 9
  if (meaning.log) effects.push({ type: 'log', ...meaning.log });
  // >>> chapter 6
  effects.push({ type: 'hook', name: 'child_exit', worker: { age: worker.age, pid: event.pid } });
  // <<< chapter 6
  if (s.phase !== 'running') return;
  // >>> chapter 9
  // A new worker of a reload died before booting: the new config or app is broken. Go back, don't halt.
  if (s.rollout && worker.age > s.rollout.boundary && !worker.booted && !worker.retiring) return rollBack(s, meaning.halt?.reason ?? `it exited (${exitWords(event)})`, effects, deps);
  // <<< chapter 9
  /* >>> chapters 5-8
  if (meaning.halt) stop(s, effects, deps, true, meaning.halt.code, meaning.halt.reason);
  <<< chapters 5-8 */
  // >>> chapter 9
  // A worker already told to go (a rolled-back reload's others, which failed the same way) halts nothing.
  if (meaning.halt && !worker.retiring) stop(s, effects, deps, true, meaning.halt.code, meaning.halt.reason);
  // <<< chapter 9
  else manageWorkers(s, effects, deps);
}
// #endregion reap

// #region manage
function manageWorkers(s: ArbiterState, effects: Effect[], deps: Deps): void {
  /* >>> chapters 5-8
  const plan = planWorkers(s.workers, s.config.workers);
  <<< chapters 5-8 */
  // >>> chapter 9
  // Workers told to retire no longer count. During a reload only the new generation does: the old
  // one is retired as new workers boot (below), never replaced.
  const serving = s.workers.filter((w) => !w.retiring);
  const boundary = s.rollout?.boundary ?? 0;
  const plan = planWorkers(serving.filter((w) => w.age > boundary), s.config.workers);
  // <<< chapter 9
  for (let i = 0; i < plan.spawn; i++) {
    s.lastAge += 1;
    // Jitter spreads the restarts: workers spawned together would otherwise all retire together.
    const { maxRequests, maxRequestsJitter } = s.config;
    /* >>> chapters 5-7
    const limit = maxRequests > 0 ? maxRequests + Math.floor(deps.random() * (maxRequestsJitter + 1)) : 0;
    <<< chapters 5-7 */
    // >>> chapter 8
    const limit = requestLimit(maxRequests, maxRequestsJitter, deps.random);
    // <<< chapter 8
    s.workers.push({ age: s.lastAge, pid: null, booted: false, maxRequests: limit });
    effects.push({ type: 'spawn', age: s.lastAge, maxRequests: limit });
  }
  /* >>> chapters 5-8
  for (const pid of plan.retire) effects.push({ type: 'kill', pid, signal: 'SIGTERM' });
  <<< chapters 5-8 */
  // >>> chapter 9
  retire(s, plan.retire, effects, deps);
  if (s.rollout) retire(s, oldToRetire(s.workers.filter((w) => !w.retiring), s.rollout.boundary, s.config.workers), effects, deps);
  // <<< chapter 9
}
// #endregion manage
// >>> chapter 9

/** SIGTERM, and a deadline: graceful_timeout from now, the worker is killed (killLateRetirees). */
function retire(s: ArbiterState, pids: number[], effects: Effect[], deps: Deps): void {
  for (const pid of pids) effects.push({ type: 'kill', pid, signal: 'SIGTERM' });
  const by = deps.now + s.config.gracefulTimeout * 1000;
  s.workers = s.workers.map((w) => (w.pid !== null && pids.includes(w.pid) ? { ...w, retiring: { by, killed: false } } : w));
}

function killLateRetirees(s: ArbiterState, effects: Effect[], deps: Deps): void {
  s.workers = s.workers.map((w) => {
    if (!w.retiring || w.retiring.killed || deps.now < w.retiring.by || w.pid === null) return w;
    effects.push({ type: 'log', level: 'warning', message: `Worker (pid:${w.pid}) still running ${s.config.gracefulTimeout} s after SIGTERM (graceful_timeout): SIGKILL` });
    effects.push({ type: 'kill', pid: w.pid, signal: 'SIGKILL' });
    return { ...w, retiring: { ...w.retiring, killed: true } };
  });
}

// #region on-signal
function onSignal(s: ArbiterState, signal: MasterSignal, effects: Effect[], deps: Deps): void {
  const act = signalAction(signal, {
    workers: s.config.workers,
    stopping: s.phase !== 'running',
    hasChild: s.childPid !== null,
    hasParent: s.parentPid !== null,
    onTerminal: s.onTerminal,
  });
  switch (act.action) {
    case 'reload':
      effects.push({ type: 'log', level: 'info', message: `Hang up: ${masterName(s)}` });
      s.reloadSeq += 1;
      effects.push({ type: 'reload', seq: s.reloadSeq });
      break;
    case 'stop':
      stop(s, effects, deps, act.graceful, 0, null);
      break;
    case 'quicken':
      quicken(s, effects, deps);
      break;
    case 'scale':
      if (act.workers === 0) effects.push({ type: 'log', level: 'info', message: 'graceful stop of workers' });
      setWorkers(s, { ...s.config, workers: act.workers }, effects);
      manageWorkers(s, effects, deps);
      break;
    case 'reopen-logs':
      // Here and in every worker (gunicorn's handle_usr1).
      effects.push({ type: 'reopen-logs' });
      for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGUSR1' });
      break;
    case 'reexec':
      effects.push({ type: 'reexec' });
      break;
    case 'ignore':
      effects.push({ type: 'log', level: act.level, message: act.why });
      break;
  }
}
// #endregion on-signal

/** num_workers changes (gunicorn calls nworkers_changed on every assignment, even to the same value). */
function setWorkers(s: ArbiterState, config: ArbiterConfig, effects: Effect[]): void {
  const old = s.config.workers;
  s.config = config;
  effects.push({ type: 'hook', name: 'nworkers_changed', args: [config.workers, old] });
}

// #region rollout
/** HUP, once the new configuration is read: gunicorn's reload, but old workers leave as new ones boot. */
function startRollout(s: ArbiterState, next: Extract<ArbiterEvent, { type: 'reloaded' }>, effects: Effect[], deps: Deps): void {
  // If a reload is still rolling out, its fallback (the last configuration that served) stays.
  const fallback = s.rollout?.fallback ?? { version: s.version, config: s.config };
  // >>> chapter 10
  // A reload that overtakes one still rolling out (two saves in a row under --reload): the earlier one's
  // workers that have not booted yet are superseded, and go now. Counted as old workers, they would push
  // the working old ones out first, and one that then failed to boot would stop the whole server.
  const overtaken = s.rollout?.boundary;
  if (overtaken !== undefined) retire(s, s.workers.filter((w) => w.age > overtaken && !w.booted && !w.retiring && w.pid !== null).map((w) => w.pid!), effects, deps);
  // <<< chapter 10
  s.version = next.version;
  effects.push({ type: 'use-version', version: next.version });
  setWorkers(s, next.config, effects);
  effects.push({ type: 'reopen-logs' }, { type: 'hook', name: 'on_reload' });
  // Every worker there now is old, the halves of an unfinished reload included.
  s.rollout = { boundary: s.lastAge, fallback };
  manageWorkers(s, effects, deps);
}

function rollBack(s: ArbiterState, why: string, effects: Effect[], deps: Deps): void {
  const { boundary, fallback } = s.rollout!;
  effects.push({ type: 'log', level: 'error', message: `Reload failed, going back to the previous configuration: a new worker did not boot: ${why}` });
  s.version = fallback.version;
  effects.push({ type: 'use-version', version: fallback.version });
  setWorkers(s, fallback.config, effects);
  s.rollout = null;
  retire(s, s.workers.filter((w) => w.age > boundary && !w.retiring && w.pid !== null).map((w) => w.pid!), effects, deps);
  manageWorkers(s, effects, deps);
}
// #endregion rollout

function exitWords(event: Extract<ArbiterEvent, { type: 'exited' }>): string {
  return event.signal ? `signal ${event.signal}` : `code ${event.code}`;
}
// <<< chapter 9

// >>> chapter 8
// #region murder
/**
 * gunicorn's murder_workers: a worker silent for longer than `timeout` is sent SIGABRT (its
 * worker_abort hook runs, it exits); if it is still there a second later (gunicorn: at its next check,
 * about a second later), SIGKILL.
 */
const ABORT_GRACE_MS = 1000;

function murderWorkers(s: ArbiterState, effects: Effect[], deps: Deps): void {
  const { abort, kill } = timedOut(s.workers, deps.now, (s.config.timeout ?? 0) * 1000, ABORT_GRACE_MS);
  for (const pid of kill) effects.push({ type: 'kill', pid, signal: 'SIGKILL' });
  for (const pid of abort) {
    effects.push({ type: 'log', level: 'critical', message: `WORKER TIMEOUT (pid:${pid})` });
    effects.push({ type: 'kill', pid, signal: 'SIGABRT' });
  }
  s.workers = s.workers.map((w) => (w.pid !== null && abort.includes(w.pid) ? { ...w, abortedAt: deps.now } : w));
}
// #endregion murder
// <<< chapter 8

// #region stop
/** Graceful (TERM to workers, wait up to graceful_timeout) or quick (QUIT to workers). */
function stop(s: ArbiterState, effects: Effect[], deps: Deps, graceful: boolean, exitCode: number, reason: string | null): void {
  s.phase = 'stopping';
  s.stop = { deadline: deps.now + s.config.gracefulTimeout * 1000, killed: false, exitCode, reason };
  /* >>> chapters 5-8
  effects.push({ type: 'close-listeners' });
  <<< chapters 5-8 */
  // >>> chapter 9
  effects.push({ type: 'close-listeners', unlink: s.childPid === null && s.parentPid === null });
  // <<< chapter 9
  for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: graceful ? 'SIGTERM' : 'SIGQUIT' });
}

/** INT or QUIT during a graceful stop: stop now. */
function quicken(s: ArbiterState, effects: Effect[], deps: Deps): void {
  effects.push({ type: 'log', level: 'info', message: 'Quick shutdown requested' });
  if (s.stop) s.stop = { ...s.stop, deadline: Math.min(s.stop.deadline, deps.now + 2000) };
  for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGQUIT' });
}

function finish(s: ArbiterState, effects: Effect[]): void {
  s.phase = 'done';
  const code = s.stop?.exitCode ?? 0;
  /* >>> chapters 5-8
  effects.push({ type: 'log', level: code === 0 ? 'info' : 'error', message: 'Shutting down: Master' });
  <<< chapters 5-8 */
  // >>> chapter 9
  effects.push({ type: 'log', level: code === 0 ? 'info' : 'error', message: `Shutting down: ${masterName(s)}` });
  // <<< chapter 9
  if (s.stop?.reason) effects.push({ type: 'log', level: code === 0 ? 'info' : 'error', message: `Reason: ${s.stop.reason}` });
  // >>> chapter 6
  effects.push({ type: 'release' }, { type: 'hook', name: 'on_exit' });
  // <<< chapter 6
  effects.push({ type: 'exit', code });
}
// #endregion stop
