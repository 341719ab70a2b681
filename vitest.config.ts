import { defineConfig } from 'vitest/config';

/**
 * Two groups: the in-process suites run first, in parallel; then the multi-process suites
 * (real node processes, timing-sensitive) run one file at a time, so CPU-bound simulator
 * runs never starve the nodes under test on a 2-core machine.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
