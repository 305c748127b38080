// The reference answer is the server's own code: read src/arbiter/loop.ts.
export * from '../../src/arbiter/loop.ts';
