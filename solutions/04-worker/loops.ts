// The reference answer is the server's own code: read src/worker/loops.ts.
export * from '../../src/worker/loops.ts';
