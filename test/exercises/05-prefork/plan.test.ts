import { describe, expect, it } from 'vitest';
import { planWorkers } from '@answers/05-prefork/plan.ts';

describe('exercise 5.2: how many workers', () => {
  it('spawns the missing workers', () => {
    expect(planWorkers([], 4), 'none running, 4 wanted').toEqual({ spawn: 4, retire: [] });
    expect(planWorkers([{ age: 1, pid: 10 }], 3), 'one running, 3 wanted').toEqual({ spawn: 2, retire: [] });
  });

  it('does nothing when the count is right', () => {
    expect(planWorkers([{ age: 1, pid: 10 }, { age: 2, pid: 11 }], 2), 'two of two').toEqual({ spawn: 0, retire: [] });
  });

  it('retires the oldest when there are too many', () => {
    const workers = [
      { age: 7, pid: 70 },
      { age: 3, pid: 30 },
      { age: 9, pid: 90 },
      { age: 5, pid: 50 },
    ];
    expect(planWorkers(workers, 2), 'keep the two youngest (ages 7 and 9)').toEqual({ spawn: 0, retire: [30, 50] });
    expect(planWorkers(workers, 1).retire, 'oldest first').toEqual([30, 50, 70]);
  });

  it('counts workers that have not started yet, but has no pid to stop for them', () => {
    expect(planWorkers([{ age: 1, pid: null }, { age: 2, pid: 20 }], 1), 'the oldest has no pid yet').toEqual({ spawn: 0, retire: [] });
    expect(planWorkers([{ age: 1, pid: null }], 1), 'a starting worker counts').toEqual({ spawn: 0, retire: [] });
  });
});
