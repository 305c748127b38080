// The reference answer is the server's own code: read src/http/framing.ts.
export * from '../../src/http/framing.ts';
