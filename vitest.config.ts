import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['node_modules/**', 'examples/**', 'staged/**', 'dist/**', 'test/stress/**', 'test/fixtures/**'],
    // A hang guard, not a measure: the pipeline tests spawn the CLI, tsc and the project's own
    // tests, which take a while on a slow 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
