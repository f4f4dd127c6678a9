import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it returns true; after `timeoutMs` fails with `describe()`, which should
 * say what was still missing.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string | Promise<string> },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms: ${await options.describe()}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
