// @chapter 10
// --reload against a real server: the master watches the files the app's build read and reloads as a
// HUP does. The seeds' outage, reproduced: a change that imports a package nobody installed yet. The
// new workers fail to import it and the old ones keep serving; installing the package recovers.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { initialState, step, type ArbiterEvent, type ArbiterState, type Effect } from '../../src/arbiter/core.ts';
import { get, killAll, startPrefork, type Server } from '../arbiter/server.ts';
import { processAlive, waitFor } from '../helpers.ts';
import { load } from '../signals/load.ts';

// Each scenario boots a server and reloads it a few times (bundle, boot, retire): on a busy machine
// that outlasts vitest's default. Every wait has a deadline of its own that names the step.
vi.setConfig({ testTimeout: 90_000 });

const root = mkdtempSync(join(tmpdir(), 'prefork-reload-'));
afterEach(killAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The app answers "<greeting> <pid>"; the greeting comes from a module of its own. */
const APP = (imports = '', greeting = 'greeting'): string =>
  `import { greeting } from './greeting.ts';\n${imports}\n` +
  'export function app(_environ: unknown, start: (s: string, h: [string, string][]) => void): Buffer[] {\n' +
  `  const text = \`\${${greeting}} \${process.pid}\`;\n` +
  "  start('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', String(Buffer.byteLength(text))]]);\n" +
  '  return [Buffer.from(text)];\n}\n';
const GREETING = (word: string): string => `export const greeting = '${word}';\n`;
const MISSING = 'left-pad-not-installed';

/** An app in a folder of its own, with its own node_modules (so its bundles and packages live there). */
function project(): { dir: string; file: (name: string) => string; write: (name: string, text: string) => void } {
  const dir = mkdtempSync(join(root, 'app-'));
  mkdirSync(join(dir, 'node_modules'));
  const file = (name: string): string => join(dir, name);
  const write = (name: string, text: string): void => writeFileSync(file(name), text);
  write('greeting.ts', GREETING('v1'));
  write('app.ts', APP());
  return { dir, file, write };
}

/** prefork app.ts:app --reload, in the app's folder (so the log names files relative to it). */
const start = (dir: string, extra: string[] = ['-w', '2'], workers = 2): Promise<Server> =>
  startPrefork(['app.ts:app', '-b', '127.0.0.1:0', '--reload', ...extra], { workers, cwd: dir });
const lines = (server: Server, re: RegExp): string[] => server.log().split('\n').filter((l) => re.test(l));
/** "<greeting> <pid>" from one request. */
const ask = async (server: Server): Promise<{ greeting: string; pid: number }> => {
  const [greeting, pid] = (await get(server.url)).text.split(' ');
  return { greeting: greeting!, pid: Number(pid) };
};
/** Waits until an answer has this greeting; returns the pid that gave it. */
const answers = async (server: Server, greeting: string, what: string): Promise<number> => {
  let pid = 0;
  await waitFor(async () => {
    const a = await ask(server);
    pid = a.pid;
    return a.greeting === greeting;
  }, 20_000, `${what}:\n${server.log()}`);
  return pid;
};
/** The workers alive now. */
const live = (server: Server): number[] => server.workerPids().filter(processAlive);

describe('--reload', () => {
  it('the seeds\' story: an edit reloads, a missing package and a syntax error are rolled back, the old workers serve throughout', async () => {
    const app = project();
    const server = await start(app.dir, ['-w', '1'], 1);
    expect(server.log()).toContain('Reloader is on. Use in development only!');
    const stream = load(server.url, 2);

    // 1. An edit of a module the app imports: a reload, new workers, the new answer.
    const before = server.workerPids();
    app.write('greeting.ts', GREETING('v2'));
    await answers(server, 'v2', 'the edited greeting');
    await waitFor(() => before.every((p) => !processAlive(p)), 20_000, 'the old workers to retire');
    expect(lines(server, /Reloading: /)).toEqual([expect.stringContaining('Reloading: greeting.ts modified')]);
    const serving = live(server);
    expect(serving).toHaveLength(1);

    // 2. The app now imports a package that is not installed (a `git pull` ahead of `npm install`).
    app.write('app.ts', APP(`import pad from '${MISSING}';`, 'pad(greeting)'));
    await waitFor(() => lines(server, /Reload failed, going back/).length === 1, 20_000, `the rollback:\n${server.log()}`);
    expect(server.log()).toContain(`Cannot find package '${MISSING}'`);
    expect(lines(server, /exited with code 3\./).length).toBeGreaterThanOrEqual(1);
    // The worker that served before is the one that serves now.
    expect(serving.every(processAlive)).toBe(true);
    for (let i = 0; i < 6; i++) expect(serving).toContain((await ask(server)).pid);

    // 3. The package gets installed (moved into place whole, as a package manager finishes): a reload that works.
    const staged = join(app.dir, 'staging');
    mkdirSync(staged);
    writeFileSync(join(staged, 'package.json'), JSON.stringify({ name: MISSING, type: 'module', main: 'index.js' }));
    writeFileSync(join(staged, 'index.js'), "export default (s) => `${s}-padded`;\n");
    renameSync(staged, join(app.dir, 'node_modules', MISSING));
    const padded = await answers(server, 'v2-padded', 'the app with its package installed');
    expect(serving).not.toContain(padded);
    expect(lines(server, /Reloading: /).at(-1)).toContain(`Reloading: node_modules/${MISSING} modified`);

    // 4. A syntax error: esbuild cannot bundle it, workers load the sources, fail (exit 3): rolled back too.
    await waitFor(() => live(server).length === 1, 20_000, 'the previous worker to leave');
    const now = live(server);
    app.write('greeting.ts', "export const greeting = 'v3'\nthis is not TypeScript\n");
    await waitFor(() => lines(server, /Reload failed, going back/).length === 2, 20_000, `the second rollback:\n${server.log()}`);
    // The master warns that it could not bundle; the worker that then loads the sources says where.
    expect(server.log()).toContain('bundling failed');
    expect(server.log()).toMatch(/greeting\.ts:2:\d+: ERROR/);
    expect(now.every(processAlive)).toBe(true);
    expect((await ask(server)).greeting).toBe('v2-padded');

    // 5. Fixed: the next save goes through.
    app.write('greeting.ts', GREETING('v4'));
    await answers(server, 'v4-padded', 'the fixed greeting');

    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    expect(server.master.exitCode).toBeNull();
    expect(server.log()).not.toContain('Shutting down');
  }, 120_000);

  it('the config file and reload_extra_files reload; a file outside the set does not; a burst of writes reloads once; TERM still stops it', async () => {
    const app = project();
    app.write('prefork.config.ts', 'export const workers = 1;\n');
    app.write('data.json', '{}\n');
    const server = await start(app.dir, ['-c', 'prefork.config.ts', '--reload-extra-file', 'data.json'], 1);

    // A file next to the app that nothing imports, then an extra file: only the extra file is named.
    app.write('notes.txt', 'not watched\n');
    app.write('data.json', '{"a":1}\n');
    await waitFor(() => server.workerPids().length === 2, 20_000, `a reload for data.json:\n${server.log()}`);
    expect(lines(server, /Reloading: /)).toEqual([expect.stringContaining('Reloading: data.json modified')]);

    // The config file: two workers from now on.
    app.write('prefork.config.ts', 'export const workers = 2;\n');
    await waitFor(() => server.workerPids().length === 4 && live(server).length === 2, 20_000, `two workers from the new config:\n${server.log()}`);
    expect(lines(server, /Reloading: /).at(-1)).toContain('Reloading: prefork.config.ts modified');

    // Ten writes in a row to two files (a branch switch, an editor saving in steps): one reload. The files
    // alternate because the kernel merges repeated identical events, never different ones.
    const reloads = lines(server, /Reloading: /).length;
    const booted = server.workerPids().length;
    for (let i = 1; i <= 5; i++) {
      app.write('app.ts', `${APP()}// save ${i}\n`);
      app.write('greeting.ts', `${GREETING('v1')}// save ${i}\n`);
    }
    await waitFor(() => server.workerPids().length === booted + 2 && live(server).length === 2, 20_000, `the new workers:\n${server.log()}`);
    // The reload took far longer than the 100 ms debounce: a second one would have begun by now.
    expect(lines(server, /Reloading: /).slice(reloads)).toEqual([expect.stringContaining('Reloading: app.ts, greeting.ts modified')]);
    expect(lines(server, /Hang up: Master/).length).toBe(reloads + 1);

    // TERM: the watcher does not keep the master from exiting.
    server.master.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('a fix saved while the broken version is still booting: the broken workers go, the old ones serve on', async () => {
    // Both versions wait at import time for a gate file of their own: the test decides what happens when.
    const app = project();
    const [brokenGate, fixedGate] = [app.file('broken.gate'), app.file('fixed.gate')];
    const wait = (gate: string): string => `import { existsSync } from 'node:fs';\nwhile (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));\n`;
    const server = await start(app.dir);
    const old = server.workerPids();
    const stream = load(server.url, 2);
    app.write('app.ts', APP(`${wait(brokenGate)}throw new Error('broken on purpose');\n`));
    await waitFor(() => server.workerPids().length === 4, 20_000, `the broken version's workers to start:\n${server.log()}`);
    const broken = server.workerPids().slice(2);
    // The fix is saved while the broken workers are still loading.
    app.write('app.ts', APP(wait(fixedGate)));
    app.write('greeting.ts', GREETING('v2'));
    await waitFor(() => server.workerPids().length === 6, 20_000, `the fixed version's workers to start:\n${server.log()}`);
    // The broken ones fail now, before any fixed one has booted: the old workers must still be serving.
    writeFileSync(brokenGate, '');
    // They were told to go (TERM, held while they load), and fail as they finish loading: exit 3.
    await waitFor(() => broken.every((p) => server.log().includes(`Worker (pid:${p}) exited with code 3.`)), 20_000, `the broken workers to exit:\n${server.log()}`);
    expect(server.log()).not.toContain('Shutting down');
    expect(old.every(processAlive)).toBe(true);
    expect(old).toContain((await ask(server)).pid);
    // The fixed version boots; only then do the old workers go.
    writeFileSync(fixedGate, '');
    await answers(server, 'v2', 'the fixed app');
    await waitFor(() => old.every((p) => !processAlive(p)), 20_000, 'the old workers to retire');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    expect(server.master.exitCode).toBeNull();
    const log = server.log();
    const firstFixedBoot = Math.min(...server.workerPids().slice(4).map((p) => log.indexOf(`Booting worker with pid: ${p}`)));
    for (const pid of old) expect(log.indexOf(`Worker exiting (pid: ${pid})`)).toBeGreaterThan(firstFixedBoot);
  });
});

// The same case in the pure core, where it is decided.
describe('core: a reload that overtakes one still rolling out', () => {
  const config = { workers: 2, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 };
  function run(): { feed: (...events: ArbiterEvent[]) => Effect[]; state: () => ArbiterState } {
    let state = initialState(config);
    let pid = 100;
    const feed = (...events: ArbiterEvent[]): Effect[] => {
      const out: Effect[] = [];
      const queue = [...events];
      while (queue.length) {
        const r = step(state, queue.shift()!, { now: 0, random: () => 0 });
        state = r.state;
        for (const e of r.effects) {
          out.push(e);
          if (e.type === 'spawn') queue.unshift({ type: 'spawned', age: e.age, pid: pid++ });
        }
      }
      return out;
    };
    return { feed, state: () => state };
  }
  const hup = (seq: number): ArbiterEvent[] => [{ type: 'signal', signal: 'SIGHUP' }, { type: 'reloaded', seq, version: seq, config }];

  it('retires the overtaken reload\'s workers that have not booted, keeps the old ones, and stops nothing when those fail', () => {
    const m = run();
    m.feed({ type: 'start' }, { type: 'booted', pid: 100 }, { type: 'booted', pid: 101 });
    m.feed(...hup(1)); // spawns 102, 103: still booting
    const out = m.feed(...hup(2)); // spawns 104, 105
    const terms = out.flatMap((e) => (e.type === 'kill' && e.signal === 'SIGTERM' ? [e.pid] : []));
    expect(terms).toEqual([102, 103]);
    m.feed({ type: 'exited', pid: 102, code: 3, signal: null }, { type: 'exited', pid: 103, code: 3, signal: null });
    expect(m.state().phase).toBe('running');
    // Each new worker that boots lets one old worker go, as in any reload.
    const first = m.feed({ type: 'booted', pid: 104 });
    expect(first.flatMap((e) => (e.type === 'kill' ? [e.pid] : []))).toEqual([100]);
  });
});
