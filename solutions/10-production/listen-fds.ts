// The reference answer is the server's own code: read src/sock/systemd.ts.
export * from '../../src/sock/systemd.ts';
