// Stage 8: timeouts. The surprise of the settings post (chapter 8's sources), with real runs and `-t 2`: a
// sync worker is replaced when a request runs past the timeout, whether it is stuck in CPU work (SIGABRT
// cannot run, SIGKILL a second later) or only waiting on slow I/O (SIGABRT runs worker_abort); an async
// worker waiting on the same slow I/O keeps beating and finishes the request. Then max_requests + jitter
// under a stream of requests: workers retire and are replaced, and not one request fails.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PULSE_GAP_MS } from '../../src/worker/heartbeat.ts';
import { Checklist, heading, narrate, note, request, section, stageArgs, stopOnSignals, until, startPrefork, ProcessGroups, type StageServer } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const file = (path: string): string => relative(process.cwd(), path);
const appPath = join(here, '..', '04-worker', 'app.ts');
const app = file(appPath);
const configPath = join(here, 'prefork.config.ts');
const config = file(configPath);
const tmp = mkdtempSync(join(tmpdir(), 'prefork-ch8-'));
const abortLog = join(tmp, 'abort.log');
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

type Running = StageServer;

// Every server runs in its own process group (detached): whatever happens, the stage kills the master
// and all its workers at once, and nothing outlives it.
const groups = new ProcessGroups();
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts `prefork`; resolves once `workers` workers booted and the socket takes connections (or it exited). */
function prefork(extra: string[], workers: number, echo: boolean): Promise<Running> {
  const loud = /WORKER TIMEOUT|SIGKILL|worker_abort|exited with code|Autorestarting/;
  return startPrefork(groups, extra, {
    workers,
    env: { ABORT_LOG: abortLog },
    echo: echo ? (line) => (loud.test(line) ? console.log(`    ${bold(line)}`) : note(`    ${line}`)) : undefined,
  });
}


/** The first log line matching `re`: its match and when it arrived. */
function first(s: Running, re: RegExp): { m: RegExpExecArray; at: number } | undefined {
  for (let i = 0; i < s.log.length; i++) {
    const m = re.exec(s.log[i]!);
    if (m) return { m, at: s.at[i]! };
  }
  return undefined;
}

async function stopServer(s: Running): Promise<void> {
  try {
    process.kill(s.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const done = await Promise.race([s.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  if (!done) groups.killAll();
}

function failedToStart(s: Running): never {
  for (const line of s.log) console.error(`    ${line}`);
  console.error('prefork did not start.');
  process.exit(1);
}

/** The abort came no earlier than the timeout allows and within 3x of it. */
const timedOutInWindow = (ms: number): boolean => ms >= 2000 - PULSE_GAP_MS && ms < 6000;

const aborts = (): number[] =>
  existsSync(abortLog) ? readFileSync(abortLog, 'utf8').split('\n').flatMap((l) => /^worker_abort (\d+)$/.exec(l)?.[1] ?? []).map(Number) : [];

/** Sends a request that will not come back in time; resolves to its status, or 'cut off'. */
const doomed = (url: string): Promise<number | 'cut off'> => request(url).then((r) => r.status, () => 'cut off' as const);

// ---- the four runs -----------------------------------------------------------------------------------

interface Stuck {
  stuckPid: number;
  /** ms from the request to WORKER TIMEOUT, to the SIGKILL line (if any), to the replacement booting. */
  toAbort: number;
  toKill: number | null;
  toReplaced: number;
  exitedWith1: boolean;
  othersServed: number;
  outcome: number | 'cut off';
  aborted: boolean;
}

async function stuckSync(path: string, echo: boolean): Promise<Stuck | null> {
  const server = await prefork(['-c', configPath, app, '-w', '2', '-t', '2', '-b', `${args.host}:0`], 2, echo);
  if (!server.url) failedToStart(server);
  const initial = server.workerPids().slice(0, 2);
  const sent = Date.now();
  const outcome = doomed(`${server.url}${path}`);
  await until(() => first(server, /WORKER TIMEOUT \(pid:(\d+)\)/) !== undefined, 10_000);
  const timeout = first(server, /WORKER TIMEOUT \(pid:(\d+)\)/);
  if (!timeout) {
    await stopServer(server);
    return null;
  }
  const stuckPid = Number(timeout.m[1]);
  // The other worker still answers while its neighbour is being replaced.
  const other = await request(server.url).catch(() => null);
  await until(() => server.workerPids().length >= 3, 10_000);
  await until(() => first(server, new RegExp(`Worker \\(pid:${stuckPid}\\)`)) !== undefined, 5_000);
  const replaced = first(server, new RegExp(`Booting worker with pid: (?!(?:${initial.join('|')})\\b)\\d+`));
  const kill = first(server, new RegExp(`Worker \\(pid:${stuckPid}\\) was sent SIGKILL`));
  const result: Stuck = {
    stuckPid,
    toAbort: timeout.at - sent,
    toKill: kill ? kill.at - sent : null,
    toReplaced: replaced ? replaced.at - sent : NaN,
    exitedWith1: first(server, new RegExp(`Worker \\(pid:${stuckPid}\\) exited with code 1\\.`)) !== undefined,
    othersServed: other?.status === 200 && Number(other.text) !== stuckPid ? Number(other.text) : 0,
    outcome: await outcome,
    aborted: aborts().includes(stuckPid),
  };
  await stopServer(server);
  return result;
}

async function slowAsync(echo: boolean): Promise<{ status: number | 'cut off'; ms: number; timeouts: number }> {
  const server = await prefork([app, '-k', 'async', '-w', '1', '-t', '2', '-b', `${args.host}:0`], 1, echo);
  if (!server.url) failedToStart(server);
  const r = await request(`${server.url}/sleep?ms=6000`).then((x) => ({ status: x.status as number | 'cut off', ms: x.ms }), () => ({ status: 'cut off' as const, ms: NaN }));
  const timeouts = server.log.filter((l) => /WORKER TIMEOUT/.test(l)).length;
  await stopServer(server);
  return { ...r, timeouts };
}

async function recycling(echo: boolean): Promise<{ ok: number; failed: number; pids: number[]; restarts: number; ms: number }> {
  const server = await prefork([app, '-w', '2', '--max-requests', '20', '--max-requests-jitter', '5', '-b', `${args.host}:0`], 2, echo);
  if (!server.url) failedToStart(server);
  const total = 200;
  const concurrency = 4;
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        try {
          const r = await request(server.url);
          if (r.status === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const ms = Date.now() - started;
  const pids = server.workerPids();
  const restarts = server.log.filter((l) => /Autorestarting worker/.test(l)).length;
  await stopServer(server);
  return { ok, failed, pids, restarts, ms };
}

// ---- --once ------------------------------------------------------------------------------------------

if (args.once) process.exit(await scenario());

async function scenario(): Promise<number> {
  heading('Chapter 8 scenario');
  const list = new Checklist();

  section(`(a) sync worker, -t 2, GET /cpu?ms=8000 (stuck in CPU work):`);
  const cpu = await stuckSync('/cpu?ms=8000', false);
  if (!cpu) {
    list.check('WORKER TIMEOUT logged', false);
    return list.finish();
  }
  console.log(`  WORKER TIMEOUT after ${secs(cpu.toAbort)}, SIGKILL after ${cpu.toKill === null ? '-' : secs(cpu.toKill)}, replaced after ${secs(cpu.toReplaced)}`);
  // The worker beat when it took the request (PULSE_GAP_MS at most before it), so the master cannot
  // abort it before 2 s; it checks 4 times a second, and a busy machine adds its delays: 3x is allowed.
  list.check('WORKER TIMEOUT 2 s after the request, not before (allowed: up to 6 s)', timedOutInWindow(cpu.toAbort), secs(cpu.toAbort));
  list.check('then SIGKILL about 1 s later: SIGABRT could not run in a busy loop', cpu.toKill !== null && cpu.toKill - cpu.toAbort >= 700 && cpu.toKill - cpu.toAbort < 4000, cpu.toKill === null ? 'no SIGKILL line' : `${secs(cpu.toKill - cpu.toAbort)} after the abort`);
  list.check('worker_abort did not run in it', !cpu.aborted);
  list.check('a new worker booted before the 8 s of work were over', cpu.toReplaced < 8000, secs(cpu.toReplaced));
  list.check('the other worker kept serving meanwhile', cpu.othersServed > 0, `answered by ${cpu.othersServed}`);
  list.check('the stuck request got no answer', cpu.outcome === 'cut off', String(cpu.outcome));

  section(`(b) sync worker, -t 2, GET /sleep?ms=6000 (only waiting on slow I/O), with ${config}:`);
  const io = await stuckSync('/sleep?ms=6000', false);
  if (!io) {
    list.check('WORKER TIMEOUT logged', false);
    return list.finish();
  }
  console.log(`  WORKER TIMEOUT after ${secs(io.toAbort)}; worker_abort ran: ${io.aborted}; exited with code 1: ${io.exitedWith1}; replaced after ${secs(io.toReplaced)}`);
  list.check('a sync worker waiting on I/O is timed out too, 2 s after the request (allowed: up to 6 s)', timedOutInWindow(io.toAbort), secs(io.toAbort));
  list.check('worker_abort ran in that worker (its loop was free to run the SIGABRT handler)', io.aborted, `pid ${io.stuckPid}`);
  list.check('it exited with code 1, no SIGKILL needed', io.exitedWith1 && io.toKill === null);
  list.check('replaced, and the request was cut off', Number.isFinite(io.toReplaced) && io.outcome === 'cut off', `${secs(io.toReplaced)}, ${io.outcome}`);

  section('(c) async worker, -t 2, the same GET /sleep?ms=6000:');
  const slow = await slowAsync(false);
  console.log(`  status ${slow.status} after ${secs(slow.ms)}; WORKER TIMEOUT lines: ${slow.timeouts}`);
  list.check('the async worker kept beating: no WORKER TIMEOUT', slow.timeouts === 0);
  list.check('and the 6 s request completed with 200, three times the timeout', slow.status === 200 && slow.ms >= 6000, `${slow.status}, ${secs(slow.ms)}`);

  section('(d) 2 sync workers, --max-requests 20 --max-requests-jitter 5, 200 requests, 4 at a time:');
  const rec = await recycling(false);
  console.log(`  ${rec.ok} ok, ${rec.failed} failed in ${secs(rec.ms)}; ${rec.pids.length} workers booted in all (${rec.restarts} autorestarts)`);
  list.check('0 failed requests', rec.failed === 0 && rec.ok === 200, `${rec.ok} ok`);
  list.check('workers were replaced: at least 8 pids for 200 requests at 20-25 each', rec.pids.length >= 8 && new Set(rec.pids).size === rec.pids.length, `${rec.pids.length} pids`);
  list.check('each retirement said so ("Autorestarting worker after current request.")', rec.restarts >= 6, `${rec.restarts}`);
  return list.finish();
}

// ---- interactive --------------------------------------------------------------------------------------

heading('Chapter 8 — Timeouts');
narrate([
  'A sync worker tells the master it is alive when it takes a request, when it finishes one, and while',
  'it is idle; never during a request. With -t 2, a request that runs longer than 2 s gets its worker',
  'replaced, whether it burns CPU or only waits on a slow database. Requests under 2 s never do, however',
  'many come back to back.',
  '',
  `(a) A sync worker stuck in CPU work: $ curl ${'<url>'}/cpu?ms=8000`,
]);
const a = await stuckSync('/cpu?ms=8000', false);
if (a) {
  narrate([
    `    WORKER TIMEOUT (pid:${a.stuckPid}) after ${secs(a.toAbort)}; its SIGABRT handler never ran (the loop was busy),`,
    `    so the master sent ${bold('SIGKILL')} after ${a.toKill === null ? '-' : secs(a.toKill)}; a new worker booted after ${secs(a.toReplaced)}.`,
    '',
    '(b) A sync worker only waiting on I/O: GET /sleep?ms=6000',
  ]);
}
const b = await stuckSync('/sleep?ms=6000', false);
if (b) {
  narrate([
    `    WORKER TIMEOUT (pid:${b.stuckPid}) after ${secs(b.toAbort)} all the same; this time its loop was free:`,
    `    ${bold(`worker_abort ${b.aborted ? 'ran' : 'did NOT run'}`)}, it exited with code 1, the client was cut off (${b.outcome}).`,
    '',
    '(c) An async worker, the same slow request:',
  ]);
}
const c = await slowAsync(false);
narrate([
  `    status ${c.status} after ${secs(c.ms)}, ${c.timeouts} WORKER TIMEOUT: the async loop kept beating while it waited.`,
  '',
  'Now a server of your own: 2 sync workers, -t 2, the worker_abort hook of this chapter. Try:',
]);
const server = await prefork(['-c', configPath, app, '-w', '2', '-t', '2', '-b', `${args.host}:${args.port}`], 2, true);
if (!server.url) failedToStart(server);
narrate([
  '',
  'Run these in order; each replaced worker shows up above as a new "Booting worker" line.',
  `A worker you pause stops beating: WORKER TIMEOUT after 2 s; its SIGABRT waits (it is stopped), SIGKILL does not:`,
  `$ kill -STOP ${server.workerPids()[0]}`,
  'CPU work past the timeout: WORKER TIMEOUT, then SIGKILL a second later (no worker_abort):',
  `$ curl -s '${server.url}/cpu?ms=5000'`,
  'Waiting past the timeout: WORKER TIMEOUT, worker_abort runs, exit code 1:',
  `$ curl -s '${server.url}/sleep?ms=5000'`,
  'Under the timeout, back to back: nothing happens.',
  `$ for i in 1 2 3 4 5; do curl -s '${server.url}/sleep?ms=1500'; echo; done`,
  '',
  'max_requests with jitter, in another terminal (port 0: it prints the port it took, "Listening at: ..."):',
  `$ npx prefork ${app}:app -w 2 --max-requests 20 --max-requests-jitter 5 -b ${args.host}:0`,
  `Stop this server (or press Ctrl-C here): $ kill -TERM ${server.pid}`,
]);
stopOnSignals(() => stopServer(server));
void server.exited.then((code) => {
  console.log(`\nThe master exited with code ${code}.`);
  process.exit(0);
});
