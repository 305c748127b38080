// The reference answer is the server's own code: read src/arbiter/signals.ts.
export * from '../../src/arbiter/signals.ts';
