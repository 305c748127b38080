// What the playground shows from trace entries: the timeline's lines in gunicorn's format, and the
// masters and workers a replay rebuilds from a trace, checked against the simulation that wrote the
// trace (which knows them first-hand) and against the recordings the site ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Director, presets } from '../../docs/.vitepress/playground/presets.ts';
import { parseRecording, parts } from '../../docs/.vitepress/playground/recording.ts';
import { guessTimeoutMs, lineOf, Replay, stamp } from '../../docs/.vitepress/playground/replay.ts';
import { createSim, type Sim } from '../../docs/.vitepress/playground/sim.ts';
import type { TraceEntry } from '../../src/log/trace.ts';

const runsDir = join(import.meta.dirname, '../../docs/data/runs');
const T = Date.UTC(2026, 11, 6, 1, 52, 6);

/** Workers as the simulation has them, in the shape a replay rebuilds (busy and served need request hooks). */
const simView = (sim: Sim) =>
  sim
    .workers()
    .map((w) => ({ pid: w.pid, age: w.age, status: w.status, lastBeat: w.lastBeat === null ? null : w.lastBeat + T }))
    .sort((a, b) => a.pid - b.pid);

const replayView = (trace: TraceEntry[], at: number) =>
  new Replay(trace)
    .seek(at)
    .workers.map((w) => ({ pid: w.pid, age: w.age, status: w.status, lastBeat: w.lastBeat }))
    .sort((a, b) => a.pid - b.pid);

describe('timeline lines', () => {
  it('stamps time as gunicorn does, in UTC', () => {
    expect(stamp(T)).toBe('[2026-12-06 01:52:06 +0000]');
  });

  it('writes logs, hooks, decisions and stage headings', () => {
    const log = lineOf({ t: T, pid: 20934, kind: 'log', level: 'info', message: 'Booting worker with pid: 20958' }, 0);
    expect(`${log.prefix} ${log.text}`).toBe('[2026-12-06 01:52:06 +0000] [20934] [INFO] Booting worker with pid: 20958');
    const hook = lineOf({ t: T, pid: 20958, kind: 'hook', name: 'post_fork', args: ['…', { age: 3, pid: 20958 }] }, 1);
    expect(hook).toMatchObject({ kind: 'hook', text: 'hook post_fork(worker 3)' });
    const hup = lineOf(
      {
        t: T,
        pid: 20934,
        kind: 'step',
        event: { type: 'signal', signal: 'SIGHUP' },
        effects: [
          { type: 'log', level: 'info', message: 'Handling signal: hup' },
          { type: 'reload', seq: 1 },
        ],
        workers: [],
        phase: 'running',
        version: 0,
      },
      2,
    );
    expect(hup.text).toBe('signal HUP -> log "Handling signal: hup", reload config (HUP #1)');
    const timeout = lineOf(
      {
        t: T,
        pid: 20934,
        kind: 'step',
        event: { type: 'tick' },
        effects: [
          { type: 'log', level: 'critical', message: 'WORKER TIMEOUT (pid:20958)' },
          { type: 'kill', pid: 20958, signal: 'SIGABRT' },
        ],
        workers: [],
        phase: 'running',
        version: 0,
      },
      3,
    );
    expect(timeout).toMatchObject({ level: 'critical', text: 'tick -> log critical "WORKER TIMEOUT (pid:20958)", kill -ABRT 20958', beat: false });
    const beat = lineOf({ t: T, pid: 1, kind: 'step', event: { type: 'heartbeat', pid: 2 }, effects: [], workers: [], phase: 'running', version: 0 }, 4);
    expect(beat).toMatchObject({ beat: true, text: 'heartbeat 2 -> nothing' });
    expect(lineOf({ t: T, pid: 1, kind: 'stage', text: 'HUP' }, 5).text).toBe('== HUP');
  });

  it('has a line for every entry of a simulated run (none of its kinds or effects left undescribed)', () => {
    const sim = createSim({ workers: 2, timeout: 3 });
    const director = new Director(sim, []);
    director.advance(1000);
    for (const sig of ['SIGTTIN', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
      sim.signal(sig);
      director.advance(3000);
    }
    sim.request('stuck');
    director.advance(6000);
    sim.signal('SIGTERM');
    director.advance(5000);
    for (const [i, e] of sim.trace.entries()) expect(lineOf(e, i).text, JSON.stringify(e)).not.toMatch(/undefined/);
  });
});

describe('a replay of a simulated run', () => {
  it('shows the workers the simulation had, at any moment', () => {
    const sim = createSim(presets.ch9.settings, { startAt: T });
    const director = new Director(sim, presets.ch9.script);
    const trace = sim.trace;
    // Sample a few moments: booting, the broken reload, the rollback, a fixed reload, the stop.
    const checks: [number, () => void][] = [
      [300, () => {}],
      [2200, () => {}],
      [4000, () => director.setAppBroken(false)],
      [4100, () => sim.signal('SIGHUP')],
      [4300, () => {}],
      [8000, () => sim.signal('SIGTERM')],
      [8100, () => {}],
    ];
    for (const [at, then] of checks) {
      director.advance(at - sim.now);
      // A replay knows busy and served only from request hooks, and there were no requests here.
      expect(replayView(trace, T + sim.now), `at ${at} ms`).toEqual(simView(sim));
      then();
    }
  });

  it('knows the masters: wanted, version, a reload rolling out, the exit', () => {
    const sim = createSim({ workers: 2 }, { startAt: T });
    const director = new Director(sim, []);
    director.advance(1500);
    sim.signal('SIGTTIN');
    director.advance(1500);
    sim.signal('SIGHUP');
    director.advance(300);
    // A replay reads a finished recording: each look takes the trace so far.
    const at = (t: number) => new Replay(sim.trace).seek(t);
    const during = at(T + sim.now).masters[0]!;
    expect(during).toMatchObject({ name: 'Master', phase: 'running', version: 1, wanted: 2, rollingOut: true });
    expect(during.rollingOut).toBe(sim.masters()[0]!.rollingOut);
    director.advance(3000);
    expect(at(T + sim.now).masters[0]).toMatchObject({ rollingOut: false, version: 1 });
    sim.signal('SIGTERM');
    director.advance(3000);
    expect(at(T + sim.now).masters[0]).toMatchObject({ phase: 'done', exitCode: 0 });
  });

  it('counts served requests and busy workers from the request hooks', () => {
    const sim = createSim({ workers: 1, timeout: 0 }, { startAt: T });
    const director = new Director(sim, []);
    director.advance(1500);
    sim.request('fast');
    director.advance(100);
    sim.request('slow');
    director.advance(100);
    const [w] = new Replay(sim.trace).seek(T + sim.now).workers;
    expect(w).toMatchObject({ status: 'busy', served: 1 });
  });

  it('goes back in time by starting over', () => {
    const sim = createSim({ workers: 2 }, { startAt: T });
    new Director(sim, presets.ch5.script).advance(6000);
    const replay = new Replay(sim.trace);
    const end = replay.seek(replay.end);
    const middle = replay.seek(replay.start + 3000);
    expect(middle.shown).toBeLessThan(end.shown);
    expect(middle.workers.map((w) => w.age)).toEqual([1, 2]);
    expect(replay.seek(replay.start - 1)).toEqual({ shown: 0, masters: [], workers: [] });
    expect(replay.seek(replay.end)).toEqual(end);
  });
});

describe('USR2 in a replay', () => {
  it('names the new master Master.2 until it is promoted, as the simulation does', () => {
    const sim = createSim({ workers: 1 }, { startAt: T });
    const director = new Director(sim, []);
    director.advance(1500);
    sim.signal('SIGUSR2');
    director.advance(2000);
    const both = new Replay(sim.trace).seek(T + sim.now).masters;
    expect(both.map((m) => [m.pid, m.name])).toEqual(sim.masters().map((m) => [m.pid, m.name]));
    expect(both.map((m) => m.name)).toEqual(['Master', 'Master.2']);
    const [, child] = sim.masters();
    sim.signal('SIGTERM', both[0]!.pid);
    director.advance(3000);
    // Alone in its part (as a recording splits it), it still knows it was started by USR2.
    const own = sim.trace.filter((e) => e.pid === child!.pid);
    expect(new Replay(own, [child!.pid]).seek(own[0]!.t).masters[0]!.name).toBe('Master.2');
    expect(new Replay(own, [child!.pid]).seek(T + sim.now).masters[0]).toMatchObject({ name: 'Master', phase: 'running' });
  });
});

describe('the timeout a trace reveals', () => {
  it('is said by a WORKER TIMEOUT, absent without heartbeats, unknown otherwise', () => {
    const stuck = createSim(presets.ch8.settings);
    new Director(stuck, presets.ch8.script).advance(8000);
    expect(guessTimeoutMs(stuck.trace)).toBe(3000);
    const none = createSim({ timeout: 0 });
    none.advance(3000);
    expect(guessTimeoutMs(none.trace)).toBe(0);
    const quiet = createSim({ timeout: 30 });
    quiet.advance(3000);
    expect(guessTimeoutMs(quiet.trace)).toBeNull();
  });
});

describe('the recordings the site ships', () => {
  const files = readdirSync(runsDir).filter((f) => /^\d\d\.json$/.test(f));

  it('are there for chapters 5 to 9', () => {
    expect(files.sort()).toEqual(['05.json', '06.json', '07.json', '08.json', '09.json']);
  });

  for (const file of files) {
    it(`${file}: every server replays from start to end, and ends stopped`, () => {
      const rec = parseRecording(JSON.parse(readFileSync(join(runsDir, file), 'utf8')));
      const servers = parts(rec);
      expect(servers.length).toBeGreaterThan(0);
      for (const part of servers) {
        const replay = new Replay(part.entries);
        for (let t = replay.start; t < replay.end; t += 250) {
          const view = replay.seek(t);
          for (const w of view.workers) expect(['booting', 'idle', 'busy', 'retiring', 'aborted', 'exited']).toContain(w.status);
        }
        const end = replay.seek(replay.end);
        expect(end.shown).toBe(part.entries.length);
        expect(end.masters.every((m) => m.phase === 'done'), `${file}, master ${part.master}`).toBe(true);
        for (const [i, e] of part.entries.entries()) expect(lineOf(e, i).text).not.toMatch(/undefined/);
      }
    });
  }
});
