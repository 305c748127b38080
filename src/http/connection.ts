// @chapter 3
// One client connection, from the first byte to the close: parse a request, run the app, write the
// response, and again while the connection is kept alive. Requests are answered strictly one after the
// other, in the order they came (pipelining). Nothing a client sends can make this throw: a bad request
// gets its status and a close, a vanished client a debug line.
import type { Server, Socket } from 'node:net';
import { buildEnviron } from '../app/environ.ts';
import { InputStream } from '../app/input.ts';
import { runApp } from '../app/run-app.ts';
import type { App, Environ, ErrorStream } from '../app/types.ts';
import type { CgiRequest } from '../cgi/request.ts';
import { httpDate } from './date.ts';
import { ClientDisconnected, HttpError } from './errors.ts';
import type { Limits } from './limits.ts';
import { RequestParser, type RequestHead } from './parser.ts';
import { errorResponse, ResponseWriter, type WriterOptions } from './response.ts';
// >>> chapter 7
import type { Exchange } from '../log/access.ts';
// <<< chapter 7
// >>> chapter 6
import type { RequestHooks, RequestView } from '../hooks/call.ts';
// <<< chapter 6
// >>> chapter 10
import { trustsPeer, urlScheme, type Scheme } from './proxy.ts';
// <<< chapter 10

export interface ConnectionLog {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export interface ConnectionOptions {
  app: App;
  limits: Limits;
  /** Seconds an idle keep-alive connection may wait for its next request; 0 = close after each response. */
  keepalive: number;
  /** The sync worker: one request per connection, always Connection: close. */
  closeAfterEachResponse: boolean;
  multiprocess: boolean;
  multithread: boolean;
  serverSoftware: string;
  log: ConnectionLog;
  /** The worker is shutting down or reached max_requests: answer with Connection: close. */
  shouldClose?: () => boolean;
  /** Called once per request, before the app (max_requests counting). */
  onRequest?: () => void;
  /** For a unix socket: its path, SERVER_NAME when a request has no Host header (default: asked of the server). */
  socketPath?: string;
  // >>> chapter 6
  /** pre_request and post_request (chapter 6): around each request; post_request always runs. */
  requestHooks?: RequestHooks;
  // <<< chapter 6
  // >>> chapter 7
  /** Writes one access log line per request, once its response is done; absent when accesslog is off. */
  accessLog?: (exchange: Exchange) => void;
  // <<< chapter 7
  // >>> chapter 10
  /**
   * forwarded_allow_ips and secure_scheme_headers (proxy.ts). Absent (chapter 3's server, tests): no
   * peer is trusted and wsgi.url_scheme is always http, as before chapter 10: a server that was not
   * told about a proxy believes no proxy header. The workers always pass the settings.
   */
  proxy?: { forwardedAllowIps: readonly string[]; secureSchemeHeaders: Readonly<Record<string, string>> };
  // <<< chapter 10
}

/** Above this many unread bytes, stop reading the socket until the app catches up (backpressure). */
const HIGH_WATER = 64 * 1024;
/** An unread request body up to this size is read and dropped to keep the connection; a bigger one closes it. */
const DRAIN_CAP = 64 * 1024;
/** After our FIN, how long a client may go on sending before the socket is destroyed (lingering close). */
const LINGER_MS = 2000;
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/**
 * Serves the connection until it closes; never rejects. Create the server with allowHalfOpen: true,
 * so that a client that half-closes after its request still gets the answer.
 */
export function serveConnection(socket: Socket, opts: ConnectionOptions): Promise<void> {
  return new Connection(socket, opts).run();
}

class Connection {
  private readonly parser: RequestParser;
  private readonly ip: string;
  private readonly errors: ErrorStream;
  private readonly writerOptions: WriterOptions;
  private readonly where: Pick<CgiRequest, 'remoteAddr' | 'remotePort' | 'serverName' | 'serverPort'>;
  /** The client sent its FIN: no more bytes will come. */
  private eof = false;
  /** The socket is gone (closed or failed): nothing can be written. */
  private closed = false;
  private idle = false;
  private wake: (() => void) | null = null;
  // >>> chapter 7
  /** The status of the error response the server sent instead of the app's (500, or 400 for a bad body). */
  private answeredWith = 0;
  // <<< chapter 7

  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.parser = new RequestParser(opts.limits);
    this.ip = socket.remoteAddress ?? '';
    this.where = {
      remoteAddr: this.ip,
      remotePort: socket.remotePort ?? 0,
      serverName: socket.localAddress ?? opts.socketPath ?? unixPath(socket),
      serverPort: socket.localPort ?? 0,
    };
    this.errors = { write: (text) => opts.log.error(text.replace(/\n$/, '')), flush: () => {} };
    this.writerOptions = { server: opts.serverSoftware, date: httpDate, warn: (m) => opts.log.warning(m) };
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', () => {
      this.eof = true;
      this.poke();
    });
    socket.on('timeout', () => {
      this.idle = true;
      this.poke();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      opts.log.debug(`Socket error from ip=${this.ip}: ${err.code ?? err.message}`);
    });
    socket.on('close', () => {
      this.closed = this.eof = true;
      this.poke();
    });
  }

  // #region loop
  async run(): Promise<void> {
    let served = 0;
    try {
      for (;;) {
        /* >>> chapters 3-9
        const head = await this.nextHead(served > 0);
        <<< chapters 3-9 */
        // >>> chapter 10
        const head = await this.headInTime(served > 0);
        // <<< chapter 10
        if (head === null) break;
        served++;
        if (!(await this.serve(head))) break;
      }
    } catch (err) {
      this.refuse(err);
    }
    await this.finish();
  }

  /** The next request's head; null when the connection is over (the client closed it, or idled out). */
  private async nextHead(keptAlive: boolean): Promise<RequestHead | null> {
    for (;;) {
      const head = this.parser.nextHead();
      if (head !== null) return head;
      if (this.eof) {
        if (this.parser.midRequest) this.opts.log.debug(`Ignored premature client disconnection from ip=${this.ip}`);
        return null;
      }
      // With nothing buffered, wait at most `keepalive` seconds: between requests of a kept-alive
      // connection, and for the first request too unless each connection serves one (as gunicorn's
      // gevent worker bounds every read of a request). Otherwise clients that connect and say nothing
      // would hold worker_connections forever. A sync worker holds its one connection without a
      // heartbeat, so `timeout` frees it (chapter 8).
      const waiting = this.parser.buffered === 0 && (keptAlive || (!this.opts.closeAfterEachResponse && this.opts.keepalive > 0));
      if (waiting) this.socket.setTimeout(this.opts.keepalive * 1000);
      await this.more();
      if (waiting) this.socket.setTimeout(0);
      if (this.idle) {
        this.opts.log.debug(`Closing idle ${keptAlive ? 'keep-alive ' : ''}connection from ip=${this.ip}`);
        return null;
      }
    }
  }
  // #endregion loop

  // >>> chapter 10
  // #region head-deadline
  /**
   * nextHead, with a deadline on the whole head when keep-alive is on (the async worker): a request
   * head must arrive complete within `keepalive` seconds of the moment the connection starts waiting
   * for it, as in gunicorn's gevent worker, where one Timeout(keepalive) wraps the read of a head. The
   * idle timer of nextHead starts again at every byte, so alone it let a client that sends one byte a
   * second (slowloris) hold a connection, and with enough of them every worker_connections slot, for
   * ever. The connection is closed without an answer, as gevent does. A sync worker stays bounded by
   * `timeout` (chapter 8), as in gunicorn.
   */
  private async headInTime(keptAlive: boolean): Promise<RequestHead | null> {
    const { opts } = this;
    if (!keptAlive && (opts.closeAfterEachResponse || opts.keepalive <= 0)) return this.nextHead(keptAlive);
    const deadline = setTimeout(() => {
      if (this.parser.buffered > 0) opts.log.debug(`Closing connection from ip=${this.ip}: its request head did not arrive within ${opts.keepalive} s`);
      this.idle = true;
      this.poke();
    }, opts.keepalive * 1000);
    try {
      return await this.nextHead(keptAlive);
    } finally {
      clearTimeout(deadline);
    }
  }
  // #endregion head-deadline
  // <<< chapter 10

  // #region serve
  /** Runs the app for one request and writes its response. Returns whether the connection may go on. */
  private async serve(head: RequestHead): Promise<boolean> {
    const { opts, parser } = this;
    // >>> chapter 10
    // First: contradictory scheme headers refuse the request, as a parse error does (no hook, no count).
    this.scheme = this.schemeOf(head);
    // <<< chapter 10
    opts.onRequest?.();
    // >>> chapter 6
    const hooks = opts.requestHooks;
    const req: RequestView | null = hooks
      ? { method: head.method, uri: head.target, path: head.path, query: head.query, version: `HTTP/${head.version[0]}.${head.version[1]}`, headers: head.headers }
      : null;
    let seen: Environ | null = null;
    // <<< chapter 6
    // >>> chapter 7
    const access = { started: performance.now(), environ: null as Environ | null };
    this.answeredWith = 0;
    // <<< chapter 7
    let bodyError: unknown = null;
    let continued = false;
    const writer = new ResponseWriter(
      this.socket,
      {
        method: head.method,
        target: head.target,
        version: head.version,
        keepAlive: () =>
          head.keepAlive &&
          !opts.closeAfterEachResponse &&
          opts.keepalive > 0 &&
          // After the client's FIN, answer what it already sent, then close.
          !(this.eof && parser.buffered === 0) &&
          bodyError === null &&
          !(opts.shouldClose?.() ?? false) &&
          // An unread body must be drained before the next request: only if it is small, and coming.
          (!parser.inBody || (!(head.expectContinue && !continued) && (parser.bodyRemaining ?? 0) <= DRAIN_CAP)),
      },
      this.writerOptions,
    );

    // wsgi.input: body bytes as the app asks for them, never more than the framing says.
    const self = this;
    async function* body(): AsyncGenerator<Buffer> {
      for (;;) {
        let out;
        try {
          out = parser.readBody();
        } catch (err) {
          bodyError = err;
          throw err;
        }
        for (const data of out.data) if (data.length > 0) yield data;
        if (out.done) return;
        if (parser.buffered > 0) continue;
        if (self.eof) throw (bodyError = new ClientDisconnected('the request body was cut short'));
        // RFC 9110 10.1.1: the client waits for "100 Continue" before it sends the body; say it when
        // the app first wants the body (and not at all if the app answers without reading it).
        if (head.expectContinue && !continued && !writer.committed) {
          continued = true;
          self.socket.write(CONTINUE);
        }
        await self.more();
      }
    }

    try {
      // >>> chapter 6
      // #region request-hooks
      // pre_request runs before the environ exists; if it throws, the client gets a 500 as for an app error.
      if (hooks) hooks.pre(req!);
      // #endregion request-hooks
      // <<< chapter 6
      const environ = this.environ(head, parser.inBody ? new InputStream(body()) : new InputStream([]));
      // >>> chapter 6
      seen = environ;
      // <<< chapter 6
      // >>> chapter 7
      access.environ = environ;
      // <<< chapter 7
      await runApp(opts.app, environ, writer);
      writer.end();
      // Do not read the next request while this response is still queued in memory.
      await writer.drained();
    } catch (err) {
      this.failed(err, head, writer, bodyError);
      // >>> chapter 7
      this.logAccess(head, writer, access);
      // <<< chapter 7
      // >>> chapter 6
      if (hooks) this.postRequest(hooks, req!, seen, writer.status);
      // <<< chapter 6
      return false;
    }
    // >>> chapter 7
    this.logAccess(head, writer, access);
    // <<< chapter 7
    // >>> chapter 6
    if (hooks) this.postRequest(hooks, req!, seen, writer.status);
    // <<< chapter 6
    if (writer.close) return false;
    return !parser.inBody || this.drainBody();
  }
  // #endregion serve

  // #region environ
  private environ(head: RequestHead, input: InputStream): Environ {
    const { opts } = this;
    const request: CgiRequest = {
      method: head.method,
      protocol: head.version[1] === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      scriptName: '',
      pathInfo: head.path,
      query: head.query,
      headers: head.headers,
      bodyLength: head.framing.kind === 'length' ? head.framing.length : null,
      ...this.where,
      serverSoftware: opts.serverSoftware,
    };
    const unix = this.socket.remoteAddress === undefined && this.socket.localPort === undefined;
    if (unix) Object.assign(request, hostOf(head, this.where.serverName));
    const environ = buildEnviron(request, {
      input,
      errors: this.errors,
      /* >>> chapters 3-9
      urlScheme: 'http',
      <<< chapters 3-9 */
      // >>> chapter 10
      urlScheme: this.scheme,
      // <<< chapter 10
      multiprocess: opts.multiprocess,
      multithread: opts.multithread,
      runOnce: false,
    });
    environ.RAW_URI = head.target;
    if (unix) {
      // A unix socket has no client port; SERVER_PORT is empty when the Host header gave none (gunicorn).
      delete environ.REMOTE_PORT;
      if (request.serverPort === 0) environ.SERVER_PORT = '';
    }
    return environ;
  }
  // #endregion environ

  // >>> chapter 10
  // #region proxy-environ
  /** wsgi.url_scheme of the request being served. */
  private scheme: Scheme = 'http';
  /** Whether the peer may tell us the scheme: decided once per connection, at its first request. */
  private trusted: boolean | null = null;

  /**
   * The scheme of one request: https only when a trusted proxy says so (gunicorn's rules, proxy.ts).
   * REMOTE_ADDR is not decided here: it stays the socket's peer (this.where), never X-Forwarded-For,
   * trusted peer or not, as in gunicorn. Behind a proxy that peer is the proxy; the client's address is
   * for the app to take from X-Forwarded-For, knowing how many proxies it sits behind.
   */
  private schemeOf(head: RequestHead): Scheme {
    const proxy = this.opts.proxy;
    if (!proxy) return 'http';
    // The addresses as read when the connection began (a closed socket forgets them): a unix socket has
    // no port and its peer is always trusted; a TCP peer whose address was unreadable ('') only under '*'.
    const peer = this.where.serverPort === 0 ? undefined : this.ip;
    this.trusted ??= trustsPeer(proxy.forwardedAllowIps, peer);
    return urlScheme(head.headers, proxy.secureSchemeHeaders, this.trusted);
  }
  // #endregion proxy-environ
  // <<< chapter 10

  // #region errors
  /** The app (or the request body) failed: a 500 (or the body's 400) if nothing was sent yet, else cut. */
  private failed(err: unknown, head: RequestHead, writer: ResponseWriter, bodyError: unknown): void {
    if (this.closed || err instanceof ClientDisconnected || bodyError instanceof ClientDisconnected) {
      this.opts.log.debug(`Ignored premature client disconnection from ip=${this.ip}: ${head.method} ${head.target}`);
      return;
    }
    if (bodyError instanceof HttpError) {
      // The chunked body was malformed while the app read it: a client error, not the app's.
      if (!writer.committed) {
        writer.discard();
        this.refuse(bodyError);
        // >>> chapter 7
        this.answeredWith = bodyError.status;
        // <<< chapter 7
      } else this.opts.log.warning(`Invalid request from ip=${this.ip}: ${bodyError.message}`);
      return;
    }
    this.opts.log.error(`Error handling request ${head.method} ${head.target}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (!writer.committed) {
      writer.discard();
      this.write(errorResponse(500, 'Internal Server Error', 'The server could not complete the request.', httpDate(), this.opts.serverSoftware));
      // >>> chapter 7
      this.answeredWith = 500;
      // <<< chapter 7
    }
    // Else the head is gone: close without the final chunk, so the client sees the body is cut off.
  }

  /** A request we refuse: its status, Connection: close, one log line. */
  private refuse(err: unknown): void {
    if (err instanceof HttpError) {
      this.opts.log.warning(`Invalid request from ip=${this.ip}: ${err.message}`);
      this.write(errorResponse(err.status, err.reason, err.message, httpDate(), this.opts.serverSoftware));
      return;
    }
    // Not the client's fault: a bug on our side (or an exercise stub plugged in with --mine).
    this.opts.log.error(`Error parsing request from ip=${this.ip}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    this.write(errorResponse(500, 'Internal Server Error', 'The server could not read the request.', httpDate(), this.opts.serverSoftware));
  }
  // #endregion errors

  // >>> chapter 6
  // #region post-request
  /** post_request: after the response, whatever happened; what it throws only goes to the log. */
  private postRequest(hooks: RequestHooks, req: RequestView, environ: Environ | null, status: number): void {
    try {
      hooks.post(req, environ ?? {}, { status });
    } catch (err) {
      this.opts.log.error(err instanceof Error ? err.message : String(err));
    }
  }
  // #endregion post-request
  // <<< chapter 6

  // >>> chapter 7
  // #region access
  /**
   * One access log line for a request that was parsed (gunicorn logs none for a request it could not
   * parse: those get a warning in the error log). Written after the response, so it knows the status,
   * the bytes sent and the time taken; if the client left first, the status is what went out, if any.
   */
  private logAccess(head: RequestHead, writer: ResponseWriter, access: { started: number; environ: Environ | null }): void {
    const log = this.opts.accessLog;
    if (!log) return;
    log({
      environ: access.environ ?? { REMOTE_ADDR: this.ip, REQUEST_METHOD: head.method, RAW_URI: head.target, SERVER_PROTOCOL: `HTTP/${head.version[0]}.${head.version[1]}` },
      requestHeaders: head.headers,
      status: writer.committed ? writer.status : this.answeredWith,
      responseHeaders: writer.headers,
      sent: writer.sent,
      micros: Math.floor((performance.now() - access.started) * 1000),
      now: Date.now(),
      pid: process.pid,
    });
  }
  // #endregion access
  // <<< chapter 7

  // #region io
  private readonly onData = (chunk: Buffer): void => {
    this.parser.feed(chunk);
    if (this.parser.buffered >= HIGH_WATER) this.socket.pause();
    this.poke();
  };

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits for more bytes, the client's FIN, the close, or the idle timeout. */
  private more(): Promise<void> {
    if (this.eof) return Promise.resolve();
    this.socket.resume();
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Reads and drops what the app left of the body (up to DRAIN_CAP), so the next request can be parsed. */
  private async drainBody(): Promise<boolean> {
    let dropped = 0;
    this.socket.setTimeout(Math.max(this.opts.keepalive, 1) * 1000);
    try {
      for (;;) {
        const out = this.parser.readBody();
        for (const d of out.data) dropped += d.length;
        if (out.done) return true;
        if (dropped > DRAIN_CAP || this.eof || this.idle) return false;
        if (this.parser.buffered === 0) await this.more();
      }
    } catch (err) {
      this.refuse(err);
      return false;
    } finally {
      this.socket.setTimeout(0);
    }
  }

  private write(data: Buffer): void {
    if (this.socket.writable) this.socket.write(data);
  }

  /**
   * Ends our side once everything is written, then keeps reading (and dropping) for a moment: closing
   * with unread bytes in the kernel makes it send RST, and a RST can destroy the response before the
   * client has read it. Resolves once our side is done; the lingering goes on in the background.
   */
  private finish(): Promise<void> {
    const socket = this.socket;
    socket.off('data', this.onData);
    if (this.closed) return Promise.resolve();
    socket.on('data', () => {});
    socket.resume();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(linger));
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      if (socket.writableEnded) resolve();
      else socket.end(() => resolve());
    });
  }
  // #endregion io
}

/** The path of the unix socket a connection came in on, from the server that accepted it. */
function unixPath(socket: Socket): string {
  const address = (socket as Socket & { server?: Server }).server?.address();
  return typeof address === 'string' ? address : '';
}

/** On a unix socket: SERVER_NAME and SERVER_PORT from the Host header, or the socket's path (gunicorn). */
function hostOf(head: RequestHead, path: string): { serverName: string; serverPort: number } {
  const host = head.headers.find(([n]) => n.toLowerCase() === 'host')?.[1];
  if (!host) return { serverName: path, serverPort: 0 };
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.endsWith(']')) return { serverName: host, serverPort: 80 };
  return { serverName: host.slice(0, colon), serverPort: Number(host.slice(colon + 1)) || 80 };
}
