// @chapter 3
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { httpDate } from '../../src/http/date.ts';
import { errorResponse, InvalidResponse, prepareHead, renderHead, ResponseWriter } from '../../src/http/response.ts';

function capture(): { out: Writable; text: () => string; writes: () => number } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('latin1'), writes: () => chunks.length };
}
function writer(method = 'GET', version: [number, number] = [1, 1], keepAlive = true) {
  const c = capture();
  const warnings: string[] = [];
  const w = new ResponseWriter(c.out, { method, target: '/', version, keepAlive: () => keepAlive }, { server: 'test/1', date: () => 'DATE', warn: (m) => warnings.push(m) });
  return { w, ...c, warnings };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('prepareHead', () => {
  it('keeps the app headers in order and drops the ones the server owns', () => {
    const head = prepareHead('200 OK', [['X-A', '1'], ['Date', 'x'], ['Server', 'y'], ['Transfer-Encoding', 'gzip'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Keep-Alive', 'timeout=5']], 'GET');
    expect(head.lines).toBe('X-A: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    expect(head.statusLine).toBe('HTTP/1.1 200 OK\r\n');
  });

  it('refuses header names that are not tokens and values with CR, LF, NUL or other controls', () => {
    for (const [name, value] of [['X-A', 'a\r\nSet-Cookie: evil=1'], ['X-A', 'a\nb'], ['X-A', 'a\rb'], ['X-A', 'a\x00b'], ['X-A', 'a\x1bb'], ['X-A', 'a\x7f'], ['X-A', 'snow\u2603'], ['X A', 'v'], ['X:A', 'v'], ['', 'v'], ['X\r\nY', 'v']] as const) {
      expect(() => prepareHead('200 OK', [[name, value]], 'GET'), JSON.stringify([name, value])).toThrow(InvalidResponse);
    }
    expect(prepareHead('200 OK', [['X-A', 'tab\there, caf\xe9']], 'GET').lines).toBe('X-A: tab\there, caf\xe9\r\n');
  });

  it('refuses a 1xx final status and a bad Content-Length', () => {
    expect(() => prepareHead('100 Continue', [], 'GET')).toThrow(InvalidResponse);
    expect(() => prepareHead('200 OK\x00', [], 'GET')).toThrow(InvalidResponse);
    expect(() => prepareHead('200 OK', [['Content-Length', '-1']], 'GET')).toThrow(InvalidResponse);
    expect(() => prepareHead('200 OK', [['Content-Length', '1'], ['Content-Length', '2']], 'GET')).toThrow(InvalidResponse);
    expect(prepareHead('200 OK', [['Content-Length', '2'], ['content-length', '2']], 'GET')).toMatchObject({ length: 2, lines: 'Content-Length: 2\r\n' });
  });

  it('knows which responses have no body, and hears Connection: close from the app', () => {
    expect(prepareHead('200 OK', [], 'HEAD').noBody).toBe(true);
    expect(prepareHead('204 No Content', [['Content-Length', '5']], 'GET')).toMatchObject({ noBody: true, lines: '' });
    expect(prepareHead('304 Not Modified', [], 'GET').noBody).toBe(true);
    expect(prepareHead('200 OK', [['Connection', 'Close']], 'GET')).toMatchObject({ close: true, lines: '' });
  });

  it('renders the server headers first', () => {
    const head = prepareHead('200 OK', [['X', '1']], 'GET');
    expect(renderHead(head, { kind: 'chunked' }, true, 'D', 'S')).toBe('HTTP/1.1 200 OK\r\nServer: S\r\nDate: D\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nX: 1\r\n\r\n');
    expect(renderHead(head, { kind: 'length', length: 3 }, false, 'D', 'S')).toBe('HTTP/1.1 200 OK\r\nServer: S\r\nDate: D\r\nConnection: close\r\nContent-Length: 3\r\nX: 1\r\n\r\n');
  });
});

describe('ResponseWriter', () => {
  it('sends a one-chunk body in one write, with a Content-Length', async () => {
    const { w, text, writes } = writer();
    w.sendHead('200 OK', [['X', '1']]);
    await w.sendBody(Buffer.from('hello'));
    w.end();
    await tick();
    expect(text()).toBe('HTTP/1.1 200 OK\r\nServer: test/1\r\nDate: DATE\r\nConnection: keep-alive\r\nContent-Length: 5\r\nX: 1\r\n\r\nhello');
    expect(writes()).toBe(1);
    expect(w.close).toBe(false);
  });

  it('chunks a streamed body on HTTP/1.1', async () => {
    const { w, text } = writer();
    w.sendHead('200 OK', []);
    await w.sendBody(Buffer.from('ab'));
    await tick(); // the first chunk is flushed when the app does not follow up at once
    await w.sendBody(Buffer.from('cde'));
    w.end();
    await tick();
    expect(text()).toMatch(/Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n$/);
  });

  it('ends a streamed HTTP/1.0 body with the connection', async () => {
    const { w, text } = writer('GET', [1, 0]);
    w.sendHead('200 OK', []);
    await w.sendBody(Buffer.from('ab'));
    await w.sendBody(Buffer.from('cd'));
    w.end();
    await tick();
    expect(text()).toMatch(/Connection: close\r\n\r\nabcd$/);
    expect(text()).not.toMatch(/Transfer-Encoding|Content-Length/);
    expect(w.close).toBe(true);
  });

  it('an empty body gets Content-Length: 0', async () => {
    const { w, text } = writer();
    w.sendHead('200 OK', []);
    w.end();
    await tick();
    expect(text()).toMatch(/Content-Length: 0\r\n\r\n$/);
  });

  it('never writes a body for HEAD, 204 and 304', async () => {
    for (const [method, status] of [['HEAD', '200 OK'], ['GET', '204 No Content'], ['GET', '304 Not Modified']] as const) {
      const { w, text, warnings } = writer(method);
      w.sendHead(status, [['Content-Length', '5']]);
      await w.sendBody(Buffer.from('hello'));
      w.end();
      await tick();
      expect(text(), `${method} ${status}`).toMatch(/\r\n\r\n$/);
      expect(text()).not.toMatch(/Transfer-Encoding/);
      expect(warnings.length, 'a warning for 204 and 304 bodies, not for HEAD').toBe(method === 'HEAD' ? 0 : 1);
    }
  });

  it('truncates output beyond the Content-Length, and closes after a short one', async () => {
    const long = writer();
    long.w.sendHead('200 OK', [['Content-Length', '3']]);
    await long.w.sendBody(Buffer.from('abcdef'));
    long.w.end();
    expect(long.text()).toMatch(/\r\n\r\nabc$/);
    expect(long.warnings).toHaveLength(1);
    const short = writer();
    short.w.sendHead('200 OK', [['Content-Length', '10']]);
    await short.w.sendBody(Buffer.from('abc'));
    short.w.end();
    expect(short.w.close).toBe(true);
    expect(short.warnings[0]).toMatch(/3 bytes of a 10-byte/);
  });

  it('can still drop a head that is not on the wire', async () => {
    const { w, text } = writer();
    w.sendHead('200 OK', []);
    await w.sendBody(Buffer.from('held'));
    expect(w.committed).toBe(false);
    w.discard();
    await tick();
    expect(text()).toBe('');
  });
});

describe('errorResponse and httpDate', () => {
  it('formats a closing plain-text error', () => {
    const text = errorResponse(431, 'Request Header Fields Too Large', 'too many', 'D', 'S').toString('latin1');
    expect(text).toBe('HTTP/1.1 431 Request Header Fields Too Large\r\nServer: S\r\nDate: D\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 45\r\n\r\n431 Request Header Fields Too Large\ntoo many\n');
  });

  it('gives an IMF-fixdate', () => {
    expect(httpDate()).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
  });
});
