// Exercise 9.3: the worker's signals. First in a bare process (only your two functions, with stand-ins
// that print what they were asked to do), then on the real server with your module in every worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, it } from 'vitest';
import { afterExit, until } from '../../../chapters/tools/stage.ts';
import { waitFor } from '../../helpers.ts';
import { check, describeReply, exchange, launch, stopAll, type Running } from '../tester.ts';

const repo = join(import.meta.dirname, '..', '..', '..');
const targets = join(repo, 'test', 'exercises', 'targets');
const answer = join(repo, process.env.PREFORK_ANSWERS === 'solutions' ? 'solutions' : 'exercises', '09-signals', 'worker-signals.ts');
const LIVE = "npm run chapter 9 -- --mine, then at \"Your turn\": curl -s '<url>/sleep?ms=5000' & sleep 1; kill -TERM <a worker's pid>";
const dir = mkdtempSync(join(tmpdir(), 'prefork-9.3-'));

// ---- a bare process: test/exercises/targets/worker-signals-child.ts ---------------------------------

interface Bare {
  child: ChildProcess;
  lines(): string[];
  /** What it printed and how it ended, for a message. */
  got(): string;
  ended(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const bare = new Set<ChildProcess>();

/** Starts the child with your module; `early` signals are sent while it holds. Resolves once it is ready. */
async function startBare(early: NodeJS.Signals[] = []): Promise<Bare> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(targets, 'worker-signals-child.ts'), answer, ...early], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  bare.add(child);
  let out = '';
  let err = '';
  let end: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = afterExit(child);
  void exited.then((e) => (end = e));
  const lines = (): string[] => out.split('\n').filter((l) => l !== '');
  const b: Bare = {
    child,
    lines,
    got: () => {
      const how = end ? (end.signal ? `, then it was killed by ${end.signal}` : `, then it exited with code ${end.code}`) : ', and it is still running';
      const printed = lines().length ? `it printed ${lines().map((l) => JSON.stringify(l)).join(', ')}` : 'it printed nothing';
      const stderr = err.trim() && !lines().some((l) => l.startsWith('threw')) ? ` (stderr: ${err.trim().split('\n').slice(0, 3).join(' | ')})` : '';
      return `${printed}${how}${stderr}`;
    },
    ended: () => end !== null,
    exited,
  };
  await until(() => lines().includes('ready') || end !== null, 15_000);
  // "threw in holdStopSignals(): Not implemented yet: ..." -> "holdStopSignals() threw: Not implemented yet: ..."
  const threw = /^threw in ([^:]+): (.*)$/.exec(lines().find((l) => l.startsWith('threw in ')) ?? '');
  check(!threw, `${threw?.[1]} threw: ${threw?.[2]}`, {
    expected: 'holdStopSignals(), handleWorkerSignals(actions) and release() to return',
    got: 'that exception, and the process ended',
  });
  const sent = early.length ? `kill -${early.map((s) => s.replace('SIG', '')).join(', then -')} to itself while holding` : undefined;
  check(lines().includes('ready'), early.length ? `A ${early.join(' and ')} that came while holding killed the process: holdStopSignals() must keep it` : 'The process did not get through holdStopSignals(), handleWorkerSignals() and release()', {
    ...(sent ? { sent } : {}),
    expected: 'the process to live on, and print "ready" once release() returned',
    got: b.got(),
  });
  return b;
}

/** The lines after "ready". */
const after = (b: Bare): string[] => b.lines().slice(b.lines().indexOf('ready') + 1);

afterEach(async () => {
  for (const c of bare) c.kill('SIGKILL');
  bare.clear();
  await stopAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exercise 9.3: the worker\'s signals, in a bare process', () => {
  it('TERM: stop() first, then exit(0), only once stop() has resolved', async () => {
    const b = await startBare();
    b.child.kill('SIGTERM');
    const stopped = await until(() => after(b).includes('stop') || b.ended(), 5000);
    check(stopped && !b.ended(), 'TERM did not call stop(): a TERM is the graceful stop', { sent: 'kill -TERM <pid>', expected: 'stop() to be called (it prints "stop")', got: b.got() });
    check(!after(b).some((l) => l.startsWith('exit')), 'TERM called exit() before stop() resolved: the requests in flight would be cut', { sent: 'kill -TERM <pid>', expected: 'exit(0) only after the promise of stop() resolves', got: b.got() });
    b.child.stdin!.write('finish\n');
    const end = await b.exited;
    check(end.code === 0 && after(b).join(',') === 'stop,exit 0', 'TERM: once stop() resolved, the worker should exit(0)', { sent: 'kill -TERM <pid>, then stop() resolves', expected: '"stop", then "exit 0", and exit code 0', got: b.got() });
  });

  it('INT and QUIT: onQuit(), then exit(0) at once, without stop()', async () => {
    for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
      const b = await startBare();
      b.child.kill(signal);
      const end = await Promise.race([b.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      check(end !== null && end.code === 0 && after(b).join(',') === 'onQuit,exit 0', `${signal.replace('SIG', '')}: the worker should run onQuit(), then exit(0) at once (a quick stop does not wait for requests)`, {
        sent: `kill -${signal.replace('SIG', '')} <pid>`,
        expected: '"onQuit", then "exit 0", and exit code 0, with no "stop"',
        got: b.got(),
      });
    }
  });

  it('ABRT: onAbort(), then exit(1)', async () => {
    const b = await startBare();
    b.child.kill('SIGABRT');
    const end = await Promise.race([b.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    check(end !== null && end.code === 1 && after(b).join(',') === 'onAbort,exit 1', 'ABRT (the master saw no heartbeat): the worker should run onAbort(), then exit(1)', {
      sent: 'kill -ABRT <pid>',
      expected: '"onAbort", then "exit 1", and exit code 1',
      got: b.got(),
    });
  });

  it('the master gone (IPC channel closed): "Parent changed, shutting down: PID", then as TERM', async () => {
    const b = await startBare();
    b.child.disconnect();
    const line = `log.info Parent changed, shutting down: ${b.child.pid}`;
    const stopped = await until(() => after(b).includes('stop') || b.ended(), 5000);
    check(stopped && !b.ended() && after(b).join(',') === `${line},stop`, 'When the IPC channel to the master closes, the worker should log it and stop gracefully', {
      sent: 'the parent closed the IPC channel (child.disconnect())',
      expected: `${JSON.stringify(line)} (at info level), then "stop"`,
      got: b.got(),
    });
    b.child.stdin!.write('finish\n');
    const end = await b.exited;
    check(end.code === 0 && after(b).at(-1) === 'exit 0', 'After a disconnect, once stop() resolved, the worker should exit(0)', { sent: 'disconnect, then stop() resolves', expected: '"exit 0"', got: b.got() });
  });

  it('a TERM that comes while holding is kept, and reaches the TERM handler once released', async () => {
    const b = await startBare(['SIGTERM']);
    const stopped = await until(() => after(b).includes('stop') || b.ended(), 5000);
    check(stopped && after(b).join(',') === 'stop', 'A TERM held during boot should reach the TERM handler after release()', {
      sent: 'kill -TERM to itself while holding, then handleWorkerSignals() and release()',
      expected: 'after "ready": "stop" (the held TERM, delivered again), and nothing else',
      got: b.got(),
    });
    b.child.stdin!.write('finish\n');
    check((await b.exited).code === 0, 'The held TERM should end as any TERM does: exit(0) once stop() resolved', { expected: '"exit 0"', got: b.got() });
  });

  it('a QUIT that comes while holding is kept, and reaches the QUIT handler once released', async () => {
    const b = await startBare(['SIGQUIT']);
    const end = await Promise.race([b.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    check(end !== null && end.code === 0 && after(b).join(',') === 'onQuit,exit 0', 'A QUIT held during boot should reach the QUIT handler after release()', {
      sent: 'kill -QUIT to itself while holding, then handleWorkerSignals() and release()',
      expected: 'after "ready": "onQuit", then "exit 0"',
      got: b.got(),
    });
  });

  it('HUP is left alone: its default action still kills the worker (the master replaces it)', async () => {
    const b = await startBare();
    b.child.kill('SIGHUP');
    const end = await Promise.race([b.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    check(end !== null && end.signal === 'SIGHUP' && after(b).length === 0, 'HUP should keep its default action (as in gunicorn): no handler for it', {
      sent: 'kill -HUP <pid>',
      expected: 'the process killed by SIGHUP, having printed nothing after "ready"',
      got: b.got(),
    });
  });
});

// ---- the real server, with your module in its worker -------------------------------------------------

const echoApp = `${join(targets, 'echo-app.ts')}:app`;
const config = join(targets, 'worker-signals.config.ts');
let logs = 0;
let probing: Promise<void> | null = null;

interface Server {
  run: Running;
  /** The hooks that ran in worker `pid`, in order (from test/exercises/targets/worker-signals.config.ts). */
  fired(pid: number): string[];
}

/**
 * `prefork -c worker-signals.config.ts -w 1`, with your 9.3 module in the worker. `meanwhile` runs while
 * the server starts, with `fired` and the pids that ran post_fork so far (a worker that has its hooks).
 */
async function server(extra: string[] = [], opts: { app?: string; env?: Record<string, string>; meanwhile?: (forked: () => number[], fired: (pid: number) => string[]) => Promise<void> } = {}): Promise<Server> {
  // A module that throws would make every worker die at boot, and the server never start: say it at once.
  probing ??= startBare().then((b) => void b.child.kill('SIGKILL'));
  await probing;
  const file = join(dir, `hooks-${++logs}.log`);
  writeFileSync(file, '');
  const lines = (): string[][] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  const fired = (pid: number): string[] => lines().filter(([, p]) => Number(p) === pid).map(([name]) => name!);
  const forked = (): number[] => lines().filter(([name]) => name === 'post_fork').map(([, p]) => Number(p));
  const starting = launch(['9.3'], 'src/prefork.mjs', [opts.app ?? echoApp, '-c', config, '-w', '1', '-b', '127.0.0.1:0', ...extra], { workers: 1, env: { HOOK_LOG: file, ...opts.env } });
  if (opts.meanwhile) await Promise.race([opts.meanwhile(forked, fired), starting]);
  return { run: await starting, fired };
}

/** How worker `pid` left, from the log: "exiting" (its own line), "signal" (killed by one), "code", or null. */
function left(run: Running, pid: number): 'exiting' | 'signal' | 'code' | null {
  const log = run.log();
  if (log.includes(`Worker exiting (pid: ${pid})`)) return 'exiting';
  if (new RegExp(`Worker \\(pid:${pid}\\) was sent`).test(log)) return 'signal';
  if (log.includes(`Worker (pid:${pid}) exited with code`)) return 'code';
  return null;
}

const slowRequest = (ms: number): string => `GET /sleep?ms=${ms} HTTP/1.1\r\nHost: tester\r\n\r\n`;

describe('exercise 9.3: the worker\'s signals, on the real server', () => {
  it('TERM to a worker: the request in flight completes (200), the worker exits, the master boots another', async () => {
    const { run, fired } = await server();
    const [worker] = run.workerPids();
    const request = slowRequest(1500);
    const reply = exchange(run.url, request, { responses: 1, timeoutMs: 15_000 });
    await waitFor(() => fired(worker!).includes('pre_request'), 10_000, 'the request to reach the worker');
    process.kill(worker!, 'SIGTERM');
    const r = await reply;
    const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
    check(r.status === 200 && body.includes(`"pid":${worker}`), 'TERM to a worker cut the request it was serving: TERM should let it finish, then exit', {
      sent: [request, `then kill -TERM ${worker} (the worker) while the request runs`],
      expected: `"HTTP/1.1 200 OK" from worker ${worker}`,
      got: describeReply(r),
      live: LIVE,
      log: run.log(),
    });
    await until(() => left(run, worker!) !== null, 10_000);
    check(left(run, worker!) === 'exiting' && fired(worker!).includes('worker_exit'), 'After the TERM and its last request, the worker should leave through exit(0): "Worker exiting", worker_exit', {
      sent: `kill -TERM ${worker}`,
      expected: `"Worker exiting (pid: ${worker})" and the worker_exit hook`,
      got: `${left(run, worker!) === 'signal' ? 'the worker was killed by the signal' : left(run, worker!) === 'code' ? 'the worker exited with an error code' : 'the worker did not exit within 10 s'}; hooks that ran in it: ${fired(worker!).join(', ') || 'none'}`,
      live: LIVE,
      log: run.log(),
    });
    const replaced = await until(() => run.workerPids().length >= 2, 15_000);
    check(replaced, 'The master did not boot a new worker after the TERM', { expected: 'a second "Booting worker with pid:" line', got: 'none within 15 s', live: LIVE, log: run.log() });
  }, 60_000);

  it('QUIT, then INT, to a worker: worker_int runs and it exits at once, cutting its request', async () => {
    const { run, fired } = await server();
    const [first] = run.workerPids();
    const request = slowRequest(20_000);
    const reply = exchange(run.url, request, { responses: 1, timeoutMs: 30_000 });
    await waitFor(() => fired(first!).includes('pre_request'), 10_000, 'the request to reach the worker');
    process.kill(first!, 'SIGQUIT');
    const gone = await until(() => left(run, first!) !== null, 5000);
    check(gone && left(run, first!) === 'exiting', 'QUIT to a worker busy with a 20 s request: it should exit at once (a quick stop), through exit(0)', {
      sent: [request, `then kill -QUIT ${first} (the worker)`],
      expected: `"Worker exiting (pid: ${first})" within 5 s`,
      got: gone ? `the worker left, but ${left(run, first!) === 'signal' ? 'killed by the signal' : 'with an error code'}` : 'the worker was still there after 5 s',
      live: LIVE,
      log: run.log(),
    });
    const r = await reply;
    check(r.status === null && r.closed, 'After QUIT the worker should not finish its request', { sent: request, expected: 'the connection closed with no response', got: describeReply(r), log: run.log() });
    check(fired(first!).join(',') === 'post_fork,post_worker_init,pre_request,worker_int,worker_exit', 'QUIT: the worker should run worker_int (onQuit) before it exits', {
      sent: `kill -QUIT ${first}`,
      expected: 'hooks in the worker: post_fork, post_worker_init, pre_request, worker_int, worker_exit',
      got: `hooks in the worker: ${fired(first!).join(', ') || 'none'}`,
      live: LIVE,
      log: run.log(),
    });
    // The replacement, once it has booted: INT.
    await waitFor(() => run.workerPids().length >= 2, 15_000, 'a replacement worker');
    const second = run.workerPids()[1]!;
    await waitFor(() => fired(second).includes('post_worker_init'), 15_000, 'the replacement to load the app');
    process.kill(second, 'SIGINT');
    await until(() => left(run, second) !== null, 5000);
    check(left(run, second) === 'exiting' && fired(second).join(',') === 'post_fork,post_worker_init,worker_int,worker_exit', 'INT to a worker: it should run worker_int, then exit at once', {
      sent: `kill -INT ${second}`,
      expected: `"Worker exiting (pid: ${second})"; hooks in the worker: post_fork, post_worker_init, worker_int, worker_exit`,
      got: `${left(run, second) ?? 'still running'}; hooks in the worker: ${fired(second).join(', ') || 'none'}`,
      live: LIVE,
      log: run.log(),
    });
  }, 60_000);

  it('TERM to the master during a request: a graceful stop, the request completes and the master exits 0', async () => {
    const { run, fired } = await server(['--graceful-timeout', '5']);
    const [worker] = run.workerPids();
    const request = slowRequest(1500);
    const reply = exchange(run.url, request, { responses: 1, timeoutMs: 15_000 });
    await waitFor(() => fired(worker!).includes('pre_request'), 10_000, 'the request to reach the worker');
    run.signal('SIGTERM');
    const r = await reply;
    const end = await Promise.race([run.exited, new Promise<null>((res) => setTimeout(() => res(null), 15_000))]);
    check(r.status === 200 && end?.code === 0 && left(run, worker!) === 'exiting', 'TERM to the master: the master sends TERM to its workers, which should finish their requests, then exit 0', {
      sent: [request, 'then kill -TERM <master pid> while the request runs'],
      expected: `"HTTP/1.1 200 OK", "Worker exiting (pid: ${worker})", and the master's exit code 0`,
      got: `${describeReply(r)}; the worker: ${left(run, worker!) ?? 'no exit line'}; the master: ${end ? `exit code ${end.code}${end.signal ? `, signal ${end.signal}` : ''}` : 'still running after 15 s'}`,
      live: LIVE,
      log: run.log(),
    });
  }, 60_000);

  it('TERM to a worker still loading the app is held, then handled: worker_exit, not death by signal', async () => {
    // The app's import waits until the gate file exists: the worker is loading it until the test says so.
    const gate = join(dir, `gate-${logs + 1}`);
    let worker: number | undefined;
    const { run, fired } = await server([], {
      app: `${join(targets, 'worker-signals-slow-app.ts')}:app`,
      env: { BOOT_GATE: gate },
      // post_fork has run: the worker has its hooks, and is now importing the app, until the gate opens.
      meanwhile: async (forked) => {
        await waitFor(() => forked().length > 0, 20_000, 'a worker to run post_fork');
        worker = forked()[0]!;
        process.kill(worker, 'SIGTERM');
        writeFileSync(gate, '');
      },
    });
    check(worker !== undefined, 'No worker ran post_fork before the server was ready', { got: run.log() });
    await until(() => left(run, worker!) !== null, 15_000);
    check(left(run, worker!) === 'exiting' && fired(worker!).join(',') === 'post_fork,post_worker_init,worker_exit', 'A TERM that reaches a worker while it loads the app should be held, then handled as a TERM once the handlers exist', {
      sent: `kill -TERM ${worker} (the worker), while it is still importing the app`,
      expected: `the app loads (post_worker_init), then "Worker exiting (pid: ${worker})" and worker_exit`,
      got: `${left(run, worker!) === 'signal' ? `the worker was killed by the TERM ("Worker (pid:${worker}) was sent SIGTERM!")` : (left(run, worker!) ?? 'the worker did not leave within 15 s')}; hooks in the worker: ${fired(worker!).join(', ') || 'none'}`,
      live: LIVE,
      log: run.log(),
    });
  }, 60_000);
});
