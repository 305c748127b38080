// Stage 6: hooks. First the story from the hooks post (chapter 6's sources): a scheduler started when the
// app module is imported runs once per worker (4 workers, 4 schedulers); moved into on_starting, it runs
// once, in the master. The stage counts both. Then it shows every hook that fires (boot, a request, INT and
// kill -9 on a worker, TERM on the master), in order, with the process that ran it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checklist, heading, narrate, note, request, section, stageArgs, followMaster, until, startPrefork, ProcessGroups, type StageServer } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const file = (name: string): string => relative(process.cwd(), join(here, name));
const appWithScheduler = file('app-with-scheduler.ts');
const app = file('app.ts');
const config = file('prefork.config.ts');
// Absolute, for the server: the workers import the config file by this name, from their bundle.
const configPath = join(here, 'prefork.config.ts');
const workers = 4;
const tmp = mkdtempSync(join(tmpdir(), 'prefork-ch6-'));
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** One "[hook] NAME ran in pid PID (DETAIL)" line of the log. */
interface HookLine {
  name: string;
  pid: number;
  detail: string;
}

interface Running extends StageServer {
  hooks(): HookLine[];
  /** The lines the scheduler and the config file wrote to the shared file. */
  events(): string[];
  schedulerLog: string;
}

// Every server runs in its own process group (detached), so that whatever happens to this stage, the
// master and all its workers can be killed at once: nothing outlives the stage.
const groups = new ProcessGroups();
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
});

const HOOK_LINE = /\[hook\] (\w+) ran in pid (\d+)(?: \((.*)\))?$/;

/** Starts `prefork`; resolves once `workers` workers booted and the socket takes connections (or it exited). */
async function prefork(name: string, extra: string[], echo: boolean): Promise<Running> {
  const schedulerLog = join(tmp, `${name}.log`);
  const server = await startPrefork(groups, extra, {
    workers,
    env: { SCHEDULER_LOG: schedulerLog, SCHEDULER_EVERY_MS: args.once ? '200' : '2000' },
    echo: echo ? (line) => (HOOK_LINE.test(line) ? console.log(`    ${bold(line)}`) : note(`    ${line}`)) : undefined,
  });
  return {
    ...server,
    schedulerLog,
    hooks: () =>
      server.log.flatMap((l) => {
        const m = HOOK_LINE.exec(l);
        return m ? [{ name: m[1]!, pid: Number(m[2]), detail: m[3] ?? '' }] : [];
      }),
    events: () => (existsSync(schedulerLog) ? readFileSync(schedulerLog, 'utf8').split('\n').filter(Boolean) : []),
  };
}


const starts = (s: Running): number[] => s.events().flatMap((l) => /^scheduler started by pid (\d+)/.exec(l)?.[1] ?? []).map(Number);
const jobs = (s: Running): number[] => s.events().flatMap((l) => /^job ran in pid (\d+)/.exec(l)?.[1] ?? []).map(Number);
const evaluations = (s: Running): number[] => s.events().flatMap((l) => /^config file evaluated in pid (\d+)/.exec(l)?.[1] ?? []).map(Number);
const distinct = (pids: number[]): number[] => [...new Set(pids)];
const named = (hooks: HookLine[], name: string): HookLine[] => hooks.filter((h) => h.name === name);

/** "master 4300" or "worker 4312". */
function who(s: Running, pid: number): string {
  return pid === s.pid ? `master ${pid}` : `worker ${pid}`;
}

function printHooks(s: Running, hooks: HookLine[], from = 0): void {
  hooks.slice(from).forEach((h, i) => {
    console.log(`  ${String(from + i + 1).padStart(3)}. ${h.name.padEnd(17)} ${who(s, h.pid).padEnd(14)} ${h.detail}`);
  });
}

// ---- part 1: the scheduler, at import time and in on_starting ---------------------------------------

async function schedulerAtImport(): Promise<{ server: Running; pids: number[]; jobPids: number[] }> {
  const server = await prefork('at-import', [appWithScheduler, '-w', String(workers), '-b', `${args.host}:0`], false);
  if (!server.url) return { server, pids: [], jobPids: [] };
  await until(() => starts(server).length >= workers);
  // Let the job run a few times, in whichever processes have a scheduler.
  await until(() => distinct(jobs(server)).length >= workers, args.once ? 5_000 : 6_000);
  const result = { server, pids: starts(server), jobPids: distinct(jobs(server)) };
  process.kill(server.pid, 'SIGTERM');
  await server.exited;
  return result;
}

function failedToStart(server: Running, code: number | string): never {
  for (const line of server.log) console.error(`    ${line}`);
  console.error(`prefork did not start (exit code ${code}).`);
  process.exit(1);
}

if (args.once) process.exit(await scenario());

heading('Chapter 6 — Hooks');
narrate([
  `First, the mistake: ${appWithScheduler} starts a scheduler when it is imported, and every worker imports it.`,
  `$ npx prefork ${appWithScheduler}:app -w ${workers}`,
]);
const before = await schedulerAtImport();
if (!before.server.url) failedToStart(before.server, await before.server.exited);
narrate([
  `  scheduler started ${bold(`${before.pids.length} times`)}: pids ${before.pids.join(', ')} (the master was ${before.server.pid})`,
  `  the job ran in ${before.jobPids.length} different processes: every job runs ${before.jobPids.length} times`,
  '',
  `Now the fix: ${app} has no scheduler; ${config} starts it in on_starting, which runs once, in the master.`,
  `$ npx prefork -c ${configPath} ${app}:app -w ${workers} -b ${args.host}:${args.port}`,
  '',
]);
let server = await prefork('on-starting', ['-c', configPath, app, '-w', String(workers), '-b', `${args.host}:${args.port}`], true);
if (!server.url && server.log.some((l) => l.includes('Connection in use')) && args.port !== 0) {
  console.log(`(port ${args.port} is in use, taking a free one instead)`);
  server = await prefork('on-starting-2', ['-c', configPath, app, '-w', String(workers), '-b', `${args.host}:0`], true);
}
if (!server.url) failedToStart(server, await server.exited);
await until(() => named(server.hooks(), 'post_worker_init').length >= workers, 5_000);
const after = starts(server);
narrate([
  '',
  `  scheduler started ${bold(`${after.length} time${after.length === 1 ? '' : 's'}`)}: pid ${after.join(', ')} (the master is ${server.pid})`,
  `  the config file was evaluated in ${distinct(evaluations(server)).length} processes: the master, and again in each worker`,
  '',
  'The hooks so far, in order:',
]);
printHooks(server, server.hooks());
const bootCount = server.hooks().length;
narrate([
  '',
  'Try these in another terminal; the hook lines appear here in bold as they run.',
  '',
  'A request: pre_request and post_request run in the worker that serves it:',
  `$ curl -s ${server.url}/`,
  '',
  'INT (or QUIT) to one worker: worker_int, then worker_exit in it; child_exit in the master; then a new',
  'worker (pre_fork, post_fork, post_worker_init):',
  `$ kill -INT ${server.workerPids()[0]}`,
  '',
  'kill -9: the worker runs nothing at all, no worker_exit; only the master\'s child_exit sees it go:',
  `$ kill -9 ${server.workerPids()[1]}`,
  '',
  'The scheduler\'s job, once every 2 s, always from the master\'s pid, however many workers come and go:',
  `$ tail -f ${server.schedulerLog}`,
  '',
  'Stop the server (or press Ctrl-C here): worker_exit in each worker, child_exit for each, on_exit last:',
  `$ kill -TERM ${server.pid}`,
]);
const running = server;
followMaster(running, (code) => {
  console.log(`\nThe master exited with code ${code}. Every hook since the boot:`);
  printHooks(running, running.hooks(), bootCount);
});

// ---- --once ----------------------------------------------------------------------------------------

async function scenario(): Promise<number> {
  heading('Chapter 6 scenario');
  const list = new Checklist();

  section(`The scheduler, started when the app module is imported (${appWithScheduler}, -w ${workers}):`);
  const before = await schedulerAtImport();
  if (!before.server.url) failedToStart(before.server, await before.server.exited);
  console.log(`  scheduler started ${before.pids.length} times, by pids ${before.pids.join(', ')}; the master is ${before.server.pid}`);
  list.check(`at import time: ${workers} scheduler starts, one per worker`, before.pids.length === workers, `${before.pids.length} starts`);
  list.check('none of them in the master', !before.pids.includes(before.server.pid) && before.pids.every((p) => before.server.workerPids().includes(p)));
  list.check(`the job ran in ${workers} processes: every job ${workers} times`, before.jobPids.length === workers, `job pids ${before.jobPids.join(', ')}`);

  section(`The scheduler, started in on_starting (${config}):`);
  const server = await prefork('on-starting', ['-c', configPath, app, '-w', String(workers), '-b', `${args.host}:0`], false);
  if (!server.url) failedToStart(server, await server.exited);
  await until(() => named(server.hooks(), 'post_worker_init').length >= workers, 10_000);
  await until(() => jobs(server).length >= 2, 5_000);
  const after = starts(server);
  console.log(`  scheduler started ${after.length} time${after.length === 1 ? '' : 's'}, by pid ${after.join(', ')}; the master is ${server.pid}`);
  list.check('in on_starting: 1 scheduler start, in the master', after.length === 1 && after[0] === server.pid, `${after.length} start(s)`);
  list.check('its job runs only in the master', jobs(server).length > 0 && jobs(server).every((p) => p === server.pid), `${jobs(server).length} jobs so far`);
  const evaluated = distinct(evaluations(server));
  list.check(
    `the config file's top-level code ran ${workers + 1} times: master + each worker`,
    evaluated.length === workers + 1 && evaluated.includes(server.pid),
    `pids ${evaluated.join(', ')}`,
  );

  console.log('\nHooks at boot:');
  let hooks = server.hooks();
  printHooks(server, hooks);
  const first = server.workerPids().slice(0, workers);
  list.check(
    'nworkers_changed, on_starting, when_ready: first, in that order, in the master',
    hooks.slice(0, 3).map((h) => h.name).join() === 'nworkers_changed,on_starting,when_ready' && hooks.slice(0, 3).every((h) => h.pid === server.pid),
  );
  list.check(`pre_fork ran ${workers} times, in the master`, named(hooks, 'pre_fork').length === workers && named(hooks, 'pre_fork').every((h) => h.pid === server.pid));
  list.check(
    'each worker ran post_fork, then post_worker_init, in its own process',
    first.every((pid) => hooks.filter((h) => h.pid === pid).map((h) => h.name).join() === 'post_fork,post_worker_init'),
  );
  list.check('a pre_fork in the master before each post_fork', first.every((pid) => hooks.findIndex((h) => h.name === 'post_fork' && h.pid === pid) > hooks.findIndex((h) => h.name === 'pre_fork')));

  let mark = hooks.length;
  const answer = await request(server.url);
  const servedBy = Number(/served by pid (\d+)/.exec(answer.text)?.[1]);
  await until(() => named(server.hooks().slice(mark), 'post_request').length > 0, 5_000);
  hooks = server.hooks();
  section(`One request (GET /, answered by worker ${servedBy}):`);
  printHooks(server, hooks, mark);
  list.check('the request was answered', answer.status === 200 && Number.isInteger(servedBy), `status ${answer.status}`);
  const around = hooks.slice(mark);
  list.check(
    'pre_request, then post_request, in the worker that answered',
    around.map((h) => h.name).join() === 'pre_request,post_request' && around.every((h) => h.pid === servedBy),
    around.map((h) => `${h.name} in ${h.pid}`).join(', '),
  );

  mark = hooks.length;
  const interrupted = server.workerPids()[0]!;
  process.kill(interrupted, 'SIGINT');
  await until(() => named(server.hooks().slice(mark), 'post_worker_init').length >= 1);
  hooks = server.hooks();
  section(`kill -INT ${interrupted} (a worker):`);
  printHooks(server, hooks, mark);
  const own = hooks.slice(mark).filter((h) => h.pid === interrupted).map((h) => h.name);
  const exitSeen = hooks.findIndex((h, i) => i >= mark && h.name === 'child_exit' && h.detail.startsWith(`worker ${interrupted},`));
  list.check('INT: worker_int, then worker_exit, in that worker', own.join() === 'worker_int,worker_exit', own.join(', '));
  list.check('then child_exit in the master, and a new worker', exitSeen > hooks.findIndex((h) => h.name === 'worker_exit' && h.pid === interrupted) && hooks[exitSeen]?.pid === server.pid && server.workerPids().length === workers + 1);

  mark = hooks.length;
  const killed = server.workerPids()[1]!;
  process.kill(killed, 'SIGKILL');
  await until(() => named(server.hooks().slice(mark), 'post_worker_init').length >= 1);
  hooks = server.hooks();
  section(`kill -9 ${killed} (a worker):`);
  printHooks(server, hooks, mark);
  const childExit = hooks.slice(mark).find((h) => h.name === 'child_exit' && h.detail.startsWith(`worker ${killed},`));
  list.check('kill -9: child_exit ran in the master for that worker', childExit?.pid === server.pid);
  list.check('and nothing ran in the killed worker (no worker_exit)', hooks.slice(mark).every((h) => h.pid !== killed));

  mark = hooks.length;
  const live = server.workerPids().filter((p) => p !== interrupted && p !== killed);
  process.kill(server.pid, 'SIGTERM');
  const code = await server.exited;
  hooks = server.hooks();
  section(`kill -TERM ${server.pid} (the master):`);
  printHooks(server, hooks, mark);
  const stopping = hooks.slice(mark);
  list.check('TERM: the master exited with code 0', code === 0, `exit code ${code}`);
  list.check(`worker_exit ran in each of the ${live.length} workers`, live.every((pid) => stopping.some((h) => h.name === 'worker_exit' && h.pid === pid)));
  list.check(`child_exit ran ${live.length} times, in the master`, named(stopping, 'child_exit').length === live.length && named(stopping, 'child_exit').every((h) => h.pid === server.pid));
  list.check('on_exit ran last, in the master', hooks.at(-1)?.name === 'on_exit' && hooks.at(-1)?.pid === server.pid);
  list.check('after two replacement workers, still 1 scheduler start', starts(server).length === 1);
  return list.finish();
}
