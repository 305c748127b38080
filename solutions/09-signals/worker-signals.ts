// The reference answer is the server's own code: read src/worker/signals.ts.
export * from '../../src/worker/signals.ts';
