// Exercise 9.2: a reload without a gap: which old workers to retire now, as new ones report that they booted.
import { todo } from '../todo.ts';

export interface Generational {
  /** Workers of the old generation have an age up to the rollout's boundary; new ones, above it. */
  age: number;
  pid: number | null;
  booted: boolean;
}

/**
 * The pids of the old workers to send SIGTERM now, oldest first. `workers` lists those still serving.
 * - old workers: age <= boundary; new workers: age > boundary. A smaller age is older.
 * - count the new workers that have booted (`booted: true`): each one can replace one old worker.
 * - keep max(0, target - booted new workers) old workers, and retire all the other old ones, the
 *   oldest (smallest age) first, whatever the order of `workers`. So old plus booted new workers never
 *   fall below `target`; with no booted new worker, retire none; with `target` booted ones (or more),
 *   retire them all; with a target larger than the number of old workers, keep them all until enough
 *   new ones boot.
 * - an old worker chosen for retirement whose pid is still null has no process to signal: leave it out
 *   of the list (it still counts as one of those retired, so do not pick another one in its place).
 */
export function oldToRetire(workers: Generational[], boundary: number, target: number): number[] {
  return todo('9.2 (exercises/09-signals/rollout.ts)');
}
