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
//
// BENCH_QUICK=1 npm run bench -- 5: one short round, to check that the script works; it prints the
// tables and the JSON and leaves docs/data alone.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  QUICK,
  errorText,
  finish,
  fmt,
  groupCpuMs,
  gunicorn,
  gunicornVersion,
  helloApp,
  machine,
  measuredAt,
  medianRound,
  printTable,
  pythonVersion,
  ready,
  reportBusy,
  root,
  round,
  runWrk,
  sleep,
  start,
  startAll,
  startGunicorn,
  startPrefork,
  stop,
  watch,
  wrk,
  wrkName,
  writeData,
  type Server,
} from '../tools/bench-kit.ts';

const dataDir = join(root, 'docs', 'data');
const benchDir = join(root, 'chapters', '05-prefork', 'bench');
const fetchApp = join(root, 'chapters', '02-contract', 'apps', 'hello-fetch.ts') + ':default';

const WORKERS = 2;
const CONNECTIONS = 50;
const WARMUP_S = QUICK ? 1 : 2;
const DURATION_S = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;

const tool = wrkName ?? 'autocannon 9';
const loadGenerator = `${tool}, ${wrk ? '1 thread, ' : 'in the benchmark process, '}${CONNECTIONS} connections, ${DURATION_S} s per round after a ${WARMUP_S} s warm-up, loopback`;

// ---------------------------------------------------------------------------------------------------
// Servers

/** A server that prints {"url", "workers"} on one line when ready (cluster.mjs, source-worker.ts). */
async function startJsonServer(name: string, cmd: string, args: string[]): Promise<Server> {
  const child = start(cmd, args);
  const out = watch(child, name, (t) => /^(\{"url":.*\})\r?\n/m.exec(t)?.[1] ?? null);
  const info = JSON.parse(await out.found) as { url: string; workers: number[] };
  return { name, child, url: info.url, workers: () => info.workers, output: out.text };
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

async function runLoad(url: string, seconds: number, connections: number, close: boolean): Promise<Load> {
  if (!wrk) return runAutocannon(url, seconds, connections, close);
  const { rps, p50, p99, requests, errors: e } = await runWrk(url, seconds, connections, close);
  return { rps, p50, p99, requests, non2xx: e.non2xx, errors: e.connect + e.read + e.write + e.timeout };
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
// Memory

/** Resident memory in MB (ps -o rss, KiB). */
function rssMb(pid: number): number {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  const kb = Number(r.stdout.trim());
  return r.status === 0 && kb > 0 ? kb / 1024 : NaN;
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
if (QUICK) console.log('BENCH_QUICK: one short round, to check the script; docs/data/bench-05-*.json are left unchanged.');
console.log(`Load: ${loadGenerator}; ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, each row shows its median round.`);
if (!wrk) console.log('wrk is not installed: using autocannon for every row (apt-get install wrk for a faster load generator).');
if (!gunicorn) console.log('gunicorn is not installed: its row is skipped (apt-get install gunicorn, or pip install gunicorn).');
const busyBefore = await reportBusy();

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

const failures: string[] = [];
const memory: { name: string; mb: number; note: string }[] = [];
const afterLoad = new Map<string, number[]>();

try {
  // 1. Start every server, check that it serves the page, warm it up.
  const starters: [string, () => Promise<Server>][] = [
    ['async', () => startPrefork('prefork async', helloApp, 'async', WORKERS)],
    ['cluster', () => startJsonServer('node:cluster', process.execPath, [join(benchDir, 'cluster.mjs'), String(WORKERS), '0'])],
    ['fetch', () => startPrefork('prefork async, fetch', fetchApp, 'async', WORKERS)],
    ['sync', () => startPrefork('prefork sync', helloApp, 'sync', WORKERS)],
    ...(gunicorn ? [['gunicorn', () => startGunicorn('gunicorn', benchDir, WORKERS)] as [string, () => Promise<Server>]] : []),
  ];
  await startAll(starters, servers, failures);
  const runnable = cases.filter((c) => !c.skipped && servers.has(c.server));
  for (const c of cases) if (!c.skipped && !servers.has(c.server)) c.skipped = 'its server did not start';

  console.log(`\nWarm-up: ${WARMUP_S} s per row`);
  for (const c of runnable) {
    try {
      await runLoad(servers.get(c.server)!.url, WARMUP_S, CONNECTIONS, c.close);
    } catch (err) {
      failures.push(`${c.name} (${c.close ? 'close' : 'keep-alive'}), warm-up: ${errorText(err)}`);
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
        failures.push(`${c.name} (${c.close ? 'close' : 'keep-alive'}), round ${r}: ${errorText(err)}`);
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
  { name: 'prefork worker, bundled (default)', note: 'worker + app compiled by esbuild into one .mjs, plain node', start: () => startPrefork('prefork -w 1', helloApp, 'async', 1), load: true, master: true },
  { name: 'prefork worker on the sources, tsx loader', note: 'src/worker/start.ts with --import tsx (the fallback when bundling fails)', start: () => startJsonServer('source worker', process.execPath, ['--import', 'tsx', join(benchDir, 'source-worker.ts'), helloApp, 'async']), load: true },
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
    failures.push(`memory, ${m.name}: ${errorText(err)}`);
  } finally {
    if (server) await stop(server.child);
  }
}

// ---------------------------------------------------------------------------------------------------
// Results

const measured = measuredAt();
const byKey = new Map(cases.map((c) => [c.key, c]));
const median = (c: Case | undefined): Load | undefined => (c ? medianRound(c.rounds) : undefined);

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
    measuredAt: measured,
    machine,
    node: process.version,
    loadGenerator,
    settings,
    cpuBusyBeforePercent: round(busyBefore, 0),
    ...(target ? { target } : {}),
    ...(notes.length ? { notes } : {}),
    rows: rows.map(({ bad: _bad, ...row }) => row),
  };
  writeData(join(dataDir, t.file), data);
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
      measuredAt: measured,
      machine,
      node: process.version,
      metric: 'rssMb',
      measuredWith: 'ps -o rss, 1 s after 2 s of load (10 keep-alive connections); bare node serves nothing',
      ...(bundled ? { target: targets[targets.length - 1] } : {}),
      rows,
    };
    writeData(join(dataDir, 'bench-05-memory.json'), data);
  } else console.log('bench-05-memory.json left unchanged: a row failed.');
}

console.log(`\nTargets: ${targets.map((t) => `${t.what} ${t.want}: ${t.got} ${t.met ? 'met' : 'MISSED'}`).join('; ') || 'none measured'}`);
finish(startedAt, failures);
