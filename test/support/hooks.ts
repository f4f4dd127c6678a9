import type { Admin, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { connectedAdmin, createTopics, deleteTopics, testKafka } from './kafka.js';
import { allTopics, type StreamNames } from './names.js';
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

/** The Kafka client and admin of one test file, connected in beforeAll (read them inside a test). */
export interface TestKafka {
  readonly kafka: Kafka;
  readonly admin: Admin;
}

/**
 * Creates the file's uniquely named topics before its tests and deletes them after, so every
 * stream test file is independent and can be rerun against the same broker.
 */
export function useTestTopics(clientId: string, names: StreamNames, partitions: number): TestKafka {
  let connected: { kafka: Kafka; admin: Admin } | undefined;
  beforeAll(async () => {
    const kafka = testKafka(clientId);
    const admin = await connectedAdmin(kafka);
    connected = { kafka, admin };
    await createTopics(admin, allTopics(names), partitions);
  });
  afterAll(async () => {
    if (connected === undefined) return;
    await deleteTopics(connected.admin, allTopics(names));
    await connected.admin.disconnect();
  });
  const current = () => {
    if (connected === undefined) throw new Error('useTestTopics: read kafka/admin inside a test, after beforeAll');
    return connected;
  };
  return {
    get kafka() {
      return current().kafka;
    },
    get admin() {
      return current().admin;
    },
  };
}
