// @chapter 8
// The worker's half of `timeout`: when to tell the master "I am not stuck".
//
// The master aborts a worker it has not heard from for `timeout` seconds (arbiter/timeouts.ts). What
// that measures depends on when the worker speaks:
//   sync:  it beats when it takes a connection, when that connection ends, and every `interval` while
//          idle, never while serving. So `timeout` bounds one request, from the moment the worker
//          took it, whatever the request waits on (gunicorn's sync worker notifies on every pass of
//          its accept loop: before each accept and after each request, and while it waits).
//   async: it beats on the same events and every `interval` whatever it is doing, so only work that
//          keeps the event loop from turning (CPU) stops the beat; slow I/O does not.
// Boot counts too: the master starts a worker's clock when it spawns it and restarts it when the
// worker says it has booted, so an app whose import takes longer than `timeout` never boots.

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

// #region heartbeat
/** Timer beats: 4 per timeout, between 0.1 s and 1 s apart. */
export const beatInterval = (timeoutSeconds: number): number => Math.min(1000, Math.max(100, (timeoutSeconds * 1000) / 4));
/**
 * Pulses come at most this often. Without a bound, a busy worker would send the master two messages
 * per request (thousands a second); with it, at most 40 a second. The price: a pulse dropped at a
 * request's start leaves the master a beat up to 25 ms older, so it may abort a worker up to 25 ms
 * before the request has run a full `timeout`.
 */
export const PULSE_GAP_MS = 25;

export function startHeartbeat(opts: HeartbeatOptions): Heartbeat {
  if (opts.timeout <= 0) return { pulse() {} };
  let last = -Infinity;
  const beat = (): void => {
    last = performance.now();
    opts.send();
  };
  setInterval(() => {
    if (opts.workerClass === 'async' || opts.idle()) beat();
  }, beatInterval(opts.timeout)).unref();
  return {
    // A pulse runs on the event loop at a moment the worker is provably not stuck.
    pulse() {
      if (performance.now() - last >= PULSE_GAP_MS) beat();
    },
  };
}
// #endregion heartbeat
