// The reference answer is the server's own code: read src/cgi/cgi-response.ts.
export * from '../../src/cgi/cgi-response.ts';
