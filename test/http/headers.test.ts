// @chapter 3
import { describe, expect, it } from 'vitest';
import { parseHeaders } from '../../src/http/headers.ts';
import { DEFAULT_LIMITS, normaliseLimits } from '../../src/http/limits.ts';
import { httpStatus } from './helpers.ts';

const parse = (block: string, limits = DEFAULT_LIMITS) => parseHeaders(Buffer.from(block, 'latin1'), limits);
const status = (block: string, limits = DEFAULT_LIMITS): number | 'ok' => httpStatus(() => parse(block, limits));

describe('parseHeaders', () => {
  it('keeps names as sent, order and repeats; trims SP and HTAB around values', () => {
    expect(parse('Host: x\r\nX-A:  1 \t\r\nx-a:2\r\nEmpty:\r\nSpaced: a  b\r\n')).toEqual([
      ['Host', 'x'],
      ['X-A', '1'],
      ['x-a', '2'],
      ['Empty', ''],
      ['Spaced', 'a  b'],
    ]);
    expect(parse('')).toEqual([]);
  });

  it('keeps obs-text (bytes 0x80-0xFF) in values, as latin1', () => {
    expect(parse('X: caf\xe9\r\n')).toEqual([['X', 'caf\xe9']]);
  });

  it('refuses what a proxy might read differently', () => {
    const cases: [string, string][] = [
      ['obs-fold', 'X: a\r\n b\r\n'],
      ['obs-fold with a tab', 'X: a\r\n\tb\r\n'],
      ['whitespace before the first header', ' X: a\r\n'],
      ['space before the colon', 'Host : x\r\n'],
      ['tab before the colon', 'Host\t: x\r\n'],
      ['no colon', 'Host x\r\n'],
      ['empty name', ': x\r\n'],
      ['non-token name', 'X(y): 1\r\n'],
      ['non-ASCII name', 'X\xe9: 1\r\n'],
      ['NUL in value', 'X: a\x00b\r\n'],
      ['vertical tab in value', 'X: \x0bchunked\r\n'],
      ['DEL in value', 'X: a\x7f\r\n'],
      ['bare CR in value', 'X: a\rb\r\n'],
      ['bare LF in value', 'X: a\nY: b\r\n'],
      ['no CRLF at the end', 'X: a'],
    ];
    for (const [what, block] of cases) expect(status(block), what).toBe(400);
  });

  it('answers 431 past the field count or the line size (CRLF included)', () => {
    const limits = normaliseLimits({ fields: 2, fieldSize: 10 });
    expect(status('A: 1\r\nB: 2\r\n', limits)).toBe('ok');
    expect(status('A: 1\r\nB: 2\r\nC: 3\r\n', limits)).toBe(431);
    expect(status('A: 12345\r\n', limits)).toBe('ok'); // 8 bytes + CRLF = 10
    expect(status('A: 123456\r\n', limits)).toBe(431);
  });
});
