// @chapter 3
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../../src/http/chunked.ts';
import { normaliseLimits } from '../../src/http/limits.ts';
import { httpStatus, decodeChunks } from './helpers.ts';

const decode = (pieces: string[], decoder = new ChunkedDecoder()): ReturnType<typeof decodeChunks> => decodeChunks(decoder, pieces);
const status = (input: string, decoder?: ChunkedDecoder): number | 'ok' => httpStatus(() => decode([input], decoder));

describe('ChunkedDecoder', () => {
  it('decodes chunks and stops after the last one, leaving the rest', () => {
    expect(decode(['5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n'])).toEqual({ body: 'hello world', done: true, rest: 'GET / HTTP/1.1\r\n' });
  });

  it('gives the same result when the bytes arrive one at a time', () => {
    const input = 'a;name=value\r\n0123456789\r\n1\r\nX\r\n0\r\nTrailer: yes\r\n\r\nNEXT';
    expect(decode(input.split(''))).toEqual({ body: '0123456789X', done: true, rest: 'NEXT' });
  });

  it('is not done until the final CRLF', () => {
    expect(decode(['3\r\nabc\r\n0\r\n']).done).toBe(false);
    expect(decode(['3\r\nabc\r\n0\r\nX: 1\r\n']).done).toBe(false);
  });

  it('accepts upper- and lower-case hex, and leading zeros', () => {
    expect(decode(['A\r\n0123456789\r\n00a\r\n0123456789\r\n000\r\n\r\n']).body).toBe('0123456789'.repeat(2));
  });

  it('checks extensions, then ignores them', () => {
    for (const ok of ['1;a\r\nx\r\n0\r\n\r\n', '1;a=b\r\nx\r\n0\r\n\r\n', '1 ; a = "q \\" s"\r\nx\r\n0\r\n\r\n', '1;a;b=c\r\nx\r\n0;z\r\n\r\n']) {
      expect(status(ok), ok).toBe('ok');
    }
    for (const bad of ['1;\r\nx\r\n', '1;=b\r\nx\r\n', '1;a=\r\nx\r\n', '1;a="open\r\nx\r\n', '1;a b\r\nx\r\n', '1;a=b c\r\nx\r\n', '1;a\rb\r\nx\r\n']) {
      expect(status(bad), JSON.stringify(bad)).toBe(400);
    }
  });

  it('refuses bad chunk sizes: only hex digits, at most 16', () => {
    for (const bad of ['0x5\r\n', '+5\r\n', '-1\r\n', ' 5\r\n', '5 \r\n', '\r\n', 'g\r\n', '1_0\r\n', `${'1'.repeat(17)}\r\n`, 'ffffffffffffffff\r\n']) {
      expect(status(bad), JSON.stringify(bad)).toBe(400);
    }
  });

  it('wants CRLF, and only CRLF, after sizes and data', () => {
    for (const bad of ['5\nhello\r\n', '5\r\nhelloX\r\n', '5\r\nhello\n0\r\n\r\n', '5\r\nhello\r0\r\n\r\n', '0\r\n\n', '0\r\nX: 1\n\r\n']) {
      expect(status(bad), JSON.stringify(bad)).toBe(400);
    }
  });

  it('parses trailers with the header rules, keeps them apart from the request, and bounds them', () => {
    const decoder = new ChunkedDecoder();
    decode(['0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n'], decoder);
    expect(decoder.trailers).toEqual([
      ['X-Checksum', 'abc'],
      ['X-More', '1'],
    ]);
    expect(status('0\r\nBad Name: 1\r\n\r\n')).toBe(400);
    expect(status('0\r\nX: 1\r\n folded\r\n\r\n')).toBe(400);
    const small = normaliseLimits({ fields: 1, fieldSize: 20 });
    expect(status('0\r\nA: 1\r\nB: 2\r\n\r\n', new ChunkedDecoder(small))).toBe(431);
    expect(status(`0\r\nA: ${'x'.repeat(30)}\r\n\r\n`, new ChunkedDecoder(small))).toBe(431);
  });

  it('bounds a size line that never ends', () => {
    const decoder = new ChunkedDecoder(normaliseLimits({ fieldSize: 100 }));
    expect(status(`1;${'a'.repeat(200)}`, decoder)).toBe(400);
  });

  it('hands out views of the input, not copies', () => {
    const input = Buffer.from('5\r\nhello\r\n');
    const out = new ChunkedDecoder().push(input);
    expect(out.data[0]!.buffer).toBe(input.buffer);
  });
});
