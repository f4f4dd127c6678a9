import { afterAll, afterEach } from 'vitest';
import { endTestProcesses, killAllProcesses } from './processes.js';

/**
 * For a test file that starts churn-scorer processes without the `stream` fixture (stream-fixture.ts
 * does the same for its tests): after each test, end the processes still running and print their log
 * tails if it failed; after the file, end any left over.
 */
export function useProcessCleanup(): void {
  afterEach(async (context) => {
    await endTestProcesses(context.task.result?.state === 'fail');
  });
  afterAll(async () => {
    await killAllProcesses();
  });
}
