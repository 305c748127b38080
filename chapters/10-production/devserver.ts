// @chapter 10
// The "framework dev server" of chapter 10's comparison: the app served by node:http in one process,
// the way `flask run`, `next dev` or a bare `http.createServer(app)` serve it. No master, no workers,
// nothing that restarts it: chapter 2's server (src/app/server.ts), started from the command line.
//
//   node --import tsx chapters/10-production/devserver.ts chapters/10-production/app.ts:app -b 127.0.0.1:8001
//
// It prints "Listening at: URL (PID)" as prefork does, so the stage reads both logs alike. TERM and INT
// keep Node's defaults: the process ends at once, requests in flight with it.
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadApp } from '../../src/app/load-app.ts';
import { startAppServer } from '../../src/app/server.ts';

const { values, positionals } = parseArgs({ options: { bind: { type: 'string', short: 'b', default: '127.0.0.1:8001' } }, allowPositionals: true });
const spec = positionals[0];
const bind = /^(.*):(\d+)$/.exec(values.bind!);
if (!spec || !bind) {
  console.error('usage: devserver.ts FILE.ts:EXPORT [-b HOST:PORT]');
  process.exit(2);
}
// One synchronous write per line, like prefork's logger: nothing waits in a buffer when the process dies.
const log = (line: string): void => void writeSync(2, `[devserver ${process.pid}] ${line}\n`);

const { app } = await loadApp(spec);
const server = await startAppServer({ app, host: bind[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(bind[2]), log });
log(`Serving ${spec} with node:http in one process: no workers, no supervisor`);
log(`Listening at: ${server.url} (${process.pid})`);
