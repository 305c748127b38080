// @chapter 2
import { describe, expect, it } from 'vitest';
import { InputStream } from '../../src/app/input.ts';

const chunks = (...parts: string[]): InputStream => new InputStream(parts.map((p) => Buffer.from(p)));

describe('InputStream (wsgi.input)', () => {
  it('reads everything, or up to a size', async () => {
    expect((await chunks('ab', 'cd', 'e').read()).toString()).toBe('abcde');
    const s = chunks('ab', 'cd', 'e');
    expect((await s.read(3)).toString()).toBe('abc');
    expect((await s.read(10)).toString()).toBe('de');
    expect((await s.read()).length).toBe(0);
  });

  it('reads lines across chunks, with a limit', async () => {
    const s = chunks('one\ntw', 'o\nthree');
    expect((await s.readline()).toString()).toBe('one\n');
    expect((await s.readline()).toString()).toBe('two\n');
    expect((await s.readline(3)).toString()).toBe('thr');
    expect((await s.readline()).toString()).toBe('ee');
    expect((await s.readline()).length).toBe(0);
  });

  it('iterates chunks, including what a read left buffered', async () => {
    const s = chunks('abc', 'def');
    await s.read(1);
    const seen: string[] = [];
    for await (const c of s) seen.push(c.toString());
    expect(seen.join('')).toBe('bcdef');
  });
});
