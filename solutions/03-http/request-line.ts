// The reference answer is the server's own code: read src/http/request-line.ts.
export * from '../../src/http/request-line.ts';
