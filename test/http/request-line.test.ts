// @chapter 3
import { describe, expect, it } from 'vitest';
import { parseRequestLine } from '../../src/http/request-line.ts';
import { httpStatus } from './helpers.ts';

const parse = (line: string, limit = 4094) => parseRequestLine(Buffer.from(line, 'latin1'), limit);
const status = (line: string, limit = 4094): number | 'ok' => httpStatus(() => parse(line, limit));

describe('parseRequestLine', () => {
  it('splits method, target and version', () => {
    expect(parse('GET /a/b?x=1 HTTP/1.1')).toEqual({ method: 'GET', target: '/a/b?x=1', version: [1, 1] });
    expect(parse('POST / HTTP/1.0')).toEqual({ method: 'POST', target: '/', version: [1, 0] });
  });

  it('accepts every target form with the method it belongs to', () => {
    expect(parse('GET http://example.com/x?y HTTP/1.1').target).toBe('http://example.com/x?y');
    expect(parse('OPTIONS * HTTP/1.1').target).toBe('*');
    expect(parse('CONNECT example.com:443 HTTP/1.1').target).toBe('example.com:443');
    expect(status('GET * HTTP/1.1')).toBe(400);
    expect(status('GET example.com:443 HTTP/1.1')).toBe(400);
    expect(status('CONNECT / HTTP/1.1')).toBe(400);
    expect(status('CONNECT example.com HTTP/1.1')).toBe(400);
    expect(status('GET x HTTP/1.1')).toBe(400);
    expect(status('GET 1http://x/ HTTP/1.1')).toBe(400);
  });

  it('takes any token as a method, case and all, and nothing else', () => {
    expect(parse('PURGE /x HTTP/1.1').method).toBe('PURGE');
    expect(parse('get / HTTP/1.1').method).toBe('get');
    for (const bad of ['GE T / HTTP/1.1', 'GE:T / HTTP/1.1', 'G(T / HTTP/1.1', ' GET / HTTP/1.1', '/ HTTP/1.1']) expect(status(bad), bad).toBe(400);
  });

  it('wants exactly one space between the parts', () => {
    for (const bad of ['GET  / HTTP/1.1', 'GET /  HTTP/1.1', 'GET / HTTP/1.1 ', 'GET\t/ HTTP/1.1', 'GET /\tHTTP/1.1', 'GET /', 'GET / ', 'GET']) {
      expect(status(bad), JSON.stringify(bad)).toBe(400);
    }
  });

  it('refuses control bytes and spaces in the target, accepts obs-text', () => {
    expect(status('GET /a b HTTP/1.1')).toBe(400);
    expect(status('GET /a\x00 HTTP/1.1')).toBe(400);
    expect(status('GET /a\x7f HTTP/1.1')).toBe(400);
    expect(status('GET /a\r HTTP/1.1')).toBe(400);
    expect(parse('GET /caf\xe9 HTTP/1.1').target).toBe('/caf\xe9');
  });

  it('answers 505 to a well-formed version other than 1.0 and 1.1, 400 to a malformed one', () => {
    for (const v of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3.0', 'HTTP/9.9']) expect(status(`GET / ${v}`), v).toBe(505);
    for (const v of ['HTTP/1.1x', 'HTTP/11', 'http/1.1', 'HTTP/1', 'HTTP/1.', 'HTTP/a.b', 'HTTPS/1.1', 'HTTP/1.10']) expect(status(`GET / ${v}`), v).toBe(400);
  });

  it('answers 414 above the limit, counted without the CRLF; 0 means no limit', () => {
    const line = `GET /${'a'.repeat(100)} HTTP/1.1`;
    expect(status(line, line.length)).toBe('ok');
    expect(status(line, line.length - 1)).toBe(414);
    expect(status(line, 0)).toBe('ok');
    expect(status(`BAD LINE ${'a'.repeat(100)}`, 10)).toBe(414); // the limit comes first
  });
});
