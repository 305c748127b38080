// @chapter 8
// Who has been silent too long: gunicorn's murder_workers, as a pure decision.

export interface Watched {
  pid: number | null;
  /** When the master last heard from it (ms). */
  lastBeat?: number;
  /** When it was sent SIGABRT, if it was. */
  abortedAt?: number;
}

export interface TimeoutVerdict {
  /** Silent past the timeout: log WORKER TIMEOUT and send SIGABRT. */
  abort: number[];
  /** Aborted at least `graceMs` ago and still there: SIGKILL. */
  kill: number[];
}

// #region timed-out
export function timedOut(workers: Watched[], now: number, timeoutMs: number, graceMs: number): TimeoutVerdict {
  const verdict: TimeoutVerdict = { abort: [], kill: [] };
  if (timeoutMs <= 0) return verdict;
  for (const w of workers) {
    if (w.pid === null || w.lastBeat === undefined || now - w.lastBeat <= timeoutMs) continue;
    if (w.abortedAt === undefined) verdict.abort.push(w.pid);
    else if (now - w.abortedAt >= graceMs) verdict.kill.push(w.pid);
  }
  return verdict;
}
// #endregion timed-out
