// @chapter 3
// The chapter 3 server end to end, over raw sockets: what a client sees, byte for byte.
import { connect, createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/types.ts';
import { serveConnection } from '../../src/http/connection.ts';
import { normaliseLimits } from '../../src/http/limits.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.ts';
import { waitFor } from '../helpers.ts';

const text = (s: string): Buffer[] => [Buffer.from(s)];

const routes: Record<string, App> = {
  '/hello': (_e, start) => (start('200 OK', [['Content-Type', 'text/plain']]), text('hello')),
  '/echo': async (e, start) => {
    const body = await e['wsgi.input'].read();
    start('200 OK', [['X-Length', String(e.CONTENT_LENGTH ?? 'none')]]);
    return [body];
  },
  '/environ': (e, start) => {
    start('200 OK', [['Content-Type', 'application/json']]);
    const picked = Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)));
    return text(JSON.stringify(picked));
  },
  '/stream': (_e, start) => {
    start('200 OK', []);
    return (async function* () {
      for (const part of ['one ', 'two ', 'three']) {
        await new Promise((r) => setImmediate(r));
        yield Buffer.from(part);
      }
    })();
  },
  '/slow': async (_e, start) => {
    await new Promise((r) => setTimeout(r, 50));
    start('200 OK', []);
    return text('slow');
  },
  '/no-content': (_e, start) => (start('204 No Content', [['Content-Length', '4']]), text('oops')),
  '/not-modified': (_e, start) => (start('304 Not Modified', [['ETag', '"x"']]), text('oops')),
  '/bad-header': (_e, start) => (start('200 OK', [['X-Evil', 'a\r\nSet-Cookie: stolen=1']]), text('never')),
  '/throw': () => {
    throw new Error('kaboom');
  },
  '/throw-late': (_e, start) => {
    start('200 OK', []);
    return (async function* () {
      yield Buffer.from('partial');
      await new Promise((r) => setImmediate(r));
      throw new Error('late kaboom');
    })();
  },
  '/ignore-body': (_e, start) => (start('200 OK', []), text('ignored')),
  '/big': (_e, start) => (start('200 OK', [['Content-Length', String(4 << 20)]]), [Buffer.alloc(4 << 20, 0x61)]),
};
const app: App = (e, start) => (routes[e.PATH_INFO] ?? routes['/hello']!)(e, start);

let server: RunningHttpServer;
const log: string[] = [];
beforeAll(async () => {
  server = await startHttpServer({
    app,
    keepalive: 5,
    log: { error: (m) => log.push(`E ${m}`), warning: (m) => log.push(`W ${m}`), info: (m) => log.push(`I ${m}`), debug: (m) => log.push(`D ${m}`) },
  });
});
afterAll(async () => {
  await server.close();
  for (const c of clients) c.sock.destroy();
});

const clients: Client[] = [];
/** A raw TCP client: send bytes, wait (with a deadline) for what comes back. */
class Client {
  data = '';
  closed = false;
  constructor(readonly sock: Socket) {
    sock.on('data', (c) => (this.data += c.toString('latin1')));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
    clients.push(this);
  }
  static async open(port = server.port): Promise<Client> {
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    return new Client(sock);
  }
  send(data: string | Buffer): this {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    return this;
  }
  async until(what: string, test: (data: string) => boolean, ms = 5000): Promise<string> {
    await waitFor(() => test(this.data) || this.closed, ms, what);
    if (!test(this.data)) throw new Error(`connection closed before ${what}; got ${JSON.stringify(this.data.slice(0, 300))}`);
    return this.data;
  }
  async closedByServer(ms = 5000): Promise<string> {
    await waitFor(() => this.closed, ms, 'the server to close the connection');
    return this.data;
  }
}

/** One connection: send, collect everything until the server closes. */
async function exchange(data: string | Buffer, { end = false } = {}): Promise<string> {
  const c = await Client.open();
  if (end) c.sock.end(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  else c.send(data);
  return c.closedByServer();
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}
/** Splits raw bytes into responses (Content-Length, chunked, or no body for HEAD/1xx/204/304). */
function responses(raw: string, heads: string[] = []): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end === -1) throw new Error(`incomplete head: ${JSON.stringify(raw.slice(at))}`);
    const [line, ...fields] = raw.slice(at, end).split('\r\n');
    const status = Number(line!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
    at = end + 4;
    let body = '';
    const isHead = heads[out.length] === 'HEAD';
    if (isHead || status < 200 || status === 204 || status === 304) body = '';
    else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', at);
        const size = parseInt(raw.slice(at, lineEnd), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        body += raw.slice(at, at + size);
        at += size + 2;
      }
    } else if (headers['content-length'] !== undefined) {
      body = raw.slice(at, at + Number(headers['content-length']));
      at += body.length;
    } else {
      body = raw.slice(at);
      at = raw.length;
    }
    out.push({ status, headers, body });
  }
  return out;
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
const post = (path: string, headers: string, body: string): string => `POST ${path} HTTP/1.1\r\nHost: test\r\n${headers}\r\n${body}`;

// #region malformed
/** [what, raw request, the status it must get] */
const MALFORMED: [string, string, number][] = [
  // request line
  ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a space after the version', 'GET / HTTP/1.1 \r\nHost: x\r\n\r\n', 400],
  ['a space before the method', ' GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a tab as separator', 'GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a colon in the method', 'GE:T / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a space inside the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['NUL in the target', 'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a target that is no form at all', 'GET index.html HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['* with GET', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['CONNECT with a path', 'CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['junk after the version', 'GET / HTTP/1.1x\r\nHost: x\r\n\r\n', 400],
  ['a lower-case protocol name', 'GET / http/1.1\r\nHost: x\r\n\r\n', 400],
  ['a version without minor', 'GET / HTTP/1\r\nHost: x\r\n\r\n', 400],
  ['no version at all', 'GET /\r\nHost: x\r\n\r\n', 400],
  ['a request line ending in bare LF', 'GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
  ['a bare CR before CRLF', 'GET / HTTP/1.1\r\r\nHost: x\r\n\r\n', 400],
  ['a TLS handshake on the plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400],
  // versions
  ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
  ['HTTP/0.9 spelled out', 'GET / HTTP/0.9\r\n\r\n', 505],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505],
  ['HTTP/3.0', 'GET / HTTP/3.0\r\nHost: x\r\n\r\n', 505],
  // limits
  ['a request line over 4094 bytes', `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['a request line that never ends', `GET /${'a'.repeat(10000)}`, 414],
  ['101 header fields', `GET / HTTP/1.1\r\nHost: x\r\n${'X-F: 1\r\n'.repeat(100)}\r\n`, 431],
  ['a header line over 8190 bytes', `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(9000)}\r\n\r\n`, 431],
  ['a header line that never ends', `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(10000)}`, 431],
  // header syntax
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 400],
  ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
  ['a tab before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 0\r\n\r\n', 400],
  ['an empty header name', 'GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n', 400],
  ['a header line without colon', 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n', 400],
  ['a header name that is no token', 'GET / HTTP/1.1\r\nHost: x\r\nX(y): 1\r\n\r\n', 400],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400],
  ['a vertical tab around chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n', 400],
  ['a bare CR in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n', 400],
  ['a header line ending in bare LF', 'GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n', 400],
  ['DEL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: \x7f\r\n\r\n', 400],
  ['whitespace before the first header', 'GET / HTTP/1.1\r\n Host: x\r\n\r\n', 400],
  ['no Host on HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['two Content-Type headers', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n', 400],
  // framing: the request smuggling cases
  ['Content-Length and Transfer-Encoding', post('/echo', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400],
  ['Transfer-Encoding and Content-Length', post('/echo', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n'), 400],
  ['Content-Length twice, same value', post('/echo', 'Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), 400],
  ['Content-Length twice, different values', post('/echo', 'Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), 400],
  ['a Content-Length with a sign', post('/echo', 'Content-Length: +5\r\n', 'hello'), 400],
  ['a Content-Length list', post('/echo', 'Content-Length: 5, 5\r\n', 'hello'), 400],
  ['a negative Content-Length', post('/echo', 'Content-Length: -1\r\n', ''), 400],
  ['a Content-Length that is no number', post('/echo', 'Content-Length: abc\r\n', ''), 400],
  ['chunked twice', post('/echo', 'Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), 400],
  ['chunked, then another coding', post('/echo', 'Transfer-Encoding: chunked, gzip\r\n', '0\r\n\r\n'), 400],
  ['Transfer-Encoding on HTTP/1.0', 'POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['gzip', post('/echo', 'Transfer-Encoding: gzip\r\n', 'xx'), 501],
  ['gzip, then chunked', post('/echo', 'Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), 501],
  ['identity', post('/echo', 'Transfer-Encoding: identity\r\n', ''), 501],
  ['a non-breaking space before chunked', post('/echo', 'Transfer-Encoding: \xa0chunked\r\n', '0\r\n\r\n'), 501],
  // chunked bodies, found while the app reads them
  ['a chunk size with 0x', post('/echo', 'Transfer-Encoding: chunked\r\n', '0x5\r\nhello\r\n0\r\n\r\n'), 400],
  ['a negative chunk size', post('/echo', 'Transfer-Encoding: chunked\r\n', '-1\r\nhello\r\n0\r\n\r\n'), 400],
  ['a chunk size that is no hex', post('/echo', 'Transfer-Encoding: chunked\r\n', 'zz\r\nhello\r\n0\r\n\r\n'), 400],
  ['a chunk size with spaces', post('/echo', 'Transfer-Encoding: chunked\r\n', ' 5\r\nhello\r\n0\r\n\r\n'), 400],
  ['chunk data without its CRLF', post('/echo', 'Transfer-Encoding: chunked\r\n', '5\r\nhelloX\r\n0\r\n\r\n'), 400],
  ['a chunk size line ending in bare LF', post('/echo', 'Transfer-Encoding: chunked\r\n', '5\nhello\r\n0\r\n\r\n'), 400],
  ['a malformed chunk extension', post('/echo', 'Transfer-Encoding: chunked\r\n', '5;=x\r\nhello\r\n0\r\n\r\n'), 400],
  ['a chunk size of 17 hex digits', post('/echo', 'Transfer-Encoding: chunked\r\n', `${'0'.repeat(16)}5\r\nhello\r\n0\r\n\r\n`), 400],
  ['an obs-folded trailer', post('/echo', 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n'), 400],
  // expectations
  ['an expectation other than 100-continue', 'GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n', 417],
];
// #endregion malformed

describe('malformed and over-limit requests', () => {
  it(`has at least 50 cases (${MALFORMED.length})`, () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(50);
  });

  it('each gets its status, with Connection: close, one log line, and the server lives on', async () => {
    const seen: string[] = [];
    for (const [what, raw, status] of MALFORMED) {
      const before = log.length;
      const got = responses(await exchange(raw));
      seen.push(`${got[0]?.status} ${what}`);
      expect(got, what).toHaveLength(1);
      expect(got[0]!.status, what).toBe(status);
      expect(got[0]!.headers.connection, what).toBe('close');
      const lines = log.slice(before).filter((l) => !l.startsWith('D '));
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^W Invalid request from ip=127\.0\.0\.1: /);
    }
    expect(seen).toHaveLength(MALFORMED.length);
    const ok = responses(await exchange(get('/hello', 'Connection: close\r\n')));
    expect(ok.map((r) => [r.status, r.body])).toEqual([[200, 'hello']]);
  });

  it('answers the same when a bad request arrives a byte at a time', async () => {
    const c = await Client.open();
    for (const ch of 'GET / HTTP/1.1\r\nHost : x\r\n\r\n') c.send(ch);
    expect(responses(await c.closedByServer())[0]!.status).toBe(400);
  });

  it('answers a bad request that follows good ones on the same connection, after them', async () => {
    const raw = await exchange(`${get('/hello')}${get('/hello')}GET / HTTP/2.0\r\n\r\n`);
    expect(responses(raw).map((r) => r.status)).toEqual([200, 200, 505]);
  });
});

describe('requests and responses', () => {
  it('keeps a connection alive and serves several requests on it', async () => {
    const c = await Client.open();
    c.send(get('/hello'));
    await c.until('the first response', (d) => d.endsWith('hello'));
    c.send(get('/hello'));
    await c.until('the second response', (d) => responses(d).length === 2);
    expect(responses(c.data).map((r) => [r.status, r.headers.connection, r.body])).toEqual([
      [200, 'keep-alive', 'hello'],
      [200, 'keep-alive', 'hello'],
    ]);
    expect(c.closed).toBe(false);
  });

  it('answers pipelined requests in order, even when the first is the slowest', async () => {
    const raw = await exchange(`${get('/slow')}${post('/echo', 'Content-Length: 3\r\n', 'abc')}${get('/hello', 'Connection: close\r\n')}`);
    expect(responses(raw).map((r) => r.body)).toEqual(['slow', 'abc', 'hello']);
  });

  it('answers a client that half-closes after sending its request', async () => {
    // The FIN may arrive after the response went out with keep-alive: then the server closes after it.
    const raw = await exchange(`${get('/slow')}${get('/hello')}`, { end: true });
    expect(responses(raw).map((r) => [r.status, r.body])).toEqual([
      [200, 'slow'],
      [200, 'hello'],
    ]);
  });

  it('reads a chunked request body, trailers dropped', async () => {
    const raw = await exchange(post('/echo', 'Transfer-Encoding: chunked\r\nConnection: close\r\n', '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'));
    expect(responses(raw).map((r) => [r.status, r.body, r.headers['x-length']])).toEqual([[200, 'hello world', 'none']]);
  });

  it('streams a body of unknown length as chunks on HTTP/1.1, and until close on HTTP/1.0', async () => {
    const c = await Client.open();
    c.send(get('/stream'));
    await c.until('the last chunk', (d) => d.endsWith('0\r\n\r\n'));
    const [r] = responses(c.data);
    expect([r!.headers['transfer-encoding'], r!.body]).toEqual(['chunked', 'one two three']);
    const old = await exchange('GET /stream HTTP/1.0\r\n\r\n');
    expect(old).toMatch(/Connection: close\r\n\r\none two three$/);
    expect(old).not.toMatch(/Transfer-Encoding/i);
  });

  it('sends a one-chunk body with Content-Length, not chunked', async () => {
    const [r] = responses(await exchange(get('/hello', 'Connection: close\r\n')));
    expect([r!.headers['content-length'], r!.headers['transfer-encoding']]).toEqual(['5', undefined]);
  });

  it('sends no body for HEAD, 204 and 304, and the connection stays usable', async () => {
    const c = await Client.open();
    c.send(`HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n${get('/no-content')}${get('/not-modified')}${get('/hello', 'Connection: close\r\n')}`);
    const raw = await c.closedByServer();
    const all = responses(raw, ['HEAD']);
    expect(all.map((r) => [r.status, r.body])).toEqual([
      [200, ''],
      [204, ''],
      [304, ''],
      [200, 'hello'],
    ]);
    expect(all[1]!.headers['content-length']).toBeUndefined();
    expect(raw).not.toContain('oops');
  });

  it('HTTP/1.0: closes unless asked to keep alive', async () => {
    expect(responses(await exchange('GET /hello HTTP/1.0\r\n\r\n'))[0]!.headers.connection).toBe('close');
    const c = await Client.open();
    c.send('GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.until('a response', (d) => d.endsWith('hello'));
    expect(responses(c.data)[0]!.headers.connection).toBe('keep-alive');
    expect(c.closed).toBe(false);
  });

  it('builds the environ from the parsed request', async () => {
    const [r] = responses(await exchange(post('/environ?a=1&b=%20', 'Connection: close\r\nContent-Length: 0\r\nContent-Type: text/plain\r\nX-Custom: yes\r\nX-Custom: again\r\n', '')));
    const env = JSON.parse(r!.body) as Record<string, unknown>;
    expect(env).toMatchObject({
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/environ',
      QUERY_STRING: 'a=1&b=%20',
      RAW_URI: '/environ?a=1&b=%20',
      SERVER_PROTOCOL: 'HTTP/1.1',
      CONTENT_LENGTH: '0',
      CONTENT_TYPE: 'text/plain',
      HTTP_HOST: 'test',
      HTTP_X_CUSTOM: 'yes, again',
      REMOTE_ADDR: '127.0.0.1',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: String(server.port),
      SCRIPT_NAME: '',
      'wsgi.version': [1, 0],
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': true,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
      'wsgi.input_terminated': true,
    });
    expect(env.REMOTE_PORT).toMatch(/^\d+$/);
  });
});

describe('Expect: 100-continue', () => {
  it('says 100 Continue when the app starts reading, then gets the body', async () => {
    const c = await Client.open();
    c.send(post('/echo', 'Expect: 100-continue\r\nContent-Length: 5\r\n', ''));
    await c.until('100 Continue', (d) => d === 'HTTP/1.1 100 Continue\r\n\r\n');
    c.send('hello');
    await c.until('the echo', (d) => d.endsWith('hello'));
    expect(responses(c.data.slice(25))[0]!.body).toBe('hello');
  });

  it('says nothing when the app answers without reading, and closes after the answer', async () => {
    const c = await Client.open();
    c.send(post('/ignore-body', 'Expect: 100-continue\r\nContent-Length: 100000\r\n', ''));
    const raw = await c.closedByServer();
    expect(raw).not.toContain('100 Continue');
    expect(responses(raw).map((r) => [r.status, r.headers.connection, r.body])).toEqual([[200, 'close', 'ignored']]);
  });
});

describe('unread bodies', () => {
  it('drops a small unread body and serves the next request on the same connection', async () => {
    const raw = await exchange(`${post('/ignore-body', 'Content-Length: 10\r\n', '0123456789')}${get('/hello', 'Connection: close\r\n')}`);
    expect(responses(raw).map((r) => [r.headers.connection, r.body])).toEqual([
      ['keep-alive', 'ignored'],
      ['close', 'hello'],
    ]);
  });

  it('closes instead of reading a big unread body', async () => {
    const c = await Client.open();
    c.send(post('/ignore-body', `Content-Length: ${1 << 20}\r\n`, 'x'.repeat(1000)));
    const raw = await c.closedByServer();
    expect(responses(raw).map((r) => [r.headers.connection, r.body])).toEqual([['close', 'ignored']]);
  });
});

describe('app errors', () => {
  it('a header with CR/LF from the app: 500, never sent, logged', async () => {
    const before = log.length;
    const raw = await exchange(get('/bad-header'));
    expect(responses(raw).map((r) => r.status)).toEqual([500]);
    expect(raw).not.toContain('stolen');
    expect(raw).not.toContain('never');
    expect(log.slice(before).join('\n')).toMatch(/^E Error handling request GET \/bad-header: InvalidResponse: Invalid character 0x0d/);
  });

  it('an app that throws: 500 and the stack in the log', async () => {
    const before = log.length;
    expect(responses(await exchange(get('/throw')))[0]!.status).toBe(500);
    expect(log.slice(before).join('\n')).toMatch(/Error handling request GET \/throw: Error: kaboom\n\s+at /);
  });

  it('an app that fails mid-body: the connection is cut, without the final chunk', async () => {
    const raw = await exchange(get('/throw-late'));
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(raw).toContain('partial');
    expect(raw).not.toMatch(/0\r\n\r\n$/);
  });
});

describe('clients that go away', () => {
  it('a client that disconnects mid-head, mid-body or mid-response does not hurt the server', async () => {
    for (const partial of ['GET / HT', post('/echo', 'Content-Length: 100\r\n', 'only some'), get('/big')]) {
      const c = await Client.open();
      c.send(partial);
      await new Promise((r) => setImmediate(r));
      c.sock.destroy();
    }
    expect(responses(await exchange(get('/hello', 'Connection: close\r\n')))[0]!.body).toBe('hello');
    expect(log.filter((l) => l.startsWith('E '))).toEqual(expect.not.arrayContaining([expect.stringMatching(/big|echo/)]));
  });

  it('a body cut short by the client\'s FIN is never taken as complete: no response, a debug line', async () => {
    const before = log.length;
    const raw = await exchange(post('/echo', 'Content-Length: 10\r\n', 'abc'), { end: true });
    expect(raw).toBe('');
    expect(log.slice(before)).toEqual([expect.stringMatching(/^D Ignored premature client disconnection from ip=127\.0\.0\.1: POST \/echo/)]);
  });

  it('a big response goes out whole, with backpressure', async () => {
    const c = await Client.open();
    c.send(get('/big', 'Connection: close\r\n'));
    const raw = await c.closedByServer(10_000);
    expect(responses(raw)[0]!.body.length).toBe(4 << 20);
  });
});

describe('keep-alive timeout and unix sockets', () => {
  it('closes a kept-alive connection that stays idle for `keepalive` seconds', async () => {
    const quick = await startHttpServer({ app, keepalive: 0.2, log: { warning: () => {} } });
    try {
      const c = await Client.open(quick.port);
      c.send(get('/hello'));
      await c.until('a response', (d) => d.endsWith('hello'));
      const started = Date.now();
      await c.closedByServer(3000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      await quick.close();
    }
  });

  it('closes a connection that sends no first request within `keepalive` seconds', async () => {
    const quick = await startHttpServer({ app, keepalive: 0.2, log: { warning: () => {} } });
    try {
      const silent = await Client.open(quick.port);
      const started = Date.now();
      await silent.closedByServer(3000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      // Bytes that arrive in time are served as usual.
      const c = await Client.open(quick.port);
      c.send(get('/hello', 'Connection: close\r\n'));
      expect(responses(await c.closedByServer(3000))[0]!.body.toString()).toBe('hello');
    } finally {
      await quick.close();
    }
  });

  it('keepalive 0: Connection: close after every response', async () => {
    const once = await startHttpServer({ app, keepalive: 0 });
    try {
      const c = await Client.open(once.port);
      c.send(`${get('/hello')}${get('/hello')}`);
      const raw = await c.closedByServer();
      expect(responses(raw).map((r) => r.headers.connection)).toEqual(['close']);
    } finally {
      await once.close();
    }
  });

  it('on a unix socket: no REMOTE_PORT, SERVER_NAME from the Host header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-unix-'));
    const path = join(dir, 's.sock');
    const unix = createServer({ allowHalfOpen: true }, (sock) => {
      void serveConnection(sock, {
        app,
        limits: normaliseLimits(),
        keepalive: 2,
        closeAfterEachResponse: true,
        multiprocess: true,
        multithread: false,
        serverSoftware: 'test',
        log: { error() {}, warning() {}, info() {}, debug() {} },
      });
    });
    await new Promise<void>((r) => unix.listen(path, r));
    const environ = async (request: string): Promise<Record<string, unknown>> => {
      const c = new Client(connect(path));
      c.send(request);
      const [r] = responses(await c.closedByServer());
      expect(r!.headers.connection).toBe('close');
      return JSON.parse(r!.body) as Record<string, unknown>;
    };
    try {
      const env = await environ('GET /environ HTTP/1.1\r\nHost: example.com:8080\r\n\r\n');
      expect([env.REMOTE_ADDR, env.REMOTE_PORT, env.SERVER_NAME, env.SERVER_PORT, env['wsgi.multiprocess']]).toEqual(['', undefined, 'example.com', '8080', true]);
      const bare = await environ('GET /environ HTTP/1.0\r\n\r\n');
      expect([bare.SERVER_NAME, bare.SERVER_PORT], 'no Host: the socket path and an empty port').toEqual([path, '']);
    } finally {
      await new Promise((r) => unix.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
