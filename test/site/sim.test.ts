// The playground's simulation (docs/.vitepress/playground/sim.ts) behaves as the server does: the
// behaviours the browser test checks on the page, here without a browser, plus the rest of the signals.
import { describe, expect, it } from 'vitest';
import { createSim, type Sim, type SimSettings } from '../../docs/.vitepress/playground/sim.ts';
import type { TraceEntry } from '../../src/log/trace.ts';

type Step = Extract<TraceEntry, { kind: 'step' }>;

/** Advances in small steps until `cond` holds; fails after `maxMs` of simulated time. */
function until(sim: Sim, cond: () => boolean, what: string, maxMs = 60_000): void {
  const deadline = sim.now + maxMs;
  while (!cond()) {
    if (sim.now > deadline) throw new Error(`simulated ${maxMs} ms without ${what}`);
    sim.advance(10);
  }
}

function booted(settings: Partial<SimSettings> = {}, seed = 1): Sim {
  const sim = createSim(settings, { seed });
  const n = settings.workers ?? 2;
  until(sim, () => sim.workers().filter((w) => w.status === 'idle').length === n, `${n} idle workers`);
  return sim;
}

const steps = (sim: Sim): Step[] => sim.trace.filter((e): e is Step => e.kind === 'step');
const logs = (sim: Sim, pid?: number): string[] => sim.trace.flatMap((e) => (e.kind === 'log' && (pid === undefined || e.pid === pid) ? [e.message] : []));
const hooks = (sim: Sim, name: string): TraceEntry[] => sim.trace.filter((e) => e.kind === 'hook' && e.name === name);
const live = (sim: Sim) => sim.workers().filter((w) => w.status !== 'exited');
const pids = (sim: Sim): number[] => live(sim).map((w) => w.pid).sort();

describe('the simulated server', () => {
  it('starts as the real master does: its lines and hooks in order, then boots its workers', () => {
    const sim = booted();
    const [master] = sim.masters();
    const first = sim.trace.slice(0, 7).map((e) => (e.kind === 'log' ? e.message : e.kind === 'hook' ? `hook ${e.name}` : `step ${e.kind === 'step' ? e.event.type : ''}`));
    expect(first).toEqual(['Starting prefork 0.1.0', 'hook nworkers_changed', 'hook on_starting', `Listening at: http://127.0.0.1:8000 (${master!.pid})`, 'Using worker: sync', 'hook when_ready', 'step start']);
    for (const w of live(sim)) {
      const own = sim.trace.filter((e) => e.pid === w.pid).map((e) => (e.kind === 'log' ? e.message : e.kind === 'hook' ? `hook ${e.name}` : e.kind));
      expect(own).toEqual([`Booting worker with pid: ${w.pid}`, 'hook post_fork', 'hook post_worker_init']);
    }
    expect(master).toMatchObject({ name: 'Master', phase: 'running', wanted: 2, version: 0, rollingOut: false, exitCode: null });
  });

  it('TTIN adds a worker, TTOU retires the oldest', () => {
    const sim = booted();
    const before = pids(sim);
    sim.signal('SIGTTIN');
    until(sim, () => live(sim).filter((w) => w.status === 'idle').length === 3, 'a third worker');
    expect(live(sim).map((w) => w.age)).toEqual([1, 2, 3]);
    expect(hooks(sim, 'nworkers_changed').at(-1)).toMatchObject({ args: ['…', 3, 2] });
    sim.signal('SIGTTOU');
    until(sim, () => live(sim).length === 2, 'the oldest gone');
    expect(live(sim).map((w) => w.age)).toEqual([2, 3]);
    expect(pids(sim)).not.toContain(before[0]);
  });

  it('HUP replaces every worker with a new one, each old one retiring as a new one boots', () => {
    const sim = booted();
    const old = pids(sim);
    sim.signal('SIGHUP');
    let fewest = Infinity;
    until(sim, () => {
      // Never fewer than two workers ready to serve while the reload rolls out.
      fewest = Math.min(fewest, live(sim).filter((w) => w.status === 'idle' || w.status === 'busy').length);
      return sim.masters()[0]!.version === 1 && !sim.masters()[0]!.rollingOut && live(sim).every((w) => w.age > 2 && w.status === 'idle');
    }, 'the reload to finish');
    expect(fewest).toBe(2);
    expect(pids(sim).filter((p) => old.includes(p))).toEqual([]);
    expect(live(sim)).toHaveLength(2);
    // Each SIGTERM to an old worker was decided when a new one reported booted.
    const retired = steps(sim).filter((s) => s.effects.some((fx) => fx.type === 'kill' && old.includes(fx.pid)));
    expect(retired.map((s) => s.event.type)).toEqual(['booted', 'booted']);
  });

  it('a stuck request past the timeout: WORKER TIMEOUT, SIGABRT, SIGKILL a second later, a replacement', () => {
    const sim = booted({ workers: 1, timeout: 2 });
    const pid = sim.request('stuck')!;
    expect(pid).toBe(live(sim)[0]!.pid);
    expect(sim.request('fast')).toBeNull(); // the only (sync) worker is busy
    until(sim, () => live(sim).some((w) => w.pid !== pid && w.status === 'idle'), 'a replacement');
    const abort = steps(sim).find((s) => s.effects.some((fx) => fx.type === 'kill' && fx.signal === 'SIGABRT'))!;
    const kill = steps(sim).find((s) => s.effects.some((fx) => fx.type === 'kill' && fx.signal === 'SIGKILL'))!;
    expect(abort.effects[0]).toEqual({ type: 'log', level: 'critical', message: `WORKER TIMEOUT (pid:${pid})` });
    const accepted = hooks(sim, 'pre_request')[0]!.t;
    expect(abort.t - accepted).toBeGreaterThan(2000);
    expect(abort.t - accepted).toBeLessThanOrEqual(2000 + 250);
    expect(kill.t - abort.t).toBeGreaterThanOrEqual(1000);
    expect(kill.t - abort.t).toBeLessThanOrEqual(1250);
    // Spinning on the CPU, it never ran its SIGABRT handler: no worker_abort, killed by the signal.
    expect(hooks(sim, 'worker_abort')).toEqual([]);
    expect(logs(sim)).toContain(`Worker (pid:${pid}) was sent SIGKILL after its timeout.`);
    expect(sim.workers().find((w) => w.pid === pid)).toMatchObject({ status: 'exited', exit: { code: null, signal: 'SIGKILL' } });
  });

  it('a slow request past the timeout (sync): the worker runs worker_abort and exits 1; async keeps beating', () => {
    const sim = booted({ workers: 1, timeout: 2 });
    const pid = sim.request('slow')!;
    until(sim, () => sim.workers().find((w) => w.pid === pid)!.status === 'exited', 'the worker aborted');
    expect(hooks(sim, 'worker_abort').map((h) => h.pid)).toEqual([pid]);
    expect(sim.workers().find((w) => w.pid === pid)!.exit).toEqual({ code: 1, signal: null });
    expect(logs(sim)).toContain(`Worker (pid:${pid}) exited with code 1.`);

    const asy = booted({ workers: 1, timeout: 2, workerClass: 'async' });
    const p2 = asy.request('slow')!;
    asy.advance(6000);
    expect(logs(asy).some((m) => m.startsWith('WORKER TIMEOUT'))).toBe(false);
    expect(asy.workers().find((w) => w.pid === p2)).toMatchObject({ status: 'idle', served: 1 });
  });

  it('a broken app and HUP: the new workers fail, the reload rolls back, the old workers keep serving', () => {
    const sim = booted();
    const old = pids(sim);
    sim.setAppBroken(true);
    sim.signal('SIGHUP');
    until(sim, () => logs(sim).some((m) => m.startsWith('Reload failed, going back')), 'the rollback');
    until(sim, () => live(sim).length === 2, 'the new workers gone');
    expect(pids(sim)).toEqual(old);
    expect(live(sim).every((w) => w.status === 'idle')).toBe(true);
    expect(sim.masters()[0]).toMatchObject({ phase: 'running', version: 0, rollingOut: false });
    expect(logs(sim).filter((m) => m.startsWith('Exception in worker process:')).length).toBeGreaterThanOrEqual(1);
    // Still serving, on the old workers; a worker replaced now boots the working version.
    expect(old).toContain(sim.request('fast'));
    sim.kill(old[0]!);
    until(sim, () => live(sim).filter((w) => w.status === 'idle').length === 2 && !pids(sim).includes(old[0]!), 'a replacement of the working version');
    expect(sim.masters()[0]!.phase).toBe('running');
  });

  it('TERM: a graceful stop waits for the slow request in flight, then the master exits 0', () => {
    const sim = booted();
    const busy = sim.request('slow')!;
    sim.advance(1000);
    sim.signal('SIGTERM');
    until(sim, () => sim.masters()[0]!.phase === 'done', 'the master to finish', 10_000);
    const exiting = sim.trace.findIndex((e) => e.pid === busy && e.kind === 'log' && e.message.startsWith('Worker exiting'));
    const answered = sim.trace.findIndex((e) => e.pid === busy && e.kind === 'hook' && e.name === 'post_request');
    expect(answered).toBeGreaterThan(-1);
    expect(answered).toBeLessThan(exiting);
    expect(sim.trace.filter((e) => e.kind === 'hook' && e.name === 'worker_exit')).toHaveLength(2);
    expect(sim.masters()[0]).toMatchObject({ phase: 'done', exitCode: 0 });
    expect(logs(sim).at(-1)).toBe('Shutting down: Master');
    // The slow request took its 5 s: the master ended about 4 s after TERM, not at once.
    const term = steps(sim).find((s) => s.event.type === 'signal')!;
    expect(sim.trace.at(-1)!.t - term.t).toBeGreaterThanOrEqual(3900);
  });

  it('QUIT: a quick stop, worker_int in each worker, nothing waits for the request in flight', () => {
    const sim = booted();
    sim.request('slow');
    sim.signal('SIGQUIT');
    until(sim, () => sim.masters()[0]!.phase === 'done', 'the master to finish', 1000);
    expect(hooks(sim, 'worker_int')).toHaveLength(2);
    expect(hooks(sim, 'post_request')).toHaveLength(0);
    expect(sim.workers().map((w) => w.exit)).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
    expect(sim.masters()[0]!.exitCode).toBe(0);
  });

  it('USR2, WINCH and TERM to the old master: Master.2 serves, and is promoted', () => {
    const sim = booted();
    const old = sim.masters()[0]!.pid;
    sim.signal('SIGUSR2');
    expect(hooks(sim, 'pre_exec').map((h) => h.pid)).toEqual([old]);
    until(sim, () => sim.masters().length === 2 && sim.workers().filter((w) => w.status === 'idle').length === 4, 'the new master and its workers');
    const child = sim.masters()[1]!;
    expect(child.name).toBe('Master.2');
    sim.signal('SIGUSR2'); // ignored: a child exists
    expect(logs(sim)).toContain('USR2 signal ignored. Child exists.');
    sim.signal('SIGWINCH', old);
    until(sim, () => live(sim).every((w) => w.masterPid === child.pid), 'the old workers gone');
    sim.signal('SIGTERM', old);
    until(sim, () => logs(sim, child.pid).includes('Master has been promoted.'), 'the promotion', 2000);
    expect(sim.masters()).toEqual([expect.objectContaining({ pid: child.pid, name: 'Master', phase: 'running' })]);
    // The promoted master still serves, on its own workers.
    const served = sim.request('fast');
    expect(live(sim).map((w) => w.pid)).toContain(served);
  });

  it('kill -9 a worker: the master logs it and starts a replacement', () => {
    const sim = booted();
    const [victim] = live(sim);
    sim.kill(victim!.pid);
    until(sim, () => live(sim).filter((w) => w.status === 'idle').length === 2 && live(sim).some((w) => w.age === 3), 'the replacement');
    expect(logs(sim)).toContain(`Worker (pid:${victim!.pid}) was sent SIGKILL! Perhaps out of memory?`);
    expect(hooks(sim, 'child_exit').map((h) => (h.kind === 'hook' ? h.args[1] : null))).toEqual([{ age: 1, pid: victim!.pid }]);
  });

  it('max_requests: a worker answers its last request, exits 0, and is replaced', () => {
    const sim = booted({ workers: 1, maxRequests: 2 });
    const pid = sim.request('fast')!;
    sim.advance(100);
    expect(sim.request('fast')).toBe(pid);
    until(sim, () => live(sim).some((w) => w.pid !== pid && w.status === 'idle'), 'the replacement');
    expect(logs(sim, pid)).toEqual([`Booting worker with pid: ${pid}`, 'Autorestarting worker after current request.', `Worker exiting (pid: ${pid})`]);
    expect(sim.workers().find((w) => w.pid === pid)).toMatchObject({ served: 2, exit: { code: 0, signal: null } });
  });

  it('heartbeats: a sync worker beats while idle, every timeout/4, and the page sees when', () => {
    const sim = booted({ workers: 1, timeout: 4 });
    const from = sim.trace[0]!.t + sim.now;
    sim.advance(5000);
    const beats = steps(sim).filter((s) => s.event.type === 'heartbeat' && s.t >= from);
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.length).toBeLessThanOrEqual(6);
    const w = live(sim)[0]!;
    expect(sim.now - w.lastBeat!).toBeLessThanOrEqual(1000);
  });

  it('the same seed gives the same trace; another seed, other pids', () => {
    const run = (seed: number): TraceEntry[] => {
      const sim = booted({}, seed);
      sim.request('slow');
      sim.signal('SIGHUP');
      sim.advance(3000);
      sim.signal('SIGTERM');
      sim.advance(10_000);
      return sim.trace;
    };
    expect(JSON.stringify(run(7))).toBe(JSON.stringify(run(7)));
    expect(run(7)[0]!.pid).not.toBe(run(8)[0]!.pid);
  });
});
