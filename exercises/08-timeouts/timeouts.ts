// Exercise 8.1: who has been silent too long (gunicorn's murder_workers, as a pure decision).
import { todo } from '../todo.ts';

export interface Watched {
  pid: number | null;
  /** When the master last heard from it (ms). */
  lastBeat?: number;
  /** When it was sent SIGABRT, if it was. */
  abortedAt?: number;
}

export interface TimeoutVerdict {
  /** Silent past the timeout: log WORKER TIMEOUT and send SIGABRT. */
  abort: number[];
  /** Aborted at least `graceMs` ago and still there: SIGKILL. */
  kill: number[];
}

/**
 * Called on every tick of the master. For each worker:
 * - no pid yet, or never heard from (lastBeat undefined): leave it alone;
 * - heard from within `timeoutMs` (now - lastBeat <= timeoutMs): fine;
 * - silent for longer and not aborted yet: put its pid in `abort`;
 * - silent, aborted `graceMs` or more ago, and still listed: put its pid in `kill`.
 * A `timeoutMs` of 0 (or less) turns the check off: nothing to abort, nothing to kill.
 * Keep the order of `workers` in both lists.
 */
export function timedOut(workers: Watched[], now: number, timeoutMs: number, graceMs: number): TimeoutVerdict {
  return todo('8.1 (exercises/08-timeouts/timeouts.ts)');
}
