// @chapter 4
// Worker processes without a master: bound sockets, spawned workers, real requests.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/sock/address.ts';
import { bind, closeListeners, type Listener } from '../../src/sock/bind.ts';
import type { WorkerBoot } from '../../src/worker/boot.ts';
import { sourceEntry } from '../../src/worker/entry.ts';
import { spawnWorker } from '../../src/worker/spawn.ts';
import { waitFor } from '../helpers.ts';

const app = `${join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts')}:app`;
let children: ChildProcess[] = [];
let listeners: Listener[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  closeListeners(listeners);
  children = [];
  listeners = [];
});

interface Started {
  url: string;
  pids: number[];
  exits: { pid: number; code: number | null }[];
}

async function start(workerClass: 'sync' | 'async', count = 1, over: Partial<WorkerBoot> = {}): Promise<Started> {
  const listener = bind(parseAddress('127.0.0.1:0'));
  listeners.push(listener);
  const boot: WorkerBoot = {
    app, appKind: 'auto', cwd: process.cwd(), workerClass, workerConnections: 1000, keepalive: 2,
    limits: { requestLine: 4094, fields: 100, fieldSize: 8190 }, backlog: 64, listeners: 1, multiprocess: count > 1,
    procName: 'test', age: 1, maxRequests: 0, logLevel: 'warning', ...over,
  };
  const started: Started = { url: listener.name, pids: [], exits: [] };
  for (let i = 0; i < count; i++) {
    children.push(
      spawnWorker(sourceEntry(), boot, () => [listener], {
        booted: (pid) => started.pids.push(pid),
        listenError: () => {},
        exit: (pid, code) => started.exits.push({ pid, code }),
      }),
    );
  }
  await waitFor(() => started.pids.length === count, 20_000, `${count} workers to boot`);
  return started;
}

const get = async (url: string): Promise<{ text: string; ms: number; connection: string | null }> => {
  const t = performance.now();
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { text: await res.text(), ms: performance.now() - t, connection: res.headers.get('connection') };
};

describe('workers', () => {
  it('sync: one connection at a time; the next waits in the backlog, not refused', async () => {
    const w = await start('sync');
    const t = performance.now();
    const all = await Promise.all([get(`${w.url}/sleep?ms=500`), get(`${w.url}/sleep?ms=500`), get(`${w.url}/sleep?ms=500`)]);
    expect(performance.now() - t).toBeGreaterThanOrEqual(1450);
    expect(all.every((r) => r.text === String(w.pids[0]) && r.connection === 'close')).toBe(true);
  });

  it('async: many connections at once', async () => {
    const w = await start('async');
    const t = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => get(`${w.url}/sleep?ms=500`)));
    expect(performance.now() - t).toBeLessThan(1500); // 3x the 500 ms they take together
  });

  it('async: stops accepting at worker_connections', async () => {
    const w = await start('async', 1, { workerConnections: 1 });
    const t = performance.now();
    await Promise.all([get(`${w.url}/sleep?ms=500`), get(`${w.url}/sleep?ms=500`)]);
    expect(performance.now() - t).toBeGreaterThanOrEqual(950);
  });

  it('exits 0 after max_requests, having answered every request', async () => {
    const w = await start('sync', 1, { maxRequests: 3 });
    for (let i = 0; i < 3; i++) expect((await get(w.url)).text).toBe(String(w.pids[0]));
    await waitFor(() => w.exits.length === 1, 5000, 'the worker to retire');
    expect(w.exits[0]).toEqual({ pid: w.pids[0], code: 0 });
  });

  it('TERM lets a request in flight finish, then exits 0', async () => {
    for (const kind of ['sync', 'async'] as const) {
      const w = await start(kind);
      const slow = get(`${w.url}/sleep?ms=800`);
      await new Promise((r) => setTimeout(r, 200));
      children.at(-1)!.kill('SIGTERM');
      expect((await slow).text, `${kind}: the in-flight request still got its answer`).toBe(String(w.pids[0]));
      await waitFor(() => w.exits.length === 1, 5000, 'the worker to exit');
      expect(w.exits[0]!.code).toBe(0);
    }
  });
});
