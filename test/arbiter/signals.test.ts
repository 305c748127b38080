// @chapter 9
// The master's signals in the pure core: HUP's rollout and rollback, TTIN/TTOU/WINCH, USR2's bookkeeping.
import { describe, expect, it } from 'vitest';
import { initialState, step, type ArbiterEvent, type ArbiterState, type Effect } from '../../src/arbiter/core.ts';

const config = { workers: 2, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 };

/** A master driven through events; spawned workers get pids 100, 101, ... for the whole scenario. */
function master(state: ArbiterState = initialState(config)) {
  let nextPid = 100;
  let now = 0;
  const all: Effect[] = [];
  const feed = (...events: ArbiterEvent[]): Effect[] => {
    const out: Effect[] = [];
    const queue = [...events];
    while (queue.length) {
      const r = step(state, queue.shift()!, { now, random: () => 0 });
      state = r.state;
      for (const e of r.effects) {
        out.push(e);
        if (e.type === 'spawn') queue.unshift({ type: 'spawned', age: e.age, pid: nextPid++ });
      }
    }
    all.push(...out);
    return out;
  };
  return {
    feed,
    get state() {
      return state;
    },
    at(ms: number) {
      now = ms;
    },
    pids: () => state.workers.map((w) => w.pid!),
    boot: (...pids: number[]) => feed(...pids.map((pid) => ({ type: 'booted', pid }) as const)),
    exit: (pid: number, code = 0) => feed({ type: 'exited', pid, code, signal: null }),
  };
}
const of = <T extends Effect['type']>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
const sig = (signal: Extract<ArbiterEvent, { type: 'signal' }>['signal']): ArbiterEvent => ({ type: 'signal', signal });
const terms = (effects: Effect[]) => of(effects, 'kill').filter((k) => k.signal === 'SIGTERM').map((k) => k.pid);

describe('TTIN, TTOU, WINCH', () => {
  it('TTIN adds a worker and runs nworkers_changed(3, 2)', () => {
    const m = master();
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGTTIN'));
    expect(of(out, 'hook')).toEqual([{ type: 'hook', name: 'nworkers_changed', args: [3, 2] }]);
    expect(of(out, 'spawn')).toHaveLength(1);
    expect(m.state.config.workers).toBe(3);
  });

  it('TTOU retires the oldest worker; at one worker it is ignored', () => {
    const m = master();
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGTTOU'));
    expect(of(out, 'hook')).toEqual([{ type: 'hook', name: 'nworkers_changed', args: [1, 2] }]);
    expect(terms(out)).toEqual([100]);
    // The retiring worker no longer counts: another exit does not bring the count back to 2.
    expect(of(m.exit(100), 'spawn')).toEqual([]);
    const floor = m.feed(sig('SIGTTOU'));
    expect(of(floor, 'kill')).toEqual([]);
    expect(of(floor, 'hook')).toEqual([]);
    expect(of(floor, 'log').map((l) => l.message)).toContain('SIGTTOU ignored: one worker is the minimum (WINCH stops them all).');
  });

  it('a retired worker still there after graceful_timeout gets SIGKILL, once, and its exit says why', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.at(1000);
    m.feed(sig('SIGTTOU'));
    m.at(1000 + 29_999);
    expect(of(m.feed({ type: 'tick' }), 'kill')).toEqual([]);
    m.at(1000 + 30_000);
    const late = m.feed({ type: 'tick' }, { type: 'tick' });
    expect(of(late, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGKILL' }]);
    const reaped = m.feed({ type: 'exited', pid: 100, code: null, signal: 'SIGKILL' });
    expect(of(reaped, 'log').map((l) => l.message)).toEqual(['Worker (pid:100) was sent SIGKILL after graceful_timeout.']);
  });

  it('WINCH off a terminal stops every worker and keeps the master; TTIN brings one back', () => {
    const m = master(initialState(config, { onTerminal: false }));
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGWINCH'));
    expect(of(out, 'log').map((l) => l.message)).toContain('graceful stop of workers');
    expect(of(out, 'hook')).toEqual([{ type: 'hook', name: 'nworkers_changed', args: [0, 2] }]);
    expect(terms(out)).toEqual([100, 101]);
    expect(of([...m.exit(100), ...m.exit(101)], 'spawn')).toEqual([]);
    expect(m.state.phase).toBe('running');
    expect(of(m.feed(sig('SIGTTIN')), 'spawn')).toHaveLength(1);
  });

  it('WINCH on a terminal (a window resize) is ignored', () => {
    const m = master(initialState(config, { onTerminal: true }));
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGWINCH'));
    expect(of(out, 'kill')).toEqual([]);
    expect(m.state.config.workers).toBe(2);
  });
});

describe('HUP', () => {
  const reloaded = (seq: number, workers = 2): ArbiterEvent => ({ type: 'reloaded', seq, version: seq, config: { ...config, workers } });

  it('asks the shell to read the configuration again, then starts new workers before retiring any old one', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    const hup = m.feed(sig('SIGHUP'));
    expect(hup).toEqual([
      { type: 'log', level: 'info', message: 'Handling signal: hup' },
      { type: 'log', level: 'info', message: 'Hang up: Master' },
      { type: 'reload', seq: 1 },
    ]);
    const out = m.feed(reloaded(1));
    // gunicorn's order: nworkers_changed (setup), reopen the logs, on_reload, then spawn.
    expect(out.map((e) => (e.type === 'hook' ? e.name : e.type))).toEqual(['use-version', 'nworkers_changed', 'reopen-logs', 'on_reload', 'spawn', 'spawn']);
    expect(of(out, 'kill')).toEqual([]);
    expect(m.pids()).toEqual([100, 101, 102, 103]);
    // Each new worker that boots lets the oldest old one go.
    expect(terms(m.boot(103))).toEqual([100]);
    expect(terms(m.boot(102))).toEqual([101]);
    // Old workers leaving are not replaced; once they are gone, the reload is over.
    expect(of([...m.exit(100), ...m.exit(101)], 'spawn')).toEqual([]);
    expect(m.state.rollout).toBeNull();
    expect(m.pids()).toEqual([102, 103]);
  });

  it('a new worker count applies: 2 old, 3 new', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    m.feed(sig('SIGHUP'));
    expect(of(m.feed(reloaded(1, 3)), 'spawn')).toHaveLength(3);
    expect(terms(m.boot(102))).toEqual([]); // 1 new + 2 old < 3
    expect(terms(m.boot(103))).toEqual([100]);
    expect(terms(m.boot(104))).toEqual([101]);
  });

  it('a new worker that dies before booting rolls back: no halt, new ones retired, old ones keep serving', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    m.feed(sig('SIGHUP'), reloaded(1, 3));
    const out = m.exit(102, 3);
    expect(of(out, 'exit')).toEqual([]);
    expect(of(out, 'log').map((l) => l.message)).toContain('Reload failed, going back to the previous configuration: a new worker did not boot: Worker failed to boot.');
    expect(of(out, 'use-version')).toEqual([{ type: 'use-version', version: 0 }]);
    expect(of(out, 'hook')).toContainEqual({ type: 'hook', name: 'nworkers_changed', args: [2, 3] });
    expect(terms(out)).toEqual([103, 104]);
    expect(of(out, 'spawn')).toEqual([]);
    expect(m.state.config.workers).toBe(2);
    expect(m.state.rollout).toBeNull();
    // Outside a reload, exit 3 still halts the master, as in gunicorn.
    m.exit(100, 3);
    expect(m.state.phase).toBe('stopping');
    expect(m.state.stop?.exitCode).toBe(3);
  });

  it('the other new workers failing the same way after the rollback halt nothing', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    m.feed(sig('SIGHUP'), reloaded(1));
    m.exit(102, 3);
    const second = m.exit(103, 3); // it imported the same broken app at the same moment
    expect(m.state.phase).toBe('running');
    expect(of(second, 'kill')).toEqual([]);
    expect(m.pids()).toEqual([100, 101]);
  });

  it('until every new worker has booted, a failure still goes back, even if the old workers are gone', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    m.feed(sig('SIGHUP'), reloaded(1));
    // The old workers leave on their own (max_requests, a crash): they are not replaced meanwhile.
    expect(of([...m.exit(100), ...m.exit(101)], 'spawn')).toEqual([]);
    expect(m.state.rollout).not.toBeNull();
    m.boot(102);
    const out = m.exit(103, 3);
    expect(of(out, 'exit')).toEqual([]);
    expect(of(out, 'use-version')).toEqual([{ type: 'use-version', version: 0 }]);
    expect(terms(out)).toEqual([102]);
    expect(of(out, 'spawn')).toHaveLength(2); // the previous configuration's workers
  });

  it('a failed read of the configuration changes nothing', () => {
    const m = master();
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGHUP'), { type: 'reload-failed', seq: 1, message: 'Invalid value for workers' });
    expect(of(out, 'log').at(-1)?.message).toBe('Reload failed, still serving with the running configuration: Invalid value for workers');
    expect(of(out, 'spawn')).toEqual([]);
  });

  it('a slower, older reload result is dropped; a HUP during a rollout makes every running worker old', () => {
    const m = master();
    m.feed({ type: 'start' });
    m.boot(100, 101);
    m.feed(sig('SIGHUP'), sig('SIGHUP'));
    expect(of(m.feed(reloaded(1)), 'spawn')).toEqual([]);
    m.feed(reloaded(2));
    expect(m.state.rollout?.boundary).toBe(2);
    m.feed(sig('SIGHUP'), { type: 'reloaded', seq: 3, version: 3, config });
    expect(m.state.rollout?.boundary).toBe(4);
    expect(m.state.rollout?.fallback.version).toBe(0); // still the last one that served
  });

  it('is ignored while the master stops', () => {
    const m = master();
    m.feed({ type: 'start' }, sig('SIGTERM'));
    const out = m.feed(sig('SIGHUP'));
    expect(of(out, 'reload')).toEqual([]);
  });
});

describe('USR2', () => {
  it('starts one new master at a time; the sockets are not unlinked while it runs', () => {
    const m = master();
    m.feed({ type: 'start' });
    expect(of(m.feed(sig('SIGUSR2')), 'reexec')).toHaveLength(1);
    m.feed({ type: 'reexeced', pid: 500 });
    const again = m.feed(sig('SIGUSR2'));
    expect(of(again, 'reexec')).toEqual([]);
    expect(of(again, 'log').at(-1)).toEqual({ type: 'log', level: 'warning', message: 'USR2 signal ignored. Child exists.' });
    expect(of(m.feed(sig('SIGTERM')), 'close-listeners')).toEqual([{ type: 'close-listeners', unlink: false }]);
  });

  it('once the new master exits, USR2 works again', () => {
    const m = master();
    m.feed({ type: 'start' }, sig('SIGUSR2'), { type: 'reexeced', pid: 500 }, { type: 'reexec-exited', pid: 500 });
    expect(of(m.feed(sig('SIGUSR2')), 'reexec')).toHaveLength(1);
  });

  it("the new master is 'Master.2' until its parent is gone, then promoted", () => {
    const m = master(initialState(config, { parentPid: 42 }));
    m.feed({ type: 'start' });
    expect(of(m.feed(sig('SIGUSR2')), 'log').at(-1)?.message).toBe('USR2 signal ignored. Parent exists.');
    expect(of(m.feed(sig('SIGHUP')), 'log').at(-1)?.message).toBe('Hang up: Master.2');
    const promoted = m.feed({ type: 'promoted' });
    expect(promoted).toEqual([{ type: 'log', level: 'info', message: 'Master has been promoted.' }, { type: 'promote' }]);
    expect(of(m.feed(sig('SIGTERM'), { type: 'exited', pid: 100, code: 0, signal: null }, { type: 'exited', pid: 101, code: 0, signal: null }), 'log').map((l) => l.message)).toContain('Shutting down: Master');
  });

  it("a 'Master.2' that stops says so and leaves the sockets' files to its parent", () => {
    const m = master(initialState(config, { parentPid: 42 }));
    m.feed({ type: 'start' });
    const out = m.feed(sig('SIGTERM'), { type: 'exited', pid: 100, code: 0, signal: null }, { type: 'exited', pid: 101, code: 0, signal: null });
    expect(of(out, 'close-listeners')).toEqual([{ type: 'close-listeners', unlink: false }]);
    expect(of(out, 'log').map((l) => l.message)).toContain('Shutting down: Master.2');
  });
});
