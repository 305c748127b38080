// The reference answer is the server's own code: read src/http/headers.ts.
export * from '../../src/http/headers.ts';
