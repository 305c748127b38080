import { describe, expect, it } from 'vitest';
import { requestLimit } from '@answers/08-timeouts/jitter.ts';

describe('exercise 8.2: max_requests plus jitter', () => {
  it('gives 0 (no limit) when max_requests is 0, whatever the jitter', () => {
    expect(requestLimit(0, 50, () => 0.99), 'max_requests 0 means no limit').toBe(0);
    expect(requestLimit(-1, 5, () => 0.5), 'a negative max_requests: no limit either').toBe(0);
  });

  it('adds nothing when the jitter is 0', () => {
    expect(requestLimit(1000, 0, () => 0.99), 'no jitter: exactly max_requests').toBe(1000);
  });

  it('adds a whole number from 0 to the jitter, both included', () => {
    expect(requestLimit(20, 5, () => 0), 'random() = 0: the smallest, 20').toBe(20);
    expect(requestLimit(20, 5, () => 0.999999), 'random() just under 1: the largest, 25 (jitter included)').toBe(25);
    expect(requestLimit(20, 5, () => 0.5), 'random() = 0.5: 20 + 3').toBe(23);
  });

  it('spreads the limits over the whole range', () => {
    let i = 0;
    const values = [0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95];
    const seen = new Set(values.map(() => requestLimit(20, 5, () => values[i++]!)));
    expect([...seen].sort((a, b) => a - b), 'every value from 20 to 25 can come out').toEqual([20, 21, 22, 23, 24, 25]);
  });

  it('treats a negative jitter as 0', () => {
    expect(requestLimit(100, -3, () => 0.9), 'negative jitter: exactly max_requests').toBe(100);
  });
});
