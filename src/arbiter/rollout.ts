// @chapter 9
// A reload without a gap: the old workers go one by one, as new ones report that they booted.

export interface Generational {
  /** Workers of the old generation have an age up to the rollout's boundary; new ones, above it. */
  age: number;
  pid: number | null;
  booted: boolean;
}

// #region old-to-retire
/**
 * The old workers to send SIGTERM now, oldest first: as many as the booted new workers can replace.
 * Old workers plus booted new ones stay at `target` (or above, while new ones boot), never below.
 * `workers` lists those still serving (not already told to retire).
 */
export function oldToRetire(workers: Generational[], boundary: number, target: number): number[] {
  const old = workers.filter((w) => w.age <= boundary).sort((a, b) => a.age - b.age);
  const ready = workers.filter((w) => w.age > boundary && w.booted).length;
  const keep = Math.max(0, target - ready);
  return old.slice(0, Math.max(0, old.length - keep)).flatMap((w) => (w.pid === null ? [] : [w.pid]));
}
// #endregion old-to-retire
