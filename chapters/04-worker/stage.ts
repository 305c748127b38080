// Stage 4: workers. A sync worker and an async worker side by side, and a pair of sync workers sharing
// one socket. There is no real master yet (chapter 5): this stage binds the sockets, starts the worker
// processes, hands them copies of the sockets, and stops them all on Ctrl-C.
import { connect } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../../src/sock/address.ts';
import { bind, BindError, closeListeners, type Listener } from '../../src/sock/bind.ts';
import type { WorkerBoot } from '../../src/worker/boot.ts';
import { sourceEntry } from '../../src/worker/entry.ts';
import { spawnWorker } from '../../src/worker/spawn.ts';
import { Checklist, heading, narrate, request, stageArgs, stopOnSignals } from '../tools/stage.ts';
import type { ChildProcess } from 'node:child_process';

const args = stageArgs();
const spec = `${relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), 'app.ts'))}:app`;
const port = (offset: number): number => (args.port === 0 ? 0 : args.port + offset);

const children: ChildProcess[] = [];
const listeners: Listener[] = [];
const booted = new Map<string, number[]>();

/** Binds one address and starts `count` workers of a class on it. Resolves with the URL once booted. */
async function group(name: string, workerClass: 'sync' | 'async', count: number, p: number): Promise<string> {
  const listener = bindSomewhere(p);
  listeners.push(listener);
  const boot: WorkerBoot = {
    app: spec, appKind: 'auto', cwd: process.cwd(), workerClass, workerConnections: 1000, keepalive: 5,
    limits: { requestLine: 4094, fields: 100, fieldSize: 8190 }, backlog: 2048, listeners: 1,
    multiprocess: count > 1, procName: `${name} ${spec}`, age: 1, maxRequests: 0, logLevel: 'info',
  };
  const up: number[] = [];
  booted.set(name, up);
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      children.push(
        spawnWorker(sourceEntry(), boot, () => [listener], {
          booted: (pid) => {
            up.push(pid);
            if (up.length === count) resolve();
          },
          listenError: (_pid, message) => reject(new Error(message)),
          exit: (pid, code) => {
            if (stopping) return;
            console.log(`worker ${pid} (${name}) exited with code ${code}`);
            if (!up.includes(pid)) reject(new Error(`a ${name} worker exited with code ${code} before it booted (see its log above)`));
          },
        }),
      );
    }
  });
  return listener.name;
}

/** Binds the preferred port; if it is taken, any free one rather than failing (as listenSomewhere does). */
function bindSomewhere(p: number): Listener {
  try {
    return bind(parseAddress(`${args.host}:${p}`));
  } catch (err) {
    if (!(err instanceof BindError && err.message.includes('EADDRINUSE')) || p === 0) throw err;
    console.log(`(port ${p} is in use, taking a free one instead)`);
    return bind(parseAddress(`${args.host}:0`));
  }
}

let stopping = false;
const stop = async (): Promise<void> => {
  stopping = true;
  const gone = children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(gone);
  closeListeners(listeners);
};

let syncUrl = '';
let asyncUrl = '';
let pairUrl = '';
try {
  syncUrl = await group('sync', 'sync', 1, port(0));
  asyncUrl = await group('async', 'async', 1, port(1));
  pairUrl = await group('sync pair', 'sync', 2, port(2));
} catch (err) {
  console.error(`\nThe stage could not start: ${(err as Error).message}`);
  await stop();
  process.exit(1);
}

if (args.once) {
  const code = await scenario();
  await stop();
  process.exit(code);
}

heading('Chapter 4 — One worker: sync and async');
narrate([
  `Serving ${spec} with three groups of worker processes (this process, ${process.pid}, only started them):`,
  `  sync worker  ${booted.get('sync')!.join(', ')}  on ${syncUrl}`,
  `  async worker ${booted.get('async')!.join(', ')}  on ${asyncUrl}`,
  `  sync pair    ${booted.get('sync pair')!.join(', ')}  on ${pairUrl}   (two workers, one socket)`,
  '',
  'Two slow requests at once: the sync worker answers them one after the other (about 4 s),',
  'the async worker both together (about 2 s). Each answer is the pid of the worker that served it',
  "(-w '\\n' puts each pid on a line of its own; the URLs are quoted because ? is a wildcard in zsh):",
  `$ time (curl -s -w '\\n' '${syncUrl}/sleep?ms=2000' & curl -s -w '\\n' '${syncUrl}/sleep?ms=2000' & wait)`,
  `$ time (curl -s -w '\\n' '${asyncUrl}/sleep?ms=2000' & curl -s -w '\\n' '${asyncUrl}/sleep?ms=2000' & wait)`,
  '',
  'Keep-alive: curl reuses the connection with the async worker; the sync worker says Connection: close.',
  `$ curl -sv ${asyncUrl}/ ${asyncUrl}/ 2>&1 | grep -iE 're-?us|connection:'`,
  `$ curl -sv ${syncUrl}/ ${syncUrl}/ 2>&1 | grep -iE 're-?us|connection:'`,
  '',
  'Two sync workers on one socket: while one is busy, the other takes the next request at once,',
  'whether the busy one computes (/cpu) or waits (/sleep):',
  `$ curl -s -w '\\n' '${pairUrl}/sleep?ms=3000' & sleep 0.2; time curl -s -w '\\n' ${pairUrl}/`,
  '',
  'Press Ctrl-C to stop (the workers get SIGTERM and finish what they are doing).',
]);
stopOnSignals(stop);

async function scenario(): Promise<number> {
  heading('Chapter 4 scenario');
  const list = new Checklist();
  const both = async (url: string): Promise<number> => {
    const started = performance.now();
    await Promise.all([request(`${url}/sleep?ms=1000`), request(`${url}/sleep?ms=1000`)]);
    return performance.now() - started;
  };
  const syncMs = await both(syncUrl);
  list.check('the sync worker serves two slow requests one after the other', syncMs >= 1900, `${syncMs.toFixed(0)} ms for two 1 s requests`);
  const asyncMs = await both(asyncUrl);
  list.check('the async worker serves them at the same time', asyncMs < 1900, `${asyncMs.toFixed(0)} ms for two 1 s requests`);

  const syncHead = await raw(syncUrl, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
  list.check('the sync worker answers one request per connection, with Connection: close', count(syncHead, 'HTTP/1.1 200') === 1 && /connection: close/i.test(syncHead));
  const pipelined = await raw(asyncUrl, 'GET /sleep?ms=200 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  list.check('the async worker keeps the connection and answers pipelined requests in order', count(pipelined, 'HTTP/1.1 200') === 2 && /keep-alive/i.test(pipelined));

  for (const kind of ['cpu', 'sleep']) {
    // The slow request must be taken before the fast one is sent. 200 ms is plenty on a quiet machine;
    // a busy one can reorder them, and then the pair shows nothing (both may land on one worker), so
    // such an attempt is run again. "At once" is well under the 1.3 s the busy worker still needs.
    let fast: Awaited<ReturnType<typeof request>> | null = null;
    let busy: Awaited<ReturnType<typeof request>> | null = null;
    for (let attempt = 0; attempt < 3 && fast?.text === busy?.text; attempt++) {
      const slow = request(`${pairUrl}/${kind}?ms=1500`);
      await new Promise((r) => setTimeout(r, 200));
      fast = await request(`${pairUrl}/`);
      busy = await slow;
    }
    list.check(`sync pair: while one worker is busy (${kind}), the other answers at once`, fast!.ms < 650 && fast!.text !== busy!.text, `${fast!.ms.toFixed(0)} ms`);
  }
  return list.finish();
}

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

/** Sends raw bytes and returns everything received until the server closes. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port: p } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(p), hostname, () => sock.write(bytes));
    let data = '';
    sock.on('data', (c) => (data += c.toString('latin1')));
    sock.on('close', () => resolve(data));
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy());
  });
}
