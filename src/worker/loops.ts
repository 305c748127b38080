// @chapter 4
// How a worker serves its connections, in either class:
//   sync:  one connection at a time, one request per connection, then close (gunicorn's sync worker).
//          While busy it accepts nothing, so a slow request never holds a connection that an idle
//          worker could have served.
//   async: many connections at once on the event loop, keep-alive, pipelining, up to
//          worker_connections (gunicorn's gevent/eventlet workers, without the monkey-patching).
import type net from 'node:net';
import type { App } from '../app/types.ts';
import { serveConnection, type ConnectionOptions } from '../http/connection.ts';
import type { AcceptGate } from './accept-gate.ts';
import { shouldAccept } from './admission.ts';

export interface LoopOptions {
  app: App;
  workerClass: 'sync' | 'async';
  connection: Omit<ConnectionOptions, 'app' | 'closeAfterEachResponse' | 'multithread' | 'shouldClose' | 'onRequest'>;
  /** async only: the most connections open at once. */
  workerConnections: number;
  /** Called once per request, before the app runs (max_requests counting). */
  onRequest: () => void;
  // >>> chapter 8
  /** Called when a connection is taken or ended and when a request starts: the heartbeat's cue. */
  onActivity?: () => void;
  // <<< chapter 8
}

export interface WorkerLoop {
  /** Starts accepting on these listeners. */
  start(gates: AcceptGate[]): void;
  /** Graceful stop: accept nothing more, finish what is in flight; resolves when nothing is left. */
  stop(): Promise<void>;
  readonly open: number;
}

// #region loop
export function workerLoop(opts: LoopOptions): WorkerLoop {
  const sync = opts.workerClass === 'sync';
  let gates: AcceptGate[] = [];
  let alive = true;
  const open = new Set<net.Socket>();
  let queue = Promise.resolve(); // sync: connections are served one after the other
  let drained: (() => void) | null = null;

  /** Opens or closes every listener's gate to match the worker's state. */
  const admit = (): void => {
    const yes = shouldAccept({ workerClass: opts.workerClass, open: open.size, workerConnections: opts.workerConnections, alive });
    for (const g of gates) {
      if (yes) g.open();
      else g.close();
    }
  };

  /* >>> chapters 4-7
  const onRequest = opts.onRequest;
  <<< chapters 4-7 */
  // >>> chapter 8
  const onRequest = (): void => {
    opts.onActivity?.();
    opts.onRequest();
  };
  // <<< chapter 8

  const serve = (socket: net.Socket): Promise<void> =>
    serveConnection(socket, {
      ...opts.connection,
      app: opts.app,
      closeAfterEachResponse: sync,
      multithread: !sync,
      shouldClose: () => sync || !alive,
      onRequest,
    }).finally(() => {
      // >>> chapter 8
      opts.onActivity?.();
      // <<< chapter 8
      open.delete(socket);
      admit();
      if (!alive && open.size === 0) drained?.();
    });

  const accept = (socket: net.Socket): void => {
    // >>> chapter 8
    opts.onActivity?.();
    // <<< chapter 8
    open.add(socket);
    admit(); // sync: closes the gates before anything else, so the next connection goes elsewhere
    if (sync) queue = queue.then(() => serve(socket));
    else void serve(socket);
  };

  return {
    start(g) {
      gates = g;
      for (const gate of gates) gate.onConnection = accept;
      admit();
    },
    stop() {
      alive = false;
      admit();
      if (open.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (drained = resolve));
    },
    get open() {
      return open.size;
    },
  };
}
// #endregion loop
