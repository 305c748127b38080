// @chapter 8
// timeout: a worker that stops beating is aborted, then killed, and replaced; the others keep serving.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.ts';
import { get, killAll, startPrefork } from '../arbiter/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'prefork-timeouts-'));
const app = join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts');
const config = join(import.meta.dirname, '..', 'hooks', 'fixtures', 'record.config.ts');
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('worker timeout', () => {
  it('sync: a request waiting on I/O past timeout gets its worker aborted (worker_abort runs) and replaced', async () => {
    const hooks = join(dir, 'io.log');
    const server = await startPrefork([app, '-c', config, '-w', '2', '-t', '2', '-b', '127.0.0.1:0'], { workers: 2, env: { HOOK_LOG: hooks } });
    const started = Date.now();
    const stuck = get(`${server.url}/sleep?ms=8000`).catch(() => 'cut off');
    await waitFor(() => /WORKER TIMEOUT \(pid:\d+\)/.test(server.log()), 9000, 'WORKER TIMEOUT');
    // Meanwhile the other worker serves.
    expect((await get(server.url)).status).toBe(200);
    await waitFor(() => server.workerPids().length === 3, 9000, 'a replacement worker');
    expect(Date.now() - started).toBeLessThan(3 * 2000 + 3000);
    expect(readFileSync(hooks, 'utf8')).toMatch(/^worker_abort \d+$/m);
    expect(server.log()).toMatch(/Worker \(pid:\d+\) exited with code 1\./);
    expect(await stuck).toBe('cut off');
  });

  it('sync: a worker stuck in CPU work cannot run worker_abort; SIGKILL follows a second later', async () => {
    const server = await startPrefork([app, '-w', '2', '-t', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    void get(`${server.url}/cpu?ms=10000`).catch(() => {});
    await waitFor(() => /was sent SIGKILL after its timeout/.test(server.log()), 12_000, 'the stuck worker to be killed');
    expect(server.log()).toMatch(/WORKER TIMEOUT/);
    await waitFor(() => server.workerPids().length === 3, 9000, 'a replacement worker');
    expect((await get(server.url)).status).toBe(200);
  });

  it('async: a request waiting on slow I/O does not stop the heartbeat', async () => {
    const server = await startPrefork([app, '-k', 'async', '-t', '1', '-b', '127.0.0.1:0'], { workers: 1 });
    const slow = await get(`${server.url}/sleep?ms=3000`);
    expect(slow.status).toBe(200);
    expect(server.log()).not.toMatch(/WORKER TIMEOUT/);
  });
});
