// The reference answer is the server's own code: read src/arbiter/watch.ts.
export * from '../../src/arbiter/watch.ts';
