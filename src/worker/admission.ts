// @chapter 4
// When a worker should be accepting new connections.

export interface AdmissionState {
  workerClass: 'sync' | 'async';
  /** Connections the worker holds open now. */
  open: number;
  /** async: the most it may hold (worker_connections). */
  workerConnections: number;
  /** False once the worker is stopping (TERM, max_requests). */
  alive: boolean;
}

// #region admit
export function shouldAccept(s: AdmissionState): boolean {
  if (!s.alive) return false;
  // sync: only when idle, so a connection never waits behind a busy worker while another is free.
  if (s.workerClass === 'sync') return s.open === 0;
  // async: up to the cap; beyond it, new connections wait in the backlog for another worker.
  return s.open < s.workerConnections;
}
// #endregion admit
