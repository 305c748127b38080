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
}

export interface ArbiterState {
  config: ArbiterConfig;
  workers: Worker[];
  lastAge: number;
  /** running, then stopping, then done once the exit effect has been issued. */
  phase: 'running' | 'stopping' | 'done';
  /** While stopping: when to escalate to SIGKILL, and the exit code and reason to leave with. */
  stop: { deadline: number; killed: boolean; exitCode: number; reason: string | null } | null;
}

export type ArbiterEvent =
  | { type: 'start' }
  | { type: 'spawned'; age: number; pid: number }
  | { type: 'booted'; pid: number }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null }
  | { type: 'signal'; signal: 'SIGTERM' | 'SIGINT' | 'SIGQUIT' }
  // >>> chapter 7
  | { type: 'signal'; signal: 'SIGUSR1' }
  // <<< chapter 7
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
  | { type: 'close-listeners' }
  // >>> chapter 7
  /** Reopen this process's log files (USR1, after logrotate renamed them). */
  | { type: 'reopen-logs' }
  /** Pass USR1 on to a worker, which reopens its own files. */
  | { type: 'kill'; pid: number; signal: 'SIGUSR1' }
  // <<< chapter 7
  // >>> chapter 6
  /** Run a master hook; `worker` for child_exit. */
  | { type: 'hook'; name: 'child_exit' | 'on_exit'; worker?: { age: number; pid: number } }
  /** Remove the pid file (before on_exit runs, as gunicorn does). */
  | { type: 'release' }
  // <<< chapter 6
  | { type: 'exit'; code: number };

/** What the outside world supplies: the clock and randomness, so that tests can fix both. */
export interface Deps {
  now: number;
  random: () => number;
}


export function initialState(config: ArbiterConfig): ArbiterState {
  return { config, workers: [], lastAge: 0, phase: 'running', stop: null };
}

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
      break;
    case 'exited':
      reap(s, event, effects, deps);
      break;
    case 'signal':
      effects.push({ type: 'log', level: 'info', message: `Handling signal: ${event.signal.slice(3).toLowerCase()}` });
      // >>> chapter 7
      // #region usr1
      // USR1: reopen the log files, here and in every worker (gunicorn's handle_usr1).
      if (event.signal === 'SIGUSR1') {
        effects.push({ type: 'reopen-logs' });
        for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGUSR1' });
        break;
      }
      // #endregion usr1
      // <<< chapter 7
      if (s.phase === 'running') stop(s, effects, deps, event.signal === 'SIGTERM', 0, null);
      else if (s.phase === 'stopping' && event.signal !== 'SIGTERM') quicken(s, effects, deps);
      break;
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
      if (s.stop && !s.stop.killed && deps.now >= s.stop.deadline && s.workers.length > 0) {
        s.stop = { ...s.stop, killed: true };
        for (const w of s.workers) if (w.pid !== null) effects.push({ type: 'kill', pid: w.pid, signal: 'SIGKILL' });
      }
      break;
  }
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
  if (meaning.log) effects.push({ type: 'log', ...meaning.log });
  // >>> chapter 6
  effects.push({ type: 'hook', name: 'child_exit', worker: { age: worker.age, pid: event.pid } });
  // <<< chapter 6
  if (s.phase !== 'running') return;
  if (meaning.halt) stop(s, effects, deps, true, meaning.halt.code, meaning.halt.reason);
  else manageWorkers(s, effects, deps);
}
// #endregion reap

// #region manage
function manageWorkers(s: ArbiterState, effects: Effect[], deps: Deps): void {
  const plan = planWorkers(s.workers, s.config.workers);
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
  for (const pid of plan.retire) effects.push({ type: 'kill', pid, signal: 'SIGTERM' });
}
// #endregion manage

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
  effects.push({ type: 'close-listeners' });
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
  effects.push({ type: 'log', level: code === 0 ? 'info' : 'error', message: 'Shutting down: Master' });
  if (s.stop?.reason) effects.push({ type: 'log', level: code === 0 ? 'info' : 'error', message: `Reason: ${s.stop.reason}` });
  // >>> chapter 6
  effects.push({ type: 'release' }, { type: 'hook', name: 'on_exit' });
  // <<< chapter 6
  effects.push({ type: 'exit', code });
}
// #endregion stop
