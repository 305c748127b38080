// Parity: the same scenario on the real server (PREFORK_TRACE) and in the playground's simulation
// gives the same master decisions, hook calls and log lines (docs/.vitepress/playground/parity.ts says
// what may differ, and why). Each scenario drives both sides by waiting for the same conditions on
// their traces, and acts at the same points.
import { request, type ClientRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compare, type Phases } from '../../docs/.vitepress/playground/parity.ts';
import { createSim, type Sim, type SimSettings } from '../../docs/.vitepress/playground/sim.ts';
import type { TraceEntry } from '../../src/log/trace.ts';
import { killAll, startPrefork } from '../arbiter/server.ts';
import { processAlive, waitFor } from '../helpers.ts';

type Action =
  | { type: 'kill-oldest-worker' }
  /** To the first master, or to the one it started by USR2. */
  | { type: 'signal'; signal: 'SIGHUP' | 'SIGTERM' | 'SIGQUIT' | 'SIGTTIN' | 'SIGTTOU' | 'SIGUSR2' | 'SIGWINCH'; to?: 'new' }
  | { type: 'break-app' }
  | { type: 'request-stuck' };
type Condition = (trace: readonly TraceEntry[]) => boolean;

interface Scenario {
  name: string;
  /** Command-line options of the real server (its bind and config are added). */
  args: string[];
  /** The same settings for the simulation. */
  settings: Partial<SimSettings>;
  /** Phase 0 waits for its condition from the start; each later phase acts first, then waits. */
  phases: { name: string; actions: Action[]; until: Condition; what: string }[];
}

const events = (trace: readonly TraceEntry[], type: string) => trace.filter((e) => e.kind === 'step' && e.event.type === type);
const booted = (n: number): Condition => (t) => events(t, 'booted').length >= n;
/** child_exit ran (the last thing the master does for an exit) for this many workers older than `age`. */
const reapedAbove = (age: number, n: number): Condition => (t) =>
  t.filter((e) => e.kind === 'hook' && e.name === 'child_exit' && ((e.args[1] as { age: number }).age ?? 0) > age).length >= n;
const reaped = (n: number): Condition => reapedAbove(0, n);
/** A master's last entry: on_exit (`n`: of this many masters). */
const mastersDone = (n: number): Condition => (t) => t.filter((e) => e.kind === 'hook' && e.name === 'on_exit').length >= n;
const masterDone = mastersDone(1);
const logged = (text: string): Condition => (t) => t.some((e) => e.kind === 'log' && e.message === text);
const term = { name: 'TERM the master', actions: [{ type: 'signal', signal: 'SIGTERM' } as const], until: masterDone, what: 'on_exit' };

const SCENARIOS: Scenario[] = [
  {
    name: 'boot, kill -9 a worker, its replacement, TERM',
    args: ['-w', '2'],
    settings: { workers: 2 },
    phases: [
      { name: 'boot', actions: [], until: booted(2), what: '2 workers booted' },
      { name: 'kill -9 the oldest worker', actions: [{ type: 'kill-oldest-worker' }], until: booted(3), what: 'the replacement booted' },
      term,
    ],
  },
  {
    name: 'HUP with a broken app rolls back, TERM',
    args: ['-w', '2'],
    settings: { workers: 2 },
    phases: [
      { name: 'boot', actions: [], until: booted(2), what: '2 workers booted' },
      { name: 'break the app, HUP', actions: [{ type: 'break-app' }, { type: 'signal', signal: 'SIGHUP' }], until: reapedAbove(2, 2), what: 'both new workers reaped' },
      term,
    ],
  },
  {
    name: 'a stuck request: WORKER TIMEOUT, SIGKILL, a replacement, TERM',
    // Booting counts against the timeout: a boot takes 0.5-1 s here (measured with two CPU burners
    // running), and -t 2 once timed out a boot on a busy machine. 4 s is 4x the slowest boot seen.
    args: ['-w', '1', '-t', '4'],
    settings: { workers: 1, timeout: 4 },
    phases: [
      { name: 'boot', actions: [], until: booted(1), what: 'the worker booted' },
      { name: 'a request that loops on the CPU', actions: [{ type: 'request-stuck' }], until: booted(2), what: 'the replacement booted' },
      term,
    ],
  },
  {
    name: 'TTIN, TTOU, then QUIT (worker_int in each worker)',
    args: ['-w', '1'],
    settings: { workers: 1 },
    phases: [
      { name: 'boot', actions: [], until: booted(1), what: 'the worker booted' },
      { name: 'TTIN', actions: [{ type: 'signal', signal: 'SIGTTIN' }], until: booted(2), what: 'a second worker booted' },
      { name: 'TTOU', actions: [{ type: 'signal', signal: 'SIGTTOU' }], until: reaped(1), what: 'the oldest reaped' },
      { name: 'QUIT the master', actions: [{ type: 'signal', signal: 'SIGQUIT' }], until: masterDone, what: 'on_exit' },
    ],
  },
  {
    name: 'USR2, WINCH and TERM to the old master: the new one is promoted; TERM',
    args: ['-w', '2'],
    settings: { workers: 2 },
    phases: [
      { name: 'boot', actions: [], until: booted(2), what: '2 workers booted' },
      { name: 'USR2', actions: [{ type: 'signal', signal: 'SIGUSR2' }], until: booted(4), what: "the new master's workers booted" },
      { name: 'WINCH the old master', actions: [{ type: 'signal', signal: 'SIGWINCH' }], until: reaped(2), what: 'the old workers reaped' },
      { name: 'TERM the old master', actions: [{ type: 'signal', signal: 'SIGTERM' }], until: logged('Master has been promoted.'), what: 'the promotion' },
      { name: 'TERM the new master', actions: [{ type: 'signal', signal: 'SIGTERM', to: 'new' }], until: mastersDone(2), what: 'its on_exit' },
    ],
  },
];

const newMaster = (trace: readonly TraceEntry[]): number => (events(trace, 'reexeced')[0] as { event: { pid: number } }).event.pid;
const oldestWorker = (trace: readonly TraceEntry[]): number => {
  const spawned = events(trace, 'spawned').map((e) => (e as Extract<TraceEntry, { kind: 'step' }>).event as { age: number; pid: number });
  return spawned.find((s) => s.age === 1)!.pid;
};

// ---- the real server --------------------------------------------------------------------------------

const open: ClientRequest[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) r.destroy();
  await killAll();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The trace file's complete lines (a line being written has no newline yet). */
function readTrace(file: string): TraceEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceEntry);
}

async function runReal(s: Scenario): Promise<Phases> {
  const dir = mkdtempSync(join(tmpdir(), 'prefork-parity-'));
  dirs.push(dir);
  const file = join(dir, 'trace.jsonl');
  const flag = join(dir, 'broken');
  const server = await startPrefork(['test/site/fixtures/app.ts:app', '-c', 'test/site/fixtures/parity.config.ts', '-b', '127.0.0.1:0', ...s.args], {
    workers: 0,
    env: { PREFORK_TRACE: file, PARITY_BROKEN: flag },
  });
  let ended = false;
  void server.exited.then(() => (ended = true));
  let stopped = false; // TERM sent to the first master
  // Where each action happened: the lines already read when its condition held, and the time. An entry
  // is after the action if it was not among those lines and was written at or after that time.
  const cuts: { lines: number; time: number }[] = [];
  let seen = 0;
  for (const [i, phase] of s.phases.entries()) {
    if (i > 0) {
      cuts.push({ lines: seen, time: Date.now() });
      for (const a of phase.actions) act(a);
    }
    await waitFor(() => {
      if (ended && !stopped) throw new Error(`the server exited early:\n${server.log()}`);
      const trace = readTrace(file);
      seen = trace.length;
      return phase.until(trace);
    }, 60_000, `${phase.what} (real: ${s.name})`);
  }
  await waitFor(() => ended, 20_000, 'the master to exit');
  const trace = readTrace(file);
  if (events(trace, 'reexeced').length) await waitFor(() => !processAlive(newMaster(trace)), 20_000, 'the new master to exit');
  const phases: Phases = s.phases.map(() => []);
  trace.forEach((e, j) => phases[cuts.filter((c) => j >= c.lines && e.t >= c.time).length]!.push(e));
  return phases;

  function act(a: Action): void {
    const trace = readTrace(file);
    if (a.type === 'kill-oldest-worker') process.kill(oldestWorker(trace), 'SIGKILL');
    else if (a.type === 'signal') {
      if ((a.signal === 'SIGTERM' || a.signal === 'SIGQUIT') && a.to !== 'new') stopped = true;
      process.kill(a.to === 'new' ? newMaster(trace) : server.master.pid!, a.signal);
    } else if (a.type === 'break-app') writeFileSync(flag, 'broken\n');
    else {
      const listening = trace.find((e) => e.kind === 'log' && e.message.startsWith('Listening at: '));
      const url = new URL(`${(listening as { message: string }).message.split(' ')[2]}/spin`);
      // Never answered: the worker is killed under it, and the connection resets.
      const req = request(url, { agent: false }).on('error', () => {});
      req.end();
      open.push(req);
    }
  }
}

// ---- the simulation ---------------------------------------------------------------------------------

function runSim(s: Scenario, seed: number): Phases {
  const sim: Sim = createSim(s.settings, { seed });
  const cuts: number[] = [];
  for (const [i, phase] of s.phases.entries()) {
    if (i > 0) {
      cuts.push(sim.trace.length);
      for (const a of phase.actions) act(sim, a);
    }
    const deadline = sim.now + 120_000;
    while (!phase.until(sim.trace)) {
      if (sim.now > deadline) throw new Error(`simulation (${s.name}, seed ${seed}): ${phase.what} never happened`);
      sim.advance(10);
    }
  }
  const bounds = [0, ...cuts, sim.trace.length];
  return s.phases.map((_, i) => sim.trace.slice(bounds[i], bounds[i + 1]));
}

function act(sim: Sim, a: Action): void {
  if (a.type === 'kill-oldest-worker') sim.kill(oldestWorker(sim.trace), 'SIGKILL');
  else if (a.type === 'signal') sim.signal(a.signal, a.to === 'new' ? newMaster(sim.trace) : sim.trace[0]!.pid);
  else if (a.type === 'break-app') sim.setAppBroken(true);
  else sim.request('stuck');
}

// ---- the comparison ---------------------------------------------------------------------------------

describe('parity: the real server and the playground simulation decide alike', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const real = await runReal(scenario);
      const names = scenario.phases.map((p) => p.name);
      // Several seeds: the simulation's own boot-time jitter changes which worker reports first, as the
      // OS does on the real side; every seed must agree with the real run.
      for (const seed of [1, 2, 3, 4, 5]) {
        const result = compare(real, runSim(scenario, seed), names);
        const report = [`seed ${seed}${result.renamed ? ` (${result.renamed})` : ''}`, ...result.differences, '', '== real', ...result.real, '', '== simulated', ...result.sim].join('\n');
        // PARITY_SHOW=1: print both runs even when they agree.
        if (process.env.PARITY_SHOW && seed === 1) console.log(`== ${scenario.name}\n${report}`);
        expect(result.differences, report).toEqual([]);
      }
    }, 180_000);
  }
});
