// Chapter 9's benchmark: what a reload costs under load. Run with `npm run bench -- 9` (about 2.5
// minutes). Writes docs/data/bench-09-reload.json:
//   prefork's sync worker and gunicorn's sync worker, 2 workers each, hello world on loopback, each
//   measured "steady" (no signal) and "HUP every 2 s" (SIGHUP to the master every 2 s of the round).
// Our master reloads new workers first and retires an old worker only once a new one has booted;
// gunicorn 20.1 spawns the new workers and SIGTERMs the old ones at once. The table shows what each
// order costs in requests/s, failed requests and latency, while the reloads happen. It also records,
// for each HUP row's median round, the good responses in every 250 ms of the round with the moments
// the HUPs were sent ("series" in the JSON: the chapter's chart draws the dips). wrk has no such
// output, so a small Lua script counts responses per bucket of wall-clock time; every row runs with it
// (the steady ones too), so every row pays the same for the counting.
//
// BENCH_QUICK=1 npm run bench -- 9: one short round, to check that the script works; it prints the
// table and the JSON and leaves docs/data/bench-09-reload.json alone.
//
// Load comes from wrk (1 thread, Connection: close, like chapter 5's sync table); without wrk the
// benchmark says so and writes nothing. Every server runs in its own process group and is stopped
// (the whole group) however this script ends. Rows are measured in rounds (prefork steady, gunicorn
// steady, prefork HUP, gunicorn HUP, then again) so that a burst of other work on the machine hits
// every row alike, and each row shows its median round. After a HUP round the next round waits until
// the server is back to 2 booted workers and nothing else, so one row's reload never overlaps another
// row's round.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  QUICK,
  bootedPids,
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
  procStat,
  pythonVersion,
  ready,
  reportBusy,
  root,
  runWrk,
  round,
  sleep,
  startAll,
  startGunicorn,
  startPrefork,
  stop,
  wrk,
  wrkName,
  writeData,
  type Server,
  type WrkErrors,
  type WrkResult,
} from '../tools/bench-kit.ts';

const dataFile = join(root, 'docs', 'data', 'bench-09-reload.json');
// Chapter 5's gunicorn app, started the way chapter 5's bench starts it (from that folder).
const gunicornDir = join(root, 'chapters', '05-prefork', 'bench');

const WORKERS = 2;
const CONNECTIONS = 20;
const WARMUP_S = QUICK ? 1 : 2;
const DURATION_S = QUICK ? 4 : 10;
const ROUNDS = QUICK ? 1 : 3;
const HUP_EVERY_S = 2;
/** How long a server may take to be back to WORKERS booted workers after a HUP round. */
const SETTLE_S = 40;

/** The width of a bucket of the per-round timeline. */
const BUCKET_MS = 250;

const loadGenerator = `${wrkName ?? 'wrk (not installed)'}, 1 thread, ${CONNECTIONS} connections, Connection: close, ${DURATION_S} s per round after a ${WARMUP_S} s warm-up, loopback, good responses counted per ${BUCKET_MS} ms by a Lua script`;

// ---------------------------------------------------------------------------------------------------
// The timeline: good responses per bucket of wall-clock time, counted inside wrk

const scriptDir = mkdtempSync(join(tmpdir(), 'prefork-bench09-'));
process.on('exit', () => rmSync(scriptDir, { recursive: true, force: true }));
const timelineScript = join(scriptDir, 'timeline.lua');
// Buckets are numbered by CLOCK_REALTIME (the clock Date.now() reads) through LuaJIT's ffi, since Lua's
// os.time() only has whole seconds; each wrk thread counts its own, and done() adds them up and prints
// "bucket N COUNT" lines after wrk's report. A status below 400 is a good response, as wrk counts them.
writeFileSync(
  timelineScript,
  `local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local now = ffi.new("bench_timespec")
counts = {}
function response(status, headers, body)
  if status < 400 then
    ffi.C.clock_gettime(0, now)
    local b = math.floor((tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6) / ${BUCKET_MS})
    counts[b] = (counts[b] or 0) + 1
  end
end
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for b, n in pairs(t:get("counts")) do total[b] = (total[b] or 0) + n end
  end
  for b, n in pairs(total) do io.write(string.format("bucket %.0f %d\\n", b, n)) end
end
`,
);

/**
 * The script's counts as [seconds since startMs, good responses per second], one per bucket that lies
 * wholly inside the round (the first and last are cut by its start and end); a bucket without a single
 * response is there with 0, which is exactly what the chart must show.
 */
function readTimeline(output: string, startMs: number, seconds: number): [number, number][] {
  const counts = new Map<number, number>();
  for (const m of output.matchAll(/^bucket (\d+) (\d+)$/gm)) counts.set(Number(m[1]), Number(m[2]));
  if (counts.size === 0) throw new Error(`wrk printed no per-bucket counts (is its Lua LuaJIT, with ffi?):\n${output.slice(-1000)}`);
  const points: [number, number][] = [];
  for (let b = Math.ceil(startMs / BUCKET_MS); (b + 1) * BUCKET_MS <= startMs + seconds * 1000; b++) {
    points.push([round((b * BUCKET_MS - startMs) / 1000, 3), ((counts.get(b) ?? 0) * 1000) / BUCKET_MS]);
  }
  return points;
}

// ---------------------------------------------------------------------------------------------------
// Servers: how a reload shows in their workers

/** /proc/PID/stat: [state, ppid], or null once the process is gone. Linux only. */
function procState(pid: number): { state: string; ppid: number } | null {
  const f = procStat(pid);
  return f ? { state: f[0]!, ppid: Number(f[1]) } : null;
}

/** Booted workers still running under the master. */
const liveWorkers = (server: Server): number[] =>
  bootedPids(server.output()).filter((pid) => {
    const p = procState(pid);
    return p !== null && p.state !== 'Z' && p.ppid === server.child.pid;
  });

/**
 * After a HUP round: waits until the server is back to WORKERS booted workers (the old ones gone, the
 * last reload's new ones up) for half a second in a row, and serves the page.
 */
async function settle(server: Server): Promise<void> {
  const deadline = Date.now() + SETTLE_S * 1000;
  let stableSince = 0;
  let lastBoots = -1;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited\n${server.output().slice(-2000)}`);
    const boots = bootedPids(server.output()).length;
    const ok = liveWorkers(server).length === WORKERS && boots === lastBoots;
    lastBoots = boots;
    if (!ok) stableSince = 0;
    else if (stableSince === 0) stableSince = Date.now();
    else if (Date.now() - stableSince >= 500) break;
    if (Date.now() > deadline) throw new Error(`${server.name}: not back to ${WORKERS} workers ${SETTLE_S} s after the round (live: ${liveWorkers(server).join(', ')})\n${server.output().slice(-2000)}`);
    await sleep(100);
  }
  await ready(server);
}

// ---------------------------------------------------------------------------------------------------
// Load: wrk, with a HUP to the master every HUP_EVERY_S seconds when asked

interface Round extends WrkResult {
  /** SIGHUPs sent during the round. */
  hups: number;
  /** "Hang up: Master" lines the master logged during the round. */
  hangUps: number;
  /** Workers that booted during the round (a reload boots WORKERS of them). */
  boots: number;
  /** Server CPU time per request, in µs (every process of its group, the reaped ones included). */
  cpuUs: number;
  /** [seconds into the round, good responses per second] per BUCKET_MS. */
  timeline: [number, number][];
  /** Seconds into the round at which each SIGHUP was sent. */
  hupAt: number[];
}

const errorCount = (e: WrkErrors): number => e.connect + e.read + e.write + e.timeout + e.non2xx;

async function runRound(server: Server, seconds: number, hupEvery: number | null): Promise<Round> {
  const logFrom = server.output().length;
  const cpuBefore = groupCpuMs(server.child.pid!);
  const startMs = Date.now();
  const load = runWrk(server.url, seconds, CONNECTIONS, true, timelineScript);
  // SIGHUP at HUP_EVERY_S, 2 × HUP_EVERY_S, ... while wrk runs: 4 in a 10 s round.
  let running = true;
  let hups = 0;
  const hupAt: number[] = [];
  const timers: NodeJS.Timeout[] = [];
  if (hupEvery !== null) {
    for (let t = hupEvery; t < seconds; t += hupEvery) {
      timers.push(
        setTimeout(() => {
          if (!running) return;
          try {
            process.kill(server.child.pid!, 'SIGHUP');
            hups++;
            hupAt.push(round((Date.now() - startMs) / 1000, 3));
          } catch {
            // the master is gone: the round fails below
          }
        }, t * 1000),
      );
    }
  }
  let result: WrkResult;
  try {
    result = await load;
  } finally {
    running = false;
    for (const t of timers) clearTimeout(t);
  }
  const log = server.output().slice(logFrom);
  const cpuMs = groupCpuMs(server.child.pid!) - cpuBefore;
  if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited during the round\n${server.output().slice(-2000)}`);
  return {
    ...result,
    hups,
    hangUps: log.match(/Hang up: /g)?.length ?? 0,
    boots: bootedPids(log).length,
    cpuUs: (cpuMs * 1000) / Math.max(1, result.requests),
    timeline: readTimeline(result.output, startMs, seconds),
    hupAt,
  };
}

// ---------------------------------------------------------------------------------------------------
// Formatting

const errorWords = (e: WrkErrors): string =>
  errorCount(e) === 0 ? 'no errors' : `${e.connect} connect, ${e.read} read, ${e.write} write, ${e.timeout} timeout, ${e.non2xx} non-2xx`;
/** Reloads a round saw: full generations of new workers that booted during it. */
const reloads = (r: Round): number => r.boots / WORKERS;

// ---------------------------------------------------------------------------------------------------
// The run

interface Case {
  key: string;
  name: string;
  server: 'prefork' | 'gunicorn';
  hup: boolean;
  what: string;
  rounds: Round[];
  skipped?: string;
}

const startedAt = Date.now();
console.log(`Chapter 9 benchmark: reloads under load, prefork's sync worker vs gunicorn's, ${WORKERS} workers each, on ${machine}`);
if (!wrk) {
  console.log('wrk is not installed: this benchmark needs it (apt-get install wrk). Nothing measured; docs/data/bench-09-reload.json left unchanged.');
  process.exit(0);
}
if (!gunicorn) console.log('gunicorn is not installed: its rows are skipped (apt-get install gunicorn, or pip install gunicorn).');
if (QUICK) console.log('BENCH_QUICK: one short round, to check the script; docs/data/bench-09-reload.json is left unchanged.');
console.log(`Load: ${loadGenerator}; ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, each row shows its median round.`);
console.log(`"HUP every ${HUP_EVERY_S} s": SIGHUP to the master at ${HUP_EVERY_S} s, ${2 * HUP_EVERY_S} s, ... of each ${DURATION_S} s round.`);
const busyBefore = await reportBusy();

const gunicornWhat = `${gunicornVersion ?? 'gunicorn'}, Python ${pythonVersion()}`;
const gunicornSkip = gunicorn ? {} : { skipped: 'gunicorn is not installed' };
// Measured in this order in every round.
const cases: Case[] = [
  { key: 'prefork-steady', name: 'prefork sync worker, steady', server: 'prefork', hup: false, what: 'no signal', rounds: [] },
  { key: 'gunicorn-steady', name: 'gunicorn sync worker, steady', server: 'gunicorn', hup: false, what: `${gunicornWhat}; no signal`, rounds: [], ...gunicornSkip },
  { key: 'prefork-hup', name: `prefork sync worker, HUP every ${HUP_EVERY_S} s`, server: 'prefork', hup: true, what: 'new workers first, an old one retired per new one booted', rounds: [] },
  { key: 'gunicorn-hup', name: `gunicorn sync worker, HUP every ${HUP_EVERY_S} s`, server: 'gunicorn', hup: true, what: `${gunicornWhat}; new workers spawned and the old ones sent TERM at once`, rounds: [], ...gunicornSkip },
];

const servers = new Map<string, Server>();
const failures: string[] = [];

try {
  // 1. Start both servers, check that they serve the page, warm them up.
  const starters: [string, () => Promise<Server>][] = [
    ['prefork', () => startPrefork('prefork sync worker', helloApp, 'sync', WORKERS)],
    ...(gunicorn ? [['gunicorn', () => startGunicorn('gunicorn sync worker', gunicornDir, WORKERS)] as [string, () => Promise<Server>]] : []),
  ];
  await startAll(starters, servers, failures);
  for (const c of cases) if (!c.skipped && !servers.has(c.server)) c.skipped = 'its server did not start';
  const runnable = cases.filter((c) => !c.skipped);

  console.log(`\nWarm-up: ${WARMUP_S} s per server`);
  for (const s of servers.values()) {
    try {
      await runRound(s, WARMUP_S, null);
    } catch (err) {
      failures.push(`${s.name}, warm-up: ${errorText(err)}`);
    }
  }

  // 2. Rounds: every row once per round, in the same order; after a HUP round, the server settles.
  for (let r = 1; r <= ROUNDS; r++) {
    const line: string[] = [];
    for (const c of runnable) {
      const server = servers.get(c.server)!;
      try {
        const result = await runRound(server, DURATION_S, c.hup ? HUP_EVERY_S : null);
        c.rounds.push(result);
        const errs = errorCount(result.errors);
        line.push(`${c.key} ${fmt(result.rps)}${errs ? ` (${errs} errors)` : ''}${c.hup ? ` [${result.hups} HUP, ${fmt(reloads(result))} reloads]` : ''}`);
      } catch (err) {
        failures.push(`${c.name}, round ${r}: ${errorText(err)}`);
      }
      if (c.hup) {
        try {
          await settle(server);
        } catch (err) {
          failures.push(`${c.name}, after round ${r}: ${errorText(err)}`);
        }
      }
    }
    console.log(`round ${r}/${ROUNDS} (req/s): ${line.join(', ')}`);
  }
} finally {
  for (const s of servers.values()) await stop(s.child);
}

// ---------------------------------------------------------------------------------------------------
// Results

const byKey = new Map(cases.map((c) => [c.key, c]));
const median = (c: Case | undefined): Round | undefined => (c ? medianRound(c.rounds) : undefined);

// The rows, by server: each server's HUP row right under its steady row.
const order = ['prefork-steady', 'prefork-hup', 'gunicorn-steady', 'gunicorn-hup'];
const rowsOf = order.map((k) => byKey.get(k)!);
const present = rowsOf.filter((c) => median(c) !== undefined);
const base = median(present[0]);

const ratioOf = (num: string, den: string): number | null => {
  const a = median(byKey.get(num));
  const b = median(byKey.get(den));
  return a && b ? a.rps / b.rps : null;
};
const ratios = [
  { what: `prefork: HUP every ${HUP_EVERY_S} s / steady`, num: 'prefork-hup', den: 'prefork-steady' },
  { what: `gunicorn: HUP every ${HUP_EVERY_S} s / steady`, num: 'gunicorn-hup', den: 'gunicorn-steady' },
  { what: 'prefork / gunicorn, steady', num: 'prefork-steady', den: 'gunicorn-steady' },
  { what: `prefork / gunicorn, HUP every ${HUP_EVERY_S} s`, num: 'prefork-hup', den: 'gunicorn-hup' },
].flatMap((r) => {
  const got = ratioOf(r.num, r.den);
  return got === null ? [] : [{ what: r.what, got: round(got, 3) }];
});

const rows = present.map((c) => {
  const l = median(c)!;
  const steady = c.hup ? median(byKey.get(`${c.server}-steady`)) : undefined;
  const allErrors = c.rounds.reduce((n, x) => n + errorCount(x.errors), 0);
  const note =
    `${c.what}` +
    (c.hup ? `; median round: ${l.hups} HUP sent, ${l.hangUps} "Hang up" logged, ${fmt(reloads(l))} reloads done (${l.boots} workers booted during the round)` : '') +
    (steady ? `; ${(l.rps / steady.rps).toFixed(2)} of its steady req/s` : '') +
    `; max latency ${fmt(l.max)} ms; server CPU ${fmt(l.cpuUs)} µs per request` +
    `; rounds: ${c.rounds.map((x) => fmt(x.rps)).join(', ')} req/s` +
    (allErrors ? `; ERRORS per round: ${c.rounds.map((x) => errorWords(x.errors)).join(' / ')}` : '; no errors in any round');
  return {
    name: c.name,
    rps: round(l.rps, 0),
    p50: round(l.p50),
    p99: round(l.p99),
    ratio: round(l.rps / base!.rps, 3),
    cpuUsPerRequest: round(l.cpuUs, 1),
    max: round(l.max),
    errors: errorCount(l.errors),
    reloads: round(reloads(l), 1),
    note,
  };
});

const title = `Reloads under load: prefork's sync worker vs gunicorn's (${WORKERS} workers each, Connection: close), steady and with a HUP every ${HUP_EVERY_S} s`;
printTable(
  `${title}\nEach row: its median round. ratio = req/s / first row's. errors = wrk's socket errors + non-2xx responses in that round.`,
  ['server', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'HUPs', 'reloads', 'ratio', 'CPU µs/req', 'rounds (req/s)'],
  [
    ...present.map((c, i) => {
      const l = median(c)!;
      return [c.name, fmt(l.rps), fmt(l.p50), fmt(l.p99), fmt(l.max), String(errorCount(l.errors)), String(l.hups), c.hup ? fmt(reloads(l)) : '-', rows[i]!.ratio.toFixed(2), fmt(l.cpuUs), c.rounds.map((x) => fmt(x.rps)).join(' ')];
    }),
    ...rowsOf.filter((c) => c.skipped).map((c) => [c.name, '-', '-', '-', '-', '-', '-', '-', '-', '-', `skipped: ${c.skipped}`]),
  ],
);
for (const c of present) {
  const bad = c.rounds.filter((x) => errorCount(x.errors) > 0);
  if (bad.length) console.log(`ERRORS, ${c.name}: ${c.rounds.map((x) => errorWords(x.errors)).join(' / ')}`);
}
for (const r of ratios) console.log(`ratio: ${r.what}: ${r.got.toFixed(2)}`);

const notes = [
  `HUP every ${HUP_EVERY_S} s: SIGHUP to the master at ${HUP_EVERY_S} s, ${2 * HUP_EVERY_S} s, ... of each ${DURATION_S} s round; reloads = workers booted during the round / ${WORKERS}; after the round the server is left to settle before the next one starts.`,
  `errors = wrk's socket errors (connect, read, write, timeout) + non-2xx responses; req/s counts only the good responses.`,
  ...ratios.map((r) => `${r.what}: ${r.got.toFixed(2)}`),
  ...rowsOf.filter((c) => c.skipped).map((c) => `${c.name}: skipped (${c.skipped})`),
];
// Throughput during the reloads: each HUP row's median round, second by second, against its steady row.
const series = {
  what: `good responses per second, counted per ${BUCKET_MS} ms (each HUP row's median round)`,
  markLabel: 'HUP',
  bucketMs: BUCKET_MS,
  durationSeconds: DURATION_S,
  lines: present
    .filter((c) => c.hup)
    .map((c) => {
      const l = median(c)!;
      const steady = median(byKey.get(`${c.server}-steady`));
      return { name: c.name, ...(steady ? { steadyRps: round(steady.rps, 0) } : {}), marks: l.hupAt, points: l.timeline.map(([t, v]): [number, number] => [t, round(v, 0)]) };
    }),
};

const data = {
  title,
  measuredAt: measuredAt(),
  machine,
  node: process.version,
  loadGenerator,
  settings: { workers: WORKERS, connections: CONNECTIONS, warmupSeconds: WARMUP_S, durationSeconds: DURATION_S, rounds: ROUNDS, hupEverySeconds: HUP_EVERY_S },
  cpuBusyBeforePercent: round(busyBefore, 0),
  ratios,
  notes,
  rows,
  ...(series.lines.length ? { series } : {}),
};

const complete = rows.length > 0 && rowsOf.every((c) => c.skipped || median(c));
if (!QUICK && (!complete || failures.length)) {
  console.log('\ndocs/data/bench-09-reload.json left unchanged: a row failed.');
} else {
  console.log('');
  writeData(dataFile, data);
}

finish(startedAt, failures);
