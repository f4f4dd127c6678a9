import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (no network); `integration` gets a real
// Kafka broker and schema registry from the global setup (env, testcontainers or
// the local stack, in that order).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/kafka-stack.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // One broker on a 2-core machine: run integration files one at a time.
          fileParallelism: false,
        },
      },
      {
        // Failure injection (SIGKILL, broker restart, rebalances) against the real stack;
        // slower, so run apart: `npm run test:chaos` (CI runs it after `npm test`).
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/kafka-stack.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
