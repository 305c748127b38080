// The reference answer is the server's own code: read src/arbiter/exits.ts.
export * from '../../src/arbiter/exits.ts';
