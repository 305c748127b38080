// The simulation's clock and dice. Nothing in the playground reads the real time or Math.random: every
// happening is a callback scheduled at a simulated millisecond, and every chance (a boot that takes a
// little longer, a pid) comes from a seeded generator. So a seed always gives the same run.

/** A small, fast, seeded generator (mulberry32): numbers in [0, 1), the same sequence for a seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Happening {
  at: number;
  /** Ties at the same millisecond run in the order they were scheduled. */
  seq: number;
  run: () => void;
}

/** Callbacks at simulated times, run in time order. */
export class Scheduler {
  now = 0;
  private queue: Happening[] = [];
  private seq = 0;

  /** Runs `run` `ms` from now (0: after whatever is already due now). */
  after(ms: number, run: () => void): void {
    const h = { at: this.now + Math.max(0, ms), seq: this.seq++, run };
    // Binary search for the place after every happening due at the same time or earlier.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.at < h.at || (q.at === h.at && q.seq < h.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, h);
  }

  /** When the next happening is due, or null if nothing is scheduled. */
  peek(): number | null {
    return this.queue[0]?.at ?? null;
  }

  /** Moves the clock to the next happening and runs it; false if there is none. */
  runNext(): boolean {
    const h = this.queue.shift();
    if (!h) return false;
    this.now = h.at;
    h.run();
    return true;
  }
}
