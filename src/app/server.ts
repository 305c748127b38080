// @chapter 2
// Chapter 2's server: node:http in front, the application called in-process for every request.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVER_SOFTWARE } from '../cgi/server.ts';
import type { CgiRequest } from '../cgi/request.ts';
import { listen, requestHead, type RunningServer } from '../front/node-http.ts';
import { buildEnviron } from './environ.ts';
import { InputStream } from './input.ts';
import { runApp } from './run-app.ts';
import type { ResponseSink } from './start-response.ts';
import type { App, ErrorStream } from './types.ts';

export interface AppServerOptions {
  app: App;
  host?: string;
  port?: number;
  /** Error log: app errors and wsgi.errors output. */
  log?: (line: string) => void;
}

export function startAppServer(opts: AppServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const errors: ErrorStream = { write: (text) => log(text.replace(/\n$/, '')), flush: () => {} };
  return listen((req, res) => void serve(req, res, opts.app, errors, log), opts.host ?? '127.0.0.1', opts.port ?? 0);
}

// #region serve
async function serve(req: IncomingMessage, res: ServerResponse, app: App, errors: ErrorStream, log: (l: string) => void): Promise<void> {
  const head = requestHead(req);
  const length = req.headers['content-length'];
  const request: CgiRequest = {
    ...head,
    scriptName: '',
    pathInfo: head.path,
    bodyLength: length === undefined ? null : Number(length),
    serverSoftware: SERVER_SOFTWARE,
  };
  const environ = buildEnviron(request, {
    input: new InputStream(req),
    errors,
    urlScheme: 'http',
    multiprocess: false,
    multithread: true, // one process, many requests interleaved on its event loop
    runOnce: false,
  });
  const sink: ResponseSink = {
    sendHead(status, headers) {
      const space = status.indexOf(' ');
      res.writeHead(Number(status.slice(0, space)), status.slice(space + 1), headers.flat());
    },
    async sendBody(chunk) {
      // A client that left must fail the app's next write, so runApp stops iterating and calls close().
      if (res.destroyed) throw new Error('the client closed the connection');
      if (!res.write(chunk)) {
        // Wait for whichever comes first, then drop the other listener: a long body would otherwise
        // leave one behind for every write that had to wait.
        const done = new AbortController();
        await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]).finally(() => done.abort());
      }
      if (res.destroyed) throw new Error('the client closed the connection');
    },
  };
  try {
    await runApp(app, environ, sink);
    res.end();
  } catch (err) {
    log(`Error handling request ${head.method} ${environ.RAW_URI}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (res.headersSent) {
      // Too late for a 500. Close after what was written has gone, without the final chunk, so the
      // client sees a cut-off response instead of mistaking it for a complete one. Node 24 holds the
      // last writes in the response itself (corked until the next tick), where the socket cannot see
      // them: hand them down first, or closing the socket drops them (Node 20 and 22 cork the socket).
      while (res.writableCorked > 0) res.uncork();
      res.socket?.destroySoon();
      return;
    }
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('500 Internal Server Error\n');
  }
}
// #endregion serve
