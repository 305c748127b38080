// @chapter 10
// Faults: a worker killed in the middle of a response, an access log on a full disk, an app that
// throws, sends a header that must not go out, or never ends its body. Each is said clearly in the
// log (or, for the known gaps, marked below with it.fails), and the other workers keep serving.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive, waitFor } from '../helpers.ts';
import { get, killAll, startPrefork, type Server } from '../arbiter/server.ts';

const app = join(import.meta.dirname, 'fixtures', 'app.ts');
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await killAll();
});

interface Raw {
  /** The first bytes received (the head and a little more). */
  head: string;
  bytes: number;
  /** The last bytes received. */
  tail: string;
  closed: boolean;
  socket: Socket;
}

/** Sends a request on a fresh connection and keeps reading whatever comes back. */
function raw(server: Server, request: string): Raw {
  const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' });
  sockets.add(socket);
  const r: Raw = { head: '', bytes: 0, tail: '', closed: false, socket };
  socket.on('connect', () => socket.write(request));
  socket.on('data', (c: Buffer) => {
    if (r.head.length < 2048) r.head += c.toString('latin1', 0, 2048 - r.head.length);
    r.bytes += c.length;
    r.tail = (r.tail + c.toString('latin1', Math.max(0, c.length - 16))).slice(-16);
  });
  socket.on('error', () => {});
  socket.on('close', () => (r.closed = true));
  return r;
}

/** n ordinary requests, one after the other: all must be answered 200. */
async function stillServing(server: Server, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) expect((await get(`${server.url}/pid`)).status).toBe(200);
}

const pidOf = (r: Raw): number => Number(/\r\nX-Pid: (\d+)\r\n/.exec(r.head)?.[1]);

describe('faults', () => {
  it('the app throws, or gives a header that must not be sent: 500, the error in the log, the same workers serve on', async () => {
    const server = await startPrefork([app, '-k', 'async', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const pids = server.workerPids();
    const thrown = await get(`${server.url}/fault/throw`);
    expect(thrown.status).toBe(500);
    await waitFor(() => /\[ERROR\] Error handling request GET \/fault\/throw: Error: the app failed on purpose/.test(server.log()), 5000, 'the error line for /throw');

    // A header name with a space, a value with CR LF (response splitting): never on the wire.
    const badName = raw(server, 'GET /fault/bad-name HTTP/1.1\r\nHost: x\r\n\r\n');
    const badValue = raw(server, 'GET /fault/bad-value HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => badName.closed && badValue.closed, 5000, 'the answers to the bad headers');
    for (const r of [badName, badValue]) {
      expect(r.head).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      expect(r.head).not.toMatch(/X Bad|stolen|never sent/);
    }
    await waitFor(() => /Error handling request GET \/fault\/bad-name: InvalidResponse: Invalid header name "X Bad"/.test(server.log()), 5000, 'the bad name in the log');
    await waitFor(() => /Error handling request GET \/fault\/bad-value: InvalidResponse: Invalid character 0x0d in the value of header "X-Evil"/.test(server.log()), 5000, 'the bad value in the log');

    await stillServing(server);
    expect(server.workerPids()).toEqual(pids);
    expect(server.log()).not.toMatch(/Worker \(pid:\d+\)/);
  }, 30_000);

  it('a worker killed (SIGKILL) in the middle of a response: the client sees the body cut, the master replaces the worker, the other serves on', async () => {
    const server = await startPrefork([app, '-k', 'async', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const streaming = raw(server, 'GET /fault/endless HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => streaming.bytes > 256 * 1024, 10_000, 'the response to be under way');
    const victim = pidOf(streaming);
    expect(streaming.head).toMatch(/Transfer-Encoding: chunked\r\n/);
    process.kill(victim, 'SIGKILL');
    await waitFor(() => streaming.closed, 10_000, 'the cut connection to close');
    // A chunked body ends with "0\r\n\r\n": without it the client knows the response is incomplete.
    expect(streaming.tail.endsWith('0\r\n\r\n')).toBe(false);
    await waitFor(() => new RegExp(`Worker \\(pid:${victim}\\) was sent SIGKILL`).test(server.log()), 10_000, 'the SIGKILL line');
    await waitFor(() => server.workerPids().length === 3, 20_000, 'a replacement worker');
    await stillServing(server);
    console.log(`faults: worker ${victim} killed after ${(streaming.bytes / 1024).toFixed(0)} KiB of a streamed response; the client saw the body cut (no last chunk), the master logged it and booted a replacement`);
  }, 40_000);

  describe('the access log on a full disk (/dev/full: every write fails with ENOSPC)', () => {
    const start = (): Promise<Server> => startPrefork([app, '-k', 'async', '-w', '2', '-b', '127.0.0.1:0', '--access-logfile', '/dev/full'], { workers: 2 });

    it('requests are still served, the workers live, and the error log is not flooded', async () => {
      const server = await start();
      const pids = server.workerPids();
      await stillServing(server, 50);
      expect(server.workerPids()).toEqual(pids);
      for (const pid of pids) expect(processAlive(pid)).toBe(true);
      // At most a line or two about it, never one per request.
      expect(server.log().split('\n').filter((l) => /access/i.test(l) && /ERROR|WARNING/.test(l)).length).toBeLessThanOrEqual(2);
    }, 30_000);

    // LogFile.write (src/log/files.ts) counts the lines it could not write and never throws; the access
    // logger reports them (src/log/access-log.ts), at most once a minute per worker.
    it('says, in the error log, that access log lines are being lost', async () => {
      const server = await start();
      await stillServing(server, 5);
      await waitFor(() => /\[ERROR\].*access log/i.test(server.log()), 3000, 'an error line about the access log');
    }, 30_000);
  });

  describe('an app that never ends its body', () => {
    it('async: streaming for ever, the client leaves: the connection and its slot are freed (worker_connections 4, 12 such clients)', async () => {
      const server = await startPrefork([app, '-k', 'async', '-w', '1', '--worker-connections', '4', '-b', '127.0.0.1:0'], { workers: 1 });
      for (let i = 0; i < 12; i++) {
        const r = raw(server, 'GET /fault/endless HTTP/1.1\r\nHost: x\r\n\r\n');
        await waitFor(() => r.bytes > 64 * 1024, 10_000, 'the endless body to flow');
        r.socket.destroy();
      }
      // Had any of the 12 kept its slot, a worker with 4 slots could not answer these.
      await stillServing(server, 10);
      expect(server.log()).not.toMatch(/\[ERROR\]/);
    }, 40_000);

    it('sync: stuck after its first chunk, the worker is aborted at `timeout`; the other worker serves meanwhile', async () => {
      const server = await startPrefork([app, '-k', 'sync', '-w', '2', '-t', '2', '-b', '127.0.0.1:0'], { workers: 2 });
      const stuck = raw(server, 'GET /fault/stuck HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => stuck.head.includes('\r\n\r\n'), 10_000, 'the stuck response to start');
      const victim = pidOf(stuck);
      await stillServing(server, 5);
      await waitFor(() => new RegExp(`WORKER TIMEOUT \\(pid:${victim}\\)`).test(server.log()), 15_000, 'WORKER TIMEOUT for the stuck worker');
      await waitFor(() => stuck.closed, 10_000, 'the stuck response to be cut');
      expect(stuck.tail.endsWith('0\r\n\r\n')).toBe(false);
      await waitFor(() => server.workerPids().length === 3, 15_000, 'a replacement worker');
      await stillServing(server, 5);
    }, 40_000);

    // Known gap, as in gunicorn's gevent worker: the event loop stays free, so `timeout` never fires,
    // and the connection waits for the app, which never comes back, even after the client left. One
    // such request holds one of worker_connections for the worker's life; the worker serves on with
    // the others. When the connection learns to let go, drop `.fails`.
    it.fails('async: stuck for ever, the client leaves: the slot is freed (worker_connections 2, 2 such clients)', async () => {
      const server = await startPrefork([app, '-k', 'async', '-w', '1', '--worker-connections', '2', '-b', '127.0.0.1:0'], { workers: 1 });
      for (let i = 0; i < 2; i++) {
        const r = raw(server, 'GET /fault/stuck HTTP/1.1\r\nHost: x\r\n\r\n');
        await waitFor(() => r.head.includes('\r\n\r\n'), 10_000, 'the stuck response to start');
        r.socket.destroy();
      }
      const res = await fetch(`${server.url}/pid`, { signal: AbortSignal.timeout(3000) });
      expect(res.status).toBe(200);
    }, 30_000);
  });
});
