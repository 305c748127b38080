// The reference answer is the server's own code: read src/log/files.ts.
export * from '../../src/log/files.ts';
