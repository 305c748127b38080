// Exercise 5.5, graded twice: with a fake step and a fake perform (the order in which events are handled
// and effects carried out), then black-box, on the real master with your loop at its heart.
import { afterEach, describe, expect, it } from 'vitest';
import { masterLoop, type MasterLoop, type Step } from '@answers/05-prefork/loop.ts';
import { initialState, type ArbiterEvent, type ArbiterState, type Effect } from '../../../src/arbiter/core.ts';
import { processAlive } from '../../helpers.ts';
import { check, describeReply, exchange, Expectation, checkKilledWorkerReplaced, checkStopsOnTerm, launch, stopAll, until, type Running } from '../tester.ts';

afterEach(() => stopAll());

// --- with a fake step and a fake perform -------------------------------------------------------------

const initial = (): ArbiterState => initialState({ workers: 2, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 });
const name = (e: ArbiterEvent): string => ('pid' in e ? `${e.type} ${e.pid}` : e.type);
const log = (message: string): Effect => ({ type: 'log', level: 'info', message });

interface Rig {
  loop: MasterLoop;
  /** Every call of the step: the event, and how many steps the state it was given had seen. */
  steps: string[];
  /** Every effect performed (a log's message), and the step count of `loop.state` at that moment. */
  performed: string[];
  /** The state the step returned last. */
  last: () => ArbiterState | null;
}

/**
 * A loop on a fake step: each step counts itself in `lastAge` and returns the effects `effectsOf` gives
 * for its event (or throws what `throwsOn` gives); `onPerform` runs inside perform, with the loop.
 */
function rig(effectsOf: (event: string) => Effect[], onPerform: (message: string, loop: MasterLoop) => void = () => {}, throwsOn: (event: string) => unknown = () => undefined, extra: object = {}): Rig {
  const steps: string[] = [];
  const performed: string[] = [];
  let last: ArbiterState | null = null;
  let performing = 0;
  const step: Step = (state, event) => {
    steps.push(`${name(event)} @${state.lastAge}${performing ? ' (inside perform!)' : ''}`);
    const thrown = throwsOn(name(event));
    if (thrown !== undefined) throw thrown;
    last = { ...state, lastAge: state.lastAge + 1 };
    return { state: last, effects: effectsOf(name(event)) };
  };
  const box: { loop?: MasterLoop } = {};
  const perform = (effect: Effect): void => {
    const message = effect.type === 'log' ? effect.message : effect.type;
    performed.push(`${message} @${box.loop!.state.lastAge}`);
    performing++;
    try {
      onPerform(message, box.loop!);
    } finally {
      performing--;
    }
  };
  box.loop = masterLoop(initial(), perform, { step, ...extra });
  return { loop: box.loop, steps, performed, last: () => last };
}

describe('exercise 5.5: the loop, with a fake step and perform', () => {
  it('handles each event with the state the previous one left, and keeps the last state', () => {
    const r = rig((e) => [log(`after ${e}`)]);
    expect(r.loop.state.lastAge, 'before any event, state is the initial state').toBe(0);
    r.loop.dispatch({ type: 'start' });
    r.loop.dispatch({ type: 'tick' });
    r.loop.dispatch({ type: 'booted', pid: 7 });
    expect(r.steps, 'the step, called once per event, in order, each time with the state the last step returned').toEqual(['start @0', 'tick @1', 'booted 7 @2']);
    expect(r.loop.state, 'loop.state is the state the last step returned').toBe(r.last());
    expect(r.performed, 'each effect performed once, after its step').toEqual(['after start @1', 'after tick @2', 'after booted 7 @3']);
  });

  it('passes the step the clock and randomness of the moment: { now: Date.now(), random: Math.random }', () => {
    const seen: { now: number; random: unknown }[] = [];
    const step: Step = (state, _event, deps) => {
      seen.push({ now: deps.now, random: deps.random });
      return { state, effects: [] };
    };
    const loop = masterLoop(initial(), () => {}, { step });
    const before = Date.now();
    loop.dispatch({ type: 'tick' });
    const after = Date.now();
    expect(seen.length, 'one step for one event').toBe(1);
    expect(seen[0]!.random, 'deps.random is Math.random').toBe(Math.random);
    expect(seen[0]!.now >= before && seen[0]!.now <= after, `deps.now is Date.now() when the event is handled (between ${before} and ${after}; got ${seen[0]!.now})`).toBe(true);
  });

  it('performs every effect of a step, in order, once the new state is kept', () => {
    const r = rig((e) => (e === 'start' ? [log('one'), { type: 'spawn', age: 1, maxRequests: 0 }, log('three')] : []));
    r.loop.dispatch({ type: 'start' });
    expect(r.performed, 'the three effects in the order the step gave them, each seeing the new state in loop.state').toEqual(['one @1', 'spawn @1', 'three @1']);
  });

  it('an event dispatched from inside perform waits its turn: never handled inside that call, and in arrival order', () => {
    const r = rig(
      (e) => (e === 'start' ? [log('first'), log('second')] : e === 'booted 1' ? [log('from booted 1')] : []),
      (message, loop) => {
        if (message === 'first') {
          loop.dispatch({ type: 'booted', pid: 1 });
          loop.dispatch({ type: 'booted', pid: 2 });
        }
        if (message === 'from booted 1') loop.dispatch({ type: 'booted', pid: 3 });
      },
    );
    r.loop.dispatch({ type: 'start' });
    expect(r.steps, 'start, then the events dispatched meanwhile in the order they came (3 was dispatched after 2 was queued), none of them inside perform').toEqual(['start @0', 'booted 1 @1', 'booted 2 @2', 'booted 3 @3']);
    expect(r.performed, 'both effects of start before booted 1 is handled').toEqual(['first @1', 'second @1', 'from booted 1 @2']);
    expect(r.loop.state.lastAge, 'when the outer dispatch returns, every event is handled').toBe(4);
    r.loop.dispatch({ type: 'tick' });
    expect(r.steps.at(-1), 'and the loop takes the next event as usual').toBe('tick @4');
  });

  // >>> chapter 9
  it('a step that throws: nothing of it is kept, and { type: "fatal", message: the stack } is handled next, ahead of the waiting events', () => {
    const boom = new Error('boom');
    const r = rig(
      (e) => (e === 'start' ? [log('queue two')] : e === 'fatal' ? [log('stopping')] : []),
      (message, loop) => {
        if (message === 'queue two') {
          loop.dispatch({ type: 'booted', pid: 1 });
          loop.dispatch({ type: 'booted', pid: 2 });
        }
      },
      (e) => (e === 'booted 1' ? boom : undefined),
    );
    r.loop.dispatch({ type: 'start' });
    expect(r.steps, 'booted 1 throws; then fatal, with the state start left, before booted 2').toEqual(['start @0', 'booted 1 @1', 'fatal @1', 'booted 2 @2']);
    expect(r.performed, 'only the effects of steps that returned').toEqual(['queue two @1', 'stopping @2']);
  });

  it('the fatal event carries the error\'s stack (or a thrown string as it is)', () => {
    const messages: string[] = [];
    const boom = new Error('boom');
    const step: Step = (state, event) => {
      if (event.type === 'fatal') {
        messages.push(event.message);
        return { state, effects: [] };
      }
      if (event.type === 'tick') throw boom;
      throw 'a plain string';
    };
    const loop = masterLoop(initial(), () => {}, { step });
    loop.dispatch({ type: 'tick' });
    loop.dispatch({ type: 'start' });
    expect(messages, 'the fatal events\' messages: the Error\'s stack, then the string').toEqual([boom.stack, 'a plain string']);
  });

  it('a fatal event that throws too: the loop gives up, calls onAbandon with the message, and ignores every later event', () => {
    const second = new Error('second');
    const abandoned: string[] = [];
    let loop!: MasterLoop;
    const r = rig(
      (e) => (e === 'start' ? [log('queue two')] : []),
      (message, l) => {
        if (message === 'queue two') {
          l.dispatch({ type: 'booted', pid: 1 });
          l.dispatch({ type: 'booted', pid: 2 });
        }
      },
      (e) => (e === 'booted 1' ? new Error('first') : e === 'fatal' ? second : undefined),
      {
        onAbandon: (message: string) => {
          abandoned.push(message);
          loop.dispatch({ type: 'tick' });
        },
      },
    );
    loop = r.loop;
    r.loop.dispatch({ type: 'start' });
    expect(r.steps, 'booted 1 throws, fatal throws: booted 2 (waiting) is dropped').toEqual(['start @0', 'booted 1 @1', 'fatal @1']);
    expect(abandoned, 'onAbandon, once, with the fatal step\'s error stack').toEqual([second.stack]);
    r.loop.dispatch({ type: 'tick' });
    r.loop.dispatch({ type: 'start' });
    expect(r.steps.length, 'nothing handled after giving up (a tick from inside onAbandon, then a tick and a start)').toBe(3);
    expect(r.loop.state.lastAge, 'the state stays the last one a step returned').toBe(1);
  });
  // <<< chapter 9
});

// --- black-box: the real master, with your loop -------------------------------------------------------

const live = 'npm run chapter 5 -- --mine';
const request = (ms: number): string => `GET /sleep?ms=${ms} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`;


/** The real `prefork` with 2 workers, or an Expectation that says in plain words why it did not start. */
async function startServer(extra: string[] = []): Promise<Running> {
  try {
    return await launch(['5.5'], 'src/prefork.mjs', ['test/exercises/targets/echo-app.ts:app', '-w', '2', '-b', '127.0.0.1:0', ...extra], { workers: 2 });
  } catch (err) {
    // launch says itself when a stub threw or the server stopped; what is left is a wait that ran out.
    if (err instanceof Expectation) throw err;
    const text = err instanceof Error ? err.message : String(err);
    throw new Expectation('The master did not get 2 workers booting within 30 s: does the start event reach the core, and its spawn effects reach perform?', {
      sent: 'prefork test/exercises/targets/echo-app.ts:app -w 2 -b 127.0.0.1:0',
      expected: '"Listening at: ...", then "Booting worker with pid: N" from 2 workers, then a connection goes through',
      got: text.split('\n')[0],
      live,
      log: text,
    });
  }
}

/** The pid in an echo-app reply, or null. */
function replyPid(text: string): number | null {
  try {
    return (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { pid: number }).pid;
  } catch {
    return null;
  }
}

describe('exercise 5.5: the real master, with your loop', () => {
  it('starts two workers, and they answer requests', async () => {
    const run = await startServer();
    const pids = run.workerPids();
    const replies = await Promise.all([exchange(run.url, request(100), { timeoutMs: 5_000 }), exchange(run.url, request(100), { timeoutMs: 5_000 })]);
    for (const reply of replies) {
      check(reply.status === 200 && pids.includes(replyPid(reply.text) ?? -1), 'a request to the server was not answered by one of its workers', {
        sent: request(100),
        expected: `"HTTP/1.1 200 OK" from worker ${pids.join(' or ')}`,
        got: describeReply(reply),
        live: `${live}, then in another terminal: curl -s <url>/`,
        log: run.log(),
      });
    }
  }, 60_000);

  it('reaps a worker killed with kill -9, and a new one boots and answers', async () => {
    const run = await startServer();
    const [victim] = run.workerPids() as [number, number];
    const fresh = await checkKilledWorkerReplaced(run, victim, {
      live,
      unnoticed: `The master did not log the death of worker ${victim}: is its exit event handled (dispatch, then the step, then the log effect performed)?`,
      notReplaced: 'The master logged the death but no new worker booted: are all the effects of one step performed (the log line, then the spawn)?',
    });
    // The new worker listens a moment after its boot line; requests in pairs until it answers one.
    let answered = false;
    const deadline = Date.now() + 15_000;
    while (!answered && Date.now() < deadline) {
      const replies = await Promise.all([exchange(run.url, request(150), { timeoutMs: 5_000 }), exchange(run.url, request(150), { timeoutMs: 5_000 })]);
      answered = replies.some((r) => replyPid(r.text) === fresh);
    }
    check(answered, 'the new worker does not answer requests', {
      sent: `pairs of concurrent requests after kill -9 ${victim}: ${JSON.stringify(request(150))}`,
      expected: `an answer from the new worker, ${fresh}`,
      got: 'none within 15 s',
      live: `${live}, then in another terminal: kill -9 <a worker's pid>`,
      log: run.log(),
    });
  }, 60_000);

  // >>> chapter 9
  it('TTIN adds a worker, TTOU retires one', async () => {
    const run = await startServer();
    const pids = run.workerPids();
    run.signal('SIGTTIN');
    const added = await until(() => run.workerPids().length >= 3, 15_000);
    check(added, 'The master did not start a third worker on TTIN: does a signal, dispatched from its handler, reach the core?', {
      sent: `kill -TTIN ${run.child.pid} (the master)`,
      expected: '"Handling signal: ttin", then a third "Booting worker with pid: N"',
      got: `workers seen: ${run.workerPids().join(', ')}`,
      live: `${live}, then in another terminal: kill -TTIN <the master's pid>`,
      log: run.log(),
    });
    const third = run.workerPids()[2]!;
    run.signal('SIGTTOU');
    const exiting = (): number | null => Number(/Worker exiting \(pid: (\d+)\)/.exec(run.log())?.[1] ?? NaN) || null;
    const retired = await until(() => exiting() !== null, 15_000);
    check(retired, 'The master did not retire a worker on TTOU', {
      sent: `kill -TTIN ${run.child.pid}, then kill -TTOU ${run.child.pid}`,
      expected: `"Worker exiting (pid: N)" from one of the first two workers (${pids.join(', ')})`,
      got: 'no worker exiting within 15 s',
      live: `${live}, then in another terminal: kill -TTOU <the master's pid>`,
      log: run.log(),
    });
    const gone = exiting()!;
    check(pids.includes(gone) && processAlive(third), 'TTOU did not retire the oldest worker', {
      sent: `kill -TTOU ${run.child.pid}`,
      expected: `one of ${pids.join(', ')} exits, ${third} (added by TTIN) stays`,
      got: `${gone} exited; ${third} ${processAlive(third) ? 'alive' : 'gone'}`,
      log: run.log(),
    });
    check(await until(() => !processAlive(gone), 10_000), 'the retired worker did not exit', { sent: `kill -TTOU ${run.child.pid}`, expected: `worker ${gone} gone`, got: 'still alive after 10 s', log: run.log() });
  }, 60_000);
  // <<< chapter 9

  it('stops on TERM: exit code 0, and no worker left alive', async () => {
    await checkStopsOnTerm(await startServer(['--graceful-timeout', '5']), { suspect: "are the workers' exits, dispatched while the stop is under way, handled too?", live });
  }, 60_000);
});
