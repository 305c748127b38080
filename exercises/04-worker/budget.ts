// Exercise 4.2: count requests against max_requests.
import { todo } from '../todo.ts';

export interface RequestBudget {
  /** Counts one request; false when it is the last one the worker should serve. */
  take(): boolean;
  /** Requests counted so far. */
  readonly used: number;
}

/**
 * maxRequests 0 means no limit: take() is always true. Otherwise take() is true for the first
 * maxRequests - 1 requests and false from the maxRequests-th on (that one is still served, then the
 * worker retires). `used` counts every take().
 */
export function requestBudget(maxRequests: number): RequestBudget {
  return todo('4.2 (exercises/04-worker/budget.ts)');
}
