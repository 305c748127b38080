// One server for bench.ts, in a process of its own so the load generator does not share its event loop.
//   node --import tsx bench-server.ts app path/to/file.ts:name    an app called in-process
//   node --import tsx bench-server.ts cgi path/to/scripts/        a CGI server, a process per request
// Prints {"url": ..., "pid": ...} as one line on stdout once it listens; SIGTERM, SIGINT or the end of
// stdin (the parent died) stops it.
import { resolve } from 'node:path';
import { startAppServer } from '../../src/app/server.ts';
import { loadApp } from '../../src/app/load-app.ts';
import { startCgiServer } from '../../src/cgi/server.ts';
import type { RunningServer } from '../../src/front/node-http.ts';

const [kind, target] = process.argv.slice(2);
const log = (line: string): void => console.error(`[bench-server ${kind}] ${line}`);

let server: RunningServer;
if (kind === 'app' && target) {
  const { app } = await loadApp(target);
  server = await startAppServer({ app, host: '127.0.0.1', port: 0, log });
} else if (kind === 'cgi' && target) {
  server = await startCgiServer({ scriptsDir: resolve(target), host: '127.0.0.1', port: 0, timeoutMs: 10_000, log });
} else {
  console.error('usage: bench-server.ts app FILE:NAME | cgi DIR');
  process.exit(2);
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdin.destroy();
  await server.close();
  // No process.exit: CGI scripts still running for dropped requests keep the loop alive until they exit,
  // so none outlives this process. The unref'd timer is only a backstop.
  setTimeout(() => process.exit(1), 5_000).unref();
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// stdin is a pipe from the parent: it ends when the parent goes, even when the parent was SIGKILLed.
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
