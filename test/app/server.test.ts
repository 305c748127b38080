// @chapter 2
// The in-process server end to end: the contract's rules as a client sees them.
import { connect } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fromFetch } from '../../src/app/fetch-adapter.ts';
import { startAppServer } from '../../src/app/server.ts';
import type { App } from '../../src/app/types.ts';
import type { RunningServer } from '../../src/front/node-http.ts';

// A response that waits for 'drain' must not leave a listener behind each time (Node warns past 10).
const warnings: string[] = [];
const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
process.on('warning', onWarning);
afterAll(() => {
  process.off('warning', onWarning);
  expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
});

let server: RunningServer | undefined;
const log: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  log.length = 0;
});
async function serve(app: App): Promise<string> {
  server = await startAppServer({ app, log: (l) => log.push(l) });
  return server.url;
}
/** The raw bytes a client receives, until the server closes the connection. */
function raw(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1', () => sock.end(request));
    let data = '';
    sock.on('data', (c) => (data += c.toString('latin1')));
    sock.on('close', () => resolve(data));
    sock.on('error', reject);
  });
}

describe('in-process app server', () => {
  it('sends status, headers and body from the app', async () => {
    const url = await serve((_e, start) => {
      start('201 Created', [['X-One', 'a'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
      return [Buffer.from('made')];
    });
    const r = await fetch(url);
    expect([r.status, r.statusText, await r.text()]).toEqual([201, 'Created', 'made']);
    expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('streams the request body into wsgi.input', async () => {
    const url = await serve(async (e, start) => {
      const body = await e['wsgi.input'].read();
      start('200 OK', []);
      return [Buffer.from(`${e.CONTENT_LENGTH}:${body.toString().toUpperCase()}`)];
    });
    expect(await (await fetch(url, { method: 'POST', body: 'hello' })).text()).toBe('5:HELLO');
  });

  it('answers 500 when the app throws before the head is sent, and logs it', async () => {
    const url = await serve(() => {
      throw new Error('kaboom');
    });
    expect((await fetch(url)).status).toBe(500);
    expect(log.join('\n')).toMatch(/Error handling request GET \/: Error: kaboom/);
  });

  it('cuts the connection when the app fails after the head was sent', async () => {
    let closed = false;
    const url = await serve((_e, start) => {
      start('200 OK', []);
      return Object.assign(
        (function* () {
          yield Buffer.from('partial');
          throw new Error('mid-body failure');
        })(),
        { close: () => void (closed = true) },
      );
    });
    const text = await raw(url, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toContain('partial');
    expect(text).not.toMatch(/\r\n0\r\n\r\n$/); // no final chunk: the client can tell the body is cut
    expect(closed).toBe(true);
  });

  it('refuses header values with CR/LF (response splitting) with a 500', async () => {
    const url = await serve((_e, start) => {
      start('200 OK', [['X-Bad', 'a\r\nSet-Cookie: evil=1']]);
      return [];
    });
    const r = await fetch(url);
    expect(r.status).toBe(500);
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('runs a fetch-style handler: method, headers, body and query reach the Request', async () => {
    const url = await serve(
      fromFetch(async (req) => {
        const u = new URL(req.url);
        return new Response(`${req.method} ${u.pathname}${u.search} ${req.headers.get('x-a')} ${await req.text()}`, {
          status: 202,
          headers: [['set-cookie', 'x=1'], ['set-cookie', 'y=2']],
        });
      }),
    );
    const r = await fetch(`${url}/p/q?z=1`, { method: 'PUT', body: 'data', headers: { 'X-A': 'b' } });
    expect([r.status, await r.text()]).toEqual([202, 'PUT /p/q?z=1 b data']);
    expect(r.headers.getSetCookie()).toEqual(['x=1', 'y=2']);
  });

  it('builds a fetch URL even when the Host header is junk', async () => {
    const url = await serve(fromFetch((req) => new Response(new URL(req.url).host)));
    const text = await raw(url, 'GET / HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/\r\n\r\n(?:[0-9a-f]+\r\n)?127\.0\.0\.1:\d+/);
  });
});

describe('a client that leaves mid-stream', () => {
  it('stops the app and calls close()', async () => {
    let closed = false;
    const url = await serve((_e, start) => {
      start('200 OK', []);
      return Object.assign(
        (function* () {
          for (;;) yield Buffer.alloc(64 * 1024, 120); // endless
        })(),
        { close: () => void (closed = true) },
      );
    });
    const { port } = new URL(url);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(port), '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = 0;
      sock.on('data', (c) => {
        got += c.length;
        if (got > 200_000) sock.destroy();
      });
      sock.on('close', () => resolve());
    });
    const deadline = Date.now() + 5000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(closed, 'the endless body was closed after the client went away').toBe(true);
  });
});
