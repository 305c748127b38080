// The app of chapter 10. The stage serves this very code twice: on the dev server (devserver.ts: node:http
// in one process) and on prefork, so whatever differs comes from the server, not the app.
//   GET /             "hello from v1, pid 4312"
//   GET /slow?ms=N    the same, N ms later: it awaits a timer, the event loop is free meanwhile
//   GET /cpu?ms=N     the same, after N ms of CPU work: the event loop is blocked meanwhile
//   GET /crash        a bug: a callback throws; nothing catches it, and the process dies
//   GET /whoami       JSON: version, pid, uid, url scheme, REMOTE_ADDR, X-Forwarded-For
// The stage edits VERSION in a copy of this file to show a deploy.
import { writeSync } from 'node:fs';
import type { Environ, StartResponse } from '../../src/app/types.ts';

const VERSION = 'v1';

export async function app(environ: Environ, start: StartResponse): Promise<Buffer[]> {
  const path = environ.PATH_INFO;
  const ms = Number(new URLSearchParams(environ.QUERY_STRING).get('ms') ?? 0);
  if (path === '/slow' || path === '/cpu') {
    // Written at once, before the loop may block: console.error can be asynchronous on a pipe (macOS).
    writeSync(2, `[app] ${path}: ${path === '/cpu' ? 'busy' : 'waiting'} for ${ms} ms in pid ${process.pid}\n`);
  }
  if (path === '/slow') await new Promise((r) => setTimeout(r, ms));
  if (path === '/cpu') {
    const until = Date.now() + ms;
    while (Date.now() < until);
  }
  if (path === '/crash') {
    // The bug real apps ship: a callback (a timer here; a driver's or a socket's in real life) reads a
    // field of undefined. It runs outside the request's promise chain, so no try/catch of the server
    // sees it: Node's default for an uncaught exception is to print it and exit.
    await new Promise((resolve) =>
      setTimeout(() => {
        const session = JSON.parse('{}') as { user?: { name: string } };
        resolve(session.user!.name);
      }, 10),
    );
  }
  let type = 'text/plain';
  let text = `hello from ${VERSION}, pid ${process.pid}\n`;
  if (path === '/whoami') {
    type = 'application/json';
    text = `${JSON.stringify({
      version: VERSION,
      pid: process.pid,
      uid: process.getuid?.() ?? null,
      scheme: environ['wsgi.url_scheme'],
      remoteAddr: environ.REMOTE_ADDR ?? null,
      forwardedFor: environ.HTTP_X_FORWARDED_FOR ?? null,
    })}\n`;
  }
  start('200 OK', [
    ['Content-Type', type],
    ['Content-Length', String(Buffer.byteLength(text))],
  ]);
  return [Buffer.from(text)];
}
