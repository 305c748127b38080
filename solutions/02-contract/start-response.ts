// The reference answer is the server's own code: read src/app/start-response.ts.
export * from '../../src/app/start-response.ts';
