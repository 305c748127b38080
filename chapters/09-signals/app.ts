// The app of chapter 9. The stage serves a copy of this file from a temp dir, and edits the copy
// between signals: v1, then v2 (HUP), then a v3 that throws when it is imported (HUP again), then a
// v3 that works (USR2). Each answer says which version, worker and master served it.
//   GET /             "v1 from worker 4312 of master 4300"
//   GET /sleep?ms=N   the same, N ms later (the event loop is free meanwhile)
import type { Environ, StartResponse } from '../../src/app/types.ts';

const VERSION = 'v1';

export async function app(environ: Environ, start: StartResponse): Promise<Buffer[]> {
  if (environ.PATH_INFO === '/sleep') {
    const ms = Number(new URLSearchParams(environ.QUERY_STRING).get('ms') ?? 0);
    await new Promise((r) => setTimeout(r, ms));
  }
  const text = `${VERSION} from worker ${process.pid} of master ${process.ppid}\n`;
  start('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(Buffer.byteLength(text))],
  ]);
  return [Buffer.from(text)];
}
