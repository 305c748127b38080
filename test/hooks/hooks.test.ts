// @chapter 6
// Which process runs each hook, and when: read back from a file every hook appends to.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.ts';
import { get, killAll, startPrefork } from '../arbiter/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'prefork-hooks-'));
const app = join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts');
const config = join(import.meta.dirname, 'fixtures', 'record.config.ts');
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function logFile(): string {
  return join(dir, `hooks-${++n}.log`);
}
/** [hook, 'master' | 'worker N'] in the order they ran. */
function read(file: string, master: number): string[] {
  const workers: number[] = [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name, pidText] = line.split(' ');
      const pid = Number(pidText);
      if (pid === master) return `${name} master`;
      if (!workers.includes(pid)) workers.push(pid);
      return `${name} worker${workers.indexOf(pid) + 1}`;
    });
}

describe('hooks', () => {
  it('run in the master or the worker, in gunicorn\'s order, from boot to TERM', async () => {
    const file = logFile();
    const server = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 2, env: { HOOK_LOG: file } });
    await waitFor(() => readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('post_worker_init')).length === 2, 10_000, 'both workers to finish booting');
    expect((await get(server.url)).status).toBe(200);
    await server.stop();
    expect(await server.exited).toBe(0);
    const seen = read(file, server.master.pid!);
    // The master's start, in order.
    expect(seen.slice(0, 3)).toEqual(['nworkers_changed master', 'on_starting master', 'when_ready master']);
    // Per worker: pre_fork in the master before the worker's own post_fork, then post_worker_init.
    for (const w of ['worker1', 'worker2']) {
      const mine = seen.filter((s) => s.endsWith(w));
      expect(mine.slice(0, 2), w).toEqual([`post_fork ${w}`, `post_worker_init ${w}`]);
      expect(mine.at(-1), w).toBe(`worker_exit ${w}`);
    }
    expect(seen.filter((s) => s === 'pre_fork master')).toHaveLength(2);
    // The one request: pre_request then post_request, in the worker that served it.
    const around = seen.filter((s) => s.startsWith('pre_request') || s.startsWith('post_request'));
    expect(around).toHaveLength(2);
    expect(around[0]!.replace('pre_', 'post_')).toBe(around[1]);
    expect(seen.indexOf('pre_fork master')).toBeLessThan(seen.indexOf('post_fork worker1'));
    // At the end: each worker's exit is seen by the master (child_exit), then on_exit last.
    expect(seen.filter((s) => s === 'child_exit master')).toHaveLength(2);
    expect(seen.at(-1)).toBe('on_exit master');
    expect(seen.indexOf('worker_exit worker1')).toBeLessThan(seen.lastIndexOf('child_exit master'));
  });

  it('INT: each worker runs worker_int, then worker_exit', async () => {
    const file = logFile();
    const server = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 2, env: { HOOK_LOG: file } });
    // Until a worker has finished booting, it has no signal handlers yet (as in gunicorn): wait for both.
    await waitFor(() => readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('post_worker_init')).length === 2, 10_000, 'both workers to finish booting');
    server.master.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const seen = read(file, server.master.pid!);
    for (const w of ['worker1', 'worker2']) expect(seen.filter((s) => s.endsWith(w)).slice(-2), w).toEqual([`worker_int ${w}`, `worker_exit ${w}`]);
  });

  it('a hook that throws: on_starting stops the start (exit 1); post_fork is a boot failure (exit 3)', async () => {
    const starting = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 0, env: { HOOK_LOG: logFile(), HOOK_THROW: 'on_starting' } });
    expect(await starting.exited).toBe(1);
    expect(starting.log()).toMatch(/Exception in on_starting hook:\nError: on_starting failed on purpose/);
    const postFork = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 0, env: { HOOK_LOG: logFile(), HOOK_THROW: 'post_fork' } });
    expect(await postFork.exited).toBe(3);
    expect(postFork.log()).toMatch(/Exception in worker process:\nException in post_fork hook/);
    expect(postFork.log()).toMatch(/Reason: Worker failed to boot\./);
  });

  it('a pre_fork that throws ends the main loop: quick stop, exit 255', async () => {
    const server = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 0, env: { HOOK_LOG: logFile(), HOOK_THROW: 'pre_fork' } });
    expect(await server.exited).toBe(255);
    expect(server.log()).toMatch(/Unhandled exception in main loop:\nException in pre_fork hook/);
  });

  it('pre_request that throws: 500, and post_request still runs; post_request that throws: logged only', async () => {
    const pre = logFile();
    const a = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 1, env: { HOOK_LOG: pre, HOOK_THROW: 'pre_request' } });
    expect((await get(a.url)).status).toBe(500);
    await waitFor(() => readFileSync(pre, 'utf8').includes('post_request'), 5000, 'post_request to run');
    // The worker's stderr line may still be in the pipe when the response and the hook's file are in.
    await waitFor(() => a.log().includes('Exception in pre_request hook'), 5000, 'the pre_request failure to be logged');
    await a.stop();
    const post = logFile();
    const b = await startPrefork([app, '-c', config, '-b', '127.0.0.1:0'], { workers: 1, env: { HOOK_LOG: post, HOOK_THROW: 'post_request' } });
    expect((await get(b.url)).status).toBe(200);
    await waitFor(() => b.log().includes('Exception in post_request hook'), 5000, 'the post_request failure to be logged');
  });
});
