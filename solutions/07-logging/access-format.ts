// The reference answer is the server's own code: read src/log/access-format.ts.
export * from '../../src/log/access-format.ts';
