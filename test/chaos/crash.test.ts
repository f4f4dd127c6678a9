import { describe, expect } from 'vitest';
import { describeAudit, readUncommittedCount } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { groupLag, sendAll } from '../support/kafka.js';
import type { WorkerProcess } from '../support/processes.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 20_000;
const KILLS = 4;

const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

describe('chaos: SIGKILL', () => {
  test(`${EVENTS} events, worker SIGKILLed ${KILLS} times at random moments: every event exactly once`, async ({
    stream,
  }) => {
    const { names, kafka, admin } = stream;
    await stream.createTopics();
    const env = { TRANSACTION_MAX_RECORDS: '100' };
    const predictions = await stream.collectPredictions();
    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(EVENTS);
    const producer = await stream.producer();
    const kills: string[] = [];
    // Everything is produced first, so each kill lands while the worker is busy with a
    // backlog (open transactions), at a random point of its progress.
    const sendingStarted = Date.now();
    await sendAll(
      producer,
      names.customers,
      events.map((e) => eventMessage(encoder, e)),
    );
    const sentInMs = Date.now() - sendingStarted;
    const killAt = Array.from({ length: KILLS }, (_, k) => randomBetween(1_000 + k * 4_500, 4_000 + k * 4_500));

    let generation = 1;
    let worker: WorkerProcess = stream.startWorker({ name: `worker-${generation}`, env });
    for (const threshold of killAt) {
      await waitUntil(() => predictions.records.length >= threshold, {
        timeoutMs: 180_000,
        intervalMs: 20,
        describe: () =>
          `worker ${generation}: ${predictions.records.length} predictions, waiting for ${threshold} to kill it`,
      });
      await worker.kill();
      const seenAtKill = predictions.records.length;
      const lagAtKill = (await groupLag(admin, names.group, names.customers)).total;
      kills.push(
        `kill ${kills.length + 1}: worker ${generation} (pid ${worker.pid}) at ${seenAtKill} predictions seen, lag ${lagAtKill}`,
      );
      generation++;
      worker = stream.startWorker({ name: `worker-${generation}`, env });
    }
    process.stdout.write(`[chaos crash] ${EVENTS} events sent in ${sentInMs} ms\n`);

    const expected = new Set(events.map((e) => e.event_id));
    const audit = await predictions.settle(
      admin,
      expected,
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 240_000, lagMs: 60_000 },
    );
    // Evidence that the kills hit open transactions: a read_uncommitted reader also sees their aborted records.
    const uncommitted = await readUncommittedCount(kafka, admin, names.predictions);
    process.stdout.write(
      `[chaos crash] ${kills.join('; ')}\n[chaos crash] read_committed: ${describeAudit(audit)}\n` +
        `[chaos crash] read_uncommitted sees ${uncommitted} records (${uncommitted - audit.records} from aborted transactions)\n`,
    );
    expect(kills.length).toBeGreaterThanOrEqual(3);
    expect(audit.missing, describeAudit(audit)).toEqual([]);
    expect(audit.duplicated, describeAudit(audit)).toEqual([]);
    expect(audit.unexpected, describeAudit(audit)).toEqual([]);
    expect(audit.distinct).toBe(EVENTS);
    expect(audit.records).toBe(EVENTS);
  });
});
