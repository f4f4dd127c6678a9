// Setup file of the `unit` project: unit tests run in-process only. Any child_process call from the
// code under test or the test itself fails at once with where such a test belongs, so a test that
// starts a process cannot slip into the fast suite.
import { vi } from 'vitest';

function refusing(name: string): () => never {
  return () => {
    throw new Error(
      `unit tests run in-process: child_process.${name}() is refused here; a test that starts a process belongs in ` +
        'test/cli (the command, no Kafka) or test/integration (with the broker and registry)',
    );
  };
}

async function refusingChildProcess(
  importOriginal: () => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const real = await importOriginal();
  return Object.fromEntries(
    Object.entries(real).map(([name, value]) => [name, typeof value === 'function' ? refusing(name) : value]),
  );
}

vi.mock('node:child_process', refusingChildProcess);
vi.mock('child_process', refusingChildProcess);
