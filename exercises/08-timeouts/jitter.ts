// Exercise 8.2: how many requests one worker serves before it retires (max_requests + jitter).
import { todo } from '../todo.ts';

/**
 * maxRequests + randint(0, jitter), as gunicorn draws it for each new worker; 0 means no limit.
 * - maxRequests 0 (or less): return 0, whatever the jitter.
 * - otherwise: maxRequests plus a whole number from 0 to jitter INCLUDED, from `random()` (a number
 *   in [0, 1), like Math.random). A negative jitter counts as 0.
 */
export function requestLimit(maxRequests: number, jitter: number, random: () => number): number {
  return todo('8.2 (exercises/08-timeouts/jitter.ts)');
}
