// The browser tests' own config: `npm run test:site` (run.ts) uses it. The project's vitest.config.ts
// includes only test/**/*.test.ts, so `npm test` never picks these *.spec.ts files up.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  test: {
    include: ['test/site/browser/**/*.spec.ts'],
    globalSetup: ['test/site/browser/global-setup.ts'],
    pool: 'forks',
    // Two spec files at once, each loading a few pages at once (describe.concurrent), all in the one
    // chromium: enough to keep both cores busy without starving a page of CPU.
    maxWorkers: 2,
    maxConcurrency: 3,
    // A page with diagrams takes ~5 s of CPU; on a shared, loaded machine a test took up to 60 s.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
  },
});
