import { describe, expect } from 'vitest';
import { describeAudit, readUncommittedCount } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { sendAll } from '../support/kafka.js';
import { describeExit } from '../support/processes.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 24_000;
const BACKLOG = 16_000;

describe('chaos: zombie worker', () => {
  test('a worker frozen past its session (SIGSTOP) is fenced when it wakes: nothing duplicated, and it carries on', async ({
    stream,
  }) => {
    const { names, kafka, admin } = stream;
    await stream.createTopics();
    const env = { TRANSACTION_MAX_RECORDS: '100' };
    const predictions = await stream.collectPredictions();
    const producer = await stream.producer();
    const steps: string[] = [];
    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(EVENTS);
    const w1 = stream.startWorker({ name: 'worker-1', env });
    await w1.waitForReady();
    const w2 = stream.startWorker({ name: 'worker-2', env });
    await w2.waitForReady();
    const messages = events.map((e) => eventMessage(encoder, e));

    // A backlog, so that worker 1 is in the middle of a batch (an open transaction) when frozen.
    await sendAll(producer, names.customers, messages.slice(0, BACKLOG));
    await waitUntil(() => predictions.records.length >= 1_000, {
      timeoutMs: 60_000,
      intervalMs: 20,
      describe: () => `${predictions.records.length} predictions before the freeze`,
    });
    w1.signal('SIGSTOP');
    steps.push(
      `worker 1 frozen at ${predictions.records.length} predictions, owning ${JSON.stringify(w1.lastAssignment(names.customers))}`,
    );
    await waitUntil(() => (w2.lastAssignment(names.customers) ?? []).length === 3, {
      timeoutMs: 60_000,
      describe: () => `worker 2 never took all partitions (has ${JSON.stringify(w2.lastAssignment(names.customers))})`,
    });
    steps.push(`worker 2 took all partitions at ${predictions.records.length} predictions`);
    await sendAll(producer, names.customers, messages.slice(BACKLOG));
    w1.signal('SIGCONT');
    steps.push(`worker 1 woken at ${predictions.records.length} predictions`);

    const expected = new Set(events.map((e) => e.event_id));
    const audit = await predictions.settle(
      admin,
      expected,
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 180_000, lagMs: 60_000 },
    );
    const uncommitted = await readUncommittedCount(kafka, admin, names.predictions);
    steps.push(`read_uncommitted sees ${uncommitted - audit.records} aborted records`);
    process.stdout.write(`[chaos zombie] ${steps.join('; ')}\n[chaos zombie] ${describeAudit(audit)}\n`);
    expect(audit.missing, describeAudit(audit)).toEqual([]);
    expect(audit.duplicated, describeAudit(audit)).toEqual([]);
    expect(audit.unexpected, describeAudit(audit)).toEqual([]);
    expect(w1.log(), 'worker 1 must have woken inside a transaction and been fenced (the case under test)').toContain(
      'partition producer fenced by a newer owner',
    );
    expect(w1.running, `the fenced worker must rejoin, not die (${describeExit(w1.status)})`).toBe(true);
    expect(w2.running, `worker 2 ${describeExit(w2.status)}`).toBe(true);
    await w1.waitForReady(60_000);
  });
});
