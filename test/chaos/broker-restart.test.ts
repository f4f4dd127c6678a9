import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionCollector, describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { useProcessCleanup } from '../support/hooks.js';
import { connectedAdmin, createTopics, deleteTopics, describeLag, eventProducer, groupLag, sendAll, testKafka } from '../support/kafka.js';
import { allTopics, topicEnv, uniqueNames } from '../support/names.js';
import { REPO_ROOT } from '../support/paths.js';
import { describeExit, startWorker } from '../support/processes.js';
import { localStackCheck } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';

const FIRST = 12_000;
const SECOND = 4_000;
const DOWN_FOR_S = 3;
const stack = localStackCheck();
const names = uniqueNames('broker-restart');
let kafka: Kafka | undefined;
let admin: Admin | undefined;

/** scripts/stack/restart-kafka.sh: stops the local broker, waits, starts it again (same data and port). */
function restartBroker(): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts/stack/restart-kafka.sh'), '--down-for', String(DOWN_FOR_S)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe('chaos: broker restart', () => {
  useProcessCleanup();

  beforeAll(async () => {
    if (!stack.local) return;
    kafka = testKafka('test-chaos-broker-restart');
    admin = await connectedAdmin(kafka);
    await createTopics(admin, allTopics(names), 3);
  });

  afterAll(async () => {
    if (admin === undefined) return;
    await deleteTopics(admin, allTopics(names));
    await admin.disconnect();
  });

  it('the worker recovers by itself from a broker restart mid-stream; nothing lost or duplicated', async (context) => {
    if (!stack.local) {
      context.skip(`needs the local stack (scripts/stack) to restart the broker: ${stack.reason}`);
      return;
    }
    const k = kafka!;
    const a = admin!;
    const worker = startWorker({ label: `${names.suffix}-worker`, env: { ...topicEnv(names), TRANSACTION_MAX_RECORDS: '100' } });
    await worker.waitForReady();
    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(FIRST + SECOND);
    const messages = events.map((e) => eventMessage(encoder, e));

    // A backlog, then the broker goes away while the worker is in the middle of it.
    const producer = await eventProducer(k);
    await sendAll(producer, names.customers, messages.slice(0, FIRST));
    await producer.disconnect();
    await waitUntil(async () => (await groupLag(a, names.group, names.customers)).total < FIRST - 1_000, {
      timeoutMs: 60_000,
      intervalMs: 50,
      describe: async () => `worker did not start on the backlog: ${describeLag(await groupLag(a, names.group, names.customers))}`,
    });
    const lagAtRestart = (await groupLag(a, names.group, names.customers)).total;
    const restart = await restartBroker();
    expect(restart.code, restart.output).toBe(0);
    expect(worker.running, `the worker must ride out the restart, not exit (${describeExit(worker.status)})`).toBe(true);

    // More events once the broker is back.
    const after = await eventProducer(k);
    await sendAll(after, names.customers, messages.slice(FIRST));
    await after.disconnect();

    const predictions = await PredictionCollector.start(k, names.predictions);
    try {
      const expected = new Set(events.map((e) => e.event_id));
      const audit = await predictions.settle(a, expected, { groupId: names.group, topic: names.customers }, { predictionsMs: 240_000, lagMs: 60_000 });
      process.stdout.write(
        `[chaos broker-restart] restart took ${restart.ms} ms with lag ${lagAtRestart}; ${describeAudit(audit)}\n`,
      );
      expect(audit.missing, describeAudit(audit)).toEqual([]);
      expect(audit.duplicated, describeAudit(audit)).toEqual([]);
      expect(audit.unexpected, describeAudit(audit)).toEqual([]);
      expect(worker.running, `worker exited (${describeExit(worker.status)})`).toBe(true);
      await worker.waitForReady(60_000);
    } finally {
      await predictions.stop();
    }
  });
});
