// @chapter 5
// The master's decisions, with no processes and no clock: events in, effects out.
import { describe, expect, it } from 'vitest';
import { initialState, step, type ArbiterEvent, type ArbiterState, type Effect } from '../../src/arbiter/core.ts';

const config = { workers: 2, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 };

/** Feeds events in order; returns the final state and every effect, with spawned workers given pids 100, 101, ... */
function run(events: ArbiterEvent[], opts: { now?: number; random?: number; state?: ArbiterState } = {}) {
  let state = opts.state ?? initialState(config);
  const effects: Effect[] = [];
  let nextPid = 100;
  const queue = [...events];
  while (queue.length) {
    const r = step(state, queue.shift()!, { now: opts.now ?? 0, random: () => opts.random ?? 0 });
    state = r.state;
    for (const e of r.effects) {
      effects.push(e);
      if (e.type === 'spawn') queue.unshift({ type: 'spawned', age: e.age, pid: nextPid++ });
    }
  }
  return { state, effects };
}
const of = <T extends Effect['type']>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

describe('arbiter core', () => {
  it('spawns the configured number of workers at start', () => {
    const { state, effects } = run([{ type: 'start' }]);
    expect(of(effects, 'spawn').map((e) => e.age)).toEqual([1, 2]);
    expect(state.workers.map((w) => w.pid)).toEqual([100, 101]);
  });

  it('replaces a worker that died, with a new age', () => {
    const { state, effects } = run([{ type: 'start' }, { type: 'exited', pid: 100, code: null, signal: 'SIGKILL' }]);
    expect(of(effects, 'spawn').map((e) => e.age)).toEqual([1, 2, 3]);
    expect(state.workers.map((w) => [w.age, w.pid])).toEqual([[2, 101], [3, 102]]);
    expect(of(effects, 'log').some((l) => l.level === 'error' && l.message === 'Worker (pid:100) was sent SIGKILL! Perhaps out of memory?')).toBe(true);
  });

  it('ignores exits of processes that are not its workers', () => {
    const { effects } = run([{ type: 'start' }, { type: 'exited', pid: 999, code: 0, signal: null }]);
    expect(of(effects, 'spawn')).toHaveLength(2);
  });

  it('stops the server instead of respawning when a worker cannot boot (exit 3) or load the app (exit 4)', () => {
    for (const [code, reason] of [[3, 'Worker failed to boot.'], [4, 'App failed to load.']] as const) {
      const { state, effects } = run([{ type: 'start' }, { type: 'exited', pid: 100, code, signal: null }, { type: 'exited', pid: 101, code: 0, signal: null }]);
      expect(of(effects, 'spawn')).toHaveLength(2);
      expect(of(effects, 'kill')).toEqual([{ type: 'kill', pid: 101, signal: 'SIGTERM' }]);
      expect(of(effects, 'log').map((l) => l.message).slice(-2)).toEqual(['Shutting down: Master', `Reason: ${reason}`]);
      expect(of(effects, 'exit')).toEqual([{ type: 'exit', code }]);
      expect(state.phase).toBe('done');
    }
  });

  it('TERM: closes the sockets, asks workers to finish, exits 0 when the last one is gone', () => {
    const started = run([{ type: 'start' }]);
    const { effects } = run([{ type: 'signal', signal: 'SIGTERM' }, { type: 'exited', pid: 100, code: 0, signal: null }, { type: 'exited', pid: 101, code: 0, signal: null }], { state: started.state });
    expect(effects.map((e) => e.type)).toEqual([
      'log',
      'close-listeners',
      'kill',
      'kill',
      // >>> chapter 6
      'hook', // child_exit, per worker
      'hook',
      // <<< chapter 6
      'log',
      // >>> chapter 6
      'release', // the pid file goes, then on_exit runs
      'hook',
      // <<< chapter 6
      'exit',
    ]);
    expect(of(effects, 'kill').map((k) => k.signal)).toEqual(['SIGTERM', 'SIGTERM']);
    expect(of(effects, 'spawn')).toHaveLength(0); // no respawn while stopping
    expect(of(effects, 'exit')).toEqual([{ type: 'exit', code: 0 }]);
  });

  it('escalates to SIGKILL after graceful_timeout, not before', () => {
    const started = run([{ type: 'start' }]);
    const stopping = run([{ type: 'signal', signal: 'SIGTERM' }], { state: started.state, now: 1000 });
    const early = run([{ type: 'tick' }], { state: stopping.state, now: 1000 + 29_999 });
    expect(of(early.effects, 'kill')).toEqual([]);
    const late = run([{ type: 'tick' }, { type: 'tick' }], { state: early.state, now: 1000 + 30_000 });
    expect(of(late.effects, 'kill')).toEqual([
      { type: 'kill', pid: 100, signal: 'SIGKILL' },
      { type: 'kill', pid: 101, signal: 'SIGKILL' },
    ]);
  });

  it('INT and QUIT stop quickly: workers get SIGQUIT', () => {
    for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
      const { effects } = run([{ type: 'start' }, { type: 'signal', signal }]);
      expect(of(effects, 'kill').map((k) => k.signal)).toEqual(['SIGQUIT', 'SIGQUIT']);
    }
  });

  it('INT during a graceful stop switches to a quick one', () => {
    const { effects, state } = run([{ type: 'start' }, { type: 'signal', signal: 'SIGTERM' }, { type: 'signal', signal: 'SIGINT' }], { now: 0 });
    expect(of(effects, 'log').some((l) => l.message === 'Quick shutdown requested')).toBe(true);
    expect(of(effects, 'kill').map((k) => k.signal)).toEqual(['SIGTERM', 'SIGTERM', 'SIGQUIT', 'SIGQUIT']);
    expect(state.stop?.deadline).toBe(2000);
  });

  it('draws max_requests + jitter per worker when it spawns it', () => {
    const jittered = { ...config, maxRequests: 1000, maxRequestsJitter: 50 };
    const { effects } = run([{ type: 'start' }], { random: 0.999, state: initialState(jittered) });
    expect(of(effects, 'spawn').map((e) => e.maxRequests)).toEqual([1050, 1050]);
    const low = run([{ type: 'start' }], { random: 0, state: initialState(jittered) });
    expect(of(low.effects, 'spawn').map((e) => e.maxRequests)).toEqual([1000, 1000]);
    expect(of(run([{ type: 'start' }]).effects, 'spawn').map((e) => e.maxRequests)).toEqual([0, 0]);
  });

  it('a listen failure (address in use) stops the server with exit code 1', () => {
    const { effects } = run([{ type: 'start' }, { type: 'listen-failed', message: 'listen EADDRINUSE 127.0.0.1:8000' }, { type: 'exited', pid: 100, code: 3, signal: null }, { type: 'exited', pid: 101, code: 0, signal: null }]);
    expect(of(effects, 'exit')).toEqual([{ type: 'exit', code: 1 }]);
  });

  // >>> chapter 6
  it('runs child_exit after each reap, before the replacement is spawned', () => {
    const { effects } = run([{ type: 'start' }, { type: 'exited', pid: 100, code: 1, signal: null }]);
    const after = effects.slice(effects.findIndex((e) => e.type === 'log'));
    expect(after.map((e) => e.type)).toEqual(['log', 'hook', 'spawn']);
    expect(after[1]).toEqual({ type: 'hook', name: 'child_exit', worker: { age: 1, pid: 100 } });
  });

  it('a fatal error (a hook threw) stops quickly and exits 255; a worker that never started is forgotten', () => {
    const started = run([{ type: 'start' }]);
    const failed = run([{ type: 'spawn-failed', age: 2 }, { type: 'fatal', message: 'Error: boom' }, { type: 'exited', pid: 100, code: 0, signal: null }], { state: started.state });
    expect(of(failed.effects, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGQUIT' }]);
    expect(of(failed.effects, 'exit')).toEqual([{ type: 'exit', code: 255 }]);
    expect(of(failed.effects, 'log')[0]?.message).toBe('Unhandled exception in main loop:\nError: boom');
  });
  // <<< chapter 6

  // >>> chapter 7
  it('USR1: reopens the log files and passes USR1 on to every worker; nothing stops or spawns', () => {
    const started = run([{ type: 'start' }]);
    const { state, effects } = run([{ type: 'signal', signal: 'SIGUSR1' }], { state: started.state });
    expect(effects).toEqual([
      { type: 'log', level: 'info', message: 'Handling signal: usr1' },
      { type: 'reopen-logs' },
      { type: 'kill', pid: 100, signal: 'SIGUSR1' },
      { type: 'kill', pid: 101, signal: 'SIGUSR1' },
    ]);
    expect(state.phase).toBe('running');
    expect(state.workers.map((w) => w.pid)).toEqual([100, 101]);
    // A worker still starting has no pid yet: it opens the files after the rename anyway.
    const booting = run([{ type: 'exited', pid: 100, code: 1, signal: null }], { state: started.state });
    const unborn = { ...booting.state, workers: booting.state.workers.map((w) => (w.age === 3 ? { ...w, pid: null } : w)) };
    expect(of(run([{ type: 'signal', signal: 'SIGUSR1' }], { state: unborn }).effects, 'kill')).toEqual([{ type: 'kill', pid: 101, signal: 'SIGUSR1' }]);
  });
  // <<< chapter 7

  // >>> chapter 8
  it('a worker silent past timeout gets SIGABRT, then SIGKILL a second later; heartbeats keep it alive', () => {
    const timed = initialState({ ...config, workers: 1, timeout: 30 });
    const started = run([{ type: 'start' }], { state: timed, now: 0 });
    const alive = run([{ type: 'heartbeat', pid: 100 }, { type: 'tick' }], { state: started.state, now: 29_000 });
    expect(of(alive.effects, 'kill')).toEqual([]);
    const quiet = run([{ type: 'tick' }], { state: alive.state, now: 29_000 + 30_001 });
    expect(of(quiet.effects, 'log')).toEqual([{ type: 'log', level: 'critical', message: 'WORKER TIMEOUT (pid:100)' }]);
    expect(of(quiet.effects, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGABRT' }]);
    const soon = run([{ type: 'tick' }], { state: quiet.state, now: 29_000 + 30_500 });
    expect(of(soon.effects, 'kill')).toEqual([]);
    const later = run([{ type: 'tick' }], { state: soon.state, now: 29_000 + 31_001 });
    expect(of(later.effects, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGKILL' }]);
  });

  it('booting counts against timeout from the spawn; booted starts a fresh count', () => {
    const started = run([{ type: 'start' }], { state: initialState({ ...config, workers: 1, timeout: 30 }), now: 0 });
    const slowBoot = run([{ type: 'tick' }], { state: started.state, now: 30_001 });
    expect(of(slowBoot.effects, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGABRT' }]);
    const booted = run([{ type: 'booted', pid: 100 }], { state: started.state, now: 20_000 });
    expect(of(run([{ type: 'tick' }], { state: booted.state, now: 20_000 + 30_000 }).effects, 'kill')).toEqual([]);
    expect(of(run([{ type: 'tick' }], { state: booted.state, now: 20_000 + 30_001 }).effects, 'kill')).toEqual([{ type: 'kill', pid: 100, signal: 'SIGABRT' }]);
  });

  it('timeout 0 never kills', () => {
    const started = run([{ type: 'start' }], { state: initialState({ ...config, timeout: 0 }), now: 0 });
    expect(of(run([{ type: 'tick' }], { state: started.state, now: 10_000_000 }).effects, 'kill')).toEqual([]);
  });
  // <<< chapter 8
});
