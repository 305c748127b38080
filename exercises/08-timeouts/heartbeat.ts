// Exercise 8.3: the worker's heartbeat, its half of `timeout`: when it tells the master "I am not stuck".
// The master aborts a worker it has not heard from for `timeout` seconds (exercise 8.1), so when a worker
// beats decides what `timeout` measures: for a sync worker, one request; for an async one, how long
// its event loop stays blocked.
import { todo } from '../todo.ts';

export interface HeartbeatOptions {
  workerClass: 'sync' | 'async';
  /** Seconds (the `timeout` setting); 0 turns the heartbeat off. */
  timeout: number;
  /** Whether the worker has no connection open (a sync worker beats from its timer only then). */
  idle: () => boolean;
  send: () => void;
}

export interface Heartbeat {
  /** A connection was taken or ended, or a request started: beat (at most once per PULSE_GAP_MS). */
  pulse(): void;
}

/**
 * The time between two timer beats, in ms, for a `timeout` in seconds: a quarter of the timeout,
 * but never under 100 ms nor over 1000 ms (timeout 2 -> 500; 30 -> 1000; 0.2 -> 100).
 */
export function beatInterval(timeoutSeconds: number): number {
  return todo('8.3 (exercises/08-timeouts/heartbeat.ts)');
}

/**
 * Pulses come at most this often. Without a bound, a busy worker would send the master two messages
 * per request (thousands a second); with it, at most 40 a second. The price: a pulse dropped at a
 * request's start leaves the master a beat up to 25 ms older, so it may abort a worker up to 25 ms
 * before the request has run a full `timeout`.
 */
export const PULSE_GAP_MS = 25;

/**
 * Starts the worker's heartbeat; a beat is one call of `opts.send()`.
 * - `timeout` 0 (or less): the heartbeat is off. No timer, no beat ever; `pulse()` does nothing.
 * - A timer ticks every `beatInterval(timeout)` ms. On each tick, an async worker beats; a sync worker
 *   beats only if `idle()` says it has no connection open (a sync worker serving a request is silent).
 * - The timer must not keep the process alive: a worker that has nothing else to do may exit.
 * - `pulse()` (the worker loop calls it when it takes a connection, starts a request, ends a
 *   connection) beats at once, in either class, busy or idle, unless the last beat (from the timer or
 *   a pulse) went out less than PULSE_GAP_MS ago; then it does nothing.
 */
export function startHeartbeat(opts: HeartbeatOptions): Heartbeat {
  return todo('8.3 (exercises/08-timeouts/heartbeat.ts)');
}
