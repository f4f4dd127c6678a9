import { describe, expect } from 'vitest';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { groupLag, sendPaced } from '../support/kafka.js';
import { describeExit } from '../support/processes.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 45_000;
/** fast enough that the workers are busy (open transactions) when the group rebalances */
const PER_SECOND = 1_500;
const PARTITIONS = 6;

describe('chaos: rebalance', () => {
  test('a second and a third worker join mid-stream and one leaves: nothing lost or duplicated', async ({ stream }) => {
    const { names, admin } = stream;
    await stream.createTopics({ partitions: PARTITIONS });
    const env = { TOPIC_PARTITIONS: String(PARTITIONS), TRANSACTION_MAX_RECORDS: '50' };
    const predictions = await stream.collectPredictions();
    const producer = await stream.producer();
    const steps: string[] = [];
    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(EVENTS);
    const w1 = stream.startWorker({ name: 'worker-1', env });
    await w1.waitForReady();
    // Steady traffic across every step of the test.
    const sending = sendPaced(
      producer,
      names.customers,
      events.map((e) => eventMessage(encoder, e)),
      { perSecond: PER_SECOND, chunk: 500 },
    );
    const lag = async () => (await groupLag(admin, names.group, names.customers)).total;
    // Steps are paced by what the producer has sent, so each lands while traffic flows.
    // (capped below the total: a slow start-up must not make a step wait past the traffic)
    const sentBeyond = async (wanted: number, what: string) => {
      const count = Math.min(wanted, EVENTS - 1_500);
      await waitUntil(() => sending.sent() >= count, {
        timeoutMs: 120_000,
        describe: () => `${sending.sent()} events sent, waiting for ${count} before ${what}`,
      });
    };

    await sentBeyond(3_000, 'worker 2 joins');
    const w2 = stream.startWorker({ name: 'worker-2', env });
    steps.push(`worker 2 started at ${sending.sent()} sent`);
    await w2.waitForReady(120_000);
    steps.push(`worker 2 ready at ${sending.sent()} sent, lag ${await lag()}`);

    await sentBeyond(sending.sent() + 3_000, 'worker 3 joins');
    const w3 = stream.startWorker({ name: 'worker-3', env });
    steps.push(`worker 3 started at ${sending.sent()} sent`);
    await w3.waitForReady(120_000);
    steps.push(`worker 3 ready at ${sending.sent()} sent, lag ${await lag()}`);

    await sentBeyond(sending.sent() + 3_000, 'worker 1 leaves');
    const sentAtLeave = sending.sent();
    steps.push(`worker 1 SIGTERM at ${sentAtLeave} sent, lag ${await lag()}`);
    w1.signal('SIGTERM');
    const left = await w1.waitForExit(45_000);
    expect(left, `worker 1 leaving: ${describeExit(left)}`).toEqual({ code: 0, signal: null });
    steps.push(`worker 1 gone at ${sending.sent()} sent, lag ${await lag()}`);
    expect(sentAtLeave, 'worker 1 must leave while events still flow').toBeLessThan(EVENTS);

    await sending.done;
    const expected = new Set(events.map((e) => e.event_id));
    const audit = await predictions.settle(
      admin,
      expected,
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 180_000, lagMs: 60_000 },
    );

    // Workers 2 and 3 share the partitions at the end; both really took part.
    const a2 = w2.lastAssignment(names.customers) ?? [];
    const a3 = w3.lastAssignment(names.customers) ?? [];
    steps.push(`final assignment: worker 2 ${JSON.stringify(a2)}, worker 3 ${JSON.stringify(a3)}`);
    process.stdout.write(`[chaos rebalance] ${steps.join('; ')}\n[chaos rebalance] ${describeAudit(audit)}\n`);
    expect(audit.missing, describeAudit(audit)).toEqual([]);
    expect(audit.duplicated, describeAudit(audit)).toEqual([]);
    expect(audit.unexpected, describeAudit(audit)).toEqual([]);
    expect(
      [...a2, ...a3].sort((x, y) => x - y),
      'workers 2 and 3 own all partitions at the end',
    ).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
    expect(a2.length > 0 && a3.length > 0, 'both remaining workers own partitions').toBe(true);
  });
});
