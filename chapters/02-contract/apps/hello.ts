// The smallest application: the same one the benchmark serves.
import type { Environ, StartResponse } from '../../../src/app/types.ts';

const body = Buffer.from('Hello, world!\n');

export function app(_environ: Environ, startResponse: StartResponse): Buffer[] {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
}
