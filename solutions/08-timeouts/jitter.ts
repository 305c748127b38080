// The reference answer is the server's own code: read src/arbiter/jitter.ts.
export * from '../../src/arbiter/jitter.ts';
