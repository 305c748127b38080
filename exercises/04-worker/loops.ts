// Exercise 4.3: the worker's loop. It takes connections through the accept gates and serves each one
// with chapter 3's connection handler, in the worker's class:
//   sync:  one connection at a time, one request per connection, then close (gunicorn's sync worker).
//   async: many connections at once on the event loop, kept alive, up to worker_connections.
// The tools it needs are imported below: the gates (src/worker/accept-gate.ts), the connection handler
// (src/http/connection.ts) and your rule of exercise 4.1 (when to accept).
import type net from 'node:net';
import type { App } from '../../src/app/types.ts';
import { serveConnection, type ConnectionOptions } from '../../src/http/connection.ts';
import type { AcceptGate } from '../../src/worker/accept-gate.ts';
import { shouldAccept } from '../../src/worker/admission.ts';
import { todo } from '../todo.ts';

// #region contract
export interface LoopOptions {
  app: App;
  workerClass: 'sync' | 'async';
  connection: Omit<ConnectionOptions, 'app' | 'closeAfterEachResponse' | 'multithread' | 'shouldClose' | 'onRequest'>;
  /** async only: the most connections open at once. */
  workerConnections: number;
  /** Called once per request, before the app runs (max_requests counting). */
  onRequest: () => void;
  /** Called when a connection is taken or ended and when a request starts: the heartbeat's cue (chapter 8). */
  onActivity?: () => void;
}

export interface WorkerLoop {
  /** Starts accepting on these listeners. */
  start(gates: AcceptGate[]): void;
  /** Graceful stop: accept nothing more, finish what is in flight; resolves when nothing is left. */
  stop(): Promise<void>;
  readonly open: number;
}

/**
 * The worker's loop over its listeners' gates. The contract:
 * - start(gates): from now on, every connection a gate accepts (its onConnection) is the loop's; the
 *   gates are open whenever the worker may accept more (exercise 4.1's rule) and closed otherwise. A
 *   sync worker closes them the moment it takes a connection, before it reads a byte, so the next
 *   connection waits in the kernel's backlog for an idle worker.
 * - Each connection is served by serveConnection with `opts.connection` and `opts.app`. sync: one after
 *   the other, closeAfterEachResponse and Connection: close; multithread false. async: side by side,
 *   kept alive; multithread true; once the worker is stopping, responses say Connection: close.
 * - onRequest once per request, before the app. onActivity (when given) when a connection is taken,
 *   when a request starts, and when a connection ends.
 * - open: the connections held now, from accepted until served.
 * - stop(): closes the gates for good (nothing more is accepted); the promise resolves once every open
 *   connection is done (at once when none is open). It is called at most once, possibly from onRequest.
 */
export function workerLoop(opts: LoopOptions): WorkerLoop {
  return todo('4.3 (exercises/04-worker/loops.ts)');
}
// #endregion contract
