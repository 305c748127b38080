// Recorded real runs (`npm run chapter N -- --record FILE`): a short stage made of the stage kit records
// a real server (boot, kill -9 of a worker, TERM), and the file reads back with the site's loader; the
// loader refuses what is not a recording; the runs the site ships (docs/data/runs/) read back too.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BYTES, recordingText } from '../../chapters/tools/record.ts';
import { parseRecording, parts, RecordingError, type Part, type Recording, type TraceEntry } from '../../docs/.vitepress/playground/recording.ts';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'prefork-record-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Step = Extract<TraceEntry, { kind: 'step' }>;
const steps = (entries: TraceEntry[], type?: string): Step[] => entries.filter((e): e is Step => e.kind === 'step' && (type === undefined || e.event.type === type));
/** Pids of the workers that a part's master saw boot. */
const booted = (p: Part): number[] => steps(p.entries, 'booted').filter((s) => s.pid === p.master).map((s) => (s.event as { pid: number }).pid);

// A stage in miniature, named like one (NN-slug/stage.ts: the recorder reads the chapter from the path).
const STAGE = `
import { readFileSync } from 'node:fs';
import { heading, ProcessGroups, stageArgs, startPrefork, until } from ${JSON.stringify(pathToFileURL(join(root, 'chapters', 'tools', 'stage.ts')).href)};
stageArgs();
console.log('trace: ' + process.env.PREFORK_TRACE);
const groups = new ProcessGroups();
heading('Boot two workers, kill -9 one');
const server = await startPrefork(groups, [${JSON.stringify(join(root, 'chapters', '04-worker', 'app.ts'))}, '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
if (!server.url) process.exit(3);
process.kill(server.workerPids()[0], 'SIGKILL');
if (!(await until(() => server.workerPids().length === 3, 15_000))) process.exit(4);
// TERM once the new worker has booted: the master says so in the trace.
const booted = '"type":"booted","pid":' + server.workerPids()[2] + '}';
if (!(await until(() => readFileSync(process.env.PREFORK_TRACE, 'utf8').includes(booted), 15_000))) process.exit(5);
heading('TERM');
process.kill(server.pid, 'SIGTERM');
process.exit((await server.exited) === 0 ? 0 : 6);
`;

describe('a recorded run', () => {
  it('records a real server: steps, hooks, log lines, headings; parts() finds the master and its workers', async () => {
    const dir = join(tmp, '05-record');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stage.ts'), STAGE);
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n'); // ESM: the stage awaits at top level
    const out = join(tmp, 'run.json');
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', join(dir, 'stage.ts'), '--record', out], { cwd: root, timeout: 40_000 }, (_err, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const rec = parseRecording(JSON.parse(readFileSync(out, 'utf8')));
    expect(rec).toMatchObject({ chapter: 5, title: 'Pre-fork: master and workers', node: process.version });
    expect(rec.command).toContain('--record');
    const kinds = new Set(rec.entries.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['hook', 'log', 'stage', 'step']);
    expect(rec.entries.map((e) => e.t)).toEqual(rec.entries.map((e) => e.t).sort((a, b) => a - b));
    expect(rec.entries.filter((e) => e.kind === 'stage').map((e) => (e as { text: string }).text)).toEqual(['Boot two workers, kill -9 one', 'TERM']);

    const [part, ...others] = parts(rec);
    expect(others).toEqual([]);
    expect(part!.stage).toBe('Boot two workers, kill -9 one');
    // Every worker the master saw boot is one it spawned; the one killed was replaced: 3 in all.
    expect(booted(part!).length).toBe(3);
    for (const pid of booted(part!)) expect(part!.workers).toContain(pid);
    expect(steps(part!.entries, 'exited').length).toBe(3); // the killed one, then two at TERM
    // The workers' own lines are in the part: post_fork runs in the worker, "Booting worker" in the master.
    const workerHooks = part!.entries.filter((e) => e.kind === 'hook' && e.name === 'post_fork');
    expect(workerHooks.map((e) => e.pid).sort()).toEqual([...part!.workers].sort());
    expect(part!.from).toBeLessThanOrEqual(part!.to);
    // The stage's temp trace is gone; the stage said what it recorded.
    const trace = /trace: (\S+)/.exec(stdout)?.[1];
    expect(trace).toMatch(/trace\.jsonl$/);
    expect(existsSync(trace!)).toBe(false);
    expect(stdout).toMatch(new RegExp(`recorded ${rec.entries.length} entries \\(\\d+ KB\\) into ${out}`));
  }, 45_000);

  it('says what is wrong with a file that is not a recording', () => {
    expect(() => parseRecording({ format: 'prefork-recording/0', entries: [] })).toThrow(RecordingError);
    expect(() => parseRecording({ format: 'prefork-recording/0', entries: [] })).toThrow('"format" is "prefork-recording/0", expected "prefork-recording/1"');
    expect(() => parseRecording([])).toThrow('expected a JSON object');
    const good: Recording = {
      format: 'prefork-recording/1',
      chapter: 5,
      title: 't',
      recordedAt: new Date(0).toISOString(),
      machine: { cores: 2, cpu: 'x', os: 'Linux', memoryGb: 1 },
      node: 'v20',
      command: 'npm run chapter 5 -- --record x.json',
      entries: [{ t: 1, pid: 2, kind: 'log', level: 'info', message: 'hi' }],
    };
    expect(parseRecording(good)).toBe(good);
    expect(() => parseRecording({ ...good, entries: [{ t: 1, pid: 2, kind: 'steps' }] })).toThrow('entries[0]: "kind" is "steps"');
    expect(() => parseRecording({ ...good, entries: [...good.entries, { t: 1, pid: 2, kind: 'step', event: {} }] })).toThrow('entries[1]: a step needs an "event" with a "type"');
    expect(() => parseRecording({ ...good, machine: undefined })).toThrow('"machine" must be');
  });

  it('thins only heartbeat steps, and only when the file would be too big', () => {
    const step = (t: number, type: string, pid: number, effects: unknown[] = []): string =>
      JSON.stringify({ t, pid: 1, kind: 'step', event: { type, pid }, effects, workers: [{ age: 1, pid: 10 }, { age: 2, pid: 11 }], phase: 'running', version: 0 });
    const lines: string[] = [];
    // Two workers beating every 10 ms for 20 s (a log line now and then), more than MAX_BYTES.
    for (let t = 0; t < 20_000; t += 10) {
      lines.push(step(t, 'heartbeat', 10), step(t + 1, 'heartbeat', 11));
      if (t % 1000 === 0) lines.push(JSON.stringify({ t, pid: 10, kind: 'log', level: 'info', message: `at ${t}` }));
    }
    lines.push(step(20_001, 'heartbeat', 10, [{ type: 'kill', pid: 10, signal: 'SIGKILL' }]));
    const { text, dropped } = recordingText(lines.join('\n'), { chapter: 8, title: 't', command: 'c' });
    const rec = parseRecording(JSON.parse(text));
    expect(text.length).toBeLessThan(MAX_BYTES);
    expect(rec.thinned?.heartbeats).toBe(dropped);
    const beats = steps(rec.entries, 'heartbeat');
    expect(beats.length).toBe(2 * 40 + 1); // one per worker per 500 ms, and the one that decided something
    expect(rec.entries.filter((e) => e.kind === 'log').length).toBe(20);
    // Small enough: nothing is left out, and no `thinned` field.
    const small = parseRecording(JSON.parse(recordingText(lines.slice(0, 100).join('\n'), { chapter: 8, title: 't', command: 'c' }).text));
    expect(small.entries.length).toBe(100);
    expect(small.thinned).toBeUndefined();
  });
});

describe('the recorded runs the site ships', () => {
  for (const n of ['05', '06', '07', '08', '09']) {
    it(`docs/data/runs/${n}.json reads back, with a master that booted workers`, () => {
      const rec = parseRecording(JSON.parse(readFileSync(join(root, 'docs', 'data', 'runs', `${n}.json`), 'utf8')));
      expect(rec.chapter).toBe(Number(n));
      expect(parts(rec).some((p) => booted(p).length >= 1)).toBe(true);
    });
  }
});
