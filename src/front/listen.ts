// Listening on a TCP port for the one-process servers of chapters 1 to 3 (node:http's front, then our
// own HTTP/1.1 on node:net), and closing them promptly.
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Listening<S extends Server = Server> {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  server: S;
  /** Stops listening and drops open connections; resolves when everything is closed. */
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and tracks connections, so that close() is prompt. */
export function listenTracked<S extends Server>(server: S, host: string, port: number): Promise<Listening<S>> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
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
