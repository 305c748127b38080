import { describe, expect, it } from 'vitest';
import { requestBudget } from '@answers/04-worker/budget.ts';

describe('exercise 4.2: max_requests', () => {
  it('lets the worker serve exactly max_requests requests', () => {
    const b = requestBudget(3);
    expect([b.take(), b.take(), b.take()], 'with max_requests 3, the third take() says "last one"').toEqual([true, true, false]);
    expect(b.used, 'used counts every request').toBe(3);
  });

  it('max_requests 1: the first request is the last', () => {
    expect(requestBudget(1).take(), 'serve one, then retire').toBe(false);
  });

  it('0 means no limit', () => {
    const b = requestBudget(0);
    for (let i = 0; i < 10_000; i++) expect(b.take(), `request ${i + 1} with no limit`).toBe(true);
    expect(b.used).toBe(10_000);
  });

  it('starts at zero, and each budget counts on its own', () => {
    const a = requestBudget(2);
    const b = requestBudget(2);
    a.take();
    expect([a.used, b.used], 'two workers, two budgets').toEqual([1, 0]);
  });
});
