// @chapter 8
// What `timeout` measures, observed from outside: back-to-back requests that each stay under it never
// trip it, however long they go on; one request over it always does. Sync workers are tested with
// requests that wait (a sync worker does not beat while serving); async workers with requests that
// block the event loop (the only thing that stops an async worker's beat).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.ts';
import { get, killAll, startPrefork } from '../arbiter/server.ts';
import { PULSE_GAP_MS } from '../../src/worker/heartbeat.ts';

const app = join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts');
const TIMEOUT_S = 2;
afterEach(killAll);

describe.each([
  { workerClass: 'sync', path: 'sleep' },
  { workerClass: 'async', path: 'cpu' },
])('timeout, $workerClass worker ($path requests)', ({ workerClass, path }) => {
  it(`back-to-back requests of 0.75 x timeout for 5 x timeout never trip it`, async () => {
    const server = await startPrefork([app, '-w', '1', '-k', workerClass, '-t', String(TIMEOUT_S), '-b', '127.0.0.1:0'], { workers: 1 });
    const each = 0.75 * TIMEOUT_S * 1000;
    const until = Date.now() + 5 * TIMEOUT_S * 1000;
    const pids = new Set<string>();
    let sent = 0;
    while (Date.now() < until) {
      sent++;
      const res = await get(`${server.url}/${path}?ms=${each}`).catch((err: Error) => {
        throw new Error(`GET /${path}?ms=${each} (request ${sent}) was cut off: ${err.message}\n${server.log()}`);
      });
      expect(res.status).toBe(200);
      pids.add(res.text.trim());
    }
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(server.log()).not.toMatch(/WORKER TIMEOUT/);
    expect([...pids]).toHaveLength(1); // one worker served them all: it was never replaced
  });

  it(`one request of 1.5 x timeout always trips it`, async () => {
    const server = await startPrefork([app, '-w', '1', '-k', workerClass, '-t', String(TIMEOUT_S), '-b', '127.0.0.1:0'], { workers: 1 });
    const [first] = server.workerPids();
    const started = Date.now();
    // The client may or may not get an answer (an async worker that finishes its CPU work before the
    // SIGKILL still writes it); what counts is that the master aborted the worker and replaced it.
    void get(`${server.url}/${path}?ms=${1.5 * TIMEOUT_S * 1000}`).catch(() => {});
    await waitFor(() => server.log().includes(`WORKER TIMEOUT (pid:${first})`), 3 * TIMEOUT_S * 1000, `WORKER TIMEOUT (pid:${first})`);
    // Not before the timeout: the clock started when the worker took the request, or at most
    // PULSE_GAP_MS (25 ms) earlier (worker/heartbeat.ts).
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - PULSE_GAP_MS);
    await waitFor(() => server.workerPids().length === 2, 10_000, 'a replacement worker');
    expect((await get(`${server.url}/`)).status).toBe(200);
  });
});
