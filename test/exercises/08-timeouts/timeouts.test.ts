import { describe, expect, it } from 'vitest';
import { timedOut, type Watched } from '@answers/08-timeouts/timeouts.ts';

const T = 2000; // timeout: 2 s
const G = 1000; // abort grace: 1 s

describe('exercise 8.1: who has been silent too long', () => {
  it('leaves alone a worker heard from within the timeout', () => {
    const w: Watched[] = [{ pid: 10, lastBeat: 1000 }];
    expect(timedOut(w, 2500, T, G), 'silent 1.5 s of 2 s').toEqual({ abort: [], kill: [] });
    expect(timedOut(w, 3000, T, G), 'silent exactly 2 s: not yet past the timeout').toEqual({ abort: [], kill: [] });
  });

  it('aborts a worker silent for longer than the timeout', () => {
    const w: Watched[] = [{ pid: 10, lastBeat: 1000 }, { pid: 11, lastBeat: 2900 }];
    expect(timedOut(w, 3001, T, G), 'pid 10 is silent 2.001 s: SIGABRT; pid 11 is fine').toEqual({ abort: [10], kill: [] });
  });

  it('kills a worker aborted at least the grace ago and still there', () => {
    const w: Watched[] = [{ pid: 10, lastBeat: 0, abortedAt: 3000 }];
    expect(timedOut(w, 3500, T, G), 'aborted 0.5 s ago: wait, and do not abort it twice').toEqual({ abort: [], kill: [] });
    expect(timedOut(w, 4000, T, G), 'aborted 1 s ago: SIGKILL').toEqual({ abort: [], kill: [10] });
  });

  it('ignores workers with no pid yet or never heard from', () => {
    const w: Watched[] = [{ pid: null, lastBeat: 0 }, { pid: 12 }];
    expect(timedOut(w, 99_000, T, G), 'nothing to judge').toEqual({ abort: [], kill: [] });
  });

  it('does nothing at all when the timeout is 0', () => {
    const w: Watched[] = [{ pid: 10, lastBeat: 0 }, { pid: 11, lastBeat: 0, abortedAt: 1 }];
    expect(timedOut(w, 99_000, 0, G), 'timeout 0 turns the check off').toEqual({ abort: [], kill: [] });
  });

  it('keeps the order of the workers in both lists', () => {
    const w: Watched[] = [
      { pid: 3, lastBeat: 0 },
      { pid: 1, lastBeat: 0, abortedAt: 5000 },
      { pid: 2, lastBeat: 0 },
      { pid: 4, lastBeat: 0, abortedAt: 5000 },
    ];
    expect(timedOut(w, 9000, T, G), 'abort 3 then 2; kill 1 then 4').toEqual({ abort: [3, 2], kill: [1, 4] });
  });
});
