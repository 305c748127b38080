import { describe, expect, it } from 'vitest';
import { shouldAccept } from '@answers/04-worker/admission.ts';

const state = (over: Partial<Parameters<typeof shouldAccept>[0]>) => ({ workerClass: 'sync' as const, open: 0, workerConnections: 1000, alive: true, ...over });

describe('exercise 4.1: when to accept', () => {
  it('a sync worker accepts only when it holds no connection', () => {
    expect(shouldAccept(state({ open: 0 })), 'idle sync worker: accept').toBe(true);
    expect(shouldAccept(state({ open: 1 })), 'busy sync worker: do not accept, an idle worker should take the next connection').toBe(false);
    expect(shouldAccept(state({ open: 2, workerConnections: 1000 })), 'worker_connections does not matter to a sync worker').toBe(false);
  });

  it('an async worker accepts up to worker_connections', () => {
    expect(shouldAccept(state({ workerClass: 'async', open: 999, workerConnections: 1000 })), '999 of 1000: accept').toBe(true);
    expect(shouldAccept(state({ workerClass: 'async', open: 1000, workerConnections: 1000 })), '1000 of 1000: stop accepting').toBe(false);
    expect(shouldAccept(state({ workerClass: 'async', open: 0, workerConnections: 1 })), 'an idle async worker accepts').toBe(true);
  });

  it('a stopping worker accepts nothing', () => {
    expect(shouldAccept(state({ alive: false })), 'stopping sync worker, idle: no').toBe(false);
    expect(shouldAccept(state({ workerClass: 'async', alive: false })), 'stopping async worker: no').toBe(false);
  });
});
