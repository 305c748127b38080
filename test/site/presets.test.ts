// The playground's scenarios do what their pages say: each chapter's opening, run on the real
// simulation (and so on the master's real core), reaches the state its intro describes, and the
// "try this" suggestions that promise an outcome get it. Simulated time only: no waiting.
import { describe, expect, it } from 'vitest';
import { Director, presets, type PresetName } from '../../docs/.vitepress/playground/presets.ts';
import { createSim, DEFAULT_SETTINGS, type Sim } from '../../docs/.vitepress/playground/sim.ts';
import type { TraceEntry } from '../../src/log/trace.ts';

function run(name: PresetName, ms: number): { sim: Sim; director: Director } {
  const sim = createSim(presets[name].settings);
  const director = new Director(sim, presets[name].script);
  director.advance(ms);
  return { sim, director };
}

const steps = (trace: TraceEntry[]) => trace.flatMap((e) => (e.kind === 'step' ? [e] : []));
const logs = (trace: TraceEntry[]) => trace.flatMap((e) => (e.kind === 'log' ? [e.message] : []));
const hooks = (trace: TraceEntry[]) => trace.flatMap((e) => (e.kind === 'hook' ? [e.name] : []));
const upPids = (sim: Sim) => sim.workers().filter((w) => w.status !== 'exited').map((w) => w.pid).sort();

describe('the presets', () => {
  it('each has a title, an intro, things to try, and only settings the simulation knows', () => {
    for (const p of Object.values(presets)) {
      expect(p.title.length, p.name).toBeGreaterThan(5);
      expect(p.intro.length, p.name).toBeGreaterThan(80);
      expect(p.tryThis.length, p.name).toBeGreaterThanOrEqual(2);
      for (const key of Object.keys(p.settings)) expect(DEFAULT_SETTINGS, `${p.name}: ${key}`).toHaveProperty(key);
      const times = p.script.map((s) => s.at);
      expect(times, `${p.name}: a script runs in time order`).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('ch5: the oldest worker is killed with kill -9 and replaced by the next age', () => {
    const { sim } = run('ch5', 6000);
    const killed = steps(sim.trace).find((s) => s.event.type === 'exited' && s.event.signal === 'SIGKILL');
    expect(killed?.effects).toContainEqual({ type: 'spawn', age: 3, maxRequests: 0 });
    expect(sim.workers().filter((w) => w.status === 'idle').map((w) => w.age)).toEqual([2, 3]);
  });

  it('ch6: the timeline shows each hook once per moment, in order', () => {
    const { sim } = run('ch6', 8000);
    const names = hooks(sim.trace);
    const order = ['on_starting', 'when_ready', 'pre_fork', 'post_fork', 'post_worker_init', 'pre_request', 'post_request', 'child_exit'];
    const at = order.map((n) => names.indexOf(n));
    expect(at.every((i) => i >= 0), names.join(' ')).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(presets.ch6.filter).toEqual({ logs: false });
  });

  it('ch6 (try this): TERM ends with worker_exit in each worker, child_exit in the master, on_exit last', () => {
    const { sim, director } = run('ch6', 8000);
    const from = sim.trace.length;
    sim.signal('SIGTERM');
    director.advance(5000);
    const names = hooks(sim.trace.slice(from));
    expect(names.filter((n) => n === 'worker_exit')).toHaveLength(3);
    expect(names.filter((n) => n === 'child_exit')).toHaveLength(3);
    expect(names.at(-1)).toBe('on_exit');
  });

  it('ch7: USR1 reopens the master\'s logs and is passed on to every worker', () => {
    const { sim } = run('ch7', 4000);
    const usr1 = steps(sim.trace).find((s) => s.event.type === 'signal' && s.event.signal === 'SIGUSR1');
    expect(usr1?.effects).toContainEqual({ type: 'reopen-logs' });
    const passed = usr1!.effects.flatMap((e) => (e.type === 'kill' && e.signal === 'SIGUSR1' ? [e.pid] : []));
    expect(passed.sort()).toEqual(upPids(sim));
  });

  it('ch8: the stuck worker\'s silence grows toward the 3 s timeout, then it is aborted, killed and replaced', () => {
    const { sim, director } = run('ch8', 4000);
    const stuck = sim.workers().find((w) => w.status === 'busy');
    expect(stuck?.inFlight).toEqual(['stuck']);
    // 2.5 s after the request, the bar is most of the way to the timeout.
    expect(sim.now - stuck!.lastBeat!).toBeGreaterThan(2000);
    director.advance(4000);
    expect(logs(sim.trace)).toContain(`WORKER TIMEOUT (pid:${stuck!.pid})`);
    expect(logs(sim.trace)).toContain(`Worker (pid:${stuck!.pid}) was sent SIGKILL after its timeout.`);
    expect(sim.workers().filter((w) => w.status === 'idle').map((w) => w.age)).toEqual([1, 3]);
  });

  it('ch8 (try this): a slow request on a sync worker times out too, and worker_abort runs', () => {
    const { sim, director } = run('ch8', 4000);
    director.advance(4000);
    const from = sim.trace.length;
    const pid = sim.request('slow');
    director.advance(5000);
    expect(logs(sim.trace.slice(from))).toContain(`WORKER TIMEOUT (pid:${pid})`);
    expect(hooks(sim.trace.slice(from))).toContain('worker_abort');
  });

  it('ch9: a HUP with a broken app rolls back, and the old workers stay', () => {
    const { sim, director } = run('ch9', 1000);
    const old = upPids(sim);
    director.advance(5000);
    expect(director.appBroken).toBe(true);
    expect(logs(sim.trace).some((l) => l.startsWith('Reload failed, going back to the previous configuration'))).toBe(true);
    expect(upPids(sim)).toEqual(old);
    expect(sim.masters()[0]).toMatchObject({ version: 0, rollingOut: false, phase: 'running' });
  });

  it('ch9 (try this): with the app still broken a replacement boots; fixed, a HUP goes through', () => {
    const { sim, director } = run('ch9', 6000);
    sim.kill(upPids(sim)[0]!);
    director.advance(3000);
    expect(sim.workers().filter((w) => w.status === 'idle')).toHaveLength(2);
    director.setAppBroken(false);
    const before = upPids(sim);
    sim.signal('SIGHUP');
    director.advance(5000);
    const after = upPids(sim);
    expect(after).toHaveLength(2);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
    expect(sim.masters()[0]).toMatchObject({ version: 2, rollingOut: false });
  });

  it('free (try this): TTIN twice, then HUP: two new workers, and the four old ones go', () => {
    const { sim, director } = run('free', 2000);
    sim.signal('SIGTTIN');
    sim.signal('SIGTTIN');
    director.advance(2000);
    const old = upPids(sim);
    expect(old).toHaveLength(4);
    sim.signal('SIGHUP');
    director.advance(5000);
    const now = upPids(sim);
    expect(now).toHaveLength(2);
    expect(now.filter((p) => old.includes(p))).toEqual([]);
  });

  it('a scripted action also happens when the reader steps through time', () => {
    const sim = createSim(presets.ch5.settings);
    const director = new Director(sim, presets.ch5.script);
    for (let i = 0; i < 200 && director.pending > 0; i++) director.next();
    expect(director.pending).toBe(0);
    expect(sim.now).toBeGreaterThanOrEqual(3000);
    director.advance(2000);
    expect(steps(sim.trace).some((s) => s.event.type === 'exited' && s.event.signal === 'SIGKILL')).toBe(true);
  });
});
