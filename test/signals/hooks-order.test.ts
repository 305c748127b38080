// @chapter 9
// The hooks a fixed scenario fires (boot, a request, TTIN, TTOU, HUP, kill -9, a timeout, TERM), checked
// step by step against the order gunicorn's arbiter and workers imply (reference: gunicorn.md §2, §3).
// Within one process the order is exact; across processes only what gunicorn guarantees is checked.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { processAlive, waitFor } from '../helpers.ts';
import { get, killAll, startPrefork } from '../arbiter/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'prefork-hook-order-'));
const app = join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts');
const config = join(import.meta.dirname, '..', 'hooks', 'fixtures', 'record.config.ts');
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Fired {
  hook: string;
  pid: number;
}

it('boot, request, TTIN, TTOU, HUP, kill -9, timeout, TERM: the hooks in gunicorn\'s order', async () => {
  const file = join(dir, 'hooks.log');
  const server = await startPrefork([app, '-c', config, '-t', '2', '-b', '127.0.0.1:0'], { workers: 2, env: { HOOK_LOG: file } });
  const master = server.master.pid!;
  const fired = (): Fired[] =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => ({ hook: line.split(' ')[0]!, pid: Number(line.split(' ')[1]) }));
  const times = (hook: string): number => fired().filter((f) => f.hook === hook).length;
  // The log, cut into one slice per step of the scenario.
  let mark = 0;
  const slice = (): Fired[] => {
    const all = fired();
    const part = all.slice(mark);
    mark = all.length;
    return part;
  };
  const inMaster = (part: Fired[]): string[] => part.filter((f) => f.pid === master).map((f) => f.hook);
  const inWorker = (part: Fired[], pid: number): string[] => part.filter((f) => f.pid === pid).map((f) => f.hook);
  const workersIn = (part: Fired[]): number[] => [...new Set(part.filter((f) => f.pid !== master).map((f) => f.pid))];
  const signal = (name: NodeJS.Signals): boolean => process.kill(master, name);

  // Boot: nworkers_changed (setup), on_starting, when_ready, then per worker pre_fork in the master,
  // post_fork and post_worker_init in the worker.
  await waitFor(() => times('post_worker_init') === 2, 15_000, 'both workers to boot');
  const boot = slice();
  expect(inMaster(boot)).toEqual(['nworkers_changed', 'on_starting', 'when_ready', 'pre_fork', 'pre_fork']);
  const [w1, w2] = workersIn(boot);
  for (const w of [w1!, w2!]) expect(inWorker(boot, w)).toEqual(['post_fork', 'post_worker_init']);

  // One request: pre_request, post_request, in the worker that served it.
  expect((await get(server.url)).status).toBe(200);
  await waitFor(() => times('post_request') === 1, 5000, 'post_request');
  const request = slice();
  expect(request.map((f) => f.hook)).toEqual(['pre_request', 'post_request']);
  expect(request[0]!.pid).toBe(request[1]!.pid);

  // TTIN: nworkers_changed, then a worker is spawned.
  signal('SIGTTIN');
  await waitFor(() => times('post_worker_init') === 3, 15_000, 'the TTIN worker to boot');
  const ttin = slice();
  expect(inMaster(ttin)).toEqual(['nworkers_changed', 'pre_fork']);
  const [w3] = workersIn(ttin);
  expect(inWorker(ttin, w3!)).toEqual(['post_fork', 'post_worker_init']);

  // TTOU: nworkers_changed; the oldest worker exits (worker_exit), then the master reaps it (child_exit).
  signal('SIGTTOU');
  await waitFor(() => times('child_exit') === 1, 15_000, 'the TTOU worker to be reaped');
  const ttou = slice();
  expect(inMaster(ttou)).toEqual(['nworkers_changed', 'child_exit']);
  const [retired] = workersIn(ttou);
  expect([w1, w2]).toContain(retired);
  expect(inWorker(ttou, retired!)).toEqual(['worker_exit']);
  expect(ttou.map((f) => f.hook)).toEqual(['nworkers_changed', 'worker_exit', 'child_exit']);

  // HUP: nworkers_changed, on_reload, then new workers (pre_fork, post_fork, post_worker_init); the old
  // ones exit (worker_exit) and are reaped (child_exit). Ours retires each old worker once a new one
  // booted, which is one of the orders gunicorn allows.
  const before = [w1, w2, w3].filter((w) => w !== retired) as number[];
  signal('SIGHUP');
  await waitFor(() => times('child_exit') === 3, 20_000, 'the old workers to be reaped');
  const hup = slice();
  expect(inMaster(hup)).toEqual(['nworkers_changed', 'on_reload', 'pre_fork', 'pre_fork', 'child_exit', 'child_exit']);
  const fresh = workersIn(hup).filter((w) => !before.includes(w));
  expect(fresh).toHaveLength(2);
  for (const w of fresh) expect(inWorker(hup, w)).toEqual(['post_fork', 'post_worker_init']);
  for (const w of before) expect(inWorker(hup, w)).toEqual(['worker_exit']);
  const firstBoot = hup.findIndex((f) => f.hook === 'post_worker_init');
  expect(hup.findIndex((f) => f.hook === 'worker_exit')).toBeGreaterThan(firstBoot);

  // kill -9: the worker runs nothing; the master reaps it (child_exit) and spawns a replacement.
  process.kill(fresh[0]!, 'SIGKILL');
  await waitFor(() => times('post_worker_init') === 6, 15_000, 'the replacement to boot');
  const killed = slice();
  expect(inMaster(killed)).toEqual(['child_exit', 'pre_fork']);
  expect(inWorker(killed, fresh[0]!)).toEqual([]);
  const [replacement] = workersIn(killed);
  expect(inWorker(killed, replacement!)).toEqual(['post_fork', 'post_worker_init']);

  // A request past the timeout: the sync worker stops beating; SIGABRT runs worker_abort, the worker
  // exits through worker_exit; the master reaps it and spawns a replacement.
  void get(`${server.url}/sleep?ms=8000`).catch(() => {});
  await waitFor(() => times('post_worker_init') === 7, 20_000, 'the timed-out worker to be replaced');
  const timeout = slice();
  const stuck = timeout.find((f) => f.hook === 'pre_request')!.pid;
  expect(inWorker(timeout, stuck)).toEqual(['pre_request', 'worker_abort', 'worker_exit']);
  expect(inMaster(timeout)).toEqual(['child_exit', 'pre_fork']);
  expect(timeout.findIndex((f) => f.hook === 'child_exit')).toBeGreaterThan(timeout.findIndex((f) => f.hook === 'worker_exit'));

  // TERM: every worker exits (worker_exit), the master reaps each (child_exit), on_exit comes last.
  const alive = workersIn(fired()).filter(processAlive);
  expect(alive).toHaveLength(2);
  signal('SIGTERM');
  expect(await server.exited).toBe(0);
  const term = slice();
  expect(inMaster(term)).toEqual(['child_exit', 'child_exit', 'on_exit']);
  for (const w of alive) expect(inWorker(term, w)).toEqual(['worker_exit']);
  expect(term.at(-1)).toEqual({ hook: 'on_exit', pid: master });
});
