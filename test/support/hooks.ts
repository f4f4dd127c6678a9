import { afterAll, afterEach } from 'vitest';
import { killAllProcesses } from './processes.js';

/**
 * Registers the hooks every stream test file needs: after each test, SIGKILL whatever
 * churn-scorer processes are still running (also when the test failed), and on a failure
 * print the tail of each of their logs (the full logs stay in .stack/test-logs/).
 */
export function useProcessCleanup(): void {
  afterEach(async (context) => {
    const started = await killAllProcesses();
    if (context.task.result?.state === 'fail') {
      for (const p of started) {
        process.stderr.write(`\n----- ${p.label} (pid ${p.pid}, log ${p.logFile}) -----\n${p.tail(60)}\n`);
      }
    }
  });
  afterAll(async () => {
    await killAllProcesses();
  });
}
