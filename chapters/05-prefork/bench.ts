// Chapter 5's benchmark: prefork with 2 workers against its peers, hello world on loopback, in one run
// of about 2.5 minutes. Run with `npm run bench -- 5`. Writes four tables for the docs:
//   docs/data/bench-05-keepalive.json  async worker vs node:cluster + node:http, keep-alive
//   docs/data/bench-05-close.json      sync worker vs gunicorn's sync worker, a connection per request
//   docs/data/bench-05-adapter.json    the async worker serving the WSGI-style app vs the fetch handler
//   docs/data/bench-05-memory.json     resident memory of one worker: bundled, on the sources, node:cluster
//
// Load comes from wrk when it is installed, else from autocannon (in this process); one tool for the
// whole run, with the same settings for every row. Every server runs in its own process group and is
// stopped (the whole group) however this script ends. All servers are started first and stay up, idle,
// while the others are measured: rows are measured in rounds (A, B, C, A, B, C, ...) so that a burst of
// other work on the machine hits every row alike, and each row shows its median round.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'docs', 'data');
const benchDir = join(here, 'bench');
const cli = join(root, 'src', 'prefork.mjs');
const wsgiApp = join(root, 'chapters', '02-contract', 'apps', 'hello.ts') + ':app';
const fetchApp = join(root, 'chapters', '02-contract', 'apps', 'hello-fetch.ts') + ':default';
const EXPECTED_BODY = 'Hello, world!\n';

const WORKERS = 2;
const CONNECTIONS = 50;
const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;

// ---------------------------------------------------------------------------------------------------
// Tools on this machine

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || null : null;
}
const wrk = which('wrk');
const gunicorn = which('gunicorn');
const gunicornVersion = gunicorn ? spawnSync(gunicorn, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^gunicorn \(version (.*)\)$/, 'gunicorn $1') : null;
const tool = wrk ? `wrk ${spawnSync(wrk, ['-v'], { encoding: 'utf8' }).stdout.match(/wrk (\S+)/)?.[1] ?? ''}`.trim() : 'autocannon 9';
const loadGenerator = `${tool}, ${wrk ? '1 thread, ' : 'in the benchmark process, '}${CONNECTIONS} connections, ${DURATION_S} s per round after a ${WARMUP_S} s warm-up, loopback`;

// ---------------------------------------------------------------------------------------------------
// Processes: every one in its own process group, killed as a group on any way out.

const live = new Set<ChildProcess>();
const killGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
};
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));

/** Starts a process in a process group of its own. stdin stays a pipe: servers that watch it stop when we die. */
function start(cmd: string, args: string[], cwd = root): ChildProcess {
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {}); // reported through the exit / readiness checks
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** TERM to the whole group, then KILL after 5 s; resolves when the group leader has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  // Workers that outlived their master (they should not): the group still names them.
  killGroup(child, 'SIGKILL');
  live.delete(child);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// Servers

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  /** Worker pids, when the server tells them (prefork's log, cluster.mjs and source-worker.ts's JSON). */
  workers: () => number[];
  output: () => string;
}

/** Collects a child's stdout+stderr; resolves the first `match` found in it. */
function watch(child: ChildProcess, what: string, match: (text: string) => string | null, seconds = 30): { text: () => string; found: Promise<string> } {
  let text = '';
  const found = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${seconds} s\n${text.slice(-2000)}`)), seconds * 1000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = match(text);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready\n${text.slice(-2000)}`));
    });
  });
  found.catch(() => {});
  return { text: () => text, found };
}

/** `prefork APP -w N -k CLASS -b 127.0.0.1:0`: the URL from its "Listening at:" line. */
async function startPrefork(name: string, app: string, workerClass: 'sync' | 'async', workers = WORKERS): Promise<Server> {
  const child = start(process.execPath, [cli, app, '-w', String(workers), '-k', workerClass, '-b', '127.0.0.1:0']);
  const out = watch(child, name, (t) => /Listening at: (http:\/\/\S+)/.exec(t)?.[1] ?? null);
  const url = await out.found;
  const workerPids = (): number[] => [...out.text().matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
  return { name, child, url, workers: workerPids, output: out.text };
}

/** A server that prints {"url", "workers"} on one line when ready (cluster.mjs, source-worker.ts). */
async function startJsonServer(name: string, cmd: string, args: string[]): Promise<Server> {
  const child = start(cmd, args);
  const out = watch(child, name, (t) => /^(\{"url":.*\})\r?\n/m.exec(t)?.[1] ?? null);
  const info = JSON.parse(await out.found) as { url: string; workers: number[] };
  return { name, child, url: info.url, workers: () => info.workers, output: out.text };
}

/** gunicorn -w N -b 127.0.0.1:0 hello_wsgi:app, from the bench folder; it logs the port it got. */
async function startGunicorn(name: string): Promise<Server> {
  const child = start(gunicorn!, ['-w', String(WORKERS), '-b', '127.0.0.1:0', 'hello_wsgi:app'], benchDir);
  const out = watch(child, name, (t) => {
    const url = /Listening at: (http:\/\/\S+)/.exec(t)?.[1];
    return url && (t.match(/Booting worker with pid/g)?.length ?? 0) >= WORKERS ? url : null;
  });
  const url = await out.found;
  const workerPids = (): number[] => [...out.text().matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
  return { name, child, url, workers: workerPids, output: out.text };
}

/** One GET on a fresh connection; the server must serve the hello page. */
function fetchPage(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 && body === EXPECTED_BODY ? resolve() : reject(new Error(`${url} answered ${res.statusCode} ${JSON.stringify(body.slice(0, 200))}, not the hello page`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/** Waits until the server answers with the hello page (every worker may not have booted on "Listening"). */
async function ready(server: Server): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetchPage(`${server.url}/`);
      // A few more, so that every worker is likely up (prefork workers boot in parallel).
      for (let i = 0; i < 4; i++) await fetchPage(`${server.url}/`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Load

interface Load {
  rps: number; // 2xx responses per second
  p50: number; // ms
  p99: number; // ms
  requests: number;
  non2xx: number;
  errors: number;
  /** Server CPU time per request, in µs (all its processes), when measured. */
  cpuUs?: number;
}

function runLoad(url: string, seconds: number, connections: number, close: boolean): Promise<Load> {
  return wrk ? runWrk(url, seconds, connections, close) : runAutocannon(url, seconds, connections, close);
}

async function runWrk(url: string, seconds: number, connections: number, close: boolean): Promise<Load> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', ...(close ? ['-H', 'Connection: close'] : []), `${url}/`];
  const child = start(wrk!, args);
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} failed (code ${code}):\n${text}`);
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
  const ms = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const m = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(text);
  if (!m) throw new Error(`cannot read wrk's output:\n${text}`);
  const requests = Number(m[1]);
  const duration = Number(m[2]) * (m[3] === 'ms' ? 0.001 : m[3] === 'm' ? 60 : 1);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps: (requests - non2xx) / duration, p50: ms('50'), p99: ms('99'), requests, non2xx, errors };
}

// autocannon ships no types: the part used here.
interface AcResult {
  duration: number;
  errors: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; pipelining: number; timeout: number; headers?: Record<string, string> },
  done: (err: Error | null, result: AcResult) => void,
) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };

function runAutocannon(url: string, seconds: number, connections: number, close: boolean): Promise<Load> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const times: number[] = [];
  return new Promise((resolve, reject) => {
    const opts = { url: `${url}/`, connections, duration: seconds, pipelining: 1, timeout: 10, ...(close ? { headers: { connection: 'close' } } : {}) };
    const instance = autocannon(opts, (err, r) => {
      if (err) return reject(err);
      times.sort((a, b) => a - b);
      // When the connection closes after each reply, autocannon's per-response times are not request
      // latencies (they came out at over a second for a 3,000 req/s, 50-connection run): not reported.
      const p = (n: number): number => (close ? NaN : percentile(times, n));
      resolve({ rps: r['2xx'] / r.duration, p50: p(50), p99: p(99), requests: r['2xx'] + r.non2xx, non2xx: r.non2xx, errors: r.errors });
    });
    instance.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

// ---------------------------------------------------------------------------------------------------
// Memory and the machine

/** Resident memory in MB (ps -o rss, KiB). */
function rssMb(pid: number): number {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  const kb = Number(r.stdout.trim());
  return r.status === 0 && kb > 0 ? kb / 1024 : NaN;
}

/**
 * CPU time (user + system, ms) used so far by every live process in a process group: a server's master
 * and workers. Linux only (NaN elsewhere). Divided by the requests served, it says what a request costs
 * the server whatever else the machine was doing, which requests/s alone cannot on a shared 2-core box.
 */
const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function groupCpuMs(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return NaN;
  }
  let ticks = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // After the command name (which may hold spaces and parentheses): state ppid pgrp ... utime(11) stime(12).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / tick;
}

async function cpuBusy(ms: number): Promise<number> {
  const sum = (): { idle: number; total: number } =>
    os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, total: a.total + Object.values(c.times).reduce((x, y) => x + y, 0) }), { idle: 0, total: 0 });
  const before = sum();
  await sleep(ms);
  const after = sum();
  return 100 * (1 - (after.idle - before.idle) / Math.max(1, after.total - before.total));
}

const cpus = os.cpus();
const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;

// ---------------------------------------------------------------------------------------------------
// Formatting

const fmt = (n: number): string => (!Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : 0);

function printTable(title: string, head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of body) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------------
// The cases

interface Case {
  key: string;
  name: string;
  server: string; // key into `servers`
  close: boolean; // the client sends Connection: close
  what: string;
  rounds: Load[];
  skipped?: string;
}

interface Target {
  what: string;
  want: string;
  got: number;
  met: boolean;
}

const startedAt = Date.now();
console.log(`Chapter 5 benchmark: prefork with ${WORKERS} workers vs node:cluster and gunicorn, on ${machine}`);
console.log(`Load: ${loadGenerator}; ${ROUNDS} rounds, each row shows its median round.`);
if (!wrk) console.log('wrk is not installed: using autocannon for every row (apt-get install wrk for a faster load generator).');
if (!gunicorn) console.log('gunicorn is not installed: its row is skipped (apt-get install gunicorn, or pip install gunicorn).');
const busyBefore = await cpuBusy(1000);
console.log(`CPU busy before starting: ${busyBefore.toFixed(0)}% (over 1 s, all cores)`);
if (busyBefore > 25) console.log('WARNING: the machine is busy; expect lower, noisier numbers than on an idle machine.');

const servers = new Map<string, Server>();
const cases: Case[] = [
  { key: 'async', name: 'prefork async worker', server: 'async', close: false, what: 'WSGI-style app (hello.ts), our HTTP/1.1 parser, keep-alive', rounds: [] },
  { key: 'cluster', name: 'node:cluster + node:http', server: 'cluster', close: false, what: "llhttp, keep-alive; node's default round-robin scheduling", rounds: [] },
  { key: 'fetch', name: 'prefork async worker, fetch handler', server: 'fetch', close: false, what: 'hello-fetch.ts through the fetch adapter (Request/Response objects), keep-alive', rounds: [] },
  { key: 'sync-close', name: 'prefork sync worker', server: 'sync', close: true, what: 'one request per connection; the worker stops accepting while busy', rounds: [] },
  { key: 'gunicorn-close', name: 'gunicorn sync worker', server: 'gunicorn', close: true, what: `${gunicornVersion ?? 'gunicorn'}, Python ${pythonVersion()}`, rounds: [], ...(gunicorn ? {} : { skipped: 'gunicorn is not installed' }) },
  { key: 'async-close', name: 'prefork async worker', server: 'async', close: true, what: 'the async worker, with the client closing after each reply', rounds: [] },
  { key: 'cluster-close', name: 'node:cluster + node:http', server: 'cluster', close: true, what: 'for reference, with the client closing after each reply', rounds: [] },
];

function pythonVersion(): string {
  if (!gunicorn) return '?';
  const shebang = /^#!\s*(\S+)/.exec(spawnSync('head', ['-1', gunicorn], { encoding: 'utf8' }).stdout)?.[1] ?? 'python3';
  return spawnSync(shebang, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^Python /, '') || '?';
}

const failures: string[] = [];
const memory: { name: string; mb: number; note: string }[] = [];
const afterLoad = new Map<string, number[]>();

try {
  // 1. Start every server, check that it serves the page, warm it up.
  const starters: [string, () => Promise<Server>][] = [
    ['async', () => startPrefork('prefork async', wsgiApp, 'async')],
    ['cluster', () => startJsonServer('node:cluster', process.execPath, [join(benchDir, 'cluster.mjs'), String(WORKERS), '0'])],
    ['fetch', () => startPrefork('prefork async, fetch', fetchApp, 'async')],
    ['sync', () => startPrefork('prefork sync', wsgiApp, 'sync')],
    ...(gunicorn ? [['gunicorn', () => startGunicorn('gunicorn')] as [string, () => Promise<Server>]] : []),
  ];
  for (const [key, startOne] of starters) {
    try {
      const server = await startOne();
      servers.set(key, server);
      await ready(server);
    } catch (err) {
      failures.push(`starting ${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const runnable = cases.filter((c) => !c.skipped && servers.has(c.server));
  for (const c of cases) if (!c.skipped && !servers.has(c.server)) c.skipped = 'its server did not start';

  console.log(`\nWarm-up: ${WARMUP_S} s per row`);
  for (const c of runnable) {
    try {
      await runLoad(servers.get(c.server)!.url, WARMUP_S, CONNECTIONS, c.close);
    } catch (err) {
      failures.push(`${c.name} (${c.close ? 'close' : 'keep-alive'}), warm-up: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // 2. Rounds: every row once per round, in the same order.
  for (let r = 1; r <= ROUNDS; r++) {
    const line: string[] = [];
    for (const c of runnable) {
      try {
        const server = servers.get(c.server)!;
        const cpuBefore = groupCpuMs(server.child.pid!);
        const l = await runLoad(server.url, DURATION_S, CONNECTIONS, c.close);
        l.cpuUs = ((groupCpuMs(server.child.pid!) - cpuBefore) * 1000) / Math.max(1, l.requests);
        c.rounds.push(l);
        line.push(`${c.key} ${fmt(l.rps)}`);
      } catch (err) {
        failures.push(`${c.name} (${c.close ? 'close' : 'keep-alive'}), round ${r}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    console.log(`round ${r}/${ROUNDS} (req/s): ${line.join(', ')}`);
  }

  // Memory of the workers that served all of that, for the notes of the memory table.
  for (const [key, s] of servers) afterLoad.set(key, s.workers().map(rssMb).filter(Number.isFinite));
} finally {
  for (const s of servers.values()) await stop(s.child);
  servers.clear();
}

// 3. Memory: one worker each, after serving the same light load (2 s, 10 connections, keep-alive).
const memoryCases: { name: string; note: string; start: () => Promise<Server>; load: boolean; master?: boolean }[] = [
  { name: 'prefork worker, bundled (default)', note: 'worker + app compiled by esbuild into one .mjs, plain node', start: () => startPrefork('prefork -w 1', wsgiApp, 'async', 1), load: true, master: true },
  { name: 'prefork worker on the sources, tsx loader', note: 'src/worker/start.ts with --import tsx (the fallback when bundling fails)', start: () => startJsonServer('source worker', process.execPath, ['--import', 'tsx', join(benchDir, 'source-worker.ts'), wsgiApp, 'async']), load: true },
  { name: 'node:cluster worker', note: 'cluster.mjs, node:http', start: () => startJsonServer('node:cluster -w 1', process.execPath, [join(benchDir, 'cluster.mjs'), '1', '0']), load: true },
  {
    name: 'bare node (setInterval)',
    note: 'node -e "setInterval(()=>{},1000)": the floor',
    start: async () => {
      const child = start(process.execPath, ['-e', 'setInterval(()=>{},1000)']);
      return { name: 'bare node', child, url: '', workers: () => [child.pid!], output: () => '' };
    },
    load: false,
  },
];
console.log('\nMemory: one worker each, after 2 s of load (10 keep-alive connections)');
for (const m of memoryCases) {
  let server: Server | undefined;
  try {
    server = await m.start();
    if (m.load) {
      await ready(server);
      await runLoad(server.url, 2, 10, false);
    }
    await sleep(1000);
    const pid = server.workers()[0];
    const mb = pid === undefined ? NaN : rssMb(pid);
    if (!Number.isFinite(mb)) throw new Error('no worker pid, or ps could not read its memory');
    let note = m.note;
    if (m.master) note += `; its master (tsx, esbuild, arbiter): ${fmt(rssMb(server.child.pid!))} MB`;
    memory.push({ name: m.name, mb, note });
  } catch (err) {
    failures.push(`memory, ${m.name}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (server) await stop(server.child);
  }
}

// ---------------------------------------------------------------------------------------------------
// Results

const measuredAt = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const byKey = new Map(cases.map((c) => [c.key, c]));
const median = (c: Case | undefined): Load | undefined => {
  if (!c || c.rounds.length === 0) return undefined;
  const sorted = [...c.rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

interface Table {
  file: string;
  title: string;
  keys: string[];
  target?: { what: string; want: string; num: string; den: string; ok: (ratio: number) => boolean };
}

const tables: Table[] = [
  {
    file: 'bench-05-keepalive.json',
    title: `Keep-alive: prefork's async worker vs node:cluster + node:http (${WORKERS} workers each)`,
    keys: ['async', 'cluster'],
    target: { what: 'prefork async / node:cluster, keep-alive', want: '>= 1.10', num: 'async', den: 'cluster', ok: (r) => r >= 1.1 },
  },
  {
    file: 'bench-05-close.json',
    title: `A new connection per request: prefork's sync worker vs gunicorn's (${WORKERS} workers each, Connection: close)`,
    keys: ['sync-close', 'gunicorn-close', 'async-close', 'cluster-close'],
    target: { what: 'prefork sync / gunicorn sync, Connection: close', want: '>= 1.20', num: 'sync-close', den: 'gunicorn-close', ok: (r) => r >= 1.2 },
  },
  {
    file: 'bench-05-adapter.json',
    title: `The fetch adapter's cost: the same page as a WSGI-style app and as a fetch handler (async worker, ${WORKERS} workers)`,
    keys: ['async', 'fetch'],
    target: { what: 'fetch handler / WSGI-style app (at most 15% fewer req/s)', want: '>= 0.85', num: 'fetch', den: 'async', ok: (r) => r >= 0.85 },
  },
];

const targets: Target[] = [];
console.log('\nEach row: its median round. ratio = req/s / first row\'s. CPU µs/req = user + system CPU time of all the');
console.log("server's processes (master and workers) per request served in that round: what a request costs, whatever else ran.");
const settings = { workers: WORKERS, connections: CONNECTIONS, warmupSeconds: WARMUP_S, durationSeconds: DURATION_S, rounds: ROUNDS };

for (const t of tables) {
  const rowsOf = t.keys.map((k) => byKey.get(k)!);
  const present = rowsOf.filter((c) => median(c) !== undefined);
  const base = median(present[0]);
  const notes = rowsOf.filter((c) => c.skipped).map((c) => `${c.name}: skipped (${c.skipped})`);
  const rows = present.map((c) => {
    const l = median(c)!;
    const bad = c.rounds.reduce((n, x) => n + x.errors + x.non2xx, 0);
    const note =
      `${c.what}${c.close && !t.keys.every((k) => byKey.get(k)!.close) ? '; Connection: close' : ''}` +
      `; rounds: ${c.rounds.map((x) => fmt(x.rps)).join(', ')} req/s` +
      (Number.isFinite(l.cpuUs) ? `; server CPU ${fmt(l.cpuUs!)} µs per request` : '') +
      (Number.isFinite(l.p50) ? '' : '; latency not measured (autocannon, connection closed after each reply)') +
      (bad ? `; ERRORS: ${c.rounds.map((x) => `${x.non2xx} non-2xx, ${x.errors} socket errors`).join(' / ')}` : '');
    return { name: c.name, rps: round(l.rps, 0), p50: round(l.p50), p99: round(l.p99), ratio: round(l.rps / base!.rps, 3), cpuUsPerRequest: round(l.cpuUs ?? NaN, 1), note, bad };
  });
  printTable(
    t.title,
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'CPU µs/req', 'rounds (req/s)', 'errors'],
    [
      ...present.map((c, i) => [c.name, fmt(median(c)!.rps), fmt(median(c)!.p50), fmt(median(c)!.p99), rows[i]!.ratio.toFixed(2), fmt(median(c)!.cpuUs ?? NaN), c.rounds.map((x) => fmt(x.rps)).join(' '), String(rows[i]!.bad)]),
      ...rowsOf.filter((c) => c.skipped).map((c) => [c.name, '-', '-', '-', '-', '-', `skipped: ${c.skipped}`, '-']),
    ],
  );
  let target: Target | undefined;
  if (t.target) {
    const num = median(byKey.get(t.target.num));
    const den = median(byKey.get(t.target.den));
    if (num && den) {
      const got = num.rps / den.rps;
      target = { what: t.target.what, want: t.target.want, got: round(got, 3), met: t.target.ok(got) };
      targets.push(target);
      const cpu = Number.isFinite(num.cpuUs) && Number.isFinite(den.cpuUs) ? ` (server CPU per request: ${fmt(num.cpuUs!)} vs ${fmt(den.cpuUs!)} µs)` : '';
      console.log(`target: ${target.what} ${target.want}: measured ${got.toFixed(2)}× — ${target.met ? 'met' : 'MISSED'}${cpu}`);
    } else console.log(`target: ${t.target.what} ${t.target.want}: not measured (a row is missing)`);
  }
  for (const n of notes) console.log(n);
  if (rows.length === 0 || !t.keys.every((k) => byKey.get(k)!.skipped || median(byKey.get(k)))) {
    console.log(`${t.file} left unchanged: a row failed.`);
    continue;
  }
  const data = {
    title: t.title,
    measuredAt,
    machine,
    node: process.version,
    loadGenerator,
    settings,
    cpuBusyBeforePercent: round(busyBefore, 0),
    ...(target ? { target } : {}),
    ...(notes.length ? { notes } : {}),
    rows: rows.map(({ bad: _bad, ...row }) => row),
  };
  writeFileSync(join(dataDir, t.file), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`wrote docs/data/${t.file}`);
}

// The memory table.
if (memory.length) {
  const baseMb = memory[0]!.mb;
  const notesFor = (name: string): string => {
    const key = name.startsWith('prefork worker, bundled') ? 'async' : name.startsWith('node:cluster') ? 'cluster' : null;
    const seen = key ? afterLoad.get(key) : undefined;
    return seen?.length ? `; after the whole keep-alive benchmark: ${seen.map(fmt).join(' and ')} MB` : '';
  };
  const rows = memory.map((m) => ({ name: m.name, rssMb: round(m.mb, 1), ratio: round(m.mb / baseMb, 3), note: `${m.note}${notesFor(m.name)}` }));
  printTable(
    'Resident memory of one worker serving hello.ts (ps -o rss), after 2 s of load',
    ['process', 'RSS MB', 'ratio'],
    rows.map((r) => [r.name, fmt(r.rssMb), r.ratio.toFixed(2)]),
  );
  const bundled = memory.find((m) => m.name.startsWith('prefork worker, bundled'));
  if (bundled) {
    const target: Target = { what: 'bundled prefork worker RSS, MB', want: '< 55', got: round(bundled.mb, 1), met: bundled.mb < 55 };
    targets.push(target);
    console.log(`target: ${target.what} ${target.want}: measured ${fmt(bundled.mb)} MB — ${target.met ? 'met' : 'MISSED'}`);
    for (const [key, mbs] of afterLoad) if (mbs.length) console.log(`  workers of "${key}" after the throughput rounds: ${mbs.map(fmt).join(', ')} MB`);
  }
  if (memory.length === memoryCases.length) {
    const data = {
      title: 'Resident memory of one worker serving hello.ts',
      measuredAt,
      machine,
      node: process.version,
      metric: 'rssMb',
      measuredWith: 'ps -o rss, 1 s after 2 s of load (10 keep-alive connections); bare node serves nothing',
      ...(bundled ? { target: targets[targets.length - 1] } : {}),
      rows,
    };
    writeFileSync(join(dataDir, 'bench-05-memory.json'), `${JSON.stringify(data, null, 2)}\n`);
    console.log('wrote docs/data/bench-05-memory.json');
  } else console.log('bench-05-memory.json left unchanged: a row failed.');
}

console.log(`\nTargets: ${targets.map((t) => `${t.what} ${t.want}: ${t.got} ${t.met ? 'met' : 'MISSED'}`).join('; ') || 'none measured'}`);
console.log(`Took ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`);
if (failures.length) {
  for (const f of failures) console.error(`FAILED ${f}`);
  process.exitCode = 1;
}
