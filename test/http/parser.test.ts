// @chapter 3
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, normaliseLimits, type Limits } from '../../src/http/limits.ts';
import { RequestParser, type RequestHead } from '../../src/http/parser.ts';
import { httpStatus } from './helpers.ts';

function parser(limits: Limits = DEFAULT_LIMITS, ...pieces: string[]): RequestParser {
  const p = new RequestParser(limits);
  for (const piece of pieces) p.feed(Buffer.from(piece, 'latin1'));
  return p;
}
function headOf(text: string): RequestHead {
  const head = parser(DEFAULT_LIMITS, text).nextHead();
  if (!head) throw new Error('head incomplete');
  return head;
}
const status = httpStatus;
function body(p: RequestParser): string {
  let out = '';
  for (;;) {
    const b = p.readBody();
    out += Buffer.concat(b.data).toString('latin1');
    if (b.done) return out;
    if (p.buffered === 0) return `${out}<incomplete>`;
  }
}

describe('RequestParser', () => {
  it('parses a head, and splits path and query', () => {
    const head = headOf('GET /a%20b/c?x=1&y=2#frag HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\n');
    expect(head).toMatchObject({ method: 'GET', target: '/a%20b/c?x=1&y=2#frag', path: '/a%20b/c', query: 'x=1&y=2', version: [1, 1], keepAlive: true, expectContinue: false });
    expect(head.headers).toEqual([
      ['Host', 'example.com'],
      ['X-A', '1'],
    ]);
    expect(head.framing).toEqual({ kind: 'none' });
  });

  it('takes the path of an absolute-form target, and * for OPTIONS', () => {
    expect(headOf('GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n')).toMatchObject({ path: '/p', query: 'q' });
    expect(headOf('GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n')).toMatchObject({ path: '/', query: '' });
    expect(headOf('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n')).toMatchObject({ path: '*', query: '' });
  });

  it('returns null until the head is complete, whatever the pieces', () => {
    const text = 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc';
    const p = new RequestParser(DEFAULT_LIMITS);
    let head: RequestHead | null = null;
    for (const ch of text.slice(0, -3)) {
      expect(head).toBeNull();
      p.feed(Buffer.from(ch, 'latin1'));
      head = p.nextHead();
    }
    expect(head?.framing).toEqual({ kind: 'length', length: 3 });
    p.feed(Buffer.from('abc'));
    expect(body(p)).toBe('abc');
  });

  it('keeps a pipelined request for later, and reads bodies up to their length only', () => {
    const p = parser(DEFAULT_LIMITS, 'POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    expect(p.nextHead()?.path).toBe('/1');
    expect(() => p.nextHead()).toThrow(/body/); // the body first
    expect(body(p)).toBe('hello');
    expect(p.nextHead()?.path).toBe('/2');
    expect(p.inBody).toBe(false);
    expect(p.nextHead()?.framing).toEqual({ kind: 'chunked' });
    expect(body(p)).toBe('hi');
    expect(p.nextHead()).toBeNull();
    expect(p.midRequest).toBe(false);
  });

  it('skips empty lines before a request line', () => {
    expect(parser(DEFAULT_LIMITS, '\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n').nextHead()?.path).toBe('/');
  });

  it('refuses an endless request line at its limit, before its CRLF arrives', () => {
    const limits = normaliseLimits({ requestLine: 100 });
    const p = parser(limits, `GET /${'a'.repeat(90)}`);
    expect(p.nextHead()).toBeNull();
    p.feed(Buffer.from('a'.repeat(20)));
    expect(status(() => p.nextHead())).toBe(414);
  });

  it('refuses an endless header line or block at its limit, before the block ends', () => {
    const limits = normaliseLimits({ fieldSize: 50, fields: 3 });
    expect(status(() => parser(limits, `GET / HTTP/1.1\r\nX: ${'a'.repeat(60)}`).nextHead())).toBe(431);
    expect(status(() => parser(limits, 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n').nextHead())).toBe(431);
  });

  it('refuses bare LF line ends anywhere in the head', () => {
    expect(status(() => parser(DEFAULT_LIMITS, 'GET / HTTP/1.1\nHost: x\r\n\r\n').nextHead())).toBe(400);
    expect(status(() => parser(DEFAULT_LIMITS, 'GET / HTTP/1.1\r\nHost: x\n\r\n').nextHead())).toBe(400);
    expect(status(() => parser(DEFAULT_LIMITS, 'GET / HTTP/1.1\r\nHost: x\r\n\n').nextHead())).toBe(400);
  });

  it('applies the Host rules of RFC 9112: one on HTTP/1.1, at most one on HTTP/1.0', () => {
    expect(status(() => headOf('GET / HTTP/1.1\r\n\r\n'))).toBe(400);
    expect(status(() => headOf('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'))).toBe(400);
    expect(headOf('GET / HTTP/1.0\r\n\r\n').version).toEqual([1, 0]);
  });

  it('decides keep-alive from the version and the Connection header', () => {
    expect(headOf('GET / HTTP/1.1\r\nHost: x\r\n\r\n').keepAlive).toBe(true);
    expect(headOf('GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n').keepAlive).toBe(false);
    expect(headOf('GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n').keepAlive).toBe(false);
    expect(headOf('GET / HTTP/1.0\r\n\r\n').keepAlive).toBe(false);
    expect(headOf('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive).toBe(true);
  });

  it('arms 100-continue on HTTP/1.1 requests with a body; other expectations get 417', () => {
    expect(headOf('POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').expectContinue).toBe(true);
    expect(headOf('GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n').expectContinue).toBe(false);
    expect(headOf('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').expectContinue).toBe(false);
    expect(status(() => headOf('GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n'))).toBe(417);
  });

  it('reports midRequest while a request is partly there', () => {
    const p = parser(DEFAULT_LIMITS, 'GET / HT');
    expect(p.nextHead()).toBeNull();
    expect(p.midRequest).toBe(true);
  });

  it('never overwrites body bytes it has handed out', () => {
    const p = parser(DEFAULT_LIMITS, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab');
    p.nextHead();
    const first = p.readBody().data[0]!;
    p.feed(Buffer.from('cd'));
    p.feed(Buffer.from('efGET'));
    const rest = Buffer.concat(p.readBody().data).toString();
    expect([first.toString(), rest]).toEqual(['ab', 'cdef']);
  });

  // Found by chapter 10's fuzzer: the answer depended on where a read ended.
  it('answers the same however the bytes are split across reads', () => {
    const statusOf = (limits: Limits, ...pieces: string[]): number | 'ok' =>
      status(() => {
        const p = new RequestParser(limits);
        for (const piece of pieces) {
          p.feed(Buffer.from(piece, 'latin1'));
          p.nextHead();
        }
      });
    const split = (limits: Limits, text: string, at: number): [number | 'ok', number | 'ok'] => [statusOf(limits, text), statusOf(limits, text.slice(0, at), text.slice(at))];
    // limit_request_line = 0: the head cap bounds the line even when its LF comes in the same read
    const small = normaliseLimits({ requestLine: 0, fields: 1, fieldSize: 10 }); // head cap: 16 bytes
    expect(split(small, 'GET /aaaaaaaaaaaaaaaa HTTP/1.0\r\n\r\n', 20)).toEqual([414, 414]);
    // over the limit AND ended by a bare LF: the size is what both readings see first
    const line = normaliseLimits({ requestLine: 10 });
    expect(split(line, 'GET /aaaaaaaaaa\nHost: x\r\n\r\n', 14)).toEqual([414, 414]);
    const field = normaliseLimits({ fieldSize: 20 });
    expect(split(field, `GET / HTTP/1.1\r\nX: ${'a'.repeat(30)}\n\r\n`, 45)).toEqual([431, 431]);
  });
});
