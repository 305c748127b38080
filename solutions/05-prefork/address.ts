// The reference answer is the server's own code: read src/sock/address.ts.
export * from '../../src/sock/address.ts';
