import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Exercise tests import the learner's code through @answers: exercises/ by default, solutions/ when
// PREFORK_ANSWERS=solutions (what `npm test` and `npm run check:exercises` set).
const answers = process.env.PREFORK_ANSWERS === 'solutions' ? 'solutions' : 'exercises';

export default defineConfig({
  resolve: {
    alias: { '@answers': fileURLToPath(new URL(`./${answers}`, import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Most test time is spent waiting on servers, timers and signals, not computing: two test files at
    // once on a 2-core machine (vitest's default would be one, cores - 1). The timing-sensitive tests
    // hold with both cores busy (CI runs them beside two CPU burners).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    teardownTimeout: 10_000,
  },
});
