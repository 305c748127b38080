// Parity: does the playground's simulation (sim.ts) do what the real server does? A scenario is run on
// both; each writes a trace (src/log/trace.ts). This module puts both traces in a form where only what
// must match is left (normalize), and says in words where they differ (compare). The test that runs
// the scenarios is test/site/parity.test.ts. Pure: no DOM, no node: imports.
import type { ArbiterEvent, Effect } from '../../../src/arbiter/core.ts';
import type { TraceEntry } from '../../../src/log/trace-shape.ts';

// #region allowed
/**
 * What may differ between a real run and the simulation of the same scenario, and why. Everything else
 * (each master decision: the event and every effect, every hook call with its arguments, every log line)
 * must be the same.
 */
export const ALLOWED_DIFFERENCES = [
  // Pids are the operating system's: a worker is named by its age (w1, w2, ...; M2.w1 for a worker of
  // a master started by USR2), a master M (M2). Times are the machine's: dropped.
  'pids and times',
  // Within a phase (between two actions of the scenario), separate processes report to the master in
  // whatever order the OS runs them: two workers booting together boot in either order. So a phase is
  // compared per subject (the master, each worker): each one's sequence must be identical, and the
  // phase's entries the same multiset, but not the interleaving of different subjects.
  'the order in which separate processes report to the master within a phase',
  // Workers spawned by the same decision are alike: which of them boots (or fails) first is the OS's
  // choice, and the master's reaction follows the first. If the ages as numbered do not match, the
  // comparison may swap the names of workers spawned together (the same swap everywhere); it says so.
  'which of the workers spawned together reports first',
  // When several workers stop together (TERM), the last to report is the OS's choice, and its exit is
  // the step that ends the master ("Shutting down", on_exit, exit): that end is compared as the
  // master's own, not as part of that worker's exit.
  "which worker's exit ends the master",
  // A worker told to stop (TERM, QUIT, INT) before it booted is in a race with the signal: still
  // starting Node (the default action kills it: "was sent SIGTERM!"), or already holding the signal
  // until its handlers exist, or failing on its own meanwhile (exit 3). Its own lines, the way it
  // exited and the master's line describing that exit are not compared; that it exited, child_exit,
  // and every decision that followed, are.
  'how a worker told to stop while it boots ends',
  // Heartbeats: how many there are depends on scheduling (they are dropped, and decide nothing; a
  // timeout is compared by its WORKER TIMEOUT decision).
  'heartbeats',
  // pre_request and post_request: their moment relative to the master's steps is the client's and the OS's.
  'pre_request and post_request hook calls',
  // Not traced at all: the access log, and what goes to stderr without the logger.
  'the access log',
  // The real test binds port 0: the port in "Listening at" is the kernel's.
  'the listening port',
  // A stack trace under a log line (a broken app) names files and lines: the first line is compared.
  "stack traces (only a log message's first line is compared)",
] as const;
// #endregion allowed

/** One entry as compared: who it is about, and what it says with pids and times taken out. */
export interface NormalEntry {
  /** The index of the entry in the trace it came from. */
  index: number;
  /** 'M', 'M2' (a master started by USR2), or a worker: 'w3', 'M2.w1'. */
  subject: string;
  text: string;
}

/** Renames a worker ('w3' -> 'w4'): the comparison's swaps of workers spawned together. */
export type Rename = (worker: string) => string;

const ADDRESS = /\b(https?:\/\/[^\s,]+?:)\d+/g;
const STOPS = new Set(['SIGTERM', 'SIGQUIT', 'SIGINT']);

/** Who is who: masters and workers by pid, and the workers stopped while booting. */
class Names {
  readonly label = new Map<number, string>();
  readonly masters = new Set<number>();
  readonly stoppedBooting = new Set<string>();

  constructor(
    entries: readonly TraceEntry[],
    readonly rename: Rename,
  ) {
    const first = entries.find((e) => e.kind !== 'stage');
    if (first) this.addMaster(first.pid, 'M');
    const booted = new Set<string>();
    for (const e of entries) {
      if (e.kind !== 'step') continue;
      const ev = e.event;
      if (ev.type === 'spawned') this.label.set(ev.pid, this.worker(e.pid, ev.age));
      if (ev.type === 'reexeced') this.addMaster(ev.pid, 'M2');
      if (ev.type === 'booted') booted.add(this.of(ev.pid));
      for (const fx of e.effects) if (fx.type === 'kill' && STOPS.has(fx.signal) && !booted.has(this.of(fx.pid))) this.stoppedBooting.add(this.of(fx.pid));
    }
  }

  private addMaster(pid: number, name: string): void {
    this.label.set(pid, name);
    this.masters.add(pid);
  }

  /** The worker of age `age` of the master `masterPid`. */
  worker(masterPid: number, age: number): string {
    const master = this.label.get(masterPid);
    return this.rename(`${master && master !== 'M' ? `${master}.` : ''}w${age}`);
  }

  /** A pid's name; an unknown pid stays as it is (a difference will show it). */
  of(pid: number): string {
    return this.label.get(pid) ?? `pid ${pid}`;
  }

  /** Known pids in a message, as names; a listening port as '*'; the first line only. */
  message(text: string): string {
    return text
      .split('\n')[0]!
      .replace(ADDRESS, '$1*')
      .replace(/\d+/g, (d) => this.label.get(Number(d)) ?? d);
  }

  /** A master's line describing the exit of a worker whose exit is not compared. */
  describesMaskedExit(message: string): boolean {
    return [...this.stoppedBooting].some((w) => message.startsWith(`Worker (pid:${w})`));
  }
}

function event(n: Names, masterPid: number, e: ArbiterEvent): unknown {
  switch (e.type) {
    case 'spawned':
      return { type: e.type, worker: n.worker(masterPid, e.age) };
    case 'exited':
      if (n.stoppedBooting.has(n.of(e.pid))) return { type: e.type, pid: n.of(e.pid), exit: '(not compared)' };
      return { ...e, pid: n.of(e.pid) };
    case 'booted':
    case 'heartbeat':
    case 'reexeced':
    case 'reexec-exited':
      return { ...e, pid: n.of(e.pid) };
    case 'fatal':
    case 'listen-failed':
      return { ...e, message: n.message(e.message) };
    default:
      return e;
  }
}

function effect(n: Names, masterPid: number, fx: Effect): unknown {
  switch (fx.type) {
    case 'spawn':
      return { type: fx.type, worker: n.worker(masterPid, fx.age), maxRequests: fx.maxRequests };
    case 'kill':
      return { ...fx, pid: n.of(fx.pid) };
    case 'log':
      return { ...fx, message: n.message(fx.message) };
    case 'hook':
      return 'worker' in fx ? { type: fx.type, name: fx.name, worker: n.of(fx.worker.pid) } : fx;
    default:
      return fx;
  }
}

/** Hook arguments: a worker view {age, pid} as its name; the server '…' and numbers as they are. */
function args(n: Names, pid: number, list: readonly unknown[]): string {
  const named = list.map((a) => {
    if (a === null || typeof a !== 'object' || !('age' in a)) return a;
    const w = a as { age: number; pid: number | null };
    return w.pid !== null ? n.of(w.pid) : n.worker(pid, w.age); // pid null: pre_fork, in the master
  });
  return JSON.stringify(named).slice(1, -1);
}

/** Effects that leave a line of their own in the trace (a log line, a hook call): for their subject. */
const traced = (fx: Effect): boolean => fx.type === 'log' || fx.type === 'hook' || fx.type === 'spawn' || fx.type === 'reexec';

/**
 * Where a step's effects end the master: from "Shutting down" on (core.ts's finish). Whichever step
 * empties the worker list carries them, which is the last worker to report: they are the master's own.
 */
const finishAt = (effects: Effect[]): number => {
  const i = effects.findIndex((fx) => fx.type === 'log' && fx.message.startsWith('Shutting down: '));
  return i === -1 ? effects.length : i;
};

/**
 * The items that match `which`, sorted by their text in the places they hold; the rest stay put. The
 * core spawns in age order, so with the ages as numbered this changes nothing; it matters when the
 * comparison renames workers spawned together (ALLOWED_DIFFERENCES), which would otherwise show the
 * one decision that spawned them as spawning them in another order.
 */
function inNameOrder<T>(items: T[], which: (x: T) => boolean, key: (x: T) => string = (x) => JSON.stringify(x)): T[] {
  const sorted = items.filter(which).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return items.map((x) => (which(x) ? sorted.shift()! : x));
}

/**
 * A trace with pids named, times dropped, and the entries that are not compared left out (see
 * ALLOWED_DIFFERENCES). Subjects: a worker's own entries are its; a master's step is about the worker
 * its event names (spawned, booted, exited), else about the master; the lines a step's effects write
 * (log, hooks) go with the step, except its finish, which is the master's.
 */
export function normalize(entries: readonly TraceEntry[], rename: Rename = (w) => w): NormalEntry[] {
  const n = new Names(entries, rename);
  const out: NormalEntry[] = [];
  const stepSubject = new Map<number, string>(); // per master: the subject of its last step
  const pending = new Map<number, string[]>(); // per master: the subjects of the lines its last step's effects write
  const preForks = new Map<number, NormalEntry[]>(); // per master: pre_fork calls not yet written out
  const flush = (pid: number): void => {
    out.push(...inNameOrder(preForks.get(pid) ?? [], () => true, (e) => e.text));
    preForks.delete(pid);
  };
  entries.forEach((e, index) => {
    if (e.kind === 'stage') return;
    const self = n.of(e.pid);
    const isMaster = n.masters.has(e.pid) || e.kind === 'step';
    if (!isMaster && n.stoppedBooting.has(self)) return;
    const subject = isMaster ? (pending.get(e.pid)?.shift() ?? stepSubject.get(e.pid) ?? self) : self;
    if (e.kind === 'step') {
      const ev = e.event;
      if (ev.type === 'heartbeat') return;
      const about = ev.type === 'spawned' ? n.worker(e.pid, ev.age) : 'pid' in ev && ev.type !== 'reexeced' && ev.type !== 'reexec-exited' ? n.of(ev.pid) : self;
      stepSubject.set(e.pid, about);
      const end = finishAt(e.effects);
      pending.set(e.pid, e.effects.flatMap((fx, i) => (traced(fx) ? [i < end ? about : self] : [])));
      const shown = (list: Effect[]): string =>
        JSON.stringify(inNameOrder(list.filter((fx) => !(fx.type === 'log' && n.describesMaskedExit(n.message(fx.message)))).map((fx) => effect(n, e.pid, fx)), (fx) => (fx as Effect).type === 'spawn'));
      flush(e.pid);
      out.push({ index, subject: about, text: `${self} step ${JSON.stringify(event(n, e.pid, ev))} -> ${shown(e.effects.slice(0, end))}` });
      if (end < e.effects.length) out.push({ index, subject: self, text: `${self} finish (its last worker is gone) -> ${shown(e.effects.slice(end))}` });
      return;
    }
    let text: string;
    if (e.kind === 'hook') {
      if (e.name === 'pre_request' || e.name === 'post_request') return;
      text = `${self} hook ${e.name}(${args(n, e.pid, e.args)})`;
    } else {
      const m = n.message(e.message);
      if (isMaster && n.describesMaskedExit(m)) return;
      text = `${self} log ${e.level} ${m}`;
    }
    // The pre_fork calls of one decision, in name order too (see inNameOrder).
    if (e.kind === 'hook' && e.name === 'pre_fork') return void (preForks.get(e.pid) ?? preForks.set(e.pid, []).get(e.pid)!).push({ index, subject, text });
    if (isMaster) flush(e.pid);
    out.push({ index, subject, text });
  });
  for (const pid of preForks.keys()) flush(pid);
  return out;
}

/** The workers spawned by one decision (one step's spawn effects), when there are two or more. */
function spawnBatches(entries: readonly TraceEntry[]): string[][] {
  const n = new Names(entries, (w) => w);
  const batches: string[][] = [];
  for (const e of entries) {
    if (e.kind !== 'step') continue;
    const batch = e.effects.flatMap((fx) => (fx.type === 'spawn' ? [n.worker(e.pid, fx.age)] : []));
    if (batch.length > 1) batches.push(batch);
  }
  return batches;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Every renaming that swaps only workers spawned together; the identity first. */
function renamings(batches: string[][], limit = 720): Map<string, string>[] {
  let all: Map<string, string>[] = [new Map()];
  for (const batch of batches) {
    const next: Map<string, string>[] = [];
    for (const base of all) for (const p of permutations(batch)) next.push(new Map([...base, ...batch.map((w, i) => [w, p[i]!] as const)]));
    if (next.length > limit) break;
    all = next;
  }
  return all;
}

/** A scenario's trace, cut into phases at each action (phase i: the entries after action i). */
export type Phases = TraceEntry[][];

export interface Comparison {
  /** What differs, in words; empty when the runs agree. */
  differences: string[];
  /** The renaming of real workers that was used (workers spawned together), or '' for none. */
  renamed: string;
  /** Both runs, normalised, one line per entry, phase by phase: to read when they differ. */
  real: string[];
  sim: string[];
}

/** Flattens phases, normalises the whole run (names need the earlier phases), and groups again. */
function normalPhases(phases: Phases, rename?: Rename): NormalEntry[][] {
  const phaseOf: number[] = phases.flatMap((p, i) => p.map(() => i));
  const grouped: NormalEntry[][] = phases.map(() => []);
  for (const e of normalize(phases.flat(), rename)) grouped[phaseOf[e.index]!]!.push(e);
  return grouped;
}

function bySubject(entries: NormalEntry[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of entries) map.set(e.subject, [...(map.get(e.subject) ?? []), e.text]);
  return map;
}

/** The texts of `a` that `b` lacks, counting repeats. */
function multisetMinus(a: NormalEntry[], b: NormalEntry[]): string[] {
  const left = new Map<string, number>();
  for (const e of b) left.set(e.text, (left.get(e.text) ?? 0) + 1);
  return a.flatMap((e) => {
    const k = left.get(e.text) ?? 0;
    left.set(e.text, k - 1);
    return k > 0 ? [] : [e.text];
  });
}

function differencesIn(real: NormalEntry[][], sim: NormalEntry[][], phaseNames: string[]): string[] {
  const out: string[] = [];
  if (real.length !== sim.length) out.push(`the real run has ${real.length} phases, the simulation ${sim.length}`);
  for (let i = 0; i < Math.min(real.length, sim.length); i++) {
    const phase = `phase ${i} (${phaseNames[i] ?? '?'})`;
    const r = bySubject(real[i]!);
    const s = bySubject(sim[i]!);
    for (const subject of [...new Set([...r.keys(), ...s.keys()])].sort()) {
      const a = r.get(subject) ?? [];
      const b = s.get(subject) ?? [];
      const at = a.findIndex((x, k) => x !== b[k]);
      const first = at === -1 ? (a.length === b.length ? -1 : Math.min(a.length, b.length)) : at;
      if (first === -1) continue;
      out.push(`${phase}, ${subject}: entry ${first} differs:\n    real: ${a[first] ?? '(nothing)'}\n    sim:  ${b[first] ?? '(nothing)'}`);
    }
    // The same entries, whoever they are filed under (a check on the subjects themselves).
    const extra = multisetMinus(real[i]!, sim[i]!);
    const missing = multisetMinus(sim[i]!, real[i]!);
    if (extra.length || missing.length) {
      const sample = [...extra.map((t) => `\n    real only: ${t}`), ...missing.map((t) => `\n    sim only:  ${t}`)].slice(0, 6).join('');
      out.push(`${phase}: ${extra.length} entries only in the real run, ${missing.length} only in the simulation${sample}`);
    }
  }
  return out;
}

/**
 * Compares a real run with a simulated one, phase by phase (see ALLOWED_DIFFERENCES). Tries the real
 * run's workers as numbered first, then swaps among workers spawned together; keeps the first that agrees.
 */
export function compare(real: Phases, sim: Phases, phaseNames: string[] = []): Comparison {
  const simNormal = normalPhases(sim);
  const show = (phases: NormalEntry[][]): string[] => phases.flatMap((p, i) => [`-- phase ${i} (${phaseNames[i] ?? '?'})`, ...p.map((e) => `${e.subject.padEnd(6)} | ${e.text}`)]);
  let first: Comparison | null = null;
  for (const map of renamings(spawnBatches(real.flat()))) {
    const realNormal = normalPhases(real, (w) => map.get(w) ?? w);
    const differences = differencesIn(realNormal, simNormal, phaseNames);
    const swapped = [...map].filter(([a, b]) => a !== b);
    const result = { differences, renamed: swapped.map(([a, b]) => `real ${a} as ${b}`).join(', '), real: show(realNormal), sim: show(simNormal) };
    if (!differences.length) return result;
    first ??= result; // the differences as numbered are the ones worth reading
  }
  return first!;
}
