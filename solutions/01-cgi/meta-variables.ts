// The reference answer is the server's own code: read src/cgi/meta-variables.ts.
export * from '../../src/cgi/meta-variables.ts';
