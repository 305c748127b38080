// @chapter 5
// How many workers to start, and which ones to stop: gunicorn's manage_workers as a pure function.

export interface Running {
  age: number;
  pid: number | null;
}

export interface WorkerPlan {
  /** How many new workers to spawn. */
  spawn: number;
  /** Pids to send SIGTERM to: the oldest workers first. */
  retire: number[];
}

// #region plan
export function planWorkers(workers: Running[], target: number): WorkerPlan {
  if (workers.length <= target) return { spawn: target - workers.length, retire: [] };
  // Too many (after TTOU, or a reload that started new workers): the oldest go first.
  const oldest = [...workers].sort((a, b) => a.age - b.age).slice(0, workers.length - target);
  return { spawn: 0, retire: oldest.flatMap((w) => (w.pid === null ? [] : [w.pid])) };
}
// #endregion plan
