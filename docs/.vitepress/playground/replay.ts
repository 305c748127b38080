// What the playground shows, from trace entries: the timeline's lines (for a simulation and a recording
// alike) and, for a recorded run, the masters and workers as they were at a given moment. A recording
// holds only what the processes wrote (src/log/trace.ts), so the views are rebuilt from it: the workers
// as the master's core last saw them, requests from the pre_request/post_request hooks, exits from the
// `exited` events. Pure: no DOM, no node: imports (runs in the browser and in vitest).
import type { ArbiterEvent, Effect } from '../../../src/arbiter/core.ts';
import type { TraceEntry, TracedWorker } from '../../../src/log/trace-shape.ts';
import type { WorkerStatus } from './sim.ts';

/** A master as the page shows it (a SimMaster fits; a recording yields the same). */
export interface MasterView {
  pid: number;
  name: string;
  phase: 'running' | 'stopping' | 'done';
  version: number;
  /** Workers it keeps (null: the recording does not say). */
  wanted: number | null;
  rollingOut: boolean;
  exitCode: number | null;
}

/** A worker as the page shows it; `lastBeat` is on the same clock as the `now` it is shown with. */
export interface WorkerView {
  pid: number;
  age: number;
  masterPid: number;
  status: WorkerStatus;
  bornAt: number | null;
  /** Requests served (null: the recording does not say, before chapter 6's request hooks). */
  served: number | null;
  lastBeat: number | null;
  exit?: { code: number | null; signal: string | null };
}

export type LineKind = TraceEntry['kind'];

export interface Line {
  /** The entry's index in its trace: a stable key. */
  index: number;
  kind: LineKind;
  /** A log line's level; steps take their most serious log effect's, hooks and stages 'info'. */
  level: string;
  /** `[2026-12-06 01:52:06 +0000] [pid]`, as gunicorn prefixes its error log lines. */
  prefix: string;
  /** The rest: `[INFO] message`, `event -> effects`, `hook name(args)`. */
  text: string;
  /** A heartbeat that decided nothing: most of a trace, hidden unless asked for. */
  beat: boolean;
}

// Workers that exited stay on screen this long (as the simulation's workers() keeps them).
export const EXITED_SHOWN_MS = 3000;

const two = (n: number): string => String(n).padStart(2, '0');

/** gunicorn's error log time stamp, in UTC: `[2026-12-06 01:52:06 +0000]`. */
export function stamp(t: number): string {
  const d = new Date(t);
  return `[${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

const short = (signal: string): string => signal.replace(/^SIG/, '');

export function describeEvent(e: ArbiterEvent): string {
  switch (e.type) {
    case 'start': return 'start';
    case 'spawned': return `spawned worker ${e.age} as pid ${e.pid}`;
    case 'booted': return `booted ${e.pid}`;
    case 'exited': return `exited ${e.pid} (${e.signal ?? `code ${e.code}`})`;
    case 'signal': return `signal ${short(e.signal)}`;
    case 'reloaded': return `config reloaded (HUP #${e.seq}, version ${e.version}, ${e.config.workers} workers)`;
    case 'reload-failed': return `reload #${e.seq} failed: ${e.message}`;
    case 'reexeced': return `new master started: ${e.pid}`;
    case 'reexec-exited': return `new master exited: ${e.pid}`;
    case 'promoted': return 'old master gone';
    case 'listen-failed': return `listen failed: ${e.message}`;
    case 'spawn-failed': return `spawning worker ${e.age} failed`;
    case 'fatal': return `fatal: ${e.message}`;
    case 'heartbeat': return `heartbeat ${e.pid}`;
    case 'tick': return 'tick';
  }
}

/** A hook's arguments as a reader would write them: worker views by age, the server left out. */
function hookArgs(args: readonly unknown[]): string {
  return args
    .filter((a) => a !== '…')
    .map((a) => (a !== null && typeof a === 'object' && 'age' in a ? `worker ${(a as { age: number }).age}` : String(a)))
    .join(', ');
}

export function describeEffect(e: Effect): string {
  switch (e.type) {
    case 'spawn': return `spawn worker ${e.age}${e.maxRequests > 0 ? ` (max ${e.maxRequests} requests)` : ''}`;
    case 'kill': return `kill -${short(e.signal)} ${e.pid}`;
    case 'log': return `log${e.level === 'info' ? '' : ` ${e.level}`} "${e.message}"`;
    case 'close-listeners': return 'close listeners';
    case 'reopen-logs': return 'reopen logs';
    case 'hook': {
      if ('worker' in e && e.worker) return `hook ${e.name}(worker ${e.worker.age})`;
      if ('args' in e && e.args) return `hook ${e.name}(${hookArgs(e.args)})`;
      return `hook ${e.name}()`;
    }
    case 'release': return 'remove pid file';
    case 'reload': return `reload config (HUP #${e.seq})`;
    case 'use-version': return `use version ${e.version}`;
    case 'reexec': return 'start a new master';
    case 'promote': return 'take the master name';
    case 'exit': return `exit ${e.code}`;
  }
}

const LEVELS = ['debug', 'info', 'warning', 'error', 'critical'];
const worst = (levels: string[]): string => levels.reduce((a, b) => (LEVELS.indexOf(b) > LEVELS.indexOf(a) ? b : a), 'info');

/** One timeline line per trace entry. */
export function lineOf(entry: TraceEntry, index: number): Line {
  const prefix = `${stamp(entry.t)} [${entry.pid}]`;
  switch (entry.kind) {
    case 'log':
      return { index, kind: 'log', level: entry.level, prefix, text: `[${entry.level.toUpperCase()}] ${entry.message}`, beat: false };
    case 'hook':
      return { index, kind: 'hook', level: 'info', prefix, text: `hook ${entry.name}(${hookArgs(entry.args)})`, beat: false };
    case 'stage':
      return { index, kind: 'stage', level: 'info', prefix, text: `== ${entry.text}`, beat: false };
    case 'step': {
      const effects = entry.effects.map(describeEffect).join(', ');
      const level = worst(entry.effects.flatMap((e) => (e.type === 'log' ? [e.level] : [])));
      const beat = entry.event.type === 'heartbeat' && entry.effects.length === 0;
      return { index, kind: 'step', level, prefix, text: `${describeEvent(entry.event)} -> ${effects || 'nothing'}`, beat };
    }
  }
}

/** The newest decision worth announcing: the last step that decided something. */
export function lastDecision(trace: readonly TraceEntry[]): Line | null {
  for (let i = trace.length - 1; i >= 0; i--) {
    const e = trace[i]!;
    if (e.kind === 'step' && e.effects.length > 0) return lineOf(e, i);
  }
  return null;
}

/**
 * The timeout (ms) a recorded server ran with, as far as its trace tells (it does not record its
 * settings): a reload's configuration says it; a WORKER TIMEOUT says it too, as the whole seconds
 * between the worker's last beat and the abort; no heartbeat at all means none. null: unknown.
 */
export function guessTimeoutMs(entries: readonly TraceEntry[]): number | null {
  const lastBeat = new Map<number, number>();
  let beats = false;
  for (const e of entries) {
    if (e.kind !== 'step') continue;
    if (e.event.type === 'reloaded' && e.event.config.timeout !== undefined) return e.event.config.timeout * 1000;
    if (e.event.type === 'heartbeat') beats = true;
    for (const fx of e.effects) {
      if (fx.type !== 'kill' || fx.signal !== 'SIGABRT') continue;
      const beat = lastBeat.get(fx.pid);
      if (beat !== undefined) return Math.floor((e.t - beat) / 1000) * 1000;
    }
    for (const w of e.workers) if (w.pid !== null && w.lastBeat !== null) lastBeat.set(w.pid, w.lastBeat);
  }
  return beats ? null : 0;
}

/**
 * What happened in one server of a recording, in a few words, for the menu that picks a part: the
 * signals its master handled, its workers' timeouts and kills, how it ended.
 */
export function summary(entries: readonly TraceEntry[]): string {
  const signals: string[] = [];
  let timeouts = 0;
  let killed = 0;
  let failedBoots = 0;
  let exit: number | null = null;
  for (const e of entries) {
    if (e.kind !== 'step') continue;
    const ev = e.event;
    if (ev.type === 'signal' && !signals.includes(short(ev.signal))) signals.push(short(ev.signal));
    if (ev.type === 'exited' && ev.signal === 'SIGKILL') killed += 1;
    if (ev.type === 'exited' && (ev.code === 3 || ev.code === 4)) failedBoots += 1;
    for (const fx of e.effects) {
      if (fx.type === 'kill' && fx.signal === 'SIGABRT') timeouts += 1;
      if (fx.type === 'exit') exit = fx.code;
    }
  }
  const words = [];
  if (signals.length) words.push(signals.join(', '));
  if (timeouts) words.push(`${timeouts} timeout${timeouts > 1 ? 's' : ''}`);
  if (killed) words.push(`${killed} SIGKILL${killed > 1 ? 's' : ''}`);
  if (failedBoots) words.push(`${failedBoots} failed boot${failedBoots > 1 ? 's' : ''}`);
  if (exit !== null) words.push(`exit ${exit}`);
  return words.join('; ');
}

interface MasterTrack {
  view: MasterView;
  workers: TracedWorker[];
  /** During a reload: the last old worker's age. */
  boundary: number | null;
}

interface WorkerTrack {
  masterPid: number;
  age: number;
  bornAt: number;
  worker: TracedWorker;
  served: number;
  open: number;
  exitedAt: number | null;
  exit?: { code: number | null; signal: string | null };
}

export interface ReplayView {
  /** Entries that happened at or before the moment (the timeline shows trace[0..shown)). */
  shown: number;
  masters: MasterView[];
  workers: WorkerView[];
}

/**
 * A recorded run, walked forward entry by entry. `seek(t)` goes to any moment (going back starts
 * over, which is cheap for a recording's few thousand entries).
 */
export class Replay {
  readonly entries: readonly TraceEntry[];
  readonly start: number;
  readonly end: number;
  /** Whether the run traced request hooks (chapter 6 on): only then are `served` and `busy` known. */
  readonly knowsRequests: boolean;
  private next = 0;
  private masters = new Map<number, MasterTrack>();
  private workers = new Map<number, WorkerTrack>();
  private childOf = new Map<number, number>();
  private readonly usr2: Set<number>;

  /**
   * `startedByUsr2`: pids of masters that another master started with USR2, when that master's
   * entries are not among these (a recording's parts are one master each).
   */
  constructor(entries: readonly TraceEntry[], startedByUsr2: Iterable<number> = []) {
    // Several processes append to one file: keep their order, but by time (a stable sort).
    this.entries = [...entries].sort((a, b) => a.t - b.t);
    this.usr2 = new Set(startedByUsr2);
    this.start = this.entries[0]?.t ?? 0;
    this.end = this.entries.at(-1)?.t ?? this.start;
    this.knowsRequests = this.entries.some((e) => e.kind === 'hook' && (e.name === 'pre_request' || e.name === 'post_request'));
  }

  /** The time of the next entry after `t` (for a step), or null at the end. */
  nextTime(t: number): number | null {
    const e = this.entries.find((x) => x.t > t);
    return e ? e.t : null;
  }

  seek(t: number): ReplayView {
    if (this.next > 0 && this.entries[this.next - 1]!.t > t) this.restart();
    while (this.next < this.entries.length && this.entries[this.next]!.t <= t) this.apply(this.entries[this.next++]!);
    return { shown: this.next, masters: this.masterViews(), workers: this.workerViews(t) };
  }

  private restart(): void {
    this.next = 0;
    this.masters.clear();
    this.workers.clear();
    this.childOf.clear();
  }

  private apply(e: TraceEntry): void {
    if (e.kind === 'hook') return this.applyHook(e);
    if (e.kind !== 'step') return;
    const m = this.masterTrack(e.pid);
    const before = new Map(m.workers.map((w) => [w.pid, w]));
    const ev = e.event;
    if (ev.type === 'reloaded') m.boundary = Math.max(0, ...m.workers.map((w) => w.age));
    if (ev.type === 'reexeced') this.childOf.set(ev.pid, e.pid);
    if (ev.type === 'promoted') m.view.name = 'Master';
    if (ev.type === 'exited') {
      const w = this.workers.get(ev.pid);
      if (w && before.has(ev.pid)) Object.assign(w, { exitedAt: e.t, exit: { code: ev.code, signal: ev.signal } });
    }
    for (const fx of e.effects) {
      if (fx.type === 'hook' && fx.name === 'nworkers_changed') m.view.wanted = fx.args[0];
      if (fx.type === 'log' && fx.message.startsWith('Reload failed, going back')) m.boundary = null;
      if (fx.type === 'exit') m.view.exitCode = fx.code;
    }
    if (ev.type === 'start' && m.view.wanted === null) m.view.wanted = e.effects.filter((fx) => fx.type === 'spawn').length;
    m.workers = e.workers;
    m.view.phase = e.phase;
    m.view.version = e.version;
    const boundary = m.boundary;
    if (boundary !== null && e.workers.every((w) => w.age > boundary && (w.booted || w.retiring))) m.boundary = null;
    m.view.rollingOut = m.boundary !== null;
    for (const w of e.workers) {
      if (w.pid === null) continue;
      const known = this.workers.get(w.pid);
      if (known) known.worker = w;
      else this.workers.set(w.pid, { masterPid: e.pid, age: w.age, bornAt: e.t, worker: w, served: 0, open: 0, exitedAt: null });
    }
  }

  private applyHook(e: Extract<TraceEntry, { kind: 'hook' }>): void {
    const w = this.workers.get(e.pid);
    if (!w) return;
    if (e.name === 'pre_request') w.open += 1;
    if (e.name === 'post_request') {
      w.open = Math.max(0, w.open - 1);
      w.served += 1;
    }
  }

  private masterTrack(pid: number): MasterTrack {
    let m = this.masters.get(pid);
    if (!m) {
      const name = this.childOf.has(pid) || this.usr2.has(pid) ? 'Master.2' : 'Master';
      m = { view: { pid, name, phase: 'running', version: 0, wanted: null, rollingOut: false, exitCode: null }, workers: [], boundary: null };
      this.masters.set(pid, m);
    }
    return m;
  }

  private masterViews(): MasterView[] {
    // The running one first, as the simulation lists them.
    const all = [...this.masters.values()].map((m) => ({ ...m.view }));
    return [...all.filter((m) => m.phase !== 'done'), ...all.filter((m) => m.phase === 'done')];
  }

  private workerViews(t: number): WorkerView[] {
    const views: WorkerView[] = [];
    for (const [pid, w] of this.workers) {
      if (w.exitedAt !== null && t - w.exitedAt > EXITED_SHOWN_MS) continue;
      const status: WorkerStatus =
        w.exitedAt !== null ? 'exited'
        : w.worker.aborted ? 'aborted'
        : w.worker.retiring ? 'retiring'
        : !w.worker.booted ? 'booting'
        : w.open > 0 ? 'busy'
        : 'idle';
      views.push({
        pid,
        age: w.age,
        masterPid: w.masterPid,
        status,
        bornAt: w.bornAt,
        served: this.knowsRequests ? w.served : null,
        // The master forgets an exited worker, and its beats with it.
        lastBeat: w.exitedAt === null ? w.worker.lastBeat : null,
        ...(w.exit ? { exit: w.exit } : {}),
      });
    }
    return views.sort((a, b) => (a.bornAt ?? 0) - (b.bornAt ?? 0) || a.age - b.age);
  }
}
