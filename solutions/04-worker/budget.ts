// The reference answer is the server's own code: read src/worker/budget.ts.
export * from '../../src/worker/budget.ts';
