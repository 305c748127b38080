// Exercise 5.4, graded twice: against a stand-in worker (a small script that reports what it was started
// with and follows a script of messages), then black-box, on the real master with your spawnWorker in.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, it } from 'vitest';
import { spawnWorker } from '@answers/05-prefork/spawn.ts';
import { parseAddress } from '../../../src/sock/address.ts';
import { bind, closeListeners, type Listener } from '../../../src/sock/bind.ts';
import type { WorkerBoot } from '../../../src/worker/boot.ts';
import type { WorkerEntry } from '../../../src/worker/entry.ts';
import type { ToMaster } from '../../../src/worker/main.ts';
import { check, describeReply, exchange, Expectation, checkKilledWorkerReplaced, checkStopsOnTerm, launch, stopAll, until, type Running } from '../tester.ts';

const dir = mkdtempSync(join(tmpdir(), 'prefork-spawn-'));
const entry: WorkerEntry = { file: join(import.meta.dirname, '..', 'targets', 'spawn-worker.mjs'), execArgv: ['--max-semi-space-size=1'] };
const live = 'npm run chapter 5 -- --mine';

let children: ChildProcess[] = [];
let listeners: Listener[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  closeListeners(listeners);
  children = [];
  listeners = [];
  await stopAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


// --- against a stand-in worker -----------------------------------------------------------------------

interface Fake {
  /** Copies of listener 0 to ask for (after asking for listener 3, which the master does not have). */
  copies: number;
  /** Messages to send once listening (or at once, with no copies). */
  then?: ToMaster[];
  exitCode?: number;
}

interface Heard {
  booted: number[];
  // >>> chapter 8
  beats: number[];
  // <<< chapter 8
  listenErrors: [number, string][];
  exits: [number, number | null, NodeJS.Signals | null][];
}

interface Started {
  child: ChildProcess;
  boot: WorkerBoot;
  heard: Heard;
  listener: Listener;
  /** What the stand-in worker was started with, once it has written it. */
  report(): { pid: number; boot: unknown; argv: string[]; execArgv: string[]; ipc: boolean } | null;
}

let reports = 0;
function start(fake: Fake, procName = 'spawn-test'): Started {
  const listener = bind(parseAddress('127.0.0.1:0'));
  listeners.push(listener);
  const heard: Heard = {
    booted: [],
    // >>> chapter 8
    beats: [],
    // <<< chapter 8
    listenErrors: [],
    exits: [],
  };
  const boot = {
    app: 'none', appKind: 'auto', cwd: process.cwd(), workerClass: 'sync', workerConnections: 1, keepalive: 2,
    limits: { requestLine: 4094, fields: 100, fieldSize: 8190 }, backlog: 64, listeners: 1, multiprocess: false,
    procName, age: 1, maxRequests: 0, logLevel: 'warning', fake,
  } as WorkerBoot;
  const file = join(dir, `report-${++reports}.json`);
  // Reaches the worker only through the environment the master passes on.
  process.env.SPAWN_TEST_REPORT = file;
  // The master's listeners are read when the worker asks: none yet at spawn time, one just after.
  let current: Listener[] = [];
  let child: ChildProcess;
  try {
    child = spawnWorker(entry, boot, () => current, {
      booted: (pid) => heard.booted.push(pid),
      // >>> chapter 8
      beat: (pid) => heard.beats.push(pid),
      // <<< chapter 8
      listenError: (pid, message) => heard.listenErrors.push([pid, message]),
      exit: (pid, code, signal) => heard.exits.push([pid, code, signal]),
    });
  } finally {
    delete process.env.SPAWN_TEST_REPORT;
  }
  current = [listener];
  children.push(child);
  return { child, boot, heard, listener, report: () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null) };
}

describe('exercise 5.4: spawnWorker, against a stand-in worker', () => {
  it('forks entry.file with its node options, an IPC channel, and the boot in PREFORK_WORKER beside the master\'s environment', async () => {
    const w = start({ copies: 0 });
    check(typeof w.child?.pid === 'number', 'spawnWorker did not return the child process (with its pid)', { expected: 'the ChildProcess that fork returns', got: String(w.child) });
    const wrote = await until(() => w.report() !== null, 10_000);
    check(wrote, 'the worker never reported how it was started: was it forked on entry.file, with the master\'s environment (process.env) passed on?', {
      expected: `node ${entry.execArgv.join(' ')} ${entry.file}, with process.env plus PREFORK_WORKER`,
      got: 'no report from the stand-in worker within 10 s',
    });
    const r = w.report()!;
    check(r.pid === w.child.pid, 'the child spawnWorker returned is not the worker that started', { expected: `pid ${w.child.pid}`, got: `pid ${r.pid}` });
    check(JSON.stringify(r.boot) === JSON.stringify(w.boot), 'the worker did not find its boot, as JSON, in PREFORK_WORKER (BOOT_ENV)', {
      expected: JSON.stringify(w.boot).slice(0, 120) + '...',
      got: JSON.stringify(r.boot)?.slice(0, 120) ?? 'nothing',
    });
    check(JSON.stringify(r.execArgv) === JSON.stringify(entry.execArgv), 'the worker did not run with the entry\'s node options (entry.execArgv)', {
      expected: JSON.stringify(entry.execArgv),
      got: JSON.stringify(r.execArgv),
    });
    check(r.ipc, 'the worker has no IPC channel (process.send is undefined in it)', { expected: 'an IPC channel, as child_process.fork opens one', got: 'none' });
  });

  it('makes room for the worker\'s process title on its command line (the arguments titleRoom gives)', async () => {
    const procName = 'a-rather-long-process-name/'.repeat(12);
    const w = start({ copies: 0 }, procName);
    check(await until(() => w.report() !== null, 10_000), 'the worker never reported how it was started (see the test above)', {});
    const r = w.report()!;
    const title = `prefork: worker [${procName}]`;
    const room = [process.execPath, ...r.execArgv, entry.file, ...r.argv].reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    check(room > Buffer.byteLength(title), 'the worker\'s command line is too short for its title: Linux would cut "prefork: worker [...]"', {
      expected: `the arguments from titleRoom(entry, boot) on the command line (${Buffer.byteLength(title)} bytes of title)`,
      got: `arguments ${JSON.stringify(r.argv)}: ${room} bytes of command line`,
    });
  });

  it('answers { cmd: "handles" } with that many copies of the socket, read from listeners() when asked', async () => {
    const w = start({ copies: 2 });
    const sent = 'the worker sent { cmd: "handles", listener: 3, count: 1 } (a listener the master does not have), then { cmd: "handles", listener: 0, count: 2 }';
    const booted = await until(() => w.heard.booted.length > 0 || w.heard.listenErrors.length > 0, 10_000);
    check(w.heard.listenErrors.length === 0, 'the worker got a message it should not have', { sent, expected: 'nothing for listener 3, two { cmd: "handle", listener: 0 } messages each with the socket', got: w.heard.listenErrors[0]?.[1] });
    check(booted, 'the worker asked for 2 copies of listening socket 0 and never said it booted: did it get them?', {
      sent,
      expected: 'two messages { cmd: "handle", listener: 0 }, each with listeners()[0].handle attached; then events.booted(pid)',
      got: 'no events.booted within 10 s',
    });
    check(JSON.stringify(w.heard.booted) === JSON.stringify([w.child.pid]), 'events.booted did not get the worker\'s pid', { expected: `[${w.child.pid}]`, got: JSON.stringify(w.heard.booted) });
    const reply = await exchange(w.listener.name, 'which worker?\n', { timeoutMs: 5_000 });
    check(reply.text.trim() === String(w.child.pid), 'a connection to the master\'s socket was not accepted by the worker that got the copies', {
      sent: `a connection to ${w.listener.name}`,
      expected: `the worker's pid, ${w.child.pid}`,
      got: describeReply(reply),
    });
  });

  it('turns the worker\'s messages into events, each with its pid', async () => {
    const then: ToMaster[] = [
      { cmd: 'booted' },
      // >>> chapter 8
      { cmd: 'beat' },
      // <<< chapter 8
      { cmd: 'listen-error', message: 'fake: cannot listen on 127.0.0.1:1' },
    ];
    const w = start({ copies: 0, then });
    const pid = w.child.pid;
    const sent = then.map((m) => JSON.stringify(m)).join(' then ');
    await until(() => w.heard.listenErrors.length > 0, 10_000);
    check(JSON.stringify(w.heard.booted) === JSON.stringify([pid]), 'the worker said { cmd: "booted" }, and events.booted was not called with its pid', { sent, expected: `booted(${pid})`, got: `booted calls: ${JSON.stringify(w.heard.booted)}` });
    // >>> chapter 8
    check(JSON.stringify(w.heard.beats) === JSON.stringify([pid]), 'the worker said { cmd: "beat" }, and events.beat was not called with its pid', { sent, expected: `beat(${pid})`, got: `beat calls: ${JSON.stringify(w.heard.beats)}` });
    // <<< chapter 8
    check(JSON.stringify(w.heard.listenErrors) === JSON.stringify([[pid, 'fake: cannot listen on 127.0.0.1:1']]), 'the worker said { cmd: "listen-error" }, and events.listenError was not called with its pid and message', {
      sent,
      expected: `listenError(${pid}, "fake: cannot listen on 127.0.0.1:1")`,
      got: `listenError calls: ${JSON.stringify(w.heard.listenErrors)}`,
    });
  });

  it('reports the worker\'s exit once, with its exit code', async () => {
    const w = start({ copies: 0, exitCode: 7 });
    const pid = w.child.pid;
    await until(() => w.heard.exits.length > 0, 10_000);
    // 'close' comes after 'exit': any second report would be in by then.
    if (w.child.exitCode === null) await new Promise((r) => w.child.once('close', r));
    check(JSON.stringify(w.heard.exits) === JSON.stringify([[pid, 7, null]]), 'the worker exited with code 7, and events.exit did not say so, once', {
      sent: 'the worker called process.exit(7)',
      expected: `exit(${pid}, 7, null), once`,
      got: `exit calls: ${JSON.stringify(w.heard.exits)}`,
    });
  });

  it('reports a worker killed by a signal: no code, the signal', async () => {
    const w = start({ copies: 1 });
    const pid = w.child.pid!;
    check(await until(() => w.heard.booted.length > 0, 10_000), 'the worker never said it booted (see the test on "handles")', {});
    process.kill(pid, 'SIGKILL');
    await until(() => w.heard.exits.length > 0, 10_000);
    check(JSON.stringify(w.heard.exits) === JSON.stringify([[pid, null, 'SIGKILL']]), 'a worker killed with kill -9 was not reported as killed by SIGKILL', {
      sent: `kill -9 ${pid}`,
      expected: `exit(${pid}, null, "SIGKILL")`,
      got: `exit calls: ${JSON.stringify(w.heard.exits)}`,
    });
  });
});

// --- black-box: the real master, with your spawnWorker ------------------------------------------------

const request = (ms: number): string => `GET /sleep?ms=${ms} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`;

/** The real `prefork` with 2 workers, or an Expectation that says in plain words why it did not start. */
async function startServer(extra: string[] = []): Promise<Running> {
  try {
    return await launch(['5.4'], 'src/prefork.mjs', ['test/exercises/targets/echo-app.ts:app', '-w', '2', '-b', '127.0.0.1:0', ...extra], { workers: 2 });
  } catch (err) {
    // launch says itself when a stub threw or the server stopped; what is left is a wait that ran out.
    if (err instanceof Expectation) throw err;
    const text = err instanceof Error ? err.message : String(err);
    const why = /PREFORK_WORKER is not set/.test(text)
      ? 'A worker started without its boot: PREFORK_WORKER was not in its environment'
      : /waiting for a connection/.test(text)
        ? 'The workers started, but no connection goes through: do they get copies of the socket when they ask?'
        : 'The master did not get 2 workers booting within 30 s';
    throw new Expectation(why, {
      sent: 'prefork test/exercises/targets/echo-app.ts:app -w 2 -b 127.0.0.1:0',
      expected: '"Listening at: ...", then "Booting worker with pid: N" from 2 workers, then a connection goes through',
      got: text.split('\n')[0],
      live,
      log: text,
    });
  }
}

/** Sends pairs of concurrent slow requests until every pid in `want` has answered; returns who answered. */
async function answeringPids(run: Running, want: number[], ms: number): Promise<Set<number>> {
  const seen = new Set<number>();
  const deadline = Date.now() + ms;
  while (want.some((p) => !seen.has(p)) && Date.now() < deadline) {
    // Two at once: a sync worker holds one connection at a time, so the other worker takes the second.
    const replies = await Promise.all([exchange(run.url, request(150), { timeoutMs: 5_000 }), exchange(run.url, request(150), { timeoutMs: 5_000 })]);
    for (const reply of replies) {
      check(reply.status === 200, 'a request to the server got no answer', { sent: request(150), expected: '"HTTP/1.1 200 OK" from one of the workers', got: describeReply(reply), live, log: run.log() });
      seen.add((JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as { pid: number }).pid);
    }
  }
  return seen;
}

describe('exercise 5.4: the real master, with your spawnWorker', () => {
  it('starts two workers, and both answer on the shared socket', async () => {
    const run = await startServer();
    const pids = run.workerPids();
    const seen = await answeringPids(run, pids, 15_000);
    check(pids.every((p) => seen.has(p)), 'both workers booted, but not both answered requests', {
      sent: `pairs of concurrent requests for 15 s: ${JSON.stringify(request(150))}`,
      expected: `answers from both workers, pids ${pids.join(' and ')}`,
      got: `answers from ${[...seen].join(', ') || 'nobody'}`,
      live: `${live}, then in another terminal: for i in 1 2 3 4 5 6; do curl -s <url>/; echo; done`,
      log: run.log(),
    });
  }, 60_000);

  it('reaps a worker killed with kill -9, and a new one boots and answers', async () => {
    const run = await startServer();
    const [victim, other] = run.workerPids() as [number, number];
    const fresh = await checkKilledWorkerReplaced(run, victim, {
      live,
      unnoticed: `The master did not notice that worker ${victim} died: is the worker's exit passed to events.exit?`,
      notReplaced: 'The master logged the death but no new worker booted',
    });
    const seen = await answeringPids(run, [other, fresh], 15_000);
    check(seen.has(fresh) && !seen.has(victim), 'the new worker does not answer requests', {
      sent: `pairs of concurrent requests after kill -9 ${victim}`,
      expected: `answers from ${other} and the new worker ${fresh}`,
      got: `answers from ${[...seen].join(', ') || 'nobody'}`,
      live: `${live}, then in another terminal: kill -9 <a worker's pid>`,
      log: run.log(),
    });
  }, 60_000);

  it('stops on TERM: exit code 0, and no worker left alive', async () => {
    await checkStopsOnTerm(await startServer(['--graceful-timeout', '5']), { suspect: 'does it hear its workers exit (events.exit)?', live });
  }, 60_000);
});
