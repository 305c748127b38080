// The playground's scenarios, one per chapter that embeds it: the settings, a short scripted opening
// (what happens by itself in the first seconds, so the page opens on the point of the chapter), a
// paragraph that says what to watch, and a few things to try. `Director` plays an opening on a Sim.
// Pure: no DOM, no node: imports.
import type { PlaygroundSignal, RequestKind, Sim, SimSettings } from './sim.ts';

export type PresetName = 'ch5' | 'ch6' | 'ch7' | 'ch8' | 'ch9' | 'free';

export type ScriptAction =
  | { signal: PlaygroundSignal }
  /** kill -9 (or another signal) the oldest worker that is up. */
  | { kill: 'oldest'; signal?: 'SIGKILL' | 'SIGTERM' | 'SIGQUIT' }
  | { request: RequestKind }
  | { breakApp: boolean };

/** `at`: simulated ms since the start. */
export interface ScriptStep {
  at: number;
  action: ScriptAction;
}

/** Which kinds of timeline line a preset shows first (the reader can change it). */
export interface TimelineFilter {
  decisions: boolean;
  hooks: boolean;
  logs: boolean;
  heartbeats: boolean;
}

export interface Preset {
  name: PresetName;
  title: string;
  settings: Partial<SimSettings>;
  script: ScriptStep[];
  intro: string;
  tryThis: string[];
  filter?: Partial<TimelineFilter>;
}

export const DEFAULT_FILTER: TimelineFilter = { decisions: true, hooks: true, logs: true, heartbeats: false };

export const presets: Record<PresetName, Preset> = {
  ch5: {
    name: 'ch5',
    title: 'Chapter 5: a master keeps two workers',
    settings: { workers: 2, timeout: 0 },
    script: [{ at: 3000, action: { kill: 'oldest' } }],
    intro:
      'A master starts two workers and then only watches. Three seconds in, the oldest worker is killed with ' +
      'kill -9, as the out-of-memory killer would: the master reaps it, logs the signal, and spawns a ' +
      'replacement with a new pid and the next age. Nothing else in the server notices.',
    tryThis: [
      'Select a worker and press "kill -9": the replacement gets the next age, never a reused one.',
      'Send TERM: the workers finish what they serve and exit, then the master does.',
      'Send a stuck request: with no timeout (chapter 8 adds it) that worker is gone for good, and the master cannot tell.',
    ],
  },
  ch6: {
    name: 'ch6',
    title: 'Chapter 6: every hook, at its moment',
    settings: { workers: 2, timeout: 0 },
    script: [
      { at: 2500, action: { request: 'fast' } },
      { at: 4000, action: { signal: 'SIGTTIN' } },
      { at: 6500, action: { kill: 'oldest' } },
    ],
    filter: { logs: false },
    intro:
      'The timeline lists each hook as the server calls it, in order, and in the process that runs it: ' +
      'on_starting and when_ready in the master, pre_fork in the master just before a worker starts, ' +
      'post_fork and post_worker_init in the new worker. Then a request (pre_request, post_request), TTIN ' +
      '(nworkers_changed, then a new worker\'s hooks), and a kill -9 (child_exit in the master).',
    tryThis: [
      'Send TERM and watch the order at the end: worker_exit in each worker, child_exit in the master, on_exit last.',
      'Send HUP: on_reload runs in the master before the new workers\' pre_fork.',
      'Turn the logs back on to see each hook between the lines the server writes.',
    ],
  },
  ch7: {
    name: 'ch7',
    title: 'Chapter 7: USR1 reopens the logs',
    settings: { workers: 2, timeout: 0 },
    script: [
      { at: 2000, action: { request: 'fast' } },
      { at: 3000, action: { signal: 'SIGUSR1' } },
    ],
    intro:
      'After logrotate renames the log files, USR1 tells the server to open them again. The master reopens ' +
      'its own files, then passes USR1 on to every worker, each of which reopens its own: one signal, one ' +
      'decision, and a kill -USR1 per worker in the timeline.',
    tryThis: [
      'Press TTIN, then USR1 again: the new worker is on the list of workers the signal is passed to.',
      'Send USR1 during a graceful stop (TERM, then USR1 at once): the master still reopens its logs.',
    ],
  },
  ch8: {
    name: 'ch8',
    title: 'Chapter 8: a stuck request and a 3 s timeout',
    settings: { workers: 2, timeout: 3, workerClass: 'sync' },
    script: [{ at: 1500, action: { request: 'stuck' } }],
    intro:
      'The server runs sync workers with -t 3. A request stuck in a CPU loop takes one of them: the worker ' +
      'stops beating, and its heartbeat bar fills toward the 3 s timeout. Past it the master logs WORKER ' +
      'TIMEOUT and sends SIGABRT. A loop that never yields cannot run the handler, so a second later comes ' +
      'SIGKILL, and a new worker takes the old one\'s place.',
    tryThis: [
      'Send a slow request (5 s of waiting on I/O): a sync worker does not beat while it serves, so it is aborted too; this time its event loop turns, worker_abort runs and it exits with code 1.',
      'Send two stuck requests at once: both workers time out, and both are replaced.',
      'Send fast requests and watch the bar: a sync worker beats when it takes a request and when it ends one.',
    ],
  },
  ch9: {
    name: 'ch9',
    title: 'Chapter 9: a reload with a broken app rolls back',
    settings: { workers: 2 },
    script: [
      { at: 1500, action: { breakApp: true } },
      { at: 2000, action: { signal: 'SIGHUP' } },
    ],
    intro:
      'Someone deploys an app that fails to import, and sends HUP. The master reads its configuration again ' +
      'and starts new workers first; the first new worker that dies before booting tells it the new version ' +
      'is broken. It goes back to the previous version and keeps the old workers, which never stopped serving.',
    tryThis: [
      'Press "break app" again (to fix it), then HUP: new workers boot, and each one that does lets an old one go.',
      'With the app still broken, kill -9 a worker: its replacement boots, because it runs the version the master went back to, built before the app broke.',
      'Press USR2: a second master starts on the same sockets with workers of its own; then TERM the old one.',
    ],
  },
  free: {
    name: 'free',
    title: 'The playground',
    settings: {},
    script: [],
    intro:
      'A master and its workers, on a simulated clock. Every decision is made by the server\'s real core ' +
      '(src/arbiter/core.ts); the processes, the clock and the app are simulated. Send signals, kill ' +
      'workers, send requests, break the app, and watch the timeline.',
    tryThis: [
      'TTIN twice, then HUP: only two new workers start, since HUP reads the configuration again and TTIN had changed only the running count; the four old ones retire as the new ones boot.',
      'Break the app, then HUP: the reload rolls back.',
      'Send a stuck request, then speed time up to 50x: at the default 30 s timeout the worker is aborted.',
    ],
  },
};

/** Carries out one scripted action on a simulation. */
function perform(sim: Sim, action: ScriptAction): void {
  if ('kill' in action) {
    const up = sim.workers().filter((w) => w.status !== 'exited' && w.status !== 'booting');
    const oldest = up.sort((a, b) => a.age - b.age)[0];
    if (oldest) sim.kill(oldest.pid, action.signal ?? 'SIGKILL');
  } else if ('signal' in action) sim.signal(action.signal);
  else if ('request' in action) sim.request(action.request);
  else if ('breakApp' in action) sim.setAppBroken(action.breakApp);
}

/**
 * Runs a simulation with a scripted opening: each step's action happens when the clock reaches its
 * time, whether time runs (advance) or the reader steps through it (next).
 */
export class Director {
  private done = 0;
  private broken = false;

  constructor(
    readonly sim: Sim,
    readonly script: readonly ScriptStep[],
  ) {}

  /** Scripted actions still to come. */
  get pending(): number {
    return this.script.length - this.done;
  }

  /** Whether the app is broken now (by the script or the reader): the Sim does not say. */
  get appBroken(): boolean {
    return this.broken;
  }

  setAppBroken(broken: boolean): void {
    this.broken = broken;
    this.sim.setAppBroken(broken);
  }

  private run(action: ScriptAction): void {
    if ('breakApp' in action) this.setAppBroken(action.breakApp);
    else perform(this.sim, action);
  }

  advance(ms: number): void {
    const target = this.sim.now + ms;
    for (let s = this.script[this.done]; s && s.at <= target; s = this.script[this.done]) {
      if (s.at > this.sim.now) this.sim.advance(s.at - this.sim.now);
      this.done += 1;
      this.run(s.action);
    }
    if (target > this.sim.now) this.sim.advance(target - this.sim.now);
  }

  /** One happening: a scripted action that is due, or else the simulation's next one. */
  next(): boolean {
    const s = this.script[this.done];
    if (s && s.at <= this.sim.now) {
      this.done += 1;
      this.run(s.action);
      return true;
    }
    if (this.sim.next()) return true;
    // Nothing scheduled: jump to the next scripted action, if any.
    if (!s) return false;
    this.advance(s.at - this.sim.now);
    return true;
  }
}
