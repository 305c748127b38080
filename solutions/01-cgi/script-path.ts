// The reference answer is the server's own code: read src/cgi/script-path.ts.
export * from '../../src/cgi/script-path.ts';
