// The reference answer is the server's own code: read src/worker/spawn.ts.
export * from '../../src/worker/spawn.ts';
