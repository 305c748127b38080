import { afterEach, describe, expect, it } from 'vitest';
import { parseRequestLine } from '@answers/03-http/request-line.ts';
import { httpStatus } from '../../http/helpers.ts';
import { check, stopAll } from '../tester.ts';
import { live, Wire, type Echo } from './wire.ts';

const parse = (line: string, limit = 4094): ReturnType<typeof parseRequestLine> => parseRequestLine(Buffer.from(line, 'latin1'), limit);
const status = (line: string, limit = 4094): number | 'ok' => httpStatus(() => parse(line, limit));

describe('exercise 3.1: parse the request line', () => {
  it('splits method, target and version', () => {
    expect(parse('GET /a/b?x=1 HTTP/1.1'), 'the three parts, the version as two numbers').toEqual({ method: 'GET', target: '/a/b?x=1', version: [1, 1] });
    expect(parse('POST / HTTP/1.0'), 'HTTP/1.0 is [1, 0]').toEqual({ method: 'POST', target: '/', version: [1, 0] });
    expect(parse('PURGE /cache HTTP/1.1').method, 'any token is a method, not only the well-known ones').toBe('PURGE');
    expect(parse('get / HTTP/1.1').method, 'methods are case-sensitive: keep the case as sent').toBe('get');
  });

  it('wants exactly one space between the parts', () => {
    for (const line of ['GET  / HTTP/1.1', 'GET /  HTTP/1.1', ' GET / HTTP/1.1', 'GET / HTTP/1.1 ', 'GET\t/ HTTP/1.1', 'GET / ', 'GET /', 'GET']) {
      expect(status(line), `${JSON.stringify(line)} is not method SP target SP version: 400`).toBe(400);
    }
  });

  it('refuses a method that is not a token', () => {
    for (const line of ['GE:T / HTTP/1.1', 'G(T / HTTP/1.1', 'GÉT / HTTP/1.1']) expect(status(line), `${JSON.stringify(line)}: a method is token bytes only: 400`).toBe(400);
  });

  it('refuses control bytes and spaces inside the target', () => {
    for (const line of ['GET /a b HTTP/1.1', 'GET /a\x00 HTTP/1.1', 'GET /a\x7f HTTP/1.1', 'GET /a\r HTTP/1.1']) {
      expect(status(line), `${JSON.stringify(line)}: the target has a byte that is not allowed: 400`).toBe(400);
    }
    expect(parse('GET /caf\xe9 HTTP/1.1').target, 'bytes 0x80-0xFF (obs-text) pass, as latin1 characters').toBe('/caf\xe9');
  });

  it('answers 505 to a version it does not speak, 400 to one that is not a version', () => {
    for (const v of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3.0']) expect(status(`GET / ${v}`), `${v} is well-formed but not 1.0 or 1.1: 505`).toBe(505);
    for (const v of ['HTTP/1.1x', 'HTTP/11', 'http/1.1', 'HTTP/1', 'HTTP/1.10', 'HTTP/a.b']) expect(status(`GET / ${v}`), `${v} is not "HTTP/" digit "." digit: 400`).toBe(400);
  });

  it('checks the target form against the method', () => {
    expect(parse('GET http://example.com/x HTTP/1.1').target, 'absolute-form is fine for GET').toBe('http://example.com/x');
    expect(parse('OPTIONS * HTTP/1.1').target, '* is fine for OPTIONS').toBe('*');
    expect(parse('CONNECT example.com:443 HTTP/1.1').target, 'host:port is the form CONNECT uses').toBe('example.com:443');
    expect(status('GET * HTTP/1.1'), '* with anything but OPTIONS: 400').toBe(400);
    expect(status('GET example.com:443 HTTP/1.1'), 'host:port with anything but CONNECT: 400').toBe(400);
    expect(status('CONNECT / HTTP/1.1'), 'CONNECT with anything but host:port: 400').toBe(400);
    expect(status('GET index.html HTTP/1.1'), 'a target that is no form at all: 400').toBe(400);
  });

  it('answers 414 over the limit, counted without the CRLF, and 0 means no limit', () => {
    const line = `GET /${'a'.repeat(100)} HTTP/1.1`;
    expect(status(line, line.length), 'exactly at the limit is fine').toBe('ok');
    expect(status(line, line.length - 1), 'one byte over the limit: 414').toBe(414);
    expect(status(line, 0), 'limit 0: no limit').toBe('ok');
    expect(status(`BAD ${'a'.repeat(100)}`, 10), 'the limit is checked first, before the syntax').toBe(414);
  });
});

describe('exercise 3.1 on the wire: our server with your parseRequestLine', () => {
  const wire = new Wire(['3.1']);
  afterEach(stopAll);

  it('hands the app the method, path, query and version of each request', async () => {
    await wire.start();
    const pipelined = 'GET /a/b?x=1 HTTP/1.1\r\nHost: x\r\n\r\nPURGE /c HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n';
    const [first, second] = await wire.served(pipelined, 'Two pipelined requests did not both get a 200 from the app', { responses: 2 });
    const got = (e: Echo | undefined): string => JSON.stringify(e && { method: e.method, path: e.path, query: e.query, protocol: e.protocol });
    const want1 = { method: 'GET', path: '/a/b', query: 'x=1', protocol: 'HTTP/1.1' };
    const want2 = { method: 'PURGE', path: '/c', query: '', protocol: 'HTTP/1.0' };
    check(got(first) === JSON.stringify(want1) && got(second) === JSON.stringify(want2), 'The app did not get the method, target and version that were sent', {
      sent: pipelined,
      expected: `${JSON.stringify(want1)} then ${JSON.stringify(want2)}`,
      got: `${got(first)} then ${got(second)}`,
      live: live(pipelined),
    });
  }, 30_000);

  it('answers 400 to a malformed line, 505 to a version it does not speak, 414 past the limit, and goes on serving', async () => {
    await wire.start();
    await wire.refused('GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'Two spaces between the method and the target were not refused with 400');
    await wire.refused('GET / HTTP/1.1x\r\nHost: x\r\n\r\n', 400, 'A malformed version ("HTTP/1.1x") was not refused with 400');
    await wire.refused('GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'HTTP/2.0 in the request line was not refused with 505');
    const long = `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const shell = `printf 'GET /%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' $(head -c 5000 /dev/zero | tr '\\0' a)`;
    await wire.refused(long, 414, 'A request line of 5015 bytes (limit_request_line is 4094) was not refused with 414', shell);
  }, 30_000);
});
