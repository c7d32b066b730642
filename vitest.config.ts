import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules', 'dist', 'test/chaos/**', 'test/livekit/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file gets its own database and Redis key prefix, so files may run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
