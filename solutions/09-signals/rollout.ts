// The reference answer is the server's own code: read src/arbiter/rollout.ts.
export * from '../../src/arbiter/rollout.ts';
