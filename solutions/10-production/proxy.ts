// The reference answer is the server's own code: read src/http/proxy.ts.
export * from '../../src/http/proxy.ts';
