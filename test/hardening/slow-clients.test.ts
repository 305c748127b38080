// @chapter 10
// Slow and greedy clients. Heads sent a byte at a time (slowloris) must not starve an async worker,
// nor hold a sync worker past `timeout`; a body far larger than anything the app wants is never read
// into memory.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.ts';
import { get, killAll, startPrefork, type Server } from '../arbiter/server.ts';

const app = join(import.meta.dirname, 'fixtures', 'app.ts');
afterEach(killAll);
const sockets = new Set<Socket>();
afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets.clear();
});

const portOf = (server: Server): number => Number(new URL(server.url).port);
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

interface Slow {
  connected: boolean;
  /** ms from connect to the server's close; null while open. */
  closedAfter: number | null;
  received: string;
}

/** A client that sends a request head one byte every `everyMs`, never finishing within the test. */
function slowloris(port: number, everyMs: number): Slow {
  const head = Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n${'X-Slow: a\r\n'.repeat(90)}\r\n`);
  const state: Slow = { connected: false, closedAfter: null, received: '' };
  const sock = connect({ port, host: '127.0.0.1' });
  sockets.add(sock);
  let at = 0;
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  sock.on('connect', () => {
    state.connected = true;
    started = performance.now();
    timer = setInterval(() => {
      if (at < head.length && sock.writable) sock.write(head.subarray(at, ++at));
    }, everyMs);
  });
  sock.on('data', (c: Buffer) => (state.received += c.toString('latin1')));
  sock.on('error', () => {});
  sock.on('close', () => {
    clearInterval(timer);
    state.closedAfter = performance.now() - started;
  });
  return state;
}

/** Ordinary requests, one after the other, each with its own deadline: their latencies in ms. */
async function ordinary(url: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(`${url}/pid`);
    expect(r.status).toBe(200);
    ms.push(r.ms);
  }
  return ms;
}

describe('slow clients', () => {
  it('async: 200 connections sending their heads a byte at a time do not starve ordinary requests, and are closed at the head deadline (keepalive)', async () => {
    const server = await startPrefork([app, '-k', 'async', '-w', '1', '--keep-alive', '2', '-b', '127.0.0.1:0'], { workers: 1 });
    const before = await ordinary(server.url, 20);
    const slow = Array.from({ length: 200 }, () => slowloris(portOf(server), 100));
    await waitFor(() => slow.every((s) => s.connected), 10_000, 'the slow clients to connect');
    const during = await ordinary(server.url, 40);
    await waitFor(() => slow.every((s) => s.closedAfter !== null), 20_000, 'the server to close every slow connection');
    const closed = slow.map((s) => s.closedAfter!);
    console.log(
      `slowloris (async, 1 worker): ordinary requests p50/max ${percentile(before, 0.5).toFixed(1)}/${Math.max(...before).toFixed(1)} ms before, ` +
        `${percentile(during, 0.5).toFixed(1)}/${Math.max(...during).toFixed(1)} ms during 200 slow heads; slow connections closed after ` +
        `${(percentile(closed, 0.5) / 1000).toFixed(2)} s (median), ${(Math.max(...closed) / 1000).toFixed(2)} s (max), with no answer`,
    );
    // Each slow head had sent a handful of bytes, never all 1,000: the deadline closed it, silently.
    for (const s of slow) expect(s.received).toBe('');
    expect(percentile(closed, 0.5)).toBeGreaterThan(1500);
    expect(Math.max(...closed)).toBeLessThan(3 * 2000 + 4000);
    expect(server.log()).not.toMatch(/\[ERROR\]|WORKER TIMEOUT/);
  }, 60_000);

  it('async: with worker_connections taken by slow heads, an ordinary request waits for the head deadline, not for ever', async () => {
    // The gap this closes: before the head deadline, 20 slow heads held all 20 slots as long as they liked.
    const server = await startPrefork([app, '-k', 'async', '-w', '1', '--worker-connections', '20', '--keep-alive', '2', '-b', '127.0.0.1:0'], { workers: 1 });
    const slow = Array.from({ length: 20 }, () => slowloris(portOf(server), 100));
    await waitFor(() => slow.every((s) => s.connected), 10_000, 'the slow clients to connect');
    const r = await get(`${server.url}/pid`);
    console.log(`slowloris (worker_connections 20, 20 slow heads): an ordinary request was answered after ${r.ms.toFixed(0)} ms`);
    expect(r.status).toBe(200);
    await waitFor(() => slow.every((s) => s.closedAfter !== null), 20_000, 'the slow connections to be closed');
  }, 40_000);

  it('sync: a slow head holds its worker until `timeout`, then the master aborts it; the other worker serves meanwhile', async () => {
    // gunicorn's sync worker has no read timeout either: `timeout` is what frees it (and a buffering proxy is the cure).
    const server = await startPrefork([app, '-k', 'sync', '-w', '2', '-t', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const slow = slowloris(portOf(server), 200);
    const started = performance.now();
    const during = await ordinary(server.url, 10);
    await waitFor(() => /WORKER TIMEOUT \(pid:\d+\)/.test(server.log()), 15_000, 'WORKER TIMEOUT');
    const abortedAfter = performance.now() - started;
    await waitFor(() => slow.closedAfter !== null, 10_000, 'the slow connection to be cut');
    await waitFor(() => server.workerPids().length === 3, 15_000, 'a replacement worker');
    console.log(
      `slowloris (sync, timeout 2 s): the worker holding the slow head was aborted after ${(abortedAfter / 1000).toFixed(2)} s; ` +
        `its connection closed after ${(slow.closedAfter! / 1000).toFixed(2)} s with ${slow.received === '' ? 'no answer' : 'an answer'}; ` +
        `meanwhile 10 ordinary requests answered, max ${Math.max(...during).toFixed(0)} ms`,
    );
    expect(abortedAfter).toBeLessThan(3 * 2000 + 2000);
    expect((await get(`${server.url}/pid`)).status).toBe(200);
  }, 60_000);

  describe('an oversized body is never read into memory', () => {
    /** Streams `total` bytes of body as fast as the server takes them; resolves with what came back. */
    function upload(port: number, head: string, total: number, chunk: (n: number) => Buffer): Promise<{ sent: number; response: string }> {
      return new Promise((resolve) => {
        const sock = connect({ port, host: '127.0.0.1' });
        sockets.add(sock);
        let sent = 0;
        let response = '';
        const piece = chunk(64 * 1024);
        const pump = (): void => {
          while (sent < total && sock.writable) {
            sent += piece.length;
            if (!sock.write(piece)) return void sock.once('drain', pump);
          }
          if (sent >= total) sock.end();
        };
        sock.on('connect', () => {
          sock.write(head);
          pump();
        });
        sock.on('data', (c: Buffer) => (response += c.toString('latin1')));
        sock.on('error', () => {});
        sock.on('close', () => resolve({ sent, response }));
      });
    }
    const GB10 = 10 * 1024 ** 3;
    const MB = 1024 * 1024;
    const raw = (n: number): Buffer => Buffer.alloc(n, 0x61);
    const chunked = (n: number): Buffer => Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), raw(n), Buffer.from('\r\n')]);

    it('Content-Length: 10 GB and chunked without end: the app that does not read answers at once, the app that reads streams in constant memory', async () => {
      const server = await startPrefork([app, '-k', 'async', '-w', '1', '-b', '127.0.0.1:0'], { workers: 1 });
      const [pid] = server.workerPids();
      const port = portOf(server);
      const start = rssMiB(pid!);
      const rows: string[] = [];

      // 1. With Expect: 100-continue, the client waits: the app answers without reading, no 100 is sent.
      const expect100 = await upload(port, `POST /ignore HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${GB10}\r\n\r\n`, 0, raw);
      expect(expect100.response).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n/);
      expect(expect100.response).not.toContain('100 Continue');
      rows.push('Expect: 100-continue, CL 10 GB, app ignores the body: 200 at once, no 100 Continue, connection closed');

      // 2. Without Expect, to an app that does not read: answered at once, the connection closes, the rest is dropped.
      const ignored = await upload(port, `POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: ${GB10}\r\n\r\n`, 256 * MB, raw);
      expect(ignored.response).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n/);
      rows.push(`CL 10 GB, app ignores the body: 200, then the server stopped reading after ${(ignored.sent / MB).toFixed(0)} MiB were offered`);

      // 3. To an app that reads (and counts) the body: 256 MiB stream through; memory stays flat.
      const counted = await upload(port, `POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: ${256 * MB}\r\n\r\n`, 256 * MB, raw);
      expect(counted.response).toMatch(new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*\\r\\n\\r\\n${256 * MB}$`));
      const afterCounted = rssMiB(pid!);
      rows.push(`CL 256 MiB, app reads it all: answered ${256 * MB}, worker RSS ${start.toFixed(1)} -> ${afterCounted.toFixed(1)} MiB`);

      // 4. A chunked body that never ends (cut by the client after 256 MiB), to the reading app.
      const endless = await upload(port, 'POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', 256 * MB, chunked);
      expect(endless.response).toBe(''); // cut short: nothing to answer
      const end = rssMiB(pid!);
      rows.push(`chunked, never ending (client gives up after 256 MiB), app reads: no answer, worker RSS ${afterCounted.toFixed(1)} -> ${end.toFixed(1)} MiB`);

      console.log(`oversized bodies:\n  ${rows.join('\n  ')}`);
      // Half a gigabyte went through the worker; its memory grew by a small fraction of that.
      expect(end - start).toBeLessThan(64);
      expect(server.workerPids()).toEqual([pid]);
    }, 90_000);
  });
});
