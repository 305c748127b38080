// @chapter 5
// The real server, as its users see it: the process tree, signals, exit codes, and requests answered.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processAlive, waitFor } from '../helpers.ts';
import { fixture, get, killAll, startPrefork } from './server.ts';

const app = join(import.meta.dirname, '..', '..', 'chapters', '04-worker', 'app.ts');
const demo = join(import.meta.dirname, '..', '..', 'chapters', '02-contract', 'apps', 'demo.ts');
const dir = mkdtempSync(join(tmpdir(), 'prefork-master-'));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prefork: master and workers', () => {
  it('forks N workers that answer on the shared socket; the master writes and removes its pid file', async () => {
    const pidfile = join(dir, 'app.pid');
    const server = await startPrefork([app, '-w', '2', '-b', '127.0.0.1:0', '-p', pidfile], { workers: 2 });
    expect(Number(readFileSync(pidfile, 'utf8'))).toBe(server.master.pid);
    const pids = new Set<string>();
    for (let i = 0; i < 40 && pids.size < 2; i++) pids.add((await get(server.url)).text);
    expect([...pids].map(Number).sort()).toEqual(server.workerPids().sort());
    expect(readFileSync(`/proc/${server.master.pid}/cmdline`, 'utf8')).toMatch(/^prefork: master \[/);
    expect(readFileSync(`/proc/${server.workerPids()[0]}/cmdline`, 'utf8')).toMatch(/^prefork: worker \[/);
    await server.stop();
    expect(await server.exited).toBe(0);
    expect(existsSync(pidfile)).toBe(false);
    expect(server.log()).toMatch(/Shutting down: Master/);
  });

  it('replaces a worker killed with kill -9, and keeps answering', async () => {
    const server = await startPrefork([app, '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const [victim] = server.workerPids();
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => server.workerPids().length === 3, 10_000, 'a replacement worker');
    expect(server.log()).toContain(`Worker (pid:${victim}) was sent SIGKILL! Perhaps out of memory?`);
    for (let i = 0; i < 10; i++) expect((await get(server.url)).status).toBe(200);
  });

  it('stops with exit 3 when the app throws while loading, instead of respawning', async () => {
    const server = await startPrefork([fixture('throws.ts'), '-w', '2', '-b', '127.0.0.1:0'], { workers: 0 });
    expect(await server.exited).toBe(3);
    expect(server.log()).toMatch(/cannot reach the database while importing/);
    expect(server.log()).toMatch(/Reason: Worker failed to boot\./);
    expect(server.workerPids().length).toBeLessThanOrEqual(2);
  });

  it('stops with exit 4 when the export is missing or not an app', async () => {
    for (const spec of [`${demo}:nope`, `${demo}:routes`]) {
      const server = await startPrefork([spec, '-b', '127.0.0.1:0'], { workers: 0 });
      expect(await server.exited, spec).toBe(4);
      expect(server.log()).toMatch(/Reason: App failed to load\./);
    }
  });

  it('names a missing export with the exports the file has, in one line with no stack; a missing file is said so', async () => {
    const spec = `${fixture('fetch-app.ts')}:app`;
    const listed = 'has no export named "app" (it exports: default); to serve the default export, write';
    const served = await startPrefork([spec, '-b', '127.0.0.1:0'], { workers: 0 });
    expect(await served.exited).toBe(4);
    expect(served.log()).toContain(listed);
    expect(served.log(), 'a stack would point into the bundle cache').not.toMatch(/^\s+at /m);
    const checked = await startPrefork([spec, '--check-config'], { workers: 0 });
    expect(await checked.exited).toBe(1);
    expect(checked.log()).toContain(listed);
    const nowhere = join(dir, 'nowhere.ts');
    const missing = await startPrefork([nowhere, '-b', '127.0.0.1:0'], { workers: 0 });
    expect(await missing.exited).toBe(4);
    expect(missing.log()).toContain(`the file ${nowhere} does not exist`);
    expect(missing.log()).not.toMatch(/bundling failed|^\s+at /m);
  });

  it("serves the README's app from a folder outside the repository, with the bin run by its path", async () => {
    // The README's example file, as written there; the server runs in the app's folder, as a user would.
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const example = /## Serving your own app[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'the README shows an app.ts').toBeDefined();
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'app.ts'), example!);
    for (const [spec, body] of [['app.ts:app', 'Hello from /there\n'], ['app.ts:default', 'hi\n']]) {
      const server = await startPrefork([spec!, '-b', '127.0.0.1:0'], { workers: 1, cwd: elsewhere });
      const answer = await get(`${server.url}/there`);
      expect([answer.status, answer.text], spec).toEqual([200, body]);
      await server.stop();
      expect(await server.exited, spec).toBe(0);
    }
  });

  it('names a bad setting and exits 1 before starting anything', async () => {
    const server = await startPrefork([app, '-w', 'many'], { workers: 0 });
    expect(await server.exited).toBe(1);
    expect(server.log()).toContain('Error: Invalid value for workers (-w/--workers) from the command line: "many": must be a whole number >= 1');
  });

  it('refuses a malformed bind address alike in --check-config and at start, before binding anything', async () => {
    for (const extra of [['--check-config'], []]) {
      for (const address of ['nonsense', '127.0.0.1:99999']) {
        const server = await startPrefork([app, '-b', address, ...extra], { workers: 0 });
        expect(await server.exited, `${address} ${extra.join(' ')}`).toBe(1);
        expect(server.log()).toContain(`Error: Invalid value for bind (-b/--bind) from the command line: "${address}": `);
        /* >>> chapters 5-9
        expect(server.log()).toContain('Allowed: HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface) or unix:PATH');
        <<< chapters 5-9 */
        // >>> chapter 10
        expect(server.log()).toContain('Allowed: HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface), unix:PATH or fd://N');
        // <<< chapter 10
        expect(server.log()).not.toContain('Starting prefork');
      }
    }
  });

  it('--check-config loads the app and exits 0, or 1 with the reason', async () => {
    const ok = await startPrefork([app, '--check-config'], { workers: 0 });
    expect(await ok.exited).toBe(0);
    const bad = await startPrefork([fixture('throws.ts'), '--check-config'], { workers: 0 });
    expect(await bad.exited).toBe(1);
    expect(bad.log()).toMatch(/Error while loading the application:[\s\S]*cannot reach the database/);
  });

  it('serves on a unix socket, with raw_env reaching the workers', async () => {
    const sock = join(dir, 'app.sock');
    const server = await startPrefork([app, '-b', `unix:${sock}`, '-e', 'GREETING=hello'], { workers: 1 });
    const text = await new Promise<string>((resolve, reject) => {
      request({ socketPath: sock, path: '/env?GREETING' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
    expect(text).toBe('hello');
    await server.stop();
    expect(existsSync(sock)).toBe(false);
  });

  it('exits 1 when the address is already in use', async () => {
    const first = await startPrefork([app, '-b', '127.0.0.1:0'], { workers: 1 });
    const address = first.url.replace('http://', '');
    const second = await startPrefork([app, '-b', address], { workers: 0 });
    expect(await second.exited).toBe(1);
    expect(second.log()).toMatch(/EADDRINUSE/);
    expect((await get(first.url)).status).toBe(200);
  });

  it('serves a fetch-style app in its workers: bodies, statuses, cookies, JSON and streams', async () => {
    const server = await startPrefork([`${fixture('fetch-app.ts')}:default`, '-k', 'async', '-b', '127.0.0.1:0'], { workers: 1 });
    const echo = await fetch(`${server.url}/echo`, { method: 'POST', body: 'ping', headers: { 'x-a': 'b' } });
    expect([echo.status, echo.statusText, await echo.text()]).toEqual([201, 'Echoed', 'POST b ping']);
    expect(await (await fetch(`${server.url}/json?q=7`)).json()).toEqual({ query: '7' });
    const cookies = await fetch(`${server.url}/cookies`);
    expect([cookies.status, cookies.headers.getSetCookie()]).toEqual([204, ['a=1', 'b=2']]);
    expect(await (await fetch(`${server.url}/stream`)).text()).toBe('one two three');
    expect((await get(server.url)).text).toBe('hello');
  });

  it('leaves no worker behind when the master is killed', async () => {
    const server = await startPrefork([app, '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const workers = server.workerPids();
    server.master.kill('SIGKILL');
    await waitFor(() => workers.every((p) => !processAlive(p)), 10_000, 'orphaned workers to exit');
  });
});

describe('sync workers do not hold connections an idle worker could serve', () => {
  for (const kind of ['cpu', 'sleep'] as const) {
    it(`a request that keeps one worker busy (${kind === 'cpu' ? 'CPU work' : 'awaiting I/O'}) for 2 s does not delay the next`, async () => {
      const server = await startPrefork([app, '-w', '2', '-k', 'sync', '-b', '127.0.0.1:0'], { workers: 2 });
      // Warm both workers up so the measurement is about accepting, not first-request costs.
      for (let i = 0; i < 10; i++) await get(server.url);
      const slow = get(`${server.url}/${kind}?ms=2000`);
      await new Promise((r) => setTimeout(r, 200)); // let the slow request reach a worker first
      const fast = await get(server.url);
      const slowDone = await slow;
      expect(fast.status).toBe(200);
      expect(fast.text, 'the second request went to the other worker').not.toBe(slowDone.text);
      // The point: it did not wait behind the 2 s request (3x margin below 2 s).
      expect(fast.ms).toBeLessThan(650);
    });
  }
});
