// The reference answer is the server's own code: read src/arbiter/timeouts.ts.
export * from '../../src/arbiter/timeouts.ts';
