// @chapter 3
import { describe, expect, it } from 'vitest';
import type { HeaderPair } from '../../src/cgi/request.ts';
import { bodyFraming } from '../../src/http/framing.ts';
import { httpStatus } from './helpers.ts';

const status = (headers: HeaderPair[], version: [number, number] = [1, 1]): number | 'ok' => httpStatus(() => bodyFraming(headers, version));

describe('bodyFraming', () => {
  it('no length and no coding: no body, on either version', () => {
    expect(bodyFraming([['Host', 'x']], [1, 1])).toEqual({ kind: 'none' });
    expect(bodyFraming([], [1, 0])).toEqual({ kind: 'none' });
  });

  it('Content-Length: digits only, once', () => {
    expect(bodyFraming([['Content-Length', '42']], [1, 1])).toEqual({ kind: 'length', length: 42 });
    expect(bodyFraming([['content-length', '0']], [1, 0])).toEqual({ kind: 'length', length: 0 });
    expect(bodyFraming([['Content-Length', '007']], [1, 1])).toEqual({ kind: 'length', length: 7 });
    for (const bad of ['', '+3', '-1', '3.0', '0x10', '1 2', '5, 5', '1e3', 'abc', '9'.repeat(16)]) expect(status([['Content-Length', bad]]), bad).toBe(400);
    expect(status([['Content-Length', '5'], ['Content-Length', '5']])).toBe(400);
    expect(status([['Content-Length', '5'], ['Content-Length', '6']])).toBe(400);
  });

  it('Transfer-Encoding: chunked, last and once', () => {
    expect(bodyFraming([['Transfer-Encoding', 'chunked']], [1, 1])).toEqual({ kind: 'chunked' });
    expect(bodyFraming([['transfer-encoding', ' Chunked ']], [1, 1])).toEqual({ kind: 'chunked' });
    expect(status([['Transfer-Encoding', 'chunked, chunked']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked, gzip']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'identity']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked,']])).toBe(400);
    expect(status([['Transfer-Encoding', '']])).toBe(400);
  });

  it('answers 501 to codings we do not implement', () => {
    for (const te of ['gzip', 'gzip, chunked', 'identity', 'deflate,chunked', 'chunked;q=1', 'x-custom']) expect(status([['Transfer-Encoding', te]]), te).toBe(501);
  });

  it('refuses what enables smuggling', () => {
    expect(status([['Content-Length', '5'], ['Transfer-Encoding', 'chunked']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked'], ['Content-Length', '5']])).toBe(400);
    expect(status([['Transfer-Encoding', 'chunked']], [1, 0])).toBe(400);
    // Only SP and HTAB are whitespace: 0xA0 (NBSP) around chunked makes it an unknown coding.
    expect(status([['Transfer-Encoding', '\xa0chunked']])).toBe(501);
  });
});
