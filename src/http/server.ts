// @chapter 3
// Chapter 3's server: one process, net.createServer, and our own HTTP/1.1 on every connection. It
// replaces chapter 2's node:http front; the app contract is the same.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
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

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  server: Server;
  /** Stops listening and drops open connections; resolves when everything is closed. */
  close(): Promise<void>;
}

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
  const sockets = new Set<Socket>();
  // allowHalfOpen: a client may send its request and then its FIN; it still gets the response.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    void serveConnection(socket, connection);
  });
  // #endregion start
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${shown}:${addr.port}`,
        port: addr.port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}
