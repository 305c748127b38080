// @chapter 3
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, headerBlockCap, normaliseLimits } from '../../src/http/limits.ts';

describe('normaliseLimits', () => {
  it("has gunicorn's defaults", () => {
    expect(normaliseLimits()).toEqual({ requestLine: 4094, fields: 100, fieldSize: 8190 });
    expect(headerBlockCap(DEFAULT_LIMITS)).toBe(819204);
  });

  it("clamps the way gunicorn does", () => {
    expect(normaliseLimits({ requestLine: 0 }).requestLine).toBe(0); // unlimited
    expect(normaliseLimits({ requestLine: -1 }).requestLine).toBe(8190);
    expect(normaliseLimits({ requestLine: 8190 }).requestLine).toBe(8190);
    expect(normaliseLimits({ requestLine: 16000 }).requestLine).toBe(8190);
    expect(normaliseLimits({ requestLine: 8189 }).requestLine).toBe(8189);
    expect(normaliseLimits({ fields: 0 }).fields).toBe(32768);
    expect(normaliseLimits({ fields: 40000 }).fields).toBe(32768);
    expect(normaliseLimits({ fields: 32768 }).fields).toBe(32768);
    expect(normaliseLimits({ fields: 5 }).fields).toBe(5);
    expect(normaliseLimits({ fieldSize: 0 }).fieldSize).toBe(8190);
    expect(normaliseLimits({ fieldSize: -5 }).fieldSize).toBe(8190);
    expect(normaliseLimits({ fieldSize: 20000 }).fieldSize).toBe(20000);
  });
});
