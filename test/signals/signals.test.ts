// @chapter 9
// The master's signals against a real server, under a steady stream of requests: nothing is lost.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { processAlive, waitFor } from '../helpers.ts';
import { get, killAll, startPrefork, type Server } from '../arbiter/server.ts';
import { load } from './load.ts';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';

// These scenarios start masters, bundle apps and boot workers one after another, under load: on a busy
// machine they outlast vitest's default 20 s. Each step waits with a deadline of its own, which names
// the step when it fails; this only keeps vitest from cutting a test short before those deadlines do.
vi.setConfig({ testTimeout: 90_000 });

const root = mkdtempSync(join(tmpdir(), 'prefork-signals-'));
const repo = join(import.meta.dirname, '..', '..');
afterEach(killAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** The versioned app, copied into a fresh folder so that a test can edit it; returns its path. */
function appCopy(): string {
  const file = join(mkdtempSync(join(root, 'case-')), 'app.ts');
  copyFileSync(join(import.meta.dirname, 'fixtures', 'versioned-app.ts'), file);
  return file;
}
const setVersion = (file: string, version: string): void => writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*';/, `const VERSION = '${version}';`));
const count = (server: Server, re: RegExp): number => server.log().split('\n').filter((l) => re.test(l)).length;
const signal = (server: Server, name: NodeJS.Signals): boolean => process.kill(server.master.pid!, name);
/** One request over a unix socket; resolves with the raw response. */
const unixGet = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    const sock = connect({ path }, () => sock.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    sock.on('data', (c: Buffer) => (text += c.toString()));
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });

describe('signals under load: no request fails', () => {
  it('TTIN adds a worker, TTOU retires the oldest', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const stream = load(server.url);
    signal(server, 'SIGTTIN');
    await waitFor(() => server.workerPids().length === 3, 15_000, 'a third worker');
    const [first, second, added] = server.workerPids();
    signal(server, 'SIGTTOU');
    await waitFor(() => count(server, /Worker exiting/) === 1, 15_000, 'a worker to exit');
    // One of the first two (their boot lines may come in either order), never the one TTIN added.
    const gone = Number(/Worker exiting \(pid: (\d+)\)/.exec(server.log())![1]);
    expect([first, second]).toContain(gone);
    expect(processAlive(added!)).toBe(true);
    await waitFor(() => stream.result.ok > 50, 15_000, 'some requests served after TTOU');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
  });

  it('HUP: the new app version takes over, old workers leave only after new ones booted', async () => {
    const app = appCopy();
    const server = await startPrefork([`${app}:app`, '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const old = server.workerPids();
    const stream = load(server.url);
    await waitFor(() => stream.result.ok > 20, 15_000, 'requests before HUP');
    setVersion(app, 'v2');
    signal(server, 'SIGHUP');
    await waitFor(() => old.every((pid) => !processAlive(pid)), 20_000, 'the old workers to exit');
    // An answer from an old worker may still be on its way; what counts is when a request was sent.
    const oldGone = Date.now();
    const after = () => stream.result.versions.filter((v) => v.sent >= oldGone).map((v) => v.version);
    await waitFor(() => after().length > 20, 15_000, 'requests after HUP');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    expect(after()).not.toContain('v1');
    // Every old worker exited after the first new one booted.
    const log = server.log();
    const firstNewBoot = log.indexOf(`Booting worker with pid: ${server.workerPids()[2]}`);
    for (const pid of old) expect(log.indexOf(`Worker exiting (pid: ${pid})`)).toBeGreaterThan(firstNewBoot);
  });

  it('HUP with a broken app: the new workers fail, the old ones keep serving, and the master says why', async () => {
    const app = appCopy();
    const server = await startPrefork([`${app}:app`, '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const old = server.workerPids();
    const stream = load(server.url);
    writeFileSync(app, `throw new Error('broken on purpose');\n${readFileSync(app, 'utf8')}`);
    signal(server, 'SIGHUP');
    await waitFor(() => /Reload failed, going back to the previous configuration/.test(server.log()), 20_000, 'the rollback');
    const seen = stream.result.ok;
    await waitFor(() => stream.result.ok > seen + 20, 15_000, 'requests after the rollback');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    expect(old.every(processAlive)).toBe(true);
    expect(server.master.exitCode).toBeNull();
    // Fixed, a HUP goes through.
    writeFileSync(app, readFileSync(app, 'utf8').replace("throw new Error('broken on purpose');\n", '').replace("'v1'", "'v3'"));
    signal(server, 'SIGHUP');
    await waitFor(async () => (await get(server.url)).text.startsWith('v3'), 20_000, 'the fixed app to answer');
  });

  it('HUP reads the config file again: a new worker count and a new pid file apply', async () => {
    const app = appCopy();
    const config = join(app, '..', 'prefork.config.ts');
    const [first, second] = [join(app, '..', 'first.pid'), join(app, '..', 'second.pid')];
    writeFileSync(config, `export const workers = 2;\nexport const pidfile = ${JSON.stringify(first)};\n`);
    const server = await startPrefork([`${app}:app`, '-c', config, '-b', '127.0.0.1:0'], { workers: 2 });
    expect(Number(readFileSync(first, 'utf8'))).toBe(server.master.pid);
    writeFileSync(config, `export const workers = 3;\nexport const pidfile = ${JSON.stringify(second)};\n`);
    signal(server, 'SIGHUP');
    await waitFor(() => server.workerPids().length === 5 && count(server, /Worker exiting/) === 2, 20_000, 'three new workers, two old ones gone');
    expect(existsSync(first)).toBe(false);
    expect(Number(readFileSync(second, 'utf8'))).toBe(server.master.pid);
  });

  it('a worker reaching max_requests is replaced', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '--max-requests', '40', '--max-requests-jitter', '10', '-b', '127.0.0.1:0'], { workers: 2 });
    const stream = load(server.url);
    await waitFor(() => server.workerPids().length >= 5, 30_000, 'three replacements');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    expect(count(server, /Autorestarting worker after current request/)).toBeGreaterThanOrEqual(3);
  });

  it('kill -9 of a sync worker: only the request it was serving can fail', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const stream = load(server.url);
    await waitFor(() => stream.result.ok > 20, 15_000, 'requests before the kill');
    process.kill(server.workerPids()[0]!, 'SIGKILL');
    await waitFor(() => server.workerPids().length === 3, 15_000, 'a replacement');
    const seen = stream.result.ok;
    await waitFor(() => stream.result.ok > seen + 20, 15_000, 'requests after the kill');
    const result = await stream.stop();
    // A sync worker holds one request at a time; waiting connections are in the kernel's backlog.
    expect(result.failed, result.errors.join('\n')).toBeLessThanOrEqual(1);
  });

  it('USR2, then TERM to the old master: the new master takes over the sockets and the pid file', async () => {
    const pidfile = join(root, `usr2-${++n}.pid`);
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-p', pidfile, '-b', '127.0.0.1:0'], { workers: 2 });
    const stream = load(server.url);
    signal(server, 'SIGUSR2');
    await waitFor(() => existsSync(`${pidfile}.2`) && server.workerPids().length === 4, 20_000, 'the new master and its workers');
    const child = Number(readFileSync(`${pidfile}.2`, 'utf8'));
    expect(child).not.toBe(server.master.pid);
    expect(Number(readFileSync(pidfile, 'utf8'))).toBe(server.master.pid);
    signal(server, 'SIGUSR2');
    await waitFor(() => /USR2 signal ignored\. Child exists\./.test(server.log()), 5000, 'the second USR2 to be refused');
    signal(server, 'SIGTERM');
    expect(await server.exited).toBe(0);
    await waitFor(() => /Master has been promoted\./.test(server.log()) && !existsSync(`${pidfile}.2`), 10_000, 'the promotion');
    expect(Number(readFileSync(pidfile, 'utf8'))).toBe(child);
    const seen = stream.result.ok;
    await waitFor(() => stream.result.ok > seen + 20, 15_000, 'requests served by the new master alone');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    process.kill(child, 'SIGTERM');
    await waitFor(() => !processAlive(child), 15_000, 'the new master to stop');
  });

  it('USR2 with a broken app: the new master stops (exit 3), the old one serves on and accepts USR2 again', async () => {
    const app = appCopy();
    const pidfile = join(root, `usr2-broken-${++n}.pid`);
    const server = await startPrefork([`${app}:app`, '-w', '1', '-p', pidfile, '-b', '127.0.0.1:0'], { workers: 1 });
    const stream = load(server.url, 2);
    writeFileSync(app, `throw new Error('broken on purpose');\n${readFileSync(app, 'utf8')}`);
    signal(server, 'SIGUSR2');
    await waitFor(() => /Shutting down: Master\.2/.test(server.log()) && /Reason: Worker failed to boot\./.test(server.log()), 20_000, 'the new master to give up');
    await waitFor(() => !existsSync(`${pidfile}.2`), 5000, 'the .2 pid file to go');
    // The old master forgets its child when it reaps it, a moment after the child's last words (until
    // then a second USR2 is "ignored. Child exists."). A reaped child is gone from the process table.
    const newMaster = Number([...server.log().matchAll(/Listening at: \S+ \((\d+)\)/g)][1]![1]);
    await waitFor(() => !processAlive(newMaster), 5000, 'the old master to reap the new one');
    const seen = stream.result.ok;
    await waitFor(() => stream.result.ok > seen + 10, 15_000, 'the old master to keep serving');
    const result = await stream.stop();
    expect(result.failed, result.errors.join('\n')).toBe(0);
    // The old master heard its child exit: USR2 is possible again.
    writeFileSync(app, readFileSync(app, 'utf8').replace("throw new Error('broken on purpose');\n", ''));
    signal(server, 'SIGUSR2');
    await waitFor(() => existsSync(`${pidfile}.2`), 20_000, 'a second new master');
    expect(server.log()).not.toMatch(/Child exists/);
    // afterEach's killAll takes both masters: the new one is in the old one's process group.
  });

  it('USR2 on a unix socket: the socket file stays while either master uses it', async () => {
    const sock = join(mkdtempSync(join(root, 'sock-')), 'app.sock');
    const server = await startPrefork([appCopy() + ':app', '-w', '1', '-b', `unix:${sock}`], { workers: 1 });
    signal(server, 'SIGUSR2');
    await waitFor(() => server.workerPids().length === 2 && count(server, /Listening at: unix:/) === 2, 20_000, 'the new master and its worker');
    const child = Number([...server.log().matchAll(/Listening at: unix:\S+ \((\d+)\)/g)][1]![1]);
    signal(server, 'SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(sock)).toBe(true);
    const answer = await unixGet(sock);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    await waitFor(() => /Master has been promoted\./.test(server.log()), 10_000, 'the promotion');
    process.kill(child, 'SIGTERM');
    await waitFor(() => !processAlive(child), 15_000, 'the new master to stop');
    // The last master out removes the file.
    expect(existsSync(sock)).toBe(false);
  });
});

describe('stopping', () => {
  it('TERM lets an in-flight 2 s request finish, then exits 0', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const slow = get(`${server.url}/sleep?ms=2000`);
    await waitFor(() => /sleeping in \d+/.test(server.log()), 10_000, 'the request to reach a worker');
    signal(server, 'SIGTERM');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await server.exited).toBe(0);
  });

  it('a retiring worker still busy after graceful_timeout is killed', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '--graceful-timeout', '1', '-b', '127.0.0.1:0'], { workers: 2 });
    // Both sync workers busy for 20 s; HUP retires them once the new ones boot.
    const busy = [get(`${server.url}/sleep?ms=20000`).catch(() => 'cut off'), get(`${server.url}/sleep?ms=20000`).catch(() => 'cut off')];
    await waitFor(() => count(server, /sleeping in/) === 2, 10_000, 'both workers to be busy');
    signal(server, 'SIGHUP');
    await waitFor(() => count(server, /still running 1 s after SIGTERM \(graceful_timeout\): SIGKILL/) === 2, 15_000, 'both old workers to be killed');
    expect(await Promise.all(busy)).toEqual(['cut off', 'cut off']);
    await waitFor(() => count(server, /was sent SIGKILL after graceful_timeout/) === 2, 5000, 'the kills to be reaped');
    expect((await get(server.url)).status).toBe(200);
  });

  it('a decision that throws (say, an unwritten exercise under --mine) is a quick stop, exit 255, not a crash', async () => {
    const swap = { [pathToFileURL(join(repo, 'src', 'arbiter', 'signals.ts')).href]: pathToFileURL(join(import.meta.dirname, 'fixtures', 'throwing-signals.ts')).href };
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-b', '127.0.0.1:0'], {
      workers: 2,
      nodeArgs: ['--import', join(repo, 'chapters', 'tools', 'mine.mjs')],
      env: { PREFORK_MINE: JSON.stringify(swap) },
    });
    const workers = server.workerPids();
    signal(server, 'SIGTTIN');
    expect(await server.exited).toBe(255);
    expect(server.log()).toMatch(/Unhandled exception in main loop:\nError: signalAction failed on purpose/);
    await waitFor(() => workers.every((pid) => !processAlive(pid)), 10_000, 'the workers to be gone');
  });

  it('TERM to a worker still loading the app: it finishes loading, then leaves gracefully', async () => {
    const slow = join(import.meta.dirname, 'fixtures', 'slow-boot-app.ts');
    const server = await startPrefork([slow + ':app', '-w', '1', '-b', '127.0.0.1:0'], { workers: 0, env: { BOOT_MS: '2000' } });
    await waitFor(() => server.workerPids().length === 1, 20_000, 'a worker to start booting');
    const [loading] = server.workerPids();
    process.kill(loading!, 'SIGTERM');
    const handled = `Worker exiting (pid: ${loading})`;
    const killed = `Worker (pid:${loading}) was sent SIGTERM!`;
    await waitFor(() => server.log().includes(handled) || server.log().includes(killed), 15_000, 'the worker to leave');
    expect(server.log()).not.toContain(killed);
    await waitFor(() => server.log().includes(handled) && server.workerPids().length === 2, 15_000, 'a replacement worker');
  });

  it('INT to a worker still loading the app: held until its handlers exist, then worker_int and worker_exit run', async () => {
    const slow = join(import.meta.dirname, 'fixtures', 'slow-boot-app.ts');
    const hooks = join(root, `int-while-loading-${++n}.log`);
    const config = join(import.meta.dirname, '..', 'hooks', 'fixtures', 'record.config.ts');
    const server = await startPrefork([slow + ':app', '-c', config, '-w', '2', '-b', '127.0.0.1:0'], { workers: 0, env: { BOOT_MS: '2000', HOOK_LOG: hooks } });
    await waitFor(() => server.workerPids().length === 2, 20_000, 'the workers to start booting');
    const [loading] = server.workerPids();
    expect(existsSync(hooks) && readFileSync(hooks, 'utf8').includes(`post_worker_init ${loading}`), 'the app was still loading').toBe(false);
    process.kill(loading!, 'SIGINT');
    const handled = `Worker exiting (pid: ${loading})`;
    const killed = `Worker (pid:${loading}) was sent SIGINT!`;
    await waitFor(() => server.log().includes(handled) || server.log().includes(killed), 15_000, 'the worker to leave');
    expect(server.log()).not.toContain(killed);
    const ran = readFileSync(hooks, 'utf8').split('\n').filter((l) => l.endsWith(` ${loading}`));
    expect(ran.slice(-2)).toEqual([`worker_int ${loading}`, `worker_exit ${loading}`]);
  });

  it('WINCH stops the workers and keeps the master; TTIN brings one back', async () => {
    const server = await startPrefork([appCopy() + ':app', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const old = server.workerPids();
    signal(server, 'SIGWINCH');
    await waitFor(() => old.every((pid) => !processAlive(pid)), 15_000, 'the workers to stop');
    await waitFor(() => server.log().includes('graceful stop of workers'), 5000, 'the WINCH log line');
    expect(server.master.exitCode).toBeNull();
    signal(server, 'SIGTTIN');
    await waitFor(() => server.workerPids().length === 3, 15_000, 'a new worker');
    await waitFor(async () => (await get(server.url).catch(() => ({ status: 0 }))).status === 200, 10_000, 'an answer');
  });
});
