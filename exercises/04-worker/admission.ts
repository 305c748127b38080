// Exercise 4.1: when should a worker be accepting new connections?
import { todo } from '../todo.ts';

export interface AdmissionState {
  workerClass: 'sync' | 'async';
  /** Connections the worker holds open now. */
  open: number;
  /** async: the most it may hold (worker_connections). */
  workerConnections: number;
  /** False once the worker is stopping (TERM, max_requests). */
  alive: boolean;
}

/**
 * A stopping worker never accepts. A sync worker accepts only when it holds no connection. An async
 * worker accepts while it holds fewer than workerConnections.
 */
export function shouldAccept(s: AdmissionState): boolean {
  return todo('4.1 (exercises/04-worker/admission.ts)');
}
