// @chapter 4
// Starting and stopping accepting connections on a socket shared with other processes.
//
// A process that listens on a socket takes connections from it for as long as its event loop runs.
// Node has no public way to pause that (server.maxConnections accepts and then drops; readStop() does
// nothing on a listening handle: both tried on Node 20). But closing our copy of the file descriptor
// stops us, and leaves the socket itself open in the master and the other workers: pending connections wait in
// the kernel's backlog for whichever worker accepts next. To start again we need a fresh copy, and only
// the master has one to give, so the worker keeps a small pool of copies and asks for more in batches.
import net from 'node:net';
import type { RawHandle } from '../sock/bind.ts';

/** Asks the master for `count` more copies of a listener's handle; they arrive through `HandlePool.add`. */
export type RequestHandles = (count: number) => void;

const BATCH = 16;

// #region pool
/** Copies of one listening socket's handle, received from the master. */
export class HandlePool {
  private readonly copies: RawHandle[] = [];
  private waiting: ((h: RawHandle) => void)[] = [];
  private asked = 0;

  constructor(private readonly request: RequestHandles) {}

  add(handle: RawHandle): void {
    this.asked = Math.max(0, this.asked - 1);
    const waiter = this.waiting.shift();
    if (waiter) waiter(handle);
    else this.copies.push(handle);
  }

  /** A copy, right away when the pool has one; tops the pool up in the background when it runs low. */
  take(): RawHandle | Promise<RawHandle> {
    if (this.copies.length + this.asked < BATCH / 2) {
      this.asked += BATCH;
      this.request(BATCH);
    }
    return this.copies.shift() ?? new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Returns a copy that was taken but not used. */
  putBack(handle: RawHandle): void {
    this.copies.unshift(handle);
  }

  /** Closes the copies we hold (at exit; the socket lives on in the master). */
  drain(): void {
    for (const h of this.copies.splice(0)) h.close();
    this.waiting = [];
  }
}
// #endregion pool

// #region gate
/** Accepting on or off, for one listening socket. */
export class AcceptGate {
  /** One server object for the worker's life; it listens on one copy of the socket after another. */
  private readonly server: net.Server;
  private listening = false;
  private wanted = false;
  private opening = false;

  /** Where accepted connections go; the worker loop sets it. */
  onConnection: (socket: net.Socket) => void = (socket) => socket.destroy();
  /** Resolves the first time this gate listens: the worker reports itself booted only then. */
  readonly ready: Promise<void>;

  constructor(
    private readonly pool: HandlePool,
    private readonly backlog: number,
    onError: (err: Error) => void,
  ) {
    // allowHalfOpen: a client may finish sending (FIN) and still wait for its answer.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.server.on('error', onError);
    this.ready = new Promise((resolve) => this.server.once('listening', () => resolve()));
  }

  /** Start accepting (listen on a fresh copy of the socket). */
  open(): void {
    this.wanted = true;
    if (this.listening || this.opening) return;
    const copy = this.pool.take();
    if (copy instanceof Promise) {
      this.opening = true;
      void copy.then((h) => {
        this.opening = false;
        this.listenOn(h);
      });
    } else this.listenOn(copy);
  }

  /** Stop accepting: close our copy. Connections already accepted are not touched. */
  close(): void {
    this.wanted = false;
    if (!this.listening) return;
    this.listening = false;
    this.server.close();
  }

  private listenOn(handle: RawHandle): void {
    if (!this.wanted) {
      this.pool.putBack(handle); // closed while the copy was on its way: keep it for next time
      return;
    }
    this.listening = true;
    this.server.listen(handle as unknown as net.ListenOptions, this.backlog);
  }
}
// #endregion gate
