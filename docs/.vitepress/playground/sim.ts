// The playground's world: the master's REAL decision core (src/arbiter/core.ts, imported, not copied)
// inside a simulated shell, with simulated worker processes and a simulated clock.
//
// What is real: every decision. Each event goes through the core's `step`, exactly as the server's loop
// (src/arbiter/loop.ts) hands it over, and the effects it returns are what the master does. What is
// simulated: what src/arbiter/master.ts does with those effects (sim-master.ts), what the workers do
// (sim-worker.ts), and time (sim-clock.ts). This file is the operating system between them: pids,
// signals, messages, which worker a request lands on; and the API the page drives.
//
// The simulation writes the same trace a real server writes with PREFORK_TRACE (src/log/trace.ts), and
// test/site/parity.test.ts checks that a scenario gives the same decisions, hook calls and log lines
// here as on the real server (parity.ts lists the differences allowed, and why).
import type { ArbiterState } from '../../../src/arbiter/core.ts';
import type { MasterSignal } from '../../../src/arbiter/signals.ts';
import { tracedWorkers, type TraceEntry } from '../../../src/log/trace-shape.ts';
import { Scheduler, seeded } from './sim-clock.ts';
import { MasterProcess, type World } from './sim-master.ts';
import { WorkerProcess, type RequestKind } from './sim-worker.ts';

export type { RequestKind } from './sim-worker.ts';
export type PlaygroundSignal = MasterSignal;
export type WorkerStatus = 'booting' | 'idle' | 'busy' | 'retiring' | 'aborted' | 'exited';

export interface SimSettings {
  workers: number;
  /** Seconds without a heartbeat before a worker is aborted; 0: never. */
  timeout: number;
  gracefulTimeout: number;
  maxRequests: number;
  maxRequestsJitter: number;
  workerClass: 'sync' | 'async';
  /** How long a worker takes to boot (each boot varies a little around it). */
  bootMs: number;
  /** How long a HUP takes to read the configuration and build the app again. */
  reloadMs: number;
}

export interface SimWorker {
  pid: number;
  age: number;
  masterPid: number;
  status: WorkerStatus;
  /** Simulated ms, on the clock of `now`. */
  bornAt: number;
  served: number;
  /** When its master last heard from it (ms, on the clock of `now`); null once the master forgot it. */
  lastBeat: number | null;
  inFlight: RequestKind[];
  exit?: { code: number | null; signal: string | null };
}

export interface SimMaster {
  pid: number;
  name: 'Master' | 'Master.2';
  phase: 'running' | 'stopping' | 'done';
  version: number;
  wanted: number;
  rollingOut: boolean;
  exitCode: number | null;
}

export interface Sim {
  /** Simulated ms since the start (a trace entry's t is startAt + now). */
  readonly now: number;
  readonly settings: SimSettings;
  /** The running master first; a master started by USR2 too while it runs; the last one once all are done. */
  masters(): SimMaster[];
  /** Live workers, and those that exited in the last 3 s (status 'exited'), in the order they were spawned. */
  workers(): SimWorker[];
  /** Same shape as PREFORK_TRACE lines (src/log/trace.ts), in order. */
  readonly trace: TraceEntry[];
  /** kill -SIG the master (default: the oldest running one). */
  signal(sig: PlaygroundSignal, masterPid?: number): void;
  /** kill -SIG a worker (default SIGKILL: kill -9); a master's pid works too. */
  kill(pid: number, signal?: 'SIGKILL' | 'SIGTERM' | 'SIGQUIT'): void;
  /** A client connects: the pid of the worker that took it (sync: an idle one), null if none is free. */
  request(kind: RequestKind): number | null;
  /**
   * Breaks (or mends) the app on disk. The next build reads it: a HUP, or the new master of a USR2.
   * Workers run the app as the version their master uses was built (as the real server's bundled
   * workers do), so a worker replaced after a rolled-back HUP boots the old, working app.
   */
  setAppBroken(broken: boolean): void;
  /** Runs every scheduled happening up to now + ms, in time order. */
  advance(ms: number): void;
  /** Runs the next scheduled happening (the clock jumps to it); false if there is none. */
  next(): boolean;
  /** Called after every happening; returns the unsubscribe. */
  onChange(fn: () => void): () => void;
}

export const DEFAULT_SETTINGS: SimSettings = {
  workers: 2,
  timeout: 30,
  gracefulTimeout: 30,
  maxRequests: 0,
  maxRequestsJitter: 0,
  workerClass: 'sync',
  bootMs: 400,
  reloadMs: 150,
};

/** A signal or kill reaches its process's handler about this much later. */
const SIGNAL_MS = 1;
/** Exited workers stay listed this long (the page fades them out). */
const EXITED_SHOWN_MS = 3000;
/** 2026-12-06 01:52:00 UTC: a fixed start, so a seed gives the same trace, time stamps included. */
const DEFAULT_START = Date.UTC(2026, 11, 6, 1, 52, 0);

/**
 * A new simulated server, started: its master logs its first lines at simulated ms 0 and spawns its
 * workers. Nothing more happens until the page calls advance() or next(). The same settings and seed
 * give the same run, to the millisecond.
 */
export function createSim(overrides: Partial<SimSettings> = {}, opts: { seed?: number; startAt?: number } = {}): Sim {
  const settings: SimSettings = { ...DEFAULT_SETTINGS, ...overrides };
  const seed = opts.seed ?? 1;
  const startAt = opts.startAt ?? DEFAULT_START;
  const clock = new Scheduler();
  // Two streams: the world's chances (boot times, pids, which worker accepts) and the core's own draws
  // (max_requests jitter), so that one never shifts the other.
  const random = seeded(seed);
  const decide = seeded(seed ^ 0x5eed);
  const trace: TraceEntry[] = [];
  const masters: MasterProcess[] = [];
  const workers: WorkerProcess[] = [];
  const listeners = new Set<() => void>();
  let lastPid = 20_000 + Math.floor(random() * 9000);
  // Real pids grow by a few at a time (Node's threads take ids from the same counter).
  const newPid = (): number => (lastPid += 5 + Math.floor(random() * 20));
  const stamp = (pid: number) => ({ t: startAt + clock.now, pid });
  const masterOf = (pid: number): MasterProcess | undefined => masters.find((m) => m.pid === pid);
  const running = (): MasterProcess[] => masters.filter((m) => !m.ended);

  const world: World = {
    settings,
    startAt,
    decide,
    appBroken: false,
    get now() {
      return clock.now;
    },
    after: (ms, run) => clock.after(ms, run),
    log: (pid, level, message) => void trace.push({ ...stamp(pid), kind: 'log', level, message }),
    hook: (pid, name, args) => void trace.push({ ...stamp(pid), kind: 'hook', name, args }),
    traceStep(pid, event, effects, state) {
      // As traceStep: a tick that decided nothing is left out (heartbeats are kept).
      if (event.type === 'tick' && effects.length === 0) return;
      trace.push({ ...stamp(pid), kind: 'step', event, effects, workers: tracedWorkers(state), phase: state.phase, version: state.version });
    },
    tell: (masterPid, event, ms) => clock.after(ms, () => masterOf(masterPid)?.dispatch(event)),
    spawnWorker(master, age, maxRequests) {
      const pid = newPid();
      const bootMs = Math.round(settings.bootMs * (0.85 + 0.3 * random()));
      const config = master.state.config;
      workers.push(new WorkerProcess(world, { pid, age, masterPid: master.pid, maxRequests, workerClass: settings.workerClass, timeout: config.timeout ?? 0, appBroken: master.appBroken, bootMs }));
      return pid;
    },
    deliver(pid, signal) {
      const worker = workers.find((w) => w.pid === pid);
      clock.after(SIGNAL_MS, () => worker?.signal(signal));
    },
    startMaster(parent) {
      const pid = newPid();
      // A new `node` with the TypeScript loader: slower to start than a worker's bundle.
      clock.after(Math.round(settings.bootMs * 1.5), () => {
        const child = new MasterProcess(world, pid, parent.pid);
        masters.push(child);
        child.start();
      });
      return pid;
    },
    masterEnded(master) {
      // Its workers still there lose their IPC channel and shut down ('Parent changed'). The core only
      // exits once every worker has exited, so this is a master killed with SIGKILL.
      for (const w of workers) if (w.spec.masterPid === master.pid && w.stage !== 'gone') clock.after(SIGNAL_MS, () => w.masterGone());
      // The master that started this one by USR2 hears that it exited.
      const parent = master.state.parentPid;
      if (parent !== null) clock.after(SIGNAL_MS, () => masterOf(parent)?.dispatch({ type: 'reexec-exited', pid: master.pid }));
    },
    isRunning: (pid) => masterOf(pid)?.ended === false,
  };

  const changed = (): void => {
    for (const fn of listeners) fn();
  };

  const first = new MasterProcess(world, newPid(), null);
  masters.push(first);
  first.start();

  const status = (w: WorkerProcess): WorkerStatus => {
    if (w.stage === 'gone') return 'exited';
    if (w.abortPending) return 'aborted';
    if (!w.alive) return 'retiring';
    if (w.stage !== 'serving') return 'booting';
    return w.inFlight.length ? 'busy' : 'idle';
  };

  return {
    get now() {
      return clock.now;
    },
    settings,
    trace,
    masters() {
      const live = running();
      const shown = live.length ? live : masters.slice(-1);
      return shown.map((m) => ({
        pid: m.pid,
        name: m.state.parentPid === null ? 'Master' : 'Master.2',
        phase: m.ended ? 'done' : m.state.phase,
        version: m.state.version,
        wanted: m.state.config.workers,
        rollingOut: m.state.rollout !== null,
        exitCode: m.exitCode,
      }));
    },
    workers() {
      return workers
        .filter((w) => w.exitedAt === null || clock.now - w.exitedAt <= EXITED_SHOWN_MS)
        .map((w) => {
          const known = masterOf(w.spec.masterPid)?.state.workers.find((k) => k.pid === w.pid);
          return {
            pid: w.pid,
            age: w.spec.age,
            masterPid: w.spec.masterPid,
            status: status(w),
            bornAt: w.bornAt,
            served: w.served,
            lastBeat: known?.lastBeat === undefined ? null : known.lastBeat - startAt,
            inFlight: w.inFlight.map((r) => r.kind),
            ...(w.exit ? { exit: { ...w.exit } } : {}),
          };
        });
    },
    signal(sig, masterPid) {
      const target = masterPid === undefined ? running()[0] : running().find((m) => m.pid === masterPid);
      target?.dispatch({ type: 'signal', signal: sig });
      changed();
    },
    kill(pid, signal = 'SIGKILL') {
      const master = running().find((m) => m.pid === pid);
      if (master && signal !== 'SIGKILL') master.dispatch({ type: 'signal', signal });
      else if (master) {
        // kill -9 of a master: no hook, no line; its workers and the other master notice.
        master.ended = true;
        world.masterEnded(master);
      } else workers.find((w) => w.pid === pid)?.signal(signal);
      changed();
    },
    request(kind) {
      // Every running master's workers accept on the same sockets (a USR2 master's too): the kernel
      // hands the connection to one of those accepting.
      const ready = workers.filter((w) => w.accepting && !masterOf(w.spec.masterPid)!.ended);
      if (!ready.length) return null;
      const worker = ready[Math.floor(random() * ready.length)]!;
      worker.accept(kind);
      changed();
      return worker.pid;
    },
    setAppBroken(broken) {
      world.appBroken = broken;
      changed();
    },
    advance(ms) {
      const until = clock.now + ms;
      while (clock.peek() !== null && clock.peek()! <= until) {
        clock.runNext();
        changed();
      }
      clock.now = until;
      changed();
    },
    next() {
      const ran = clock.runNext();
      if (ran) changed();
      return ran;
    },
    onChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
  };
}
