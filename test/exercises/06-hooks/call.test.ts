import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { callHook, HookError } from '@answers/06-hooks/call.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { Logger } from '../../../src/log/logger.ts';
import { processAlive } from '../../helpers.ts';
import { check, describeReply, exchange, Expectation, launch, stopAll, type Reply, type Running } from '../tester.ts';

/** A logger that keeps what it was given, by level. */
function fakeLog(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warning: at('warning'), error: at('error'), critical: at('critical') };
}

const settingsWith = (hooks: Record<string, unknown>): Settings => ({ workers: 2, ...hooks }) as unknown as Settings;
/** Lets a rejected promise's handlers run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('exercise 6.1: callHook', () => {
  it('calls the hook with its arguments, in order, once', () => {
    const calls: unknown[][] = [];
    const server = { pid: 1 };
    const worker = { age: 3, pid: null };
    const settings = settingsWith({ pre_fork: (...args: unknown[]) => void calls.push(args) });
    const result = callHook(settings, 'pre_fork', [server, worker], fakeLog());
    expect(calls, 'the hook runs exactly once').toHaveLength(1);
    expect(calls[0], 'it gets the arguments spread out: pre_fork(server, worker)').toEqual([server, worker]);
    expect(calls[0]![0], 'the very objects, not copies').toBe(server);
    expect(result, 'callHook returns nothing').toBeUndefined();
  });

  it('does nothing when the config file has no such hook', () => {
    const log = fakeLog();
    const other: unknown[] = [];
    const settings = settingsWith({ on_starting: null, when_ready: () => void other.push('when_ready') });
    expect(() => callHook(settings, 'on_starting', [{}], log), 'a hook set to null (the default) is skipped').not.toThrow();
    expect(() => callHook(settings, 'on_exit', [{}], log), 'a hook that is not there at all is skipped').not.toThrow();
    expect(other, 'only the hook that was asked for may run, and it was not this one').toEqual([]);
    expect(log.lines, 'and nothing is logged').toEqual([]);
  });

  it('wraps what a hook throws in a HookError that names the hook', () => {
    const boom = new Error('no database');
    const settings = settingsWith({
      post_fork: () => {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      callHook(settings, 'post_fork', [{}, {}], fakeLog());
    } catch (err) {
      caught = err;
    }
    expect(caught, 'a hook that throws makes callHook throw').toBeDefined();
    expect(caught, 'what it throws is a HookError (exported by the same file)').toBeInstanceOf(HookError);
    const err = caught as HookError;
    expect(err.hook, 'err.hook is the name of the hook').toBe('post_fork');
    expect(err.message.startsWith('Exception in post_fork hook'), `the message starts with "Exception in post_fork hook", got: ${err.message}`).toBe(true);
    expect(err.message, 'the message includes what the hook threw').toContain('no database');
    expect(err.cause, 'err.cause is the original error').toBe(boom);
  });

  it('does not log a throw itself: the caller decides what it means', () => {
    const log = fakeLog();
    const settings = settingsWith({
      on_starting: () => {
        throw new Error('bad');
      },
    });
    expect(() => callHook(settings, 'on_starting', [{}], log), 'the throw comes back as a HookError').toThrow(HookError);
    expect(log.lines, 'callHook itself logs nothing for a hook that throws').toEqual([]);
  });

  it('does not wait for a promise, and logs its rejection with log.error instead of throwing', async () => {
    const log = fakeLog();
    let finished = false;
    const settings = settingsWith({
      when_ready: async () => {
        await settle();
        finished = true;
        throw new Error('late failure');
      },
    });
    expect(() => callHook(settings, 'when_ready', [{}], log), 'an async hook does not make callHook throw').not.toThrow();
    expect(finished, 'callHook returns at once: it does not wait for the promise').toBe(false);
    await settle();
    await settle();
    expect(finished, '(the hook did run to its end)').toBe(true);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors, 'the rejection is logged once, with log.error').toHaveLength(1);
    expect(errors[0]!.message, 'the line says which hook failed: "Exception in when_ready hook ..."').toMatch(/^Exception in when_ready hook/);
    expect(errors[0]!.message, 'and what it threw').toContain('late failure');
  });

  it('logs nothing for a promise that resolves', async () => {
    const log = fakeLog();
    const seen: string[] = [];
    const settings = settingsWith({ post_worker_init: async (w: { age: number }) => void seen.push(`age ${w.age}`) });
    callHook(settings, 'post_worker_init', [{ age: 1 }], log);
    await settle();
    expect(seen, 'the async hook ran with its argument').toEqual(['age 1']);
    expect(log.lines, 'a hook that succeeds leaves no log line').toEqual([]);
  });
});

// ---- Black-box: the real server, with your callHook in the master and in the workers ----------------

const CONFIG = join(import.meta.dirname, 'fixtures', 'record.config.ts');
const APP = 'test/exercises/targets/echo-app.ts:app';
const LIVE = 'npm run chapter 6 -- --mine (it logs a "[hook] NAME ran in pid PID" line for every hook it calls)';
const dir = mkdtempSync(join(tmpdir(), 'prefork-ex61-'));
let files = 0;
afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line of the hook file: which hook, in which process, and what its arguments said. */
interface Ran {
  name: string;
  pid: number;
  detail: string;
}

function ran(file: string): Ran[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', pid = '', ...rest] = line.split(' ');
      return { name, pid: Number(pid), detail: rest.join(' ') };
    });
}

/** The hooks as a reader wants them: "on_starting (master, server 1200), post_fork (worker 1234, age 1), ...". */
function told(list: Ran[], master: number): string {
  if (list.length === 0) return 'no hook ran at all';
  return list.map((r) => `${r.name} (${r.pid === master ? 'master' : `worker ${r.pid}`}${r.detail ? `, ${r.detail}` : ''})`).join(', ');
}

/** Polls until `condition` holds or `ms` pass; says which. */
async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Starts prefork with your callHook and the recording config; a start that fails is said in plain words. */
async function start(workers: number, env: Record<string, string> = {}): Promise<{ run: Running; file: string }> {
  const file = join(dir, `hooks-${++files}.log`);
  try {
    const run = await launch(['6.1'], 'src/prefork.mjs', [APP, '-w', String(workers), '-b', '127.0.0.1:0', '-c', CONFIG], { workers, env: { HOOK_LOG: file, ...env } });
    return { run, file };
  } catch (err) {
    throw new Expectation('The server stopped while starting, with your callHook in the master and the workers', {
      expected: `prefork to start: run the config file's hooks (one that fails is only logged, except at start-up) and boot ${workers} worker(s)`,
      got: `these hooks ran: ${told(ran(file), ran(file)[0]?.pid ?? -1)}; then the server stopped (its log below says why)`,
      live: LIVE,
      // launch's message is "The server stopped while starting. Its output:" and the output, indented.
      log: (err instanceof Error ? err.message : String(err)).replace(/^The server stopped while starting\. Its output:\n/, '').replace(/^ {4}\| /gm, ''),
    });
  }
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`;
/** The pid in the echo app's JSON answer, or null. */
const answeredBy = (r: Reply): number | null => {
  const m = /"pid":(\d+)/.exec(r.text);
  return m ? Number(m[1]) : null;
};

describe('exercise 6.1, black-box: prefork runs your callHook', () => {
  it('runs each hook at its moment and in its process: master start, each worker boot, a request, TERM', async () => {
    const { run, file } = await start(2);
    const master = run.child.pid!;
    const booted = await eventually(() => ran(file).filter((r) => r.name === 'post_worker_init').length >= 2, 10_000);
    check(booted, 'post_worker_init did not run in both workers once they had booted', {
      expected: 'post_fork then post_worker_init in each of the 2 workers',
      got: `these hooks ran: ${told(ran(file), master)}`,
      live: LIVE,
      log: run.log(),
    });

    const starting = ran(file).filter((r) => r.pid === master);
    const first = `nworkers_changed (master, 2), on_starting (master, server ${master}), when_ready (master, server ${master})`;
    check(
      told(starting.slice(0, 3), master) === first && starting[3]?.name === 'pre_fork',
      'the master did not run nworkers_changed, on_starting and when_ready first, in that order, with the server (or the new count) as first argument',
      { expected: `${first}, then pre_fork (master, age 1)`, got: `the master ran: ${told(starting, master)}`, live: LIVE, log: run.log() },
    );

    const all = ran(file);
    for (const pid of run.workerPids()) {
      const own = all.filter((r) => r.pid === pid);
      const age = own[0]?.detail;
      const forkedAt = all.findIndex((r) => r.name === 'pre_fork' && r.pid === master && r.detail === age);
      check(
        own[0]?.name === 'post_fork' && own[1]?.name === 'post_worker_init' && own[1].detail === age && forkedAt >= 0 && forkedAt < all.indexOf(own[0]),
        `worker ${pid}'s boot hooks are not right: the master runs pre_fork for it first, then the worker itself runs post_fork and post_worker_init`,
        { expected: `pre_fork (master, age N), then post_fork (worker ${pid}, age N), post_worker_init (worker ${pid}, age N)`, got: `in order: ${told(all, master)}`, live: LIVE, log: run.log() },
      );
    }

    const reply = await exchange(run.url, get('/hello'));
    check(reply.status === 200, 'GET /hello was not answered with 200', { sent: get('/hello'), expected: '"HTTP/1.1 200 OK" from the echo app', got: describeReply(reply), live: LIVE, log: run.log() });
    const worker = answeredBy(reply);
    const around = (): Ran[] => ran(file).filter((r) => r.name === 'pre_request' || r.name === 'post_request');
    await eventually(() => around().length >= 2, 5000);
    check(
      told(around(), master) === `pre_request (worker ${worker}, GET /hello), post_request (worker ${worker}, GET /hello 200)`,
      'pre_request and post_request did not run around the request, in the worker that answered it, with the request as their argument',
      { sent: get('/hello'), expected: `pre_request (worker ${worker}, GET /hello), post_request (worker ${worker}, GET /hello 200)`, got: told(around(), master), live: LIVE, log: run.log() },
    );

    run.signal('SIGTERM');
    const end = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    check(end?.code === 0, 'after TERM, the server did not stop by itself with exit code 0', {
      expected: 'each worker finishes and exits, then the master exits 0',
      got: end ? `exit code ${end.code}, signal ${end.signal}` : 'still running 15 s later',
      live: LIVE,
      log: run.log(),
    });
    const seen = ran(file);
    const after = seen.slice(seen.findIndex((r) => r.name === 'post_request') + 1);
    const exits = run.workerPids().map((pid) => after.filter((r) => r.pid === pid && r.name === 'worker_exit').length);
    check(
      exits.every((n) => n === 1) &&
        after.filter((r) => r.name === 'child_exit' && r.pid === master).length === 2 &&
        after.at(-1)?.name === 'on_exit' &&
        after.at(-1)?.pid === master &&
        Math.max(...run.workerPids().map((pid) => after.findIndex((r) => r.pid === pid && r.name === 'worker_exit'))) < after.findLastIndex((r) => r.name === 'child_exit'),
      'after TERM: each worker runs worker_exit, the master runs child_exit once per worker, and on_exit last of all',
      { expected: 'worker_exit (worker A), worker_exit (worker B), child_exit (master) twice, and on_exit (master) as the very last hook', got: `after the request: ${told(after, master)}`, live: `${LIVE}, then kill -TERM the master`, log: run.log() },
    );
  }, 60_000);

  it('a worker hook that throws (pre_request) is logged, fails only its request, and the worker keeps serving', async () => {
    const { run, file } = await start(1);
    const [worker] = run.workerPids();
    const first = await exchange(run.url, get('/hook-throws'));
    check(first.status === 500, 'a request whose pre_request hook throws did not get a 500', {
      sent: get('/hook-throws'),
      expected: '"HTTP/1.1 500 Internal Server Error": your callHook throws a HookError, and the connection answers as for an app that threw',
      got: `${describeReply(first)}; the hooks that ran: ${told(ran(file), run.child.pid!)}`,
      live: LIVE,
      log: run.log(),
    });
    const logged = await eventually(() => /Exception in pre_request hook/.test(run.log()) && run.log().includes('pre_request failed on purpose'), 5000);
    check(logged, 'the failing pre_request hook is not in the log as "Exception in pre_request hook" with its error', {
      sent: get('/hook-throws'),
      expected: 'a log line with "Exception in pre_request hook:" and the error the hook threw ("pre_request failed on purpose")',
      got: 'no such line (the server\'s log is below)',
      live: LIVE,
      log: run.log(),
    });
    const next = await exchange(run.url, get('/hello'));
    check(next.status === 200 && answeredBy(next) === worker && run.workerPids().length === 1, 'after its pre_request hook threw, the worker did not go on serving', {
      sent: get('/hello'),
      expected: `"HTTP/1.1 200 OK" from the same worker, pid ${worker} (no new worker booted)`,
      got: `${describeReply(next)}, answered by pid ${answeredBy(next)}; workers booted so far: ${run.workerPids().join(', ')}`,
      live: LIVE,
      log: run.log(),
    });
  }, 40_000);

  it('an async hook whose promise rejects (when_ready in the master, post_request in a worker) is logged and crashes nothing', async () => {
    const { run, file } = await start(1, { HOOK_REJECT: 'when_ready' });
    const master = run.child.pid!;
    const [worker] = run.workerPids();
    const inMaster = await eventually(() => /Exception in when_ready hook/.test(run.log()) && run.log().includes('when_ready rejected on purpose'), 5000);
    check(inMaster, 'when_ready returned a promise that rejected, and the log does not say "Exception in when_ready hook" with its error', {
      expected: 'a log line with "Exception in when_ready hook" and "when_ready rejected on purpose"; the master goes on',
      got: `no such line; the master is ${processAlive(master) ? 'still running' : 'gone'}`,
      live: LIVE,
      log: run.log(),
    });
    const reply = await exchange(run.url, get('/hook-rejects'));
    check(reply.status === 200, 'a request whose post_request hook rejects later did not get its 200', {
      sent: get('/hook-rejects'),
      expected: '"HTTP/1.1 200 OK": post_request runs after the response; its promise is not awaited',
      got: `${describeReply(reply)}; the hooks that ran: ${told(ran(file), master)}`,
      live: LIVE,
      log: run.log(),
    });
    const inWorker = await eventually(() => /Exception in post_request hook/.test(run.log()) && run.log().includes('post_request rejected on purpose'), 5000);
    check(inWorker, 'post_request returned a promise that rejected, and the log does not say "Exception in post_request hook" with its error', {
      sent: get('/hook-rejects'),
      expected: 'a log line with "Exception in post_request hook" and "post_request rejected on purpose"',
      got: 'no such line (an unhandled rejection would have killed the worker: see the log below)',
      live: LIVE,
      log: run.log(),
    });
    const next = await exchange(run.url, get('/hello'));
    check(next.status === 200 && answeredBy(next) === worker && run.workerPids().length === 1 && processAlive(master), 'after the rejected promises, the master or the worker did not carry on', {
      sent: get('/hello'),
      expected: `"HTTP/1.1 200 OK" from the same worker, pid ${worker}, and master ${master} still running`,
      got: `${describeReply(next)}, answered by pid ${answeredBy(next)}; workers booted so far: ${run.workerPids().join(', ')}; master ${processAlive(master) ? 'running' : 'gone'}`,
      live: LIVE,
      log: run.log(),
    });
  }, 40_000);
});
