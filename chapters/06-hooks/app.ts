// The app of chapter 6: it only answers, with the pid of the worker that served the request. No
// scheduler here: prefork.config.ts starts it, once, in the master (on_starting).
import type { Environ, StartResponse } from '../../src/app/types.ts';

export function app(environ: Environ, start: StartResponse): Buffer[] {
  const text = `served by pid ${process.pid}\n`;
  start('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(Buffer.byteLength(text))],
  ]);
  return [Buffer.from(text)];
}
