// Exercise 5.2: how many workers to start, and which to stop (gunicorn's manage_workers).
import { todo } from '../todo.ts';

export interface Running {
  age: number;
  pid: number | null;
}

export interface WorkerPlan {
  spawn: number;
  retire: number[];
}

/**
 * Fewer workers than `target`: spawn the difference, retire none. More: spawn none, and retire the
 * surplus, oldest first (smallest age), listing their pids; a worker whose pid is still null (not
 * started yet) is counted but has no pid to list. Exactly `target`: nothing to do.
 */
export function planWorkers(workers: Running[], target: number): WorkerPlan {
  return todo('5.2 (exercises/05-prefork/plan.ts)');
}
