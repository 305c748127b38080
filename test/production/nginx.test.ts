// @chapter 10
// prefork behind a real nginx running the shipped config (chapters/10-production/deploy/nginx/prefork.conf),
// over a unix socket and over TCP: what passes through, what the app sees, a HUP under load, and which
// side answers when a timeout fires or the server is gone.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processAlive, waitFor } from '../helpers.ts';
import { killAll, startPrefork, type Server } from '../arbiter/server.ts';
import { load } from '../signals/load.ts';
import { killAllNginx, NGINX_MISSING, nginxAvailable, openTempDir, send, startNginx, type Nginx } from './nginx.ts';

// Every step below waits with a deadline of its own that names it; this only keeps vitest from cutting
// a test short first on a busy machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const available = nginxAvailable();
if (!available) console.log(`SKIPPED test/production/nginx.test.ts: ${NGINX_MISSING}`);
const app = `${join(import.meta.dirname, 'fixtures', 'nginx-app.ts')}:app`;
const root = available ? openTempDir('prefork-nginx-test-') : '';
const isRoot = process.getuid?.() === 0;
if (available && !isRoot) console.log("SKIPPED pitfalls 9.1 in nginx.test.ts: only nginx started as root runs its workers as another user (nobody), who can be locked out of the socket");
afterAll(async () => {
  await killAllNginx();
  await killAll();
  if (root) rmSync(root, { recursive: true, force: true });
});

// Every prefork of this file, started together (booting is most of their cost): two workers behind nginx
// over a unix socket and over TCP; one worker with a short --timeout; one with --backlog 1 and a short
// --graceful-timeout.
const servers = {} as Record<'unix' | 'tcp' | 'short' | 'narrow', Server>;
const dirOf = (name: string): string => join(root, name);
beforeAll(async () => {
  if (!available) return;
  for (const name of ['unix', 'tcp', 'short', 'narrow']) mkdirSync(dirOf(name), { mode: 0o755 });
  // The unix server also binds a second socket in a directory nginx's workers cannot enter (9.1 below).
  mkdirSync(join(dirOf('unix'), 'private'), { mode: 0o700 });
  const start = async (name: keyof typeof servers, args: string[], workers: number): Promise<void> => {
    servers[name] = await startPrefork([app, '-w', String(workers), ...args], { workers });
  };
  await Promise.all([
    start('unix', ['--access-logfile', '-', '-b', `unix:${join(dirOf('unix'), 'app.sock')}`, '-b', `unix:${join(dirOf('unix'), 'private', 'app.sock')}`], 2),
    start('tcp', ['--access-logfile', '-', '-b', '127.0.0.1:0'], 2),
    start('short', ['-t', '2', '-b', `unix:${join(dirOf('short'), 'app.sock')}`], 1),
    start('narrow', ['--backlog', '1', '--graceful-timeout', '1', '-b', `unix:${join(dirOf('narrow'), 'app.sock')}`], 1),
  ]);
});

const json = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

for (const kind of ['unix', 'tcp'] as const) {
  describe.skipIf(!available)(`behind nginx over ${kind === 'unix' ? 'a unix socket' : 'TCP'}`, () => {
    const dir = dirOf(kind);
    let server: Server;
    let nginx: Nginx;
    let upstream: string;

    beforeAll(async () => {
      server = servers[kind];
      upstream = kind === 'unix' ? `unix:${join(dir, 'app.sock')}` : new URL(server.url).host;
      nginx = await startNginx({ servers: [upstream], dir });
    });

    it('GET, and POST bodies (small, 1 MB, chunked from the client) pass intact', async () => {
      expect((await send(`${nginx.url}/`)).text).toMatch(/^ok \d+$/);
      for (const size of [5, 1024 * 1024]) {
        const body = Buffer.alloc(size, 'ab');
        const reply = await send(`${nginx.url}/echo`, { method: 'POST', body });
        expect(reply.status).toBe(200);
        expect(json(reply.text)).toMatchObject({ method: 'POST', length: size, sha256: sha256(body), framing: `content-length ${size}` });
      }
      // Chunked from the client: nginx reads the whole body first (proxy_request_buffering), so prefork
      // gets it with a Content-Length.
      const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096 + i, String.fromCharCode(97 + (i % 26))));
      const reply = await send(`${nginx.url}/echo`, { method: 'POST', body: chunks });
      const all = Buffer.concat(chunks);
      expect(json(reply.text)).toMatchObject({ length: all.length, sha256: sha256(all), framing: `content-length ${all.length}` });
    });

    it("the app sees the client's address and scheme as nginx sets them, not as the client claims", async () => {
      const reply = await send(`${nginx.url}/whoami`, {
        headers: { host: 'shop.example:8443', 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.8', 'x-forwarded-proto': 'https' },
      });
      expect(json(reply.text)).toMatchObject({
        // REMOTE_ADDR is prefork's own peer: nginx (empty on a unix socket, as gunicorn's).
        remoteAddr: kind === 'unix' ? '' : '127.0.0.1',
        realIp: '127.0.0.1',
        // The client's claim stays first; the last entry is the address nginx saw.
        forwardedFor: '203.0.113.7, 127.0.0.1',
        // $scheme replaced the client's "https": this nginx was reached over plain HTTP.
        forwardedProto: 'http',
        scheme: 'http',
        // $host: the name without the port.
        host: 'shop.example',
      });
    });

    it('behind a TLS edge (pitfalls 9.8): nginx passes the edge\'s X-Forwarded-Proto on, prefork trusts nginx, the app sees https', async () => {
      // The shipped file's alternative line for an inner hop; this test plays the edge in front of it.
      const inner = await startNginx({ servers: [upstream], directives: { 'proxy_set_header X-Forwarded-Proto': '$http_x_forwarded_proto' }, dir: join(dir, 'inner') });
      // nginx is a trusted peer: a unix socket always is, 127.0.0.1 by forwarded_allow_ips' default.
      const secure = json((await send(`${inner.url}/whoami`, { headers: { 'x-forwarded-proto': 'https' } })).text);
      expect(secure).toMatchObject({ forwardedProto: 'https', scheme: 'https' });
      // No header from the edge: nginx sends none (an empty value is not sent), and the scheme is http.
      expect(json((await send(`${inner.url}/whoami`)).text)).toMatchObject({ forwardedProto: null, scheme: 'http' });
      // An edge configured with `X-Forwarded-Protocol $scheme` (pitfalls 9.4): "https" is not the "ssl"
      // that secure_scheme_headers expects, it contradicts X-Forwarded-Proto, and prefork answers 400.
      const contradicted = await send(`${inner.url}/whoami`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-protocol': 'https' } });
      expect(contradicted.status).toBe(400);
      expect(contradicted.text).toContain('Contradictory scheme headers');
      await inner.stop();
    });

    it('limits: a body over client_max_body_size gets 413 from nginx; a URL prefork refuses gets its 414', async () => {
      // nginx answers from the Content-Length alone (client_max_body_size 10m), before any of the body.
      const big = await rawExchange(nginx.port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${11 * 1024 * 1024}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 413 /);
      // Between prefork's limit_request_line (4094) and nginx's 8k: nginx passes it on, prefork says 414.
      const ours = await send(`${nginx.url}/${'a'.repeat(5000)}`);
      expect(ours.status).toBe(414);
      expect(ours.text).not.toContain('nginx');
      // Over 8k: nginx's own 414 page; prefork never sees the request.
      const theirs = await send(`${nginx.url}/${'b'.repeat(9000)}`);
      expect(theirs.status).toBe(414);
      expect(theirs.text).toMatch(/<center>nginx[/<]/);
      // nginx's access log says who answered: prefork for the first URL, nobody upstream for the body.
      const line = (start: string): string | undefined => nginx.accessLog().find((l) => l.startsWith(start));
      await waitFor(() => line('414 GET /aaa') !== undefined && line('413 POST /echo') !== undefined, 5000, `the access log lines:\n${nginx.accessLog().join('\n').slice(0, 2000)}`);
      expect(line('414 GET /aaa')).toContain(`upstream=${upstream}`);
      expect(line('413 POST /echo')).toContain('upstream=-');
    });

    // Over a unix socket only: the points below do not depend on the transport.
    if (kind === 'unix') it('buffering: slow uploads and slow readers hold nginx, not the two sync workers', async () => {
      const opened: Socket[] = [];
      const reading = (): number => count(server.log(), /^reading \d+$/);
      try {
        // Through nginx: four clients that send half a body, two that never read an 8 MB response.
        const before = reading();
        const uploads = [0, 1, 2, 3].map(() => slowUpload({ port: nginx.port, host: '127.0.0.1' }, opened));
        const readers = [0, 1].map(() => stalledReader(nginx.port, opened));
        await waitFor(() => uploads.every((u) => u.connected) && readers.every((r) => r.received > 0), 10_000, 'six slow clients under way');
        // The workers wrote the 8 MB responses in full (nginx took them into its temp files)...
        await waitFor(() => count(server.log(), /"GET \/big\?bytes=8388608 HTTP\/1\.1" 200/) === 2, 15_000, 'the 8 MB responses written');
        // ...and have not seen the uploads at all: nginx holds them until their bodies are complete.
        expect(reading()).toBe(before);
        // So six slow clients, two workers, and a request still gets through.
        expect((await send(`${nginx.url}/whoami`)).status).toBe(200);
        for (const u of uploads) u.finish();
        for (const text of await Promise.all(uploads.map((u) => u.reply))) expect(text).toMatch(/^HTTP\/1\.1 200[^]*"length":100/);

        // Direct to prefork, two slow uploads are enough: each holds a sync worker inside the app.
        const direct = [0, 1].map(() => slowUpload({ path: join(dir, 'app.sock') }, opened));
        await waitFor(() => reading() === before + 4 + 2, 10_000, 'both workers reading a slow body');
        let answered = false;
        const third = send('http://x/', { socketPath: join(dir, 'app.sock') }).then((r) => ((answered = true), r));
        // Give the third request every chance to be served: it cannot be, no worker is free.
        await new Promise((r) => setTimeout(r, 500));
        expect(answered).toBe(false);
        for (const d of direct) d.finish();
        expect((await third).status).toBe(200);
      } finally {
        for (const s of opened) s.destroy();
      }
    });

    if (kind === 'unix') it('a HUP of prefork under load through nginx: every reply a 200', async () => {
      const old = server.workerPids().slice(-2);
      const stream = load(`${nginx.url}/`, 4);
      await waitFor(() => stream.result.ok > 20, 15_000, 'requests before the HUP');
      process.kill(server.master.pid!, 'SIGHUP');
      await waitFor(() => old.every((pid) => !processAlive(pid)), 20_000, 'the old workers to exit');
      const after = stream.result.ok;
      await waitFor(() => stream.result.ok > after + 20, 15_000, 'requests served by the new workers');
      const result = await stream.stop();
      console.log(`HUP through nginx over ${kind}: ${result.ok} requests, ${result.failed} failed`);
      expect(result.failed, result.errors.join('\n')).toBe(0);
    });

    if (kind === 'unix') it("nginx's proxy_read_timeout shorter than a request: nginx answers 504, the worker finishes and serves on", async () => {
      const impatient = await startNginx({ servers: [upstream], directives: { proxy_read_timeout: '1s' }, dir: join(dir, 'impatient') });
      const pids = server.workerPids().slice(-2);
      const reply = await send(`${impatient.url}/sleep?ms=3000`);
      expect(reply.status).toBe(504);
      await impatient.waitForLog(/upstream timed out \(110: Connection timed out\) while reading response header from upstream/);
      console.log(`nginx's read timeout first: ${reply.status}, nginx says "${impatient.errors().at(-1)}"`);
      // prefork's side: the app finished and the worker wrote its 200 (to a connection nginx had closed).
      await waitFor(() => /"GET \/sleep\?ms=3000 HTTP\/1\.1" 200/.test(server.log()), 10_000, "the slow request's 200 in prefork's access log");
      expect(server.log()).not.toMatch(/WORKER TIMEOUT/);
      expect(pids.every(processAlive)).toBe(true);
      expect((await send(`${impatient.url}/`)).status).toBe(200);
      await impatient.stop();
    });

    if (kind === 'unix') it.skipIf(!isRoot)('pitfalls 9.1: a socket nginx\'s workers cannot reach is a 502 "Permission denied"', async () => {
      // nginx started by root runs its workers as `nobody`, who cannot enter a 0700 directory of root's.
      const socket = join(dir, 'private', 'app.sock');
      const locked = await startNginx({ servers: [`unix:${socket}`], dir: join(dir, 'locked') });
      expect((await send(`${locked.url}/`)).status).toBe(502);
      await locked.waitForLog(`connect() to unix:${socket} failed (13: Permission denied) while connecting to upstream`);
      chmodSync(join(dir, 'private'), 0o755);
      expect((await send(`${locked.url}/`)).status).toBe(200);
      await locked.stop();
    });

    it('a stopped server: nginx answers 502, failing to connect', async () => {
      await server.stop();
      expect((await send(`${nginx.url}/`)).status).toBe(502);
      const why = kind === 'unix' ? `connect() to ${upstream} failed (2: No such file or directory)` : `connect() failed (111: Connection refused)`;
      await nginx.waitForLog(`${why} while connecting to upstream`);
      console.log(`stopped server over ${kind}: nginx says "${nginx.errors().at(-1)}"`);
    });
  });
}

describe.skipIf(!available)('one sync worker behind nginx', () => {
  let short: { server: Server; nginx: Nginx };
  let narrow: { server: Server; nginx: Nginx };
  beforeAll(async () => {
    const front = async (name: 'short' | 'narrow'): Promise<{ server: Server; nginx: Nginx }> => ({
      server: servers[name],
      nginx: await startNginx({ servers: [`unix:${join(dirOf(name), 'app.sock')}`], dir: dirOf(name) }),
    });
    [short, narrow] = await Promise.all([front('short'), front('narrow')]);
  });

  it("prefork's --timeout shorter than nginx's: the master kills the stuck worker, nginx answers 502", async () => {
    const { server, nginx } = short;
    const [booted, timedOut] = [server.workerPids().length, count(server.log(), /WORKER TIMEOUT \(pid:\d+\)/)];
    const reply = await send(`${nginx.url}/sleep?ms=30000`);
    expect(reply.status).toBe(502);
    expect(count(server.log(), /WORKER TIMEOUT \(pid:\d+\)/)).toBeGreaterThan(timedOut);
    // The worker died with the request unanswered: nginx saw the connection close (or reset).
    await nginx.waitForLog(/upstream prematurely closed connection while reading response header from upstream|recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream/);
    console.log(`prefork's timeout first: ${reply.status}, prefork says "${/.*WORKER TIMEOUT.*/.exec(server.log())![0]}", nginx says "${nginx.errors().at(-1)}"`);
    await waitFor(() => server.workerPids().length > booted, 10_000, 'a replacement worker');
    expect((await send(`${nginx.url}/`)).status).toBe(200);
  });

  it('pitfalls 9.2: a full listen queue on a unix socket is an immediate 502 "Resource temporarily unavailable"', async () => {
    // --backlog 1: while the one worker sleeps, the kernel queues a connection or two; nginx's next
    // connect() fails at once with EAGAIN (over TCP it would wait for the queue instead).
    const { server, nginx } = narrow;
    const slow = send(`${nginx.url}/sleep?ms=1500`);
    await waitFor(() => /^sleeping \d+$/m.test(server.log()), 10_000, 'the worker to be busy');
    const statuses = await Promise.all(Array.from({ length: 8 }, () => send(`${nginx.url}/`).then((r) => r.status)));
    console.log(`8 requests at a busy worker with --backlog 1: ${statuses.join(' ')}`);
    expect(statuses).toContain(502);
    expect(statuses).toContain(200);
    await nginx.waitForLog(/connect\(\) to unix:\S+ failed \(11: Resource temporarily unavailable\) while connecting to upstream/);
    expect((await slow).status).toBe(200);
  });

  it('graceful_timeout runs out after a TERM with a request in flight: the master kills the worker, nginx answers 502', async () => {
    const { server, nginx } = narrow;
    const sleeping = count(server.log(), /^sleeping \d+$/);
    const slow = send(`${nginx.url}/sleep?ms=20000`);
    await waitFor(() => count(server.log(), /^sleeping \d+$/) > sleeping, 10_000, 'the worker to be busy');
    process.kill(server.master.pid!, 'SIGTERM');
    expect((await slow).status).toBe(502);
    // After graceful_timeout the stopping master SIGKILLs what is left; it says so as gunicorn does
    // ("Perhaps out of memory?", although it sent the signal itself).
    await waitFor(() => /Worker \(pid:\d+\) was sent SIGKILL/.test(server.log()), 10_000, "prefork's SIGKILL line");
    await nginx.waitForLog(/upstream prematurely closed connection while reading response header from upstream|recv\(\) failed \(104: Connection reset by peer\)/);
    console.log(`graceful_timeout: prefork says "${/.*was sent SIGKILL.*/.exec(server.log())![0]}", nginx says "${nginx.errors().at(-1)}"`);
    expect(await server.exited).toBe(0);
  });
});

/** Writes `text` on a new connection and resolves with what comes back until the server closes it. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const sock = connect({ port, host: '127.0.0.1' }, () => sock.write(text));
    sock.on('data', (c: Buffer) => {
      out += c.toString();
      // The head is enough: the answer is the status line.
      if (!out.includes('\r\n\r\n')) return;
      sock.destroy();
      resolve(out);
    });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

/** A POST /echo of 100 bytes that sends 50, then waits for finish(). */
function slowUpload(target: { path: string } | { port: number; host: string }, opened: Socket[]) {
  let text = '';
  let done = false;
  const state = { connected: false, finish: () => sock.write('y'.repeat(50)), answered: () => done, reply: Promise.resolve('') };
  const sock = connect(target as never, () => {
    state.connected = true;
    sock.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n${'x'.repeat(50)}`);
  });
  opened.push(sock);
  state.reply = new Promise((resolve, reject) => {
    sock.on('data', (c: Buffer) => (text += c.toString()));
    sock.on('end', () => {
      done = true;
      resolve(text);
    });
    sock.on('error', reject);
  });
  return state;
}

/** GET /big (8 MB) through nginx, then stop reading after the first bytes. */
function stalledReader(port: number, opened: Socket[]) {
  const state = { received: 0 };
  const sock = connect({ port, host: '127.0.0.1' }, () => sock.write('GET /big?bytes=8388608 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  opened.push(sock);
  sock.once('data', (c: Buffer) => {
    state.received += c.length;
    sock.pause();
  });
  sock.on('error', () => {});
  return state;
}
