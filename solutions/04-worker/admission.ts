// The reference answer is the server's own code: read src/worker/admission.ts.
export * from '../../src/worker/admission.ts';
