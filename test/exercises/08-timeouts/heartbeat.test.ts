// Exercise 8.3: the worker's heartbeat. Unit tests on fake timers (when a beat goes out), then the real
// server with the learner's heartbeat in its worker, watched from outside: what `timeout` then measures.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { beatInterval, PULSE_GAP_MS, startHeartbeat, type HeartbeatOptions } from '@answers/08-timeouts/heartbeat.ts';
import { check, describeReply, exchange, launch, stopAll, type Reply, type Running } from '../tester.ts';

/** A heartbeat whose beats are counted. */
function counted(opts: Partial<HeartbeatOptions> & { idle?: () => boolean } = {}) {
  let beats = 0;
  const hb = startHeartbeat({ workerClass: 'sync', timeout: 2, idle: () => true, ...opts, send: () => void beats++ });
  return { hb, beats: () => beats };
}

describe('exercise 8.3: when the worker beats (fake timers)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('beatInterval is a quarter of the timeout, kept between 100 ms and 1000 ms', () => {
    expect(beatInterval(2), 'timeout 2 s: 500 ms').toBe(500);
    expect(beatInterval(1), 'timeout 1 s: 250 ms').toBe(250);
    expect(beatInterval(0.8), 'timeout 0.8 s: 200 ms').toBe(200);
    expect(beatInterval(0.2), 'timeout 0.2 s: a quarter is 50 ms, raised to 100 ms').toBe(100);
    expect(beatInterval(4), 'timeout 4 s: exactly 1000 ms').toBe(1000);
    expect(beatInterval(30), 'timeout 30 s: a quarter is 7.5 s, lowered to 1000 ms').toBe(1000);
  });

  it('the timer beats every beatInterval(timeout) ms', () => {
    const a = counted({ workerClass: 'async', timeout: 2 });
    vi.advanceTimersByTime(499);
    expect(a.beats(), 'timeout 2: no timer beat before 500 ms').toBe(0);
    vi.advanceTimersByTime(1);
    expect(a.beats(), 'timeout 2: the first timer beat at 500 ms').toBe(1);
    vi.advanceTimersByTime(1500);
    expect(a.beats(), 'timeout 2: one beat every 500 ms (4 in 2 s)').toBe(4);
    const slow = counted({ workerClass: 'async', timeout: 30 });
    vi.advanceTimersByTime(999);
    expect(slow.beats(), 'timeout 30: no timer beat before 1000 ms (the interval is capped at 1 s)').toBe(0);
    vi.advanceTimersByTime(1);
    expect(slow.beats(), 'timeout 30: a timer beat at 1000 ms').toBe(1);
    const fast = counted({ workerClass: 'async', timeout: 0.2 });
    vi.advanceTimersByTime(300);
    expect(fast.beats(), 'timeout 0.2: one beat every 100 ms (3 in 300 ms)').toBe(3);
  });

  it('a sync worker beats from its timer only while it has no connection open', () => {
    let idle = true;
    const s = counted({ workerClass: 'sync', timeout: 2, idle: () => idle });
    vi.advanceTimersByTime(1000);
    expect(s.beats(), 'idle for 1 s: two timer beats').toBe(2);
    idle = false;
    vi.advanceTimersByTime(2000);
    expect(s.beats(), 'serving for 2 s (idle() is false): no timer beat at all').toBe(2);
    idle = true;
    vi.advanceTimersByTime(500);
    expect(s.beats(), 'idle again: the timer beats again').toBe(3);
  });

  it('an async worker beats from its timer whatever it is doing', () => {
    const a = counted({ workerClass: 'async', timeout: 2, idle: () => false });
    vi.advanceTimersByTime(2000);
    expect(a.beats(), 'async, connections open (idle() is false), 2 s: four timer beats').toBe(4);
  });

  it.each(['sync', 'async'] as const)('pulse() beats at once, busy or not, at most once per PULSE_GAP_MS (%s)', (workerClass) => {
    expect(PULSE_GAP_MS, 'PULSE_GAP_MS is copied as it is').toBe(25);
    let idle = false;
    const p = counted({ workerClass, timeout: 2, idle: () => idle });
    p.hb.pulse();
    expect(p.beats(), 'the first pulse beats at once (even while busy)').toBe(1);
    p.hb.pulse();
    vi.advanceTimersByTime(24);
    p.hb.pulse();
    expect(p.beats(), 'pulses 0 and 24 ms after a beat: dropped').toBe(1);
    vi.advanceTimersByTime(6);
    p.hb.pulse();
    expect(p.beats(), 'a pulse 30 ms after the last beat: beats').toBe(2);
    // The timer's beats count as beats too: a pulse right after one is dropped.
    idle = true;
    vi.advanceTimersByTime(470);
    expect(p.beats(), 'the timer beat at 500 ms').toBe(3);
    vi.advanceTimersByTime(10);
    p.hb.pulse();
    expect(p.beats(), 'a pulse 10 ms after a timer beat: dropped').toBe(3);
    vi.advanceTimersByTime(20);
    p.hb.pulse();
    expect(p.beats(), 'a pulse 30 ms after a timer beat: beats').toBe(4);
  });

  it.each(['sync', 'async'] as const)('timeout 0 turns it off: no timer, no beat (%s)', (workerClass) => {
    const before = vi.getTimerCount();
    const off = counted({ workerClass, timeout: 0 });
    expect(vi.getTimerCount(), 'timeout 0: no timer started').toBe(before);
    vi.advanceTimersByTime(10_000);
    off.hb.pulse();
    vi.advanceTimersByTime(100);
    off.hb.pulse();
    expect(off.beats(), 'timeout 0: nothing sent in 10 s, pulses included').toBe(0);
  });
});

describe('exercise 8.3: the timer does not keep the process alive (real timers)', () => {
  it('starting the heartbeat adds no timer that holds the event loop', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    startHeartbeat({ workerClass: 'async', timeout: 2, idle: () => true, send: () => {} });
    expect(timers(), 'a ref\'d timer would keep a worker alive after it closed everything else: unref() it').toBe(before);
  });
});

// ---- Black-box: the real server (one sync worker, timeout 2 s) with this heartbeat in its worker.

const TIMEOUT_MS = 2000;
const ARGS = ['test/exercises/targets/echo-app.ts:app', '-w', '1', '-k', 'sync', '-t', '2', '-b', '127.0.0.1:0'];
/** The stage runs the reference and leaves a sync server with -t 2 running, with requests to try. */
const LIVE = 'npm run chapter 8 (the reference), then the requests it suggests';
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;
const pidOf = (r: Reply): number | null => {
  const m = /"pid":(\d+)/.exec(r.text);
  return m ? Number(m[1]) : null;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const timedOutLine = (pid: number): string => `WORKER TIMEOUT (pid:${pid})`;

/**
 * Starts the server with the learner's heartbeat and returns it with the pid of a worker that answered
 * a request, so it has booted. (Boot counts against `timeout`: on a loaded machine a worker that loads
 * TypeScript may take longer than 2 s to boot and be replaced; the tests then watch its replacement.)
 */
async function start(): Promise<{ server: Running; pid: number }> {
  // The worker calls startHeartbeat as it boots: if that throws, the worker dies before it listens, and
  // the master starts another, which dies the same way. Try the call here first, to say so at once.
  try {
    startHeartbeat({ workerClass: 'sync', timeout: 2, idle: () => true, send: () => {} });
  } catch (err) {
    check(false, 'The worker cannot boot: startHeartbeat throws, and a worker calls it as it boots', {
      expected: 'startHeartbeat({ workerClass: "sync", timeout: 2, idle, send }) returns a Heartbeat',
      got: String(err),
      live: 'npm run chapter 8 (the reference: its workers boot and serve)',
    });
  }
  let server: Running;
  try {
    server = await launch(['8.3'], 'src/prefork.mjs', ARGS);
  } catch (err) {
    const noListener = /a connection to/.test((err as Error).message);
    check(false, noListener ? 'The server started, but no worker ever listened: did the worker crash as it booted?' : 'The server did not start', {
      expected: 'a worker that boots and accepts connections',
      got: (err as Error).message,
      live: 'npm run chapter 8 (the reference: its workers boot and serve)',
    });
  }
  const deadline = Date.now() + 20_000;
  let r: Reply;
  do {
    r = await exchange(server.url, get('/'), { responses: 1, timeoutMs: 5_000 });
    const pid = pidOf(r);
    // Two master ticks later, that worker is still there: its boot did not run past the timeout.
    if (r.status === 200 && pid) {
      await sleep(500);
      if (!server.log().includes(timedOutLine(pid))) return { server, pid };
    } else await sleep(50);
  } while (Date.now() < deadline);
  check(false, 'No worker answered a plain GET / within 20 s of the server starting', {
    sent: get('/'),
    expected: '200 from a worker',
    got: describeReply(r),
    live: LIVE,
    log: server.log(),
  });
}

/** Waits `ms`, failing at once if the log shows that worker's WORKER TIMEOUT meanwhile. */
async function noTimeoutFor(server: Running, pid: number, ms: number, what: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    check(!server.log().includes(timedOutLine(pid)), `${what}: the master aborted the worker (${((Date.now() - started) / 1000).toFixed(1)} s into the wait)`, {
      expected: `no "${timedOutLine(pid)}": the heartbeat keeps telling the master the worker is alive`,
      got: timedOutLine(pid),
      live: LIVE,
      log: server.log(),
    });
    if (Date.now() - started >= ms) return;
    await sleep(50);
  }
}

describe('exercise 8.3: the real server, one sync worker, timeout 2 s', () => {
  afterEach(stopAll);

  it('an idle worker is never aborted (3 x timeout without a request)', async () => {
    const { server, pid } = await start();
    await noTimeoutFor(server, pid, 3 * TIMEOUT_MS, 'An idle worker, no request for 6 s');
    const r = await exchange(server.url, get('/'), { responses: 1, timeoutMs: 10_000 });
    check(r.status === 200 && pidOf(r) === pid, 'After 6 s idle, the same worker should still be answering', {
      sent: get('/'),
      expected: `200 from pid ${pid}, the worker that answered 6 s ago`,
      got: `${describeReply(r)}, from pid ${pidOf(r)}; workers booted: ${server.workerPids().join(', ')}`,
      live: LIVE,
      log: server.log(),
    });
  }, 40_000);

  it('back-to-back requests of 1 s (half the timeout) for 3 x timeout never trip it', async () => {
    const { server, pid } = await start();
    const sent = get('/sleep?ms=1000');
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 3 * TIMEOUT_MS) {
      n++;
      const r = await exchange(server.url, sent, { responses: 1, timeoutMs: 10_000 });
      check(r.status === 200 && pidOf(r) === pid, `Request ${n} of a back-to-back series of 1 s requests was cut off (timeout is 2 s)`, {
        sent,
        expected: `200 from the same worker (pid ${pid}): it beats when it takes a connection and when it ends one, so each request gets its own 2 s`,
        got: `${describeReply(r)}${pidOf(r) ? `, from pid ${pidOf(r)}` : ''}`,
        live: `${LIVE}: the "for i in 1 2 3 4 5" line sends 1.5 s requests back to back, and nothing happens`,
        log: server.log(),
      });
    }
    await noTimeoutFor(server, pid, 0, 'Back-to-back 1 s requests');
    expect(n, 'at least 4 requests in 6 s').toBeGreaterThanOrEqual(4);
  }, 40_000);

  it('one request of 5 s (2.5 x the timeout) trips it, and a new worker takes over', async () => {
    const { server, pid } = await start();
    const sent = get('/sleep?ms=5000');
    const line = timedOutLine(pid);
    const started = Date.now();
    let reply: Reply | null = null;
    void exchange(server.url, sent, { timeoutMs: 15_000 }).then((r) => (reply = r));
    while (!server.log().includes(line) && Date.now() - started < 3 * TIMEOUT_MS) await sleep(20);
    const after = Date.now() - started;
    check(server.log().includes(line), `A 5 s request under timeout 2 s did not get its sync worker aborted within ${(3 * TIMEOUT_MS) / 1000} s`, {
      sent,
      expected: `"${line}" about 2 s after the request: a sync worker is silent while it serves`,
      got: `no WORKER TIMEOUT in ${(after / 1000).toFixed(1)} s; the request: ${reply ? describeReply(reply) : 'still open'}`,
      live: `${LIVE}: curl '.../sleep?ms=5000' gets WORKER TIMEOUT 2 s later`,
      log: server.log(),
    });
    check(after >= TIMEOUT_MS - PULSE_GAP_MS, `The worker was aborted ${after} ms after the request was sent, before the 2 s timeout had run`, {
      sent,
      expected: `"${line}" no sooner than ${TIMEOUT_MS - PULSE_GAP_MS} ms after the request: taking the connection is a pulse, so the clock starts there`,
      got: `"${line}" after ${after} ms`,
      live: LIVE,
      log: server.log(),
    });
    // A replacement boots and serves (if it is slow to boot it may be replaced in turn: any new pid will do).
    const deadline = Date.now() + 20_000;
    let r: Reply;
    for (;;) {
      r = await exchange(server.url, get('/'), { responses: 1, timeoutMs: 5_000 });
      if ((r.status === 200 && pidOf(r) !== pid) || Date.now() > deadline) break;
      await sleep(50);
    }
    check(r.status === 200 && pidOf(r) !== pid, 'No new worker answered within 20 s of the old one being aborted', {
      sent: get('/'),
      expected: `200 from a replacement (not pid ${pid})`,
      got: `${describeReply(r)}${pidOf(r) ? `, from pid ${pidOf(r)}` : ''}; workers booted: ${server.workerPids().join(', ')}`,
      live: LIVE,
      log: server.log(),
    });
  }, 40_000);
});
