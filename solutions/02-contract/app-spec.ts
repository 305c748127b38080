// The reference answer is the server's own code: read src/app/app-spec.ts.
export * from '../../src/app/app-spec.ts';
