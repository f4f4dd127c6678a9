import { defineConfig } from 'vitest/config';

// `unit` is pure and fast: in-process only, no child processes, no network beyond an
// in-process server on 127.0.0.1. `cli` runs the churn-scorer command as a user does (a
// child process per test) without Kafka. `integration` gets a real Kafka broker and
// schema registry from the global setup (env, testcontainers or the local stack, in that
// order); `chaos` injects failures into that stack; `browser` drives Debian's chromium against `serve` and `run`.
// `npm test` runs the first three; `npm run test:chaos` and `npm run test:browser` the others (.ci/run runs all
// five, docs/stack.md "CI" lists its steps).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
          // global gc(): the memory tests measure the heap after full collections.
          execArgv: ['--expose-gc'],
          setupFiles: ['test/setup/unit-in-process.ts'],
        },
      },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          environment: 'node',
          // each test starts `node --import tsx src/cli/main.ts`, which compiles the sources first
          testTimeout: 60_000,
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
        // The dashboard in Debian's chromium (playwright-core), against `serve` and a `run` on the real stack:
        // `npm run test:browser` (CI runs it once, on the machine's Node).
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/kafka-stack.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
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
