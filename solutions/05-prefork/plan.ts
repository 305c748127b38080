// The reference answer is the server's own code: read src/arbiter/plan.ts.
export * from '../../src/arbiter/plan.ts';
