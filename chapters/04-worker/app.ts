// The app the worker stages serve.
//   GET /             the pid of the worker that answered
//   GET /cpu?ms=N     keeps the CPU busy for N ms (the event loop is blocked), then the pid
//   GET /sleep?ms=N   awaits a timer for N ms (the event loop is free meanwhile), then the pid
//   GET /env?NAME     the value of an environment variable in the worker
import type { Environ, StartResponse } from '../../src/app/types.ts';

export async function app(environ: Environ, start: StartResponse): Promise<Buffer[]> {
  const query = environ.QUERY_STRING;
  const ms = Number(new URLSearchParams(query).get('ms') ?? 0);
  let text = String(process.pid);
  if (environ.PATH_INFO === '/cpu') {
    const until = Date.now() + ms;
    while (Date.now() < until);
  } else if (environ.PATH_INFO === '/sleep') {
    await new Promise((r) => setTimeout(r, ms));
  } else if (environ.PATH_INFO === '/env') {
    text = process.env[query] ?? '';
  }
  start('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(Buffer.byteLength(text))],
  ]);
  return [Buffer.from(text)];
}
