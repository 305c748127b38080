import { describe, expect, it } from 'vitest';
import { oldToRetire, type Generational } from '@answers/09-signals/rollout.ts';

// Ages 1 to 3 are the old generation (boundary 3); ages 4 and up are the new one.
const B = 3;
const old = (age: number, pid: number | null = 100 + age): Generational => ({ age, pid, booted: true });
const fresh = (age: number, booted: boolean, pid: number | null = 100 + age): Generational => ({ age, pid, booted });
const oldThree = [old(1), old(2), old(3)];

describe('exercise 9.2: which old workers a reload retires now', () => {
  it('retires none while no new worker has booted', () => {
    expect(oldToRetire(oldThree, B, 3), 'only old workers: keep them all').toEqual([]);
    expect(oldToRetire([...oldThree, fresh(4, false), fresh(5, false)], B, 3), 'new workers still booting do not count').toEqual([]);
  });

  it('retires all the old workers once target new workers have booted', () => {
    const w = [...oldThree, fresh(4, true), fresh(5, true), fresh(6, true)];
    expect(oldToRetire(w, B, 3), '3 new booted for a target of 3: retire the 3 old ones').toEqual([101, 102, 103]);
  });

  it('retires one old worker per booted new one, no more', () => {
    const w = [...oldThree, fresh(4, true), fresh(5, false), fresh(6, false)];
    expect(oldToRetire(w, B, 3), '1 new booted: retire 1 old, keep 2 (2 + 1 = 3 serving)').toEqual([101]);
    const w2 = [...oldThree, fresh(4, true), fresh(5, true), fresh(6, false)];
    expect(oldToRetire(w2, B, 3), '2 new booted: retire 2 old, keep 1').toEqual([101, 102]);
  });

  it('retires the oldest first, whatever the order of the list', () => {
    const w = [fresh(5, true), old(3), fresh(4, true), old(1), old(2)];
    expect(oldToRetire(w, B, 3), '2 new booted: retire ages 1 and 2, in that order').toEqual([101, 102]);
    const all = [old(3), fresh(6, true), old(2), fresh(4, true), old(1), fresh(5, true)];
    expect(oldToRetire(all, B, 3), 'all replaced: the oldest first, ages 1, 2, 3').toEqual([101, 102, 103]);
  });

  it('leaves out a worker whose pid is still null, without picking another in its place', () => {
    const w = [old(1, null), old(2), old(3), fresh(4, true), fresh(5, true)];
    expect(oldToRetire(w, B, 3), 'ages 1 and 2 retire, but age 1 has no pid to signal; age 3 stays').toEqual([102]);
  });

  it('retires every old worker when the target is 0', () => {
    expect(oldToRetire(oldThree, B, 0), 'target 0: nothing to keep, even with no new worker').toEqual([101, 102, 103]);
  });

  it('retires every old worker when more new ones booted than the target', () => {
    const w = [...oldThree, fresh(4, true), fresh(5, true), fresh(6, true), fresh(7, true)];
    expect(oldToRetire(w, B, 2), '4 new booted for a target of 2: retire the 3 old ones').toEqual([101, 102, 103]);
  });

  it('keeps every old worker while the target is beyond old plus booted new ones', () => {
    const w = [old(1), old(2), fresh(4, true)];
    expect(oldToRetire(w, B, 5), '2 old, 1 new booted, target 5: keep both old ones').toEqual([]);
    const w2 = [old(1), old(2), fresh(4, true), fresh(5, true), fresh(6, true), fresh(7, true)];
    expect(oldToRetire(w2, B, 5), 'target 5, 4 new booted: keep 1 old (the youngest), retire age 1').toEqual([101]);
  });
});
