// The reference answer is the server's own code: read src/worker/heartbeat.ts.
export * from '../../src/worker/heartbeat.ts';
