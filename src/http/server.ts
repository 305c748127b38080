// @chapter 3
// Chapter 3's server: one process, net.createServer, and our own HTTP/1.1 on every connection. It
// replaces chapter 2's node:http front; the app contract is the same.
import { createServer } from 'node:net';
import { listenTracked, type Listening } from '../front/listen.ts';
import { SERVER_SOFTWARE } from '../cgi/server.ts';
import type { App } from '../app/types.ts';
import { serveConnection, type ConnectionLog } from './connection.ts';
import { normaliseLimits, type Limits } from './limits.ts';

export interface HttpServerOptions {
  app: App;
  host?: string;
  port?: number;
  /** limit_request_line, limit_request_fields, limit_request_field_size; gunicorn's defaults. */
  limits?: Partial<Limits>;
  /** Seconds an idle keep-alive connection is kept (gunicorn's default: 2). 0 closes after each response. */
  keepalive?: number;
  log?: Partial<ConnectionLog>;
}

export type RunningHttpServer = Listening;

// #region start
export function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const log: ConnectionLog = {
    error: (m) => console.error(`[ERROR] ${m}`),
    warning: (m) => console.error(`[WARNING] ${m}`),
    info: (m) => console.error(`[INFO] ${m}`),
    debug: () => {},
    ...opts.log,
  };
  const connection = {
    app: opts.app,
    limits: normaliseLimits(opts.limits),
    keepalive: opts.keepalive ?? 2,
    closeAfterEachResponse: false,
    multiprocess: false,
    multithread: true, // one process, many requests interleaved on its event loop
    serverSoftware: SERVER_SOFTWARE,
    log,
  };
  // allowHalfOpen: a client may send its request and then its FIN; it still gets the response.
  const server = createServer({ allowHalfOpen: true }, (socket) => void serveConnection(socket, connection));
  // #endregion start
  return listenTracked(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
}
