// The reference answer is the server's own code: read src/hooks/call.ts.
export * from '../../src/hooks/call.ts';
