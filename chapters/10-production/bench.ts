// Chapter 10's benchmark: the dev server (node:http in one process, devserver.ts) against prefork with 2
// workers, sync and async, all serving chapter 10's app. Run with `npm run bench -- 10` (about 2
// minutes). Writes docs/data/bench-10-devserver.json. Two loads:
//   "/"    every request is GET /: the cost of the server itself;
//   "mix"  1 request in 10 is GET /cpu?ms=10 (10 ms of CPU work, the event loop blocked), the rest GET /:
//          one process can do one such piece of work at a time; two workers can do two.
// The numbers are a side note to the stage's point (what a crash, a slow request and a deploy do to
// each server): they show the cost of the pool, and where it pays.
//
// BENCH_QUICK=1 npm run bench -- 10: one short round, to check that the script works; it prints the
// table and the JSON and leaves docs/data/bench-10-devserver.json alone.
//
// Load comes from wrk (1 thread, Connection: close for every row: the sync worker closes after each
// reply anyway); "mix" is a wrk Lua script. Without wrk the benchmark says so and writes nothing. Every
// server runs in its own process group and is stopped (the whole group) however this script ends. Rows
// are measured in rounds, every row once per round, and each row shows its median round.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  QUICK,
  errorText,
  finish,
  fmt,
  groupCpuMs,
  machine,
  measuredAt,
  medianRound,
  printTable,
  procStat,
  reportBusy,
  root,
  round,
  runWrk,
  sleep,
  start,
  startPrefork,
  stop,
  watch,
  wrk,
  wrkName,
  writeData,
  type Server,
  type WrkResult,
} from '../tools/bench-kit.ts';

const dataFile = join(root, 'docs', 'data', 'bench-10-devserver.json');
const here = join(root, 'chapters', '10-production');
const app = join(here, 'app.ts') + ':app';

const WORKERS = 2;
const CONNECTIONS = 20;
const WARMUP_S = QUICK ? 1 : 2;
const DURATION_S = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;
const CPU_MS = 10;
const CPU_EVERY = 10;

const loadGenerator = `${wrkName ?? 'wrk (not installed)'}, 1 thread, ${CONNECTIONS} connections, Connection: close, ${DURATION_S} s per round after a ${WARMUP_S} s warm-up, loopback`;

// ---------------------------------------------------------------------------------------------------
// Servers

/** The dev server: `node --import tsx devserver.ts APP -b 127.0.0.1:0`; it logs "Listening at: URL". */
async function startDev(): Promise<Server> {
  const child = start(process.execPath, ['--import', 'tsx', join(here, 'devserver.ts'), app, '-b', '127.0.0.1:0']);
  const out = watch(child, 'dev server', (t) => /Listening at: (http:\/\/\S+)/.exec(t)?.[1] ?? null);
  const url = await out.found;
  return { name: 'dev server', child, url, workers: () => [], output: out.text };
}

/** Answers GET / with the app's hello five times in a row (the workers boot in parallel with "Listening"). */
async function ready(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (let good = 0; good < 5; ) {
    try {
      const res = await fetch(`${url}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) });
      good = res.status === 200 && (await res.text()).startsWith('hello from') ? good + 1 : 0;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      good = 0;
    }
    if (good === 0) {
      if (Date.now() > deadline) throw new Error(`${url}: not serving the app's hello within 20 s`);
      await sleep(100);
    }
  }
}

/** Resident memory of every process in the group, in MB (/proc: Linux only; NaN elsewhere). */
const pageSize = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;
function groupRssMb(pgid: number): { mb: number; processes: number } {
  let pages = 0;
  let processes = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { mb: NaN, processes: 0 };
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = procStat(e); // state ppid pgrp ... rss(21), in pages
    if (f && Number(f[2]) === pgid && f[0] !== 'Z') {
      pages += Number(f[21]);
      processes++;
    }
  }
  return { mb: processes ? (pages * pageSize) / 2 ** 20 : NaN, processes };
}

// ---------------------------------------------------------------------------------------------------
// Load: wrk, on / or on the mix (a Lua script picks the path of each request)

const scriptDir = mkdtempSync(join(tmpdir(), 'prefork-bench10-'));
process.on('exit', () => rmSync(scriptDir, { recursive: true, force: true }));
const mixScript = join(scriptDir, 'mix.lua');
writeFileSync(
  mixScript,
  `-- 1 request in ${CPU_EVERY} is /cpu?ms=${CPU_MS}, the others /\nlocal n = 0\nrequest = function()\n  n = n + 1\n  if n % ${CPU_EVERY} == 0 then return wrk.format("GET", "/cpu?ms=${CPU_MS}") end\n  return wrk.format("GET", "/")\nend\n`,
);

/** `wrk -t1 -cN -dS --latency -H 'Connection: close' [-s mix.lua] URL/`, read into numbers. */
const runLoad = (url: string, seconds: number, mix: boolean): Promise<WrkResult> => runWrk(url, seconds, CONNECTIONS, true, mix ? mixScript : undefined);

interface Round extends WrkResult {
  /** Server CPU time per request, in µs (every process of its group). */
  cpuUs: number;
}

async function runRound(server: Server, seconds: number, mix: boolean): Promise<Round> {
  const cpuBefore = groupCpuMs(server.child.pid!);
  const result = await runLoad(server.url, seconds, mix);
  const cpuMs = groupCpuMs(server.child.pid!) - cpuBefore;
  if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited during the round\n${server.output().slice(-2000)}`);
  return { ...result, cpuUs: (cpuMs * 1000) / Math.max(1, result.requests) };
}

const errorCount = (r: WrkResult): number => r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout + r.errors.non2xx;

// ---------------------------------------------------------------------------------------------------
// The run

interface Case {
  key: string;
  name: string;
  server: 'dev' | 'sync' | 'async';
  mix: boolean;
  rounds: Round[];
  skipped?: string;
}

const startedAt = Date.now();
console.log(`Chapter 10 benchmark: the dev server (node:http, 1 process) vs prefork (${WORKERS} workers, sync and async), chapter 10's app, on ${machine}`);
if (!wrk) {
  console.log('wrk is not installed: this benchmark needs it (apt-get install wrk). Nothing measured; docs/data/bench-10-devserver.json left unchanged.');
  process.exit(0);
}
if (QUICK) console.log('BENCH_QUICK: one short round, to check the script; docs/data/bench-10-devserver.json is left unchanged.');
console.log(`Load: ${loadGenerator}; ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, each row shows its median round.`);
console.log(`"mix": 1 request in ${CPU_EVERY} is /cpu?ms=${CPU_MS} (CPU work that blocks the event loop), the others /.`);
const busyBefore = await reportBusy();

const serverNames = { dev: 'dev server (node:http, 1 process)', sync: `prefork sync, ${WORKERS} workers`, async: `prefork async, ${WORKERS} workers` } as const;
const cases: Case[] = (['dev', 'sync', 'async'] as const).flatMap((server) => [
  { key: `${server}-hello`, name: `${serverNames[server]}, /`, server, mix: false, rounds: [] },
  { key: `${server}-mix`, name: `${serverNames[server]}, mix`, server, mix: true, rounds: [] },
]);

const servers = new Map<string, Server>();
const memory = new Map<string, { mb: number; processes: number }>();
const failures: string[] = [];

try {
  // 1. Start every server, check that it serves the app, warm it up.
  const starters: [Case['server'], () => Promise<Server>][] = [
    ['dev', startDev],
    ['sync', () => startPrefork(serverNames.sync, app, 'sync', WORKERS)],
    ['async', () => startPrefork(serverNames.async, app, 'async', WORKERS)],
  ];
  for (const [key, startOne] of starters) {
    try {
      const server = await startOne();
      servers.set(key, server);
      await ready(server.url);
    } catch (err) {
      failures.push(`starting ${key}: ${errorText(err)}`);
    }
  }
  for (const c of cases) if (!servers.has(c.server)) c.skipped = 'its server did not start';
  const runnable = cases.filter((c) => !c.skipped);

  console.log(`\nWarm-up: ${WARMUP_S} s per row`);
  for (const c of runnable) {
    try {
      await runRound(servers.get(c.server)!, WARMUP_S, c.mix);
    } catch (err) {
      failures.push(`${c.name}, warm-up: ${errorText(err)}`);
    }
  }

  // 2. Rounds: every row once per round, in the same order.
  for (let r = 1; r <= ROUNDS; r++) {
    const line: string[] = [];
    for (const c of runnable) {
      try {
        const result = await runRound(servers.get(c.server)!, DURATION_S, c.mix);
        c.rounds.push(result);
        line.push(`${c.key} ${fmt(result.rps)}${errorCount(result) ? ` (${errorCount(result)} errors)` : ''}`);
      } catch (err) {
        failures.push(`${c.name}, round ${r}: ${errorText(err)}`);
      }
    }
    console.log(`round ${r}/${ROUNDS} (req/s): ${line.join(', ')}`);
  }
  // 3. Memory after the load: every process of each server (master and workers for prefork).
  for (const [key, s] of servers) memory.set(key, groupRssMb(s.child.pid!));
} finally {
  for (const s of servers.values()) await stop(s.child);
}

// ---------------------------------------------------------------------------------------------------
// Results

const byKey = new Map(cases.map((c) => [c.key, c]));
const median = (key: string): Round | undefined => medianRound(byKey.get(key)?.rounds ?? []);
const present = cases.filter((c) => median(c.key));

const ratios = [
  { what: 'prefork sync / dev server, /', num: 'sync-hello', den: 'dev-hello' },
  { what: 'prefork sync / dev server, mix', num: 'sync-mix', den: 'dev-mix' },
  { what: 'prefork async / dev server, /', num: 'async-hello', den: 'dev-hello' },
  { what: 'prefork async / dev server, mix', num: 'async-mix', den: 'dev-mix' },
].flatMap((r) => {
  const a = median(r.num);
  const b = median(r.den);
  return a && b ? [{ what: r.what, got: round(a.rps / b.rps, 3) }] : [];
});

const rows = present.map((c) => {
  const l = median(c.key)!;
  const mem = memory.get(c.server);
  const allErrors = c.rounds.reduce((n, x) => n + errorCount(x), 0);
  // Against the dev server under the same load: the docs' table shows one ratio per row.
  const dev = median(`dev-${c.mix ? 'mix' : 'hello'}`);
  return {
    name: c.name,
    load: c.mix ? 'mix' : '/',
    rps: round(l.rps, 0),
    p50: round(l.p50),
    p99: round(l.p99),
    ratio: dev ? round(l.rps / dev.rps, 3) : 0,
    max: round(l.max),
    errors: errorCount(l),
    cpuUsPerRequest: round(l.cpuUs, 1),
    rssMb: round(mem?.mb ?? NaN, 0),
    processes: mem?.processes ?? 0,
    note:
      `max latency ${fmt(l.max)} ms; server CPU ${fmt(l.cpuUs)} µs per request; RSS after the load ${fmt(mem?.mb ?? NaN)} MB in ${mem?.processes ?? 0} process${mem?.processes === 1 ? '' : 'es'}` +
      `; rounds: ${c.rounds.map((x) => fmt(x.rps)).join(', ')} req/s${allErrors ? `; ${allErrors} errors in all rounds` : '; no errors in any round'}`,
  };
});

const title = `The same app on a dev server (node:http, one process) and on prefork (${WORKERS} workers), a new connection per request`;
printTable(
  `${title}\nEach row: its median round. ratio = req/s / the dev server's under the same load. errors = wrk's socket errors + non-2xx. RSS: every process of the server, after the load.`,
  ['server, load', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'ratio', 'CPU µs/req', 'RSS MB (procs)', 'rounds (req/s)'],
  present.map((c, i) => {
    const row = rows[i]!;
    return [c.name, fmt(row.rps), fmt(row.p50), fmt(row.p99), fmt(row.max), String(row.errors), row.ratio.toFixed(2), fmt(row.cpuUsPerRequest), `${fmt(row.rssMb)} (${row.processes})`, c.rounds.map((x) => fmt(x.rps)).join(' ')];
  }),
);
for (const r of ratios) console.log(`ratio: ${r.what}: ${r.got.toFixed(2)}`);

const notes = [
  `"/": every request is GET / (a few hundred bytes of text); "mix": 1 request in ${CPU_EVERY} is GET /cpu?ms=${CPU_MS}, a busy loop of ${CPU_MS} ms that blocks the event loop of the process that runs it.`,
  'ratio = req/s / the dev server\'s under the same load. req/s counts only good responses; errors = wrk\'s socket errors (connect, read, write, timeout) + non-2xx responses.',
  `wrk runs on the same ${machine.split(',')[0]} as the servers, so it takes CPU from them.`,
  ...ratios.map((r) => `${r.what}: ${r.got.toFixed(2)}`),
];
const data = {
  title,
  measuredAt: measuredAt(),
  machine,
  node: process.version,
  loadGenerator,
  settings: { workers: WORKERS, connections: CONNECTIONS, warmupSeconds: WARMUP_S, durationSeconds: DURATION_S, rounds: ROUNDS, cpuMs: CPU_MS, cpuEvery: CPU_EVERY },
  cpuBusyBeforePercent: round(busyBefore, 0),
  ratios,
  notes,
  rows,
};

if (!QUICK && (present.length !== cases.length || failures.length)) {
  console.log('\ndocs/data/bench-10-devserver.json left unchanged: a row failed.');
} else {
  console.log('');
  writeData(dataFile, data);
}

finish(startedAt, failures);
