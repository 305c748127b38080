// @chapter 10
// The master as PID 1, as in a container started without an init: `unshare --pid --fork --mount-proc`
// gives it a PID namespace of its own. It warns that orphans will not be reaped, serves, stops cleanly
// on TERM and on INT (PID 1 has no default signal actions: only handlers make signals do anything), and
// an orphan that exits in the container stays a zombie without ever being taken for a worker.
// Needs root and util-linux's unshare: skipped with a message elsewhere.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { afterExit } from '../../chapters/tools/stage.ts';
import { get } from '../arbiter/server.ts';
import { waitFor } from '../helpers.ts';

const repo = join(import.meta.dirname, '..', '..');
const probe = process.getuid?.() === 0 ? spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }) : null;
const skip = process.getuid?.() !== 0 ? 'not running as root' : probe!.error ? 'unshare (util-linux) is not installed' : probe!.status !== 0 ? 'unshare --pid is not permitted here' : null;
if (skip) console.log(`test/production/container.test.ts: skipped: ${skip} (the master as PID 1 needs a PID namespace of its own)`);

const running = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  // unshare leads a process group; --kill-child takes the namespace's PID 1, and with it everything in it.
  for (const c of running) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface InNamespace {
  url: string;
  log(): string;
  /** The master's pid as the host sees it (it is 1 inside). */
  hostPid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startAsPid1(workers: number): Promise<InNamespace> {
  const dir = mkdtempSync(join(tmpdir(), 'prefork-pid1-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  // The bundle of the app goes into the nearest node_modules: this one, removed with the dir.
  mkdirSync(join(dir, 'node_modules'));
  copyFileSync(join(import.meta.dirname, 'fixtures', 'priv-container-app.ts'), join(dir, 'app.ts'));
  const args = ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, join(repo, 'src', 'prefork.mjs'), '-w', String(workers), '-b', '127.0.0.1:0', `${dir}/app.ts:app`];
  const child = spawn('unshare', args, { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = afterExit(child);
  let ended = false;
  void exited.then(() => (ended = true));
  await waitFor(() => ended || (output.match(/Booting worker/g) ?? []).length >= workers, 20_000, `${workers} workers to boot:\n${output}`);
  if (ended) throw new Error(`the server exited early:\n${output}`);
  const url = /Listening at: (\S+)/.exec(output)![1]!;
  await waitFor(() => get(url).then((r) => r.status === 200, () => false), 10_000, `an answer from ${url}`);
  // unshare's only child is the command it started: our master.
  const hostPid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  return { url, log: () => output, hostPid, exited };
}

describe('the master as PID 1 (chapter 10)', () => {
  it.skipIf(skip !== null)('warns about orphans, serves, leaves an orphan a zombie without taking it for a worker, and stops on TERM with 0', async () => {
    const server = await startAsPid1(2);
    expect(server.log()).toMatch(/Listening at: \S+ \(1\)/);
    expect(server.log()).toContain('Running as PID 1: orphaned processes will not be reaped. Run under an init (docker run --init, tini, dumb-init).');
    const who = JSON.parse((await get(server.url)).text) as { pid: number; ppid: number };
    expect(who.ppid).toBe(1);

    // A process the app started, whose parent exited: the kernel hands it to PID 1, the master.
    const { orphan } = JSON.parse((await get(`${server.url}/orphan`)).text) as { orphan: number };
    const stat = async (): Promise<string> => (await get(`${server.url}/stat?pid=${orphan}`)).text;
    // `pid (sleep) Z 1 ...`: it exited (sleep 0.2) and nobody waits for it; libuv reaps only its own children.
    await waitFor(async () => / Z 1 /.test(await stat()), 10_000, `the orphan ${orphan} to exit and stay a zombie of PID 1`);
    expect(await stat()).toMatch(/^\d+ \(sleep\) Z 1 /);
    // Its exit is no worker's: no exit logged, nothing respawned, both workers still serve.
    expect(server.log()).not.toMatch(/Worker \(pid:\d+\) (exited|was sent)/);
    expect((server.log().match(/Booting worker/g) ?? []).length).toBe(2);
    expect((await get(server.url)).status).toBe(200);

    process.kill(server.hostPid, 'SIGTERM');
    const { code } = await server.exited;
    expect(server.log()).toContain('Handling signal: term');
    expect(server.log()).toContain('Shutting down: Master');
    expect(code).toBe(0);
  }, 60_000);

  it.skipIf(skip !== null)('stops on INT with 0 too (the quick shutdown)', async () => {
    const server = await startAsPid1(1);
    process.kill(server.hostPid, 'SIGINT');
    const { code } = await server.exited;
    expect(server.log()).toContain('Handling signal: int');
    expect(code).toBe(0);
  }, 60_000);
});
