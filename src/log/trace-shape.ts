// @chapter 5
// What a trace line holds (trace.ts writes them; the site's playground writes the same ones in the
// browser, and reads recorded ones): the types, and the pure functions that shape the master's state and
// a hook's arguments into JSON. No node: imports, so the browser can load this module.
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

/** The core's workers as a trace shows them. */
export function tracedWorkers(state: ArbiterState): TracedWorker[] {
  // Read loosely: the fields of later chapters (timeouts, retiring, versions) are absent in earlier cuts.
  return state.workers.map((w: { age: number; pid: number | null; booted: boolean; retiring?: unknown; abortedAt?: number; lastBeat?: number }) => ({
    age: w.age,
    pid: w.pid,
    booted: w.booted,
    retiring: w.retiring !== undefined,
    aborted: w.abortedAt !== undefined,
    lastBeat: w.lastBeat ?? null,
  }));
}

/** Hook arguments, made JSON: numbers and null as they are, a worker as its age and pid, the rest left out. */
export function traceArgs(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (a === null || typeof a === 'number') return a;
    if (typeof a === 'object' && 'age' in a && 'pid' in a) return { age: (a as { age: unknown }).age, pid: (a as { pid: unknown }).pid };
    return '…';
  });
}
