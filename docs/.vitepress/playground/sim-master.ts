// A simulated master process: what src/arbiter/master.ts does around the core, on the simulated clock.
// The decisions are the core's own (`step`, imported); this is only the shell that carries them out:
// its start-up lines and hooks, its event loop (loop.ts: one event at a time, in arrival order), and
// what each effect does (spawn a worker, signal one, log, run a hook, reload, start a new master).
import { initialState, step, type ArbiterConfig, type ArbiterEvent, type ArbiterState, type Effect } from '../../../src/arbiter/core.ts';
import type { SimSettings } from './sim.ts';
import { SERVER, type WorkerHost, type WorkerSignal } from './sim-worker.ts';

/** master.ts's VERSION (master.ts imports node modules, so it cannot come to the browser; parity checks it). */
const VERSION = '0.1.0';
const ADDRESS = 'http://127.0.0.1:8000';
/** master.ts's ticker. */
const TICK_MS = 250;

/** The settings the core decides with, as master.ts's arbiterConfig builds them from the config. */
export const arbiterConfig = (s: SimSettings): ArbiterConfig => ({
  workers: s.workers,
  gracefulTimeout: s.gracefulTimeout,
  maxRequests: s.maxRequests,
  maxRequestsJitter: s.maxRequestsJitter,
  timeout: s.timeout,
});

/** What the simulated processes need from the world around them. */
export interface World extends WorkerHost {
  readonly settings: SimSettings;
  /** The wall-clock time of simulated ms 0: the core's clock and the trace's `t` are startAt + now. */
  readonly startAt: number;
  /** The core's Deps.random (max_requests jitter). */
  readonly decide: () => number;
  appBroken: boolean;
  traceStep(pid: number, event: ArbiterEvent, effects: Effect[], state: ArbiterState): void;
  spawnWorker(master: MasterProcess, age: number, maxRequests: number): number;
  deliver(pid: number, signal: WorkerSignal): void;
  startMaster(parent: MasterProcess): number;
  masterEnded(master: MasterProcess): void;
  isRunning(pid: number): boolean;
}

/** One master process: master.ts's shell around the core, on the simulated clock. */
export class MasterProcess {
  state: ArbiterState;
  ended = false;
  exitCode: number | null = null;
  private queue: ArbiterEvent[] = [];
  private draining = false;
  /** The app each configuration version was built with (master.ts's `versions`); workers run the one in use. */
  private versions = new Map<number, { appBroken: boolean }>();
  private inUse = 0;
  private lastVersion = 0;

  constructor(
    private readonly world: World,
    readonly pid: number,
    parentPid: number | null,
  ) {
    this.state = initialState(arbiterConfig(world.settings), { parentPid });
  }

  /** runMaster's start-up, in its order of log lines and hooks; then the ticker, then 'start'. */
  start(): void {
    const { settings } = this.world;
    this.log('info', `Starting prefork ${VERSION}`);
    this.hook('nworkers_changed', settings.workers, null);
    this.hook('on_starting');
    // A master started by USR2 inherits the sockets (binds nothing): the same address.
    this.log('info', `Listening at: ${ADDRESS} (${this.pid})`);
    this.log('info', `Using worker: ${settings.workerClass}`);
    this.hook('when_ready');
    this.versions.set(0, { appBroken: this.world.appBroken });
    const ticker = (): void => {
      if (this.ended) return;
      // A master started by USR2 is promoted once the master that started it is gone.
      if (this.state.parentPid !== null && !this.world.isRunning(this.state.parentPid)) this.dispatch({ type: 'promoted' });
      this.dispatch({ type: 'tick' });
      this.world.after(TICK_MS, ticker);
    };
    this.world.after(TICK_MS, ticker);
    this.dispatch({ type: 'start' });
  }

  /** loop.ts: one event at a time, in arrival order; events raised while effects run wait their turn. */
  dispatch(event: ArbiterEvent): void {
    if (this.ended) return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    while (this.queue.length && !this.ended) {
      const next = this.queue.shift()!;
      let result: ReturnType<typeof step>;
      try {
        result = step(this.state, next, { now: this.world.startAt + this.world.now, random: this.world.decide });
      } catch (err) {
        // As loop.ts: a decision that throws becomes 'fatal' (a quick stop, exit 255).
        if (next.type !== 'fatal') this.queue.unshift({ type: 'fatal', message: String(err) });
        else this.perform({ type: 'exit', code: 255 });
        continue;
      }
      this.state = result.state;
      this.world.traceStep(this.pid, next, result.effects, this.state);
      for (const effect of result.effects) this.perform(effect);
    }
    this.queue.length = 0;
    this.draining = false;
  }

  // #region perform
  /** master.ts's perform: what each effect does outside the core. */
  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        return this.spawn(effect.age, effect.maxRequests);
      case 'kill':
        return this.world.deliver(effect.pid, effect.signal);
      case 'log':
        return this.log(effect.level, effect.message);
      case 'hook':
        if (effect.name === 'child_exit') return this.hook('child_exit', effect.worker);
        if (effect.name === 'nworkers_changed') return this.hook('nworkers_changed', ...effect.args);
        return this.hook(effect.name);
      case 'reload':
        return this.reload(effect.seq);
      case 'use-version':
        this.inUse = effect.version;
        return;
      case 'reexec':
        return this.reexec();
      case 'exit':
        this.ended = true;
        this.exitCode = effect.code;
        return this.world.masterEnded(this);
      default:
        // close-listeners, reopen-logs, release (the pid file), promote (the pid file's name and the
        // process title): files and sockets the playground does not have; the step line shows them.
        return;
    }
  }
  // #endregion perform

  /** pre_fork, then the process; its pid goes to the core as 'spawned' (after this step's effects). */
  private spawn(age: number, maxRequests: number): void {
    this.hook('pre_fork', { age, pid: null });
    const pid = this.world.spawnWorker(this, age, maxRequests);
    this.dispatch({ type: 'spawned', age, pid });
  }

  /** Whether workers spawned now import a broken app: the app as the version in use was built. */
  get appBroken(): boolean {
    return this.versions.get(this.inUse)?.appBroken ?? false;
  }

  /** HUP: read the configuration and build the app again (reloadMs), then tell the core. */
  private reload(seq: number): void {
    const version = ++this.lastVersion;
    this.world.after(this.world.settings.reloadMs, () => {
      this.versions.set(version, { appBroken: this.world.appBroken });
      this.dispatch({ type: 'reloaded', seq, version, config: arbiterConfig(this.world.settings) });
    });
  }

  /** USR2: pre_exec, then a new master on the same sockets. */
  private reexec(): void {
    this.hook('pre_exec');
    const pid = this.world.startMaster(this);
    this.dispatch({ type: 'reexeced', pid });
  }

  private log(level: string, message: string): void {
    this.world.log(this.pid, level, message);
  }

  /** A master hook: the server view first, as master.ts's hook() passes it. */
  private hook(name: string, ...args: unknown[]): void {
    this.world.hook(this.pid, name, [SERVER, ...args]);
  }
}
