// @chapter 5
// PREFORK_TRACE=FILE: every process of the server (the master and its workers, which inherit the
// variable) appends what it does to FILE, one JSON object a line: each event the master's core handled
// with the effects it decided, each hook called, each log line. `npm run chapter N -- --record` turns
// such a file into a recording the site's playground replays, and the parity test compares it with the
// playground's simulation of the same scenario. Off (one boolean test) unless the variable is set.
import { appendFileSync } from 'node:fs';
import type { ArbiterEvent, ArbiterState, Effect } from '../arbiter/core.ts';
import { tracedWorkers, type TraceEntry } from './trace-shape.ts';

export { traceArgs, type TraceEntry, type TracedWorker } from './trace-shape.ts';

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
  trace({ kind: 'step', event, effects, workers: tracedWorkers(state), phase: state.phase, version: (state as { version?: number }).version ?? 0 });
}

