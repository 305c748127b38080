// Exercise 4.3, the worker's loop. Two parts: the loop on its own in this process, with fake gates and
// real loopback sockets (what it does with the gates, open, onRequest, stop); then a real worker process
// with the learner's loop plugged in, driven over loopback like a client and with signals.
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { workerLoop, type LoopOptions, type WorkerLoop } from '@answers/04-worker/loops.ts';
import type { App } from '../../../src/app/types.ts';
import { DEFAULT_LIMITS } from '../../../src/http/limits.ts';
import type { AcceptGate } from '../../../src/worker/accept-gate.ts';
import { waitFor } from '../../helpers.ts';
import { app as echoApp } from '../targets/echo-app.ts';
import { check, countResponses, describeReply, exchange, Expectation, launch, show, stopAll, type Reply, type Running } from '../tester.ts';

// ---------------------------------------------------------------------------------------------------
// Part 1: the loop in this process. A fake gate records open/close; a loopback server hands each socket
// it accepts to the gate's onConnection, as the real gate does.

class FakeGate {
  isOpen = false;
  opened = 0;
  onConnection: (socket: net.Socket) => void = (socket) => socket.destroy();
  open(): void {
    if (!this.isOpen) this.opened++;
    this.isOpen = true;
  }
  close(): void {
    this.isOpen = false;
  }
}

const quiet = { error() {}, warning() {}, info() {}, debug() {} };
const servers: net.Server[] = [];
const loops: WorkerLoop[] = [];

/** A loopback server whose connections go to `gate.onConnection`; `taken` runs right after each. */
async function feed(gate: FakeGate, taken: (socket: net.Socket) => void = () => {}): Promise<string> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    gate.onConnection(socket);
    taken(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function loop(over: Partial<LoopOptions>): WorkerLoop {
  const l = workerLoop({
    app: echoApp,
    workerClass: 'sync',
    workerConnections: 1000,
    connection: { limits: { ...DEFAULT_LIMITS }, keepalive: 2, multiprocess: false, serverSoftware: 'test', log: quiet },
    onRequest: () => {},
    ...over,
  });
  loops.push(l);
  return l;
}

const gates = (...g: FakeGate[]): AcceptGate[] => g as unknown as AcceptGate[];
const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
const header = (r: Reply, name: string): string | undefined => new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(r.text)?.[1];

/** An app whose /hold requests wait until the test says so. */
function holdingApp(): { app: App; entered: () => number; release: () => void } {
  let entered = 0;
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app: App = async (env, start) => {
    if (env.PATH_INFO === '/hold') {
      entered++;
      await gate;
    }
    return echoApp(env, start);
  };
  return { app, entered: () => entered, release: () => release() };
}

/** Lets pending callbacks run (a few turns of the event loop), without waiting on the clock. */
const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('exercise 4.3: the worker loop, with fake gates', () => {
  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    // A loop left running by a failed test: stop it so its sockets go (never awaited: it may be broken).
    for (const l of loops.splice(0)) {
      try {
        void l.stop().catch(() => {});
      } catch {
        // the stub
      }
    }
  });

  it('sync: closes the gates the moment it takes a connection, answers with Connection: close, then opens them again', async () => {
    const gate = new FakeGate();
    const l = loop({ workerClass: 'sync' });
    l.start(gates(gate));
    expect(gate.isOpen, 'after start(), an idle sync worker has its gates open').toBe(true);
    const seen: { open: boolean; count: number }[] = [];
    const url = await feed(gate, () => seen.push({ open: gate.isOpen, count: l.open }));
    const reply = await exchange(url, GET('/'), { timeoutMs: 5000 });
    expect(seen[0], 'right after onConnection (before any byte is read), the gate must be closed and `open` must be 1').toEqual({ open: false, count: 1 });
    expect(reply.status, `the response: ${describeReply(reply)}`).toBe(200);
    expect(header(reply, 'connection'), 'a sync worker answers with Connection: close').toBe('close');
    expect(reply.closed, 'and then closes the connection').toBe(true);
    await waitFor(() => l.open === 0 && gate.isOpen, 5000, 'open back to 0 and the gate open again after the connection ended');
  });

  it('sync: a second connection taken before the gates closed waits for the first to finish', async () => {
    // Two listeners: a connection may already be on its way from the second when the first one comes.
    const a = new FakeGate();
    const b = new FakeGate();
    const l = loop({ workerClass: 'sync' });
    l.start(gates(a, b));
    const [urlA, urlB] = [await feed(a), await feed(b)];
    const [first, second] = await Promise.all([exchange(urlA, GET('/sleep?ms=400'), { timeoutMs: 8000 }), exchange(urlB, GET('/sleep?ms=400'), { timeoutMs: 8000 })]);
    expect([first.status, second.status], `both answered: ${describeReply(first)}; ${describeReply(second)}`).toEqual([200, 200]);
    const gap = Math.abs(second.ms - first.ms);
    expect(gap, 'one connection at a time: the second answer comes at least ~400 ms after the first').toBeGreaterThanOrEqual(250);
  });

  it('async: keeps the gates open below worker_connections and closes them at the cap', async () => {
    const gate = new FakeGate();
    const l = loop({ workerClass: 'async', workerConnections: 2 });
    l.start(gates(gate));
    expect(gate.isOpen, 'after start(), the gates are open').toBe(true);
    const seen: { open: boolean; count: number }[] = [];
    const url = await feed(gate, () => seen.push({ open: gate.isOpen, count: l.open }));
    const port = Number(new URL(url).port);
    const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    clients.forEach((c) => c.on('error', () => {}));
    await waitFor(() => seen.length === 2, 5000, 'two connections taken');
    expect(seen, 'with worker_connections 2: the first connection leaves the gate open, the second closes it').toEqual([
      { open: true, count: 1 },
      { open: false, count: 2 },
    ]);
    clients[0]!.destroy();
    await waitFor(() => l.open === 1 && gate.isOpen, 5000, 'one connection gone: open 1 and the gate open again');
    clients[1]!.destroy();
    await waitFor(() => l.open === 0, 5000, 'open back to 0');
  });

  it('async: keeps a connection alive and calls onRequest once per request', async () => {
    const gate = new FakeGate();
    let requests = 0;
    const l = loop({ workerClass: 'async', onRequest: () => requests++ });
    l.start(gates(gate));
    const url = await feed(gate);
    const reply = await exchange(url, [GET('/one'), GET('/two')], { responses: 2, timeoutMs: 5000 });
    expect(countResponses(reply.text), `two pipelined requests on one connection, two responses; got ${show(reply.text)}`).toBe(2);
    expect(reply.closed, 'the connection stays open after them (keep-alive)').toBe(false);
    expect(reply.text, 'an async worker keeps the connection alive').not.toMatch(/connection: close/i);
    expect(requests, 'onRequest is called once per request').toBe(2);
  });

  it('stop(): closes the gates for good, finishes the request in flight with Connection: close, then resolves', async () => {
    const gate = new FakeGate();
    const held = holdingApp();
    let stopped: Promise<void> | null = null;
    let done = false;
    const l = loop({
      workerClass: 'async',
      app: held.app,
      onRequest: () => {
        // As max_requests does: stop from inside onRequest, the request itself still to be served.
        stopped ??= l.stop().then(() => void (done = true));
      },
    });
    l.start(gates(gate));
    const url = await feed(gate);
    const reply = exchange(url, GET('/hold'), { timeoutMs: 8000 });
    await waitFor(() => held.entered() === 1, 5000, 'the app to be running');
    expect(gate.isOpen, 'stop() closes the gates at once').toBe(false);
    await turns();
    expect(done, 'stop() must not resolve while a request is in flight').toBe(false);
    const openedBefore = gate.opened;
    held.release();
    const r = await reply;
    expect(r.status, `the request in flight is served: ${describeReply(r)}`).toBe(200);
    expect(header(r, 'connection'), 'a stopping worker answers with Connection: close').toBe('close');
    await waitFor(() => done, 5000, 'stop() to resolve once the connection is done');
    expect(l.open, 'nothing left open when stop() resolves').toBe(0);
    expect(gate.opened, 'a stopped worker never opens its gates again').toBe(openedBefore);
    expect(gate.isOpen).toBe(false);
  });

  it('stop() with nothing open resolves at once', async () => {
    const gate = new FakeGate();
    const l = loop({ workerClass: 'sync' });
    l.start(gates(gate));
    let done = false;
    void l.stop().then(() => (done = true));
    await waitFor(() => done, 2000, 'stop() of an idle worker to resolve');
    expect(gate.isOpen, 'and the gates are closed').toBe(false);
  });

  // >>> chapter 8
  it('onActivity: when a connection is taken, when a request starts, and when a connection ends', async () => {
    const gate = new FakeGate();
    let activity = 0;
    const marks: Record<string, number> = {};
    const l = loop({
      workerClass: 'sync',
      onActivity: () => activity++,
      app: (env, start) => {
        marks.app = activity;
        return echoApp(env, start);
      },
    });
    l.start(gates(gate));
    const url = await feed(gate, () => (marks.taken = activity));
    await exchange(url, GET('/'), { timeoutMs: 5000 });
    await waitFor(() => l.open === 0, 5000, 'the connection to end');
    expect(marks.taken, 'onActivity once when the connection is taken').toBe(1);
    expect(marks.app, 'and once more when its request starts (before the app runs)').toBe(2);
    expect(activity, 'and once more when the connection ends').toBe(3);
  });
  // <<< chapter 8
});

// ---------------------------------------------------------------------------------------------------
// Part 2: a real worker process (test/exercises/targets/worker.ts) with the learner's loop in it.

const TARGET = 'test/exercises/targets/worker.ts';
const LIVE = 'npm run chapter 4 -- --mine';
const SYNC_LIVE = `${LIVE}, then: time (curl -s 'http://127.0.0.1:8000/sleep?ms=2000' & curl -s 'http://127.0.0.1:8000/sleep?ms=2000' & wait)`;
const ASYNC_LIVE = `${LIVE}, then: curl -sv http://127.0.0.1:8001/ http://127.0.0.1:8001/ 2>&1 | grep -iE 're-?us|connection:'`;
/** Timeouts of the black-box tests: a worker boots in about a second, but a loaded machine is slower. */
const SLOW = 60_000;

/** The target's own "Booting worker with pid: N" lines: printed once a worker said it booted (it listens). */
const bootedWorkers = (run: Running): number => run.log().match(/^Booting worker with pid: \d+$/gm)?.length ?? 0;

/**
 * Starts the worker target with the learner's loop and waits until its workers listen (the worker logs
 * its own "Booting worker" line earlier, before it loads the app). A worker that cannot boot is said
 * in plain words.
 */
async function start(args: string[]): Promise<Running> {
  const workers = Number(args[1] ?? 1);
  const fail = (text: string, log: string): Expectation => {
    const todo = /Not implemented yet: exercise [^\n]*/.exec(log)?.[0]?.replace(/ Open the file.*/, '');
    const summary = todo
      ? `The ${args[0]} worker crashed while booting: ${todo}`
      : `The ${args[0]} worker did not boot with your workerLoop (it reports booted once start() has opened its gates and they listen)`;
    return new Expectation(summary, {
      expected: `${workers} ${args[0]} worker(s) that boot and accept connections (targets/worker.ts ${args.join(' ')})`,
      got: todo ? 'the worker exited before it listened' : text,
      live: LIVE,
      log,
    });
  };
  let run: Running;
  try {
    run = await launch(['4.3'], TARGET, args, { workers });
  } catch (err) {
    // The tester's own message ends with the server's output: keep that as the log, not the whole message.
    const text = err instanceof Error ? err.message : String(err);
    const [head, output] = text.split('\n  the server said:\n');
    throw fail(head!.split('\n')[0]!, output ? output.replace(/^ {4}\| ?/gm, '') : text);
  }
  let ended = false;
  void run.exited.then(() => (ended = true));
  try {
    await waitFor(() => ended || bootedWorkers(run) >= workers, 30_000, 'the workers to say they booted');
  } catch {
    // reported below
  }
  if (bootedWorkers(run) < workers) throw fail(ended ? 'the worker exited' : 'no "booted" from the worker within 30 s', run.log());
  return run;
}

/** One worker for the tests of a describe block that only send requests (a boot costs a second or more). */
function shared(args: string[]): () => Promise<Running> {
  let running: Promise<Running> | null = null;
  return () => (running ??= start(args));
}

/** A client connection kept in hand: send, wait for responses, see whether the server closed it. */
async function client(url: string): Promise<{ send(bytes: string): void; until(responses: number, timeoutMs: number): Promise<Reply>; peek(): Reply; close(): void }> {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  let text = '';
  let closed = false;
  const started = performance.now();
  sock.on('data', (c: Buffer) => (text += c.toString('latin1')));
  sock.on('close', () => (closed = true));
  sock.on('error', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const reply = (): Reply => {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
    return { text, closed, status: status ? Number(status) : null, ms: performance.now() - started };
  };
  return {
    send: (bytes) => void sock.write(bytes),
    async until(responses, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (countResponses(text) < responses && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return reply();
    },
    peek: reply,
    close: () => void sock.destroy(),
  };
}

/** Resolves with "Worker exited: PID CODE SIGNAL" once the target printed it, or null at the deadline. */
async function workerExit(run: Running, timeoutMs: number): Promise<string | null> {
  try {
    await waitFor(() => /Worker exited: .*/.test(run.log()), timeoutMs, 'the worker to exit');
  } catch {
    return null;
  }
  return /Worker exited: .*/.exec(run.log())![0];
}

describe('exercise 4.3: a real sync worker with your loop, over loopback', () => {
  const worker = shared(['sync', '1']);
  afterAll(stopAll);

  it('sync: serves one connection at a time', async () => {
    const run = await worker();
    const sent = GET('/sleep?ms=500');
    const [a, b] = await Promise.all([exchange(run.url, sent, { responses: 1, timeoutMs: 10_000 }), exchange(run.url, sent, { responses: 1, timeoutMs: 10_000 })]);
    check(a.status === 200 && b.status === 200, 'A sync worker did not answer two requests sent at the same time on two connections', {
      sent: [sent, sent],
      expected: 'two 200 responses, one after the other',
      got: `${describeReply(a)}; ${describeReply(b)}`,
      live: SYNC_LIVE,
      log: run.log(),
    });
    const gap = Math.abs(a.ms - b.ms);
    check(gap >= 250, 'A sync worker served two connections at once: it must take the next connection only when the current one is done', {
      sent: [sent, sent],
      expected: 'the second answer about 500 ms after the first (at least 250 ms)',
      got: `answers after ${Math.round(a.ms)} ms and ${Math.round(b.ms)} ms, ${Math.round(gap)} ms apart`,
      live: SYNC_LIVE,
      log: run.log(),
    });
  }, SLOW);

  it('sync: answers one request per connection, with Connection: close, then closes', async () => {
    const run = await worker();
    const sent = [GET('/one'), GET('/two')];
    const reply = await exchange(run.url, sent, { timeoutMs: 8000 });
    const n = countResponses(reply.text);
    check(reply.status === 200 && n === 1 && reply.closed && /\r\nconnection: close\r\n/i.test(reply.text), 'A sync worker must answer the first request with Connection: close and close the connection (a pipelined second request is never answered)', {
      sent,
      expected: 'one 200 response with "Connection: close", then the server closes the connection',
      got: `${n} response(s): ${describeReply(reply)}; ${show(reply.text)}`,
      live: `${LIVE}, then: curl -sv http://127.0.0.1:8000/ http://127.0.0.1:8000/ 2>&1 | grep -i connection:`,
      log: run.log(),
    });
  }, SLOW);

});

describe('exercise 4.3: a real async worker with your loop, over loopback', () => {
  const worker = shared(['async', '1']);
  afterAll(stopAll);

  it('async: serves a quick request while a slow one is in flight', async () => {
    const run = await worker();
    const slowBytes = GET('/sleep?ms=2000');
    const slow = await client(run.url);
    slow.send(slowBytes); // connected first: the kernel's queue hands it to the worker first
    const quick = await exchange(run.url, GET('/'), { responses: 1, timeoutMs: 10_000 });
    const slowReply = await slow.until(1, 10_000);
    slow.close();
    check(quick.status === 200 && slowReply.status === 200 && quick.ms < slowReply.ms, 'An async worker made a quick request wait behind a slow one: it must serve many connections at once', {
      sent: [slowBytes, GET('/')],
      expected: 'the quick request (on a second connection) answered at once, while the 2 s one still runs',
      got: `quick: ${describeReply(quick)}; slow: ${describeReply(slowReply)}`,
      live: `${LIVE}, then: time (curl -s 'http://127.0.0.1:8001/sleep?ms=2000' & curl -s 'http://127.0.0.1:8001/sleep?ms=2000' & wait)`,
      log: run.log(),
    });
  }, SLOW);

  it('async: keeps a connection alive for a second request', async () => {
    const run = await worker();
    const c = await client(run.url);
    c.send(GET('/first'));
    const one = await c.until(1, 8000);
    const ok1 = one.status === 200 && !one.closed && !/\r\nconnection: close\r\n/i.test(one.text);
    let two = one;
    if (ok1) {
      c.send(GET('/second'));
      two = await c.until(2, 8000);
    }
    c.close();
    check(ok1 && countResponses(two.text) === 2 && two.text.includes('"path":"/second"'), 'An async worker must keep the connection alive: a second request on it gets an answer too', {
      sent: [GET('/first'), GET('/second')],
      expected: 'a 200 without "Connection: close", the connection left open, then a 200 for /second on the same connection',
      got: `${countResponses(two.text)} response(s), connection ${two.closed ? 'closed' : 'open'}: ${show(two.text, 500)}`,
      live: ASYNC_LIVE,
      log: run.log(),
    });
  }, SLOW);

});

describe('exercise 4.3: a real worker with your loop: its limits and its stop', () => {
  afterEach(stopAll);

  it('sync: a busy worker takes no new connection, so an idle one answers at once', async () => {
    const run = await start(['sync', '2']);
    const slowBytes = GET('/sleep?ms=2000');
    const slow = await client(run.url);
    slow.send(slowBytes);
    const quick: { reply: Reply; slowDone: boolean }[] = [];
    // One after the other while the slow one runs: each must go to the idle worker.
    for (let i = 0; i < 3; i++) {
      const reply = await exchange(run.url, GET('/'), { timeoutMs: 10_000 });
      quick.push({ reply, slowDone: countResponses(slow.peek().text) > 0 });
    }
    const slowReply = await slow.until(1, 10_000);
    slow.close();
    const pidOf = (r: Reply): number | undefined => Number(/"pid":(\d+)/.exec(r.text)?.[1]) || undefined;
    const waited = quick.filter((q) => q.reply.status !== 200 || q.slowDone || pidOf(q.reply) === pidOf(slowReply));
    check(slowReply.status === 200 && waited.length === 0, 'A busy sync worker took a new connection, which waited behind its slow request: close the gates as soon as a connection is taken', {
      sent: [slowBytes, `${GET('/')} (3 times, one after the other, on new connections)`],
      expected: `two sync workers: each quick request answered by the idle worker while pid ${pidOf(slowReply) ?? '?'} sleeps 2 s`,
      got: `slow: ${describeReply(slowReply)}; quick: ${quick.map((q) => `pid ${pidOf(q.reply) ?? '?'} ${describeReply(q.reply)}${q.slowDone ? ' (after the slow one)' : ''}`).join('; ')}`,
      live: `${LIVE}, then: curl -s 'http://127.0.0.1:8002/sleep?ms=3000' & sleep 0.2; time curl -s http://127.0.0.1:8002/`,
      log: run.log(),
    });
  }, SLOW);

  it('async: holds at most worker_connections connections (1 here)', async () => {
    const run = await start(['async', '1', '0', '1']);
    const sent = GET('/sleep?ms=500');
    const [a, b] = await Promise.all([exchange(run.url, sent, { responses: 1, timeoutMs: 10_000 }), exchange(run.url, sent, { responses: 1, timeoutMs: 10_000 })]);
    const gap = Math.abs(a.ms - b.ms);
    check(a.status === 200 && b.status === 200 && gap >= 250, 'An async worker with worker_connections 1 took a second connection while it held one', {
      sent: [sent, sent],
      expected: 'two 200s, the second about 500 ms after the first (at least 250 ms): the second connection waits until the first is closed',
      got: `${describeReply(a)}; ${describeReply(b)}; ${Math.round(gap)} ms apart`,
      live: `${LIVE} (its async worker has worker_connections 1000; the rule is exercise 4.1's)`,
      log: run.log(),
    });
  }, SLOW);

  it('TERM: the request in flight completes, then the worker exits with code 0', async () => {
    const run = await start(['async', '1']);
    const slowBytes = GET('/sleep?ms=1000');
    const slow = await client(run.url);
    slow.send(slowBytes);
    // Once a later connection is answered, the worker has taken the slow one (the kernel queues in order).
    const probe = await exchange(run.url, GET('/'), { responses: 1, timeoutMs: 10_000 });
    check(probe.status === 200, 'An async worker did not answer a quick request while a slow one ran', {
      sent: [slowBytes, GET('/')],
      expected: 'a 200 for the quick request',
      got: describeReply(probe),
      live: ASYNC_LIVE,
      log: run.log(),
    });
    run.signal('SIGTERM');
    const reply = await slow.until(1, 10_000);
    slow.close();
    const exit = await workerExit(run, 10_000);
    const expected = 'the slow request answered (200, Connection: close), then "Worker exited: PID 0 null"';
    check(reply.status === 200 && countResponses(reply.text) === 1, 'After TERM, the request in flight must still be answered (stop() waits for open connections)', {
      sent: [slowBytes, 'SIGTERM to the worker while the request sleeps'],
      expected,
      got: `${describeReply(reply)}; ${exit ?? 'the worker still runs'}`,
      live: `${LIVE}, then: curl -s 'http://127.0.0.1:8001/sleep?ms=3000' & sleep 0.5; and Ctrl-C in the stage's terminal`,
      log: run.log(),
    });
    check(/\r\nconnection: close\r\n/i.test(reply.text), 'After TERM, the last response must say Connection: close (the worker is stopping)', {
      sent: [slowBytes, 'SIGTERM to the worker while the request sleeps'],
      expected,
      got: show(reply.text, 400),
      live: ASYNC_LIVE,
      log: run.log(),
    });
    check(exit !== null && / 0 null$/.test(exit), 'After TERM and its last response, the worker must exit with code 0 (stop() resolves once nothing is open)', {
      sent: [slowBytes, 'SIGTERM to the worker while the request sleeps'],
      expected,
      got: exit ?? 'the worker was still running 10 s later',
      live: LIVE,
      log: run.log(),
    });
  }, SLOW);

  it('max_requests 2: the worker serves two requests, then exits with code 0', async () => {
    const run = await start(['async', '1', '2']);
    const first = await exchange(run.url, GET('/1'), { responses: 1, timeoutMs: 8000 });
    const second = await exchange(run.url, GET('/2'), { responses: 1, timeoutMs: 8000 });
    const exit = await workerExit(run, 10_000);
    check(first.status === 200 && second.status === 200 && exit !== null && / 0 null$/.test(exit), 'With max_requests 2, the worker must exit (code 0) after its second request: call onRequest for every request', {
      sent: [GET('/1'), GET('/2')],
      expected: 'two 200s on two connections, then "Worker exited: PID 0 null"',
      got: `${describeReply(first)}; ${describeReply(second)}; ${exit ?? 'the worker was still running 10 s later'}`,
      live: `${LIVE} (its workers have no max_requests; a worker that reaches it logs "Autorestarting worker after current request.")`,
      log: run.log(),
    });
    check(/\r\nconnection: close\r\n/i.test(second.text), 'The last request before max_requests must be answered with Connection: close', {
      sent: [GET('/1'), GET('/2')],
      expected: 'the second response with "Connection: close"',
      got: show(second.text, 400),
      live: LIVE,
      log: run.log(),
    });
  }, SLOW);
});
