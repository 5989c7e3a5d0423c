import { defineConfig } from 'vitest/config';

// Long loops that are not part of `npm test` (kills at every step, repeated concurrent runs).
// `npm run stress` runs them; `.ci/run` runs them after the tests.
export default defineConfig({
  test: {
    include: ['test/stress/**/*.test.{ts,tsx}'],
    exclude: ['node_modules/**', 'examples/**', 'staged/**', 'dist/**', 'test/fixtures/**'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
