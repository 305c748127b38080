// @chapter 5
// PREFORK_TRACE=FILE: every process of the server (the master and its workers, which inherit the
// variable) appends what it does to FILE, one JSON object a line: each event the master's core handled
// with the effects it decided, each hook called, each log line. `npm run chapter N -- --record` turns
// such a file into a recording the site's playground replays, and the parity test compares it with the
// playground's simulation of the same scenario. Off (one boolean test) unless the variable is set.
import { appendFileSync } from 'node:fs';
import type { ArbiterEvent, ArbiterState, Effect } from '../arbiter/core.ts';

/** A worker as the core sees it after a step. */
export interface TracedWorker {
  age: number;
  pid: number | null;
  booted: boolean;
  retiring: boolean;
  aborted: boolean;
  lastBeat: number | null;
}

export type TraceEntry =
  /** The master's core handled `event` and decided `effects`; `workers` and `phase` are its state after. */
  | { t: number; pid: number; kind: 'step'; event: ArbiterEvent; effects: Effect[]; workers: TracedWorker[]; phase: ArbiterState['phase']; version: number }
  /** A server hook was called (defined in the config or not); worker views are reduced to age and pid. */
  | { t: number; pid: number; kind: 'hook'; name: string; args: unknown[] }
  | { t: number; pid: number; kind: 'log'; level: string; message: string }
  /** Written by a stage that records itself (its headings), so a recording can be split into parts. */
  | { t: number; pid: number; kind: 'stage'; text: string };

/** Distributes over the union: an entry's own fields, without the stamp every entry gets. */
type Unstamped<T> = T extends unknown ? Omit<T, 't' | 'pid'> : never;

const file = process.env.PREFORK_TRACE || null;
export const tracing = file !== null;

/** Appends one line (a single write: lines from several processes on an O_APPEND file never mix). */
export function trace(entry: Unstamped<TraceEntry>): void {
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), pid: process.pid, ...entry })}\n`);
  } catch {
    // tracing must never take the server down
  }
}

/** The step entry for one turn of the master's loop (ticks that decide nothing are left out). */
export function traceStep(event: ArbiterEvent, effects: Effect[], state: ArbiterState): void {
  if (!file || (event.type === 'tick' && effects.length === 0)) return;
  // Read loosely: the fields of later chapters (timeouts, retiring, versions) are absent in earlier cuts.
  const workers = state.workers.map((w: { age: number; pid: number | null; booted: boolean; retiring?: unknown; abortedAt?: number; lastBeat?: number }) => ({
    age: w.age,
    pid: w.pid,
    booted: w.booted,
    retiring: w.retiring !== undefined,
    aborted: w.abortedAt !== undefined,
    lastBeat: w.lastBeat ?? null,
  }));
  trace({ kind: 'step', event, effects, workers, phase: state.phase, version: (state as { version?: number }).version ?? 0 });
}

/** Hook arguments, made JSON: numbers and null as they are, a worker as its age and pid, the rest left out. */
export function traceArgs(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (a === null || typeof a === 'number') return a;
    if (typeof a === 'object' && 'age' in a && 'pid' in a) return { age: (a as { age: unknown }).age, pid: (a as { pid: unknown }).pid };
    return '…';
  });
}
