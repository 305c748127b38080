// A simulated worker process: what src/worker/main.ts, signals.ts and heartbeat.ts do, step by step,
// on the simulation's clock. It makes no decision of the master's; it only does what a real worker
// does, and reports to its master the way a real one does (booted, heartbeats, its exit).
import type { ArbiterEvent } from '../../../src/arbiter/core.ts';
import { EXIT_BOOT_FAILED } from '../../../src/worker/boot.ts';
import { requestBudget, type RequestBudget } from '../../../src/worker/budget.ts';
import { beatInterval, PULSE_GAP_MS } from '../../../src/worker/heartbeat.ts';

/** fast: 20 ms; slow: waits on I/O for 5 s; stuck: a CPU loop that never ends. */
export type RequestKind = 'fast' | 'slow' | 'stuck';
export type WorkerSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGABRT' | 'SIGKILL' | 'SIGUSR1';

export const REQUEST_MS = { fast: 20, slow: 5000 } as const;
/** A message over the IPC channel (booted, a beat) reaches the master about this much later. */
const MESSAGE_MS = 1;
/** The master learns of a child's exit (SIGCHLD, then libuv) about this much later. */
const REAP_MS = 2;
/** The share of a boot spent before the worker's first line runs: starting Node itself. */
const NODE_START_SHARE = 0.85;
/** What the log shows for a broken app: the stack of what its import threw (cut short here). */
const BROKEN_APP = 'Error: the app is broken (the playground\'s "break the app")\n    at app.ts:1:7';
/** Hooks get the server as their first argument; a trace writes it as this (traceArgs, src/log/trace-shape.ts). */
export const SERVER = '…';

/** The simulated operating system, as a worker sees it. */
export interface WorkerHost {
  readonly now: number;
  after(ms: number, run: () => void): void;
  log(pid: number, level: string, message: string): void;
  hook(pid: number, name: string, args: unknown[]): void;
  /** Delivers an event to the master's loop `ms` from now (if the master is still there). */
  tell(masterPid: number, event: ArbiterEvent, ms: number): void;
}

export interface WorkerSpec {
  pid: number;
  age: number;
  masterPid: number;
  /** Drawn by the master's core when it decided to spawn (max_requests + jitter); 0: no limit. */
  maxRequests: number;
  workerClass: 'sync' | 'async';
  /** Seconds (the `timeout` setting): 0 turns the heartbeat off. */
  timeout: number;
  /** The app this worker will import fails (the version it was spawned with was built broken). */
  appBroken: boolean;
  /** How long this boot takes, start of Node to 'booted' (jitter included). */
  bootMs: number;
}

export class WorkerProcess {
  /** starting: Node starts, no handler yet; loading: hooks and the app load; serving; gone: exited. */
  stage: 'starting' | 'loading' | 'serving' | 'gone' = 'starting';
  /** Accepting work (main.ts's worker.alive): false once it is told to go. */
  alive = true;
  /** A request is spinning on the CPU: the event loop never turns again. */
  stuck = false;
  /** Got a SIGABRT it cannot run a handler for (stuck): it stays until SIGKILL. */
  abortPending = false;
  readonly inFlight: { kind: RequestKind }[] = [];
  served = 0;
  readonly bornAt: number;
  exit: { code: number | null; signal: string | null } | null = null;
  exitedAt: number | null = null;
  /** TERM, INT and QUIT that came while loading (signals.ts's holdStopSignals). */
  private held = new Set<WorkerSignal>();
  private budget: RequestBudget;
  private lastBeat = -Infinity;

  constructor(
    private readonly host: WorkerHost,
    readonly spec: WorkerSpec,
  ) {
    this.bornAt = host.now;
    this.budget = requestBudget(spec.maxRequests);
    host.after(Math.round(spec.bootMs * NODE_START_SHARE), () => this.booting());
  }

  get pid(): number {
    return this.spec.pid;
  }

  /** What hooks get as `worker`, as a trace writes it. */
  private view(): { age: number; pid: number } {
    return { age: this.spec.age, pid: this.spec.pid };
  }

  private log(level: string, message: string): void {
    this.host.log(this.pid, level, message);
  }

  private hook(name: string, args: unknown[]): void {
    this.host.hook(this.pid, name, args);
  }

  private tell(event: ArbiterEvent, ms = MESSAGE_MS): void {
    this.host.tell(this.spec.masterPid, event, ms);
  }

  // ---- booting: main.ts's runWorker, in its order ---------------------------------------------------

  /** The worker's first lines: from here TERM, INT and QUIT are held, then post_fork. */
  private booting(): void {
    if (this.stage !== 'starting') return;
    this.stage = 'loading';
    this.log('info', `Booting worker with pid: ${this.pid}`);
    this.hook('post_fork', [SERVER, this.view()]);
    this.host.after(this.spec.bootMs - Math.round(this.spec.bootMs * NODE_START_SHARE), () => this.loaded());
  }

  /** loadOrExit, post_worker_init, the heartbeat, the signal handlers; then 'booted' to the master. */
  private loaded(): void {
    if (this.stage !== 'loading') return;
    if (this.spec.appBroken) {
      // An import that throws is a boot failure: exit 3, which the master reads as "the app is broken".
      this.log('error', `Exception in worker process:\n${BROKEN_APP}`);
      this.log('info', `Worker exiting (pid: ${this.pid})`);
      return this.processExit(EXIT_BOOT_FAILED, null);
    }
    this.hook('post_worker_init', [this.view()]);
    this.startHeartbeat();
    this.stage = 'serving';
    // The handlers exist now: the signals held meanwhile reach them (held.release()).
    for (const signal of this.held) if (this.stage === 'serving') this.handle(signal);
    this.held.clear();
    // A worker told to stop while loading never opens its gates, so it never reports 'booted'.
    if (this.stage === 'serving' && this.alive) this.tell({ type: 'booted', pid: this.pid });
  }

  // ---- signals: signals.ts ---------------------------------------------------------------------

  // #region signals
  /** A signal arrives: from the master's `kill` effect, or from the reader (kill -9). */
  signal(signal: WorkerSignal): void {
    if (this.stage === 'gone') return;
    // Nothing can catch SIGKILL: the kernel ends the process, no hook, no log line.
    if (signal === 'SIGKILL') return this.processExit(null, 'SIGKILL');
    if (this.stage === 'starting') {
      // Node is starting and no handler exists yet: the default action ends it (USR1 excepted: Node
      // keeps that one for its inspector).
      if (signal !== 'SIGUSR1') this.processExit(null, signal);
      return;
    }
    if (this.stage === 'loading') {
      if (signal === 'SIGABRT') return this.processExit(null, signal); // not held: its handler comes later
      if (signal !== 'SIGUSR1') this.held.add(signal); // USR1's listener is main.ts's very first line
      return;
    }
    // A handler runs on the event loop; a loop spinning on the CPU never runs one again.
    if (this.stuck) {
      if (signal === 'SIGABRT') this.abortPending = true;
      return;
    }
    this.handle(signal);
  }

  /** handleWorkerSignals: TERM finishes what is in flight; INT, QUIT and ABRT leave at once. */
  private handle(signal: WorkerSignal): void {
    switch (signal) {
      case 'SIGTERM':
        return this.stop();
      case 'SIGINT':
      case 'SIGQUIT':
        this.lastHook('worker_int');
        return this.exitWorker(0);
      case 'SIGABRT':
        this.lastHook('worker_abort');
        return this.exitWorker(1);
      default:
        return; // SIGUSR1: reopens its log files, nothing to see
    }
  }
  // #endregion signals

  /** Its master is gone (the IPC channel closed): as TERM, with a line saying why. */
  masterGone(): void {
    if (this.stage !== 'serving' || this.stuck) return;
    this.log('info', `Parent changed, shutting down: ${this.pid}`);
    this.stop();
  }

  private lastHook(name: string): void {
    this.alive = false;
    this.hook(name, [this.view()]);
  }

  /** Graceful: accept nothing more, exit once the requests in flight are answered. */
  private stop(): void {
    this.alive = false;
    if (this.inFlight.length === 0) this.exitWorker(0);
  }

  /** main.ts's exit(): the line, worker_exit, then the process ends with `code`. */
  private exitWorker(code: number): void {
    this.log('info', `Worker exiting (pid: ${this.pid})`);
    this.hook('worker_exit', [SERVER, this.view()]);
    this.processExit(code, null);
  }

  /** The process is gone; a request still in flight dies with it. The master hears of it shortly. */
  private processExit(code: number | null, signal: string | null): void {
    this.stage = 'gone';
    this.exit = { code, signal };
    this.exitedAt = this.host.now;
    this.inFlight.length = 0;
    this.tell({ type: 'exited', pid: this.pid, code, signal }, REAP_MS);
  }

  // ---- requests: loops.ts and budget.ts ----------------------------------------------------------

  /** admission.ts: sync accepts only when idle; async while its loop turns. */
  get accepting(): boolean {
    return this.stage === 'serving' && this.alive && !this.stuck && (this.spec.workerClass === 'async' || this.inFlight.length === 0);
  }

  accept(kind: RequestKind): void {
    const req = { kind };
    this.pulse(); // a connection taken
    this.inFlight.push(req);
    this.pulse(); // a request starts (within PULSE_GAP_MS of the first: usually dropped)
    if (!this.budget.take()) {
      // The last request of its max_requests: answer it, then go; the master starts a fresh worker.
      this.log('info', 'Autorestarting worker after current request.');
      this.alive = false;
    }
    this.hook('pre_request', [this.view(), SERVER]);
    if (kind === 'stuck') {
      this.stuck = true;
      return;
    }
    this.host.after(REQUEST_MS[kind], () => this.finish(req));
  }

  private finish(req: { kind: RequestKind }): void {
    // Gone, or another request holds the CPU: this answer never goes out.
    if (this.stage === 'gone' || this.stuck) return;
    this.hook('post_request', [this.view(), SERVER, SERVER, SERVER]);
    this.inFlight.splice(this.inFlight.indexOf(req), 1);
    this.served += 1;
    this.pulse(); // the connection ended
    if (!this.alive && this.inFlight.length === 0) this.exitWorker(0);
  }

  // ---- the heartbeat: heartbeat.ts ---------------------------------------------------------------

  /** Timer beats every beatInterval: sync only while idle, async always (unless its loop is stuck). */
  private startHeartbeat(): void {
    if (this.spec.timeout <= 0) return;
    const every = beatInterval(this.spec.timeout);
    const timer = (): void => {
      if (this.stage === 'gone' || this.stuck) return; // a stuck loop runs no timer, now or later
      if (this.spec.workerClass === 'async' || this.inFlight.length === 0) this.beat();
      this.host.after(every, timer);
    };
    this.host.after(every, timer);
  }

  private pulse(): void {
    if (this.spec.timeout > 0 && this.host.now - this.lastBeat >= PULSE_GAP_MS) this.beat();
  }

  private beat(): void {
    this.lastBeat = this.host.now;
    this.tell({ type: 'heartbeat', pid: this.pid });
  }
}
