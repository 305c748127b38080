// Chapter 2's benchmark: the same hello-world page served in-process and through CGI, on loopback.
// Writes docs/data/bench-02-contract.json for the docs. Run with `npm run bench -- 2` (about 50 s).
//
// Each server runs in its own process (bench-server.ts); autocannon runs here. The machine has few cores,
// so the load generator, the server and the CGI scripts still compete for CPU: compare rows, not machines.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// autocannon ships no types: declare the part used here.
interface LoadResult {
  duration: number; // seconds
  errors: number; // socket errors, timeouts included
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}
interface LoadInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; pipelining: number; timeout: number },
  done: (err: Error | null, result: LoadResult) => void,
) => LoadInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', '..', 'docs', 'data', 'bench-02-contract.json');
const serverFile = join(here, 'bench-server.ts');
const EXPECTED_BODY = 'Hello, world!\n';
const CONNECTIONS = 4;

interface Case {
  name: string;
  server: ['app' | 'cgi', string];
  path: string;
  /** Seconds of warm-up (JIT, page cache, tsx's transform cache), then one at a time, then under load. */
  warmup: number;
  sequential: number;
  load: number;
  connections: number;
  what: string;
}

const cgiDir = join(here, 'bench-cgi');
const cases: Case[] = [
  { name: 'in-process, WSGI-style app', server: ['app', `${join(here, 'apps', 'hello.ts')}:app`], path: '/', warmup: 1, sequential: 2, load: 5, connections: CONNECTIONS, what: 'called in the server process, keep-alive' },
  { name: 'in-process, fetch handler', server: ['app', `${join(here, 'apps', 'hello-fetch.ts')}:default`], path: '/', warmup: 1, sequential: 2, load: 5, connections: CONNECTIONS, what: 'Request/Response objects on top, keep-alive' },
  { name: 'CGI, /bin/sh script', server: ['cgi', cgiDir], path: '/cgi-bin/hello.sh', warmup: 0.5, sequential: 2, load: 5, connections: CONNECTIONS, what: 'a new sh process per request' },
  { name: 'CGI, node script (.mjs)', server: ['cgi', cgiDir], path: '/cgi-bin/hello.mjs', warmup: 0.5, sequential: 3, load: 5, connections: CONNECTIONS, what: 'a Node.js boot per request' },
  // ~200 ms a request: a few seconds still give a few dozen samples, and the whole run stays under a minute.
  { name: 'CGI, TypeScript via tsx', server: ['cgi', cgiDir], path: '/cgi-bin/hello.ts', warmup: 1, sequential: 3, load: 5, connections: 2, what: 'a Node.js boot plus the tsx loader per request' },
];

// Servers still running. Stopped on any way out, so a crash or Ctrl-C leaves no process behind. TERM, not
// KILL: a server then waits for its in-flight CGI scripts (and has a 5 s backstop of its own).
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));

interface Load {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  non2xx: number;
  statuses: string;
}

/** Runs autocannon for `seconds`. Latencies come from its per-response event: its own histogram keeps whole ms. */
function load(url: string, connections: number, seconds: number): Promise<Load> {
  const ms: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 10 }, (err, r) => {
      if (err) return reject(err);
      ms.sort((a, b) => a - b);
      const statuses = Object.entries(r.statusCodeStats)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, s]) => `${s.count}× ${code}`)
        .join(', ');
      resolve({ rps: r['2xx'] / r.duration, p50: percentile(ms, 50), p99: percentile(ms, 99), ok: r['2xx'], errors: r.errors, non2xx: r.non2xx, statuses });
    });
    instance.on('response', (_client, status, _bytes, time) => {
      if (status >= 200 && status < 300) ms.push(time);
    });
  });
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

/** Starts bench-server.ts and waits for the JSON line with its URL. */
async function startServer([kind, target]: Case['server']): Promise<{ url: string; child: ChildProcess }> {
  // stdin stays a pipe: the server stops when it closes, should this process die without cleaning up.
  const child = spawn(process.execPath, ['--import', 'tsx', serverFile, kind, target], { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('bench-server printed no URL within 20 s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(text.slice(0, nl));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bench-server exited (${signal ?? `code ${code}`}) before listening`));
    });
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/** SIGTERM, then SIGKILL if it has not exited after 5 s. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** One request on a fresh connection: every case must serve the very same page before it is timed. */
function checkPage(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode === 200 && body === EXPECTED_BODY) resolve();
        else reject(new Error(`${url} answered ${res.statusCode} ${JSON.stringify(body.slice(0, 200))}, not the hello page`));
      });
    }).on('error', reject);
  });
}

interface Measured {
  c: Case;
  seq: Load;
  conc: Load;
}

async function measure(c: Case): Promise<Measured> {
  console.log(`  ${c.name}: warm-up ${c.warmup} s, 1 at a time ${c.sequential} s, ${c.connections} connections ${c.load} s`);
  const { url, child } = await startServer(c.server);
  try {
    const target = url + c.path;
    await checkPage(target);
    await load(target, c.connections, c.warmup);
    const seq = await load(target, 1, c.sequential);
    const conc = await load(target, c.connections, c.load);
    return { c, seq, conc };
  } finally {
    await stopServer(child);
  }
}

const fmt = (n: number): string => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

const cpus = os.cpus();
const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;
console.log(`Chapter 2 benchmark: CGI vs in-process on ${machine}`);
// Other work on the machine skews every row (process start most of all): say so rather than hide it.
// Measured over one second rather than read from the load average, which lags by minutes.
const busyBefore = await cpuBusy(1000);
console.log(`CPU busy before starting: ${busyBefore.toFixed(0)}% (over 1 s, all cores)`);
if (busyBefore > 25) console.log('WARNING: the machine is busy; expect lower, noisier numbers than on an idle machine.');

/** Percentage of CPU time spent not idle, over all cores, during the next `ms`. */
async function cpuBusy(ms: number): Promise<number> {
  const sum = (): { idle: number; total: number } =>
    os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, total: a.total + Object.values(c.times).reduce((x, y) => x + y, 0) }), { idle: 0, total: 0 });
  const before = sum();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sum();
  return 100 * (1 - (after.idle - before.idle) / Math.max(1, after.total - before.total));
}

const results: Measured[] = [];
const failures: string[] = [];
for (const c of cases) {
  try {
    results.push(await measure(c));
  } catch (err) {
    failures.push(`${c.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Ratios are against the in-process WSGI-style row; NaN if it failed (and then nothing is written).
const first = results[0];
const base = first && first.c === cases[0] ? first.conc.rps : NaN;
const rows = results.map(({ c, seq, conc }) => {
  const bad = [seq, conc].reduce((n, l) => n + l.errors + l.non2xx, 0);
  const problems = (['one at a time', 'under load'] as const)
    .map((phase, i) => {
      const l = i === 0 ? seq : conc;
      const what = [l.non2xx ? `${l.non2xx} non-2xx (${l.statuses})` : '', l.errors ? `${l.errors} socket errors/timeouts` : ''].filter(Boolean);
      return what.length ? `${phase}: ${what.join(', ')}` : '';
    })
    .filter(Boolean);
  const note = `${c.what}; one at a time ${fmt(seq.p50)} ms per request` + (c.connections !== CONNECTIONS ? `; ${c.connections} connections` : '') + (bad ? `; ERRORS: ${problems.join('; ')}` : '');
  // No successful response means no latency: 0 keeps the JSON numeric for the docs, the note says why.
  const num = (n: number, digits?: number): number => (Number.isFinite(n) ? round(n, digits) : 0);
  return { name: c.name, rps: num(conc.rps), p50: num(conc.p50), p99: num(conc.p99), ratio: num(conc.rps / base, 4), note, bad };
});

function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}

// The table.
const head = ['case', 'req/s', 'p50 ms', 'p99 ms', 'ratio', '1-at-a-time ms', 'conns', 'errors'];
const body = results.map(({ c, seq, conc }, i) => [
  c.name,
  fmt(conc.rps),
  fmt(conc.p50),
  fmt(conc.p99),
  rows[i]!.ratio >= 0.01 ? rows[i]!.ratio.toFixed(2) : rows[i]!.ratio.toFixed(4),
  fmt(seq.p50),
  String(c.connections),
  String(rows[i]!.bad),
]);
const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const r of body) console.log(line(r));
console.log(`\nreq/s and p50/p99 under load (${CONNECTIONS} keep-alive connections unless "conns" says otherwise); ratio = req/s / first row's.`);
console.log('1-at-a-time = median latency of sequential requests: the cost of one request, which for CGI is mostly process start.');
for (const row of rows) if (row.bad) console.log(`ERRORS in "${row.name}": ${row.note.split('ERRORS: ')[1]}`);

if (failures.length) {
  for (const f of failures) console.error(`FAILED ${f}`);
  console.error(`${outFile} left unchanged.`);
  process.exit(1);
}

const data = {
  title: 'CGI vs in-process: the same hello-world page',
  measuredAt: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  machine,
  node: process.version,
  concurrency: CONNECTIONS,
  cpuBusyBeforePercent: round(busyBefore, 0),
  loadGenerator: 'autocannon 9, in its own process next to the server, loopback',
  cases: results.map(({ c, seq, conc }) => ({
    name: c.name,
    connections: c.connections,
    durationSeconds: c.load,
    requests: conc.ok,
    sequentialSeconds: c.sequential,
    sequentialRequests: seq.ok,
    perRequestMs: Number.isFinite(seq.p50) ? round(seq.p50, 3) : null,
  })),
  rows: rows.map(({ bad: _bad, ...row }) => row),
};
writeFileSync(outFile, `${JSON.stringify(data, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);
if (rows.some((r) => r.bad)) process.exitCode = 1;
