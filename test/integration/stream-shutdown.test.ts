import { describe, expect } from 'vitest';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { groupLag, sendAll } from '../support/kafka.js';
import { describeExit } from '../support/processes.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 30_000;
const SHUTDOWN_DEADLINE_MS = 10_000;
/** process start-up of `node --import tsx` and signal delivery on a busy 2-core machine */
const EXIT_MARGIN_MS = 3_000;

describe('stream graceful shutdown', () => {
  test('SIGTERM mid-stream exits 0 within the deadline; a new worker finishes; every event exactly once', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const env = { SHUTDOWN_DEADLINE_MS: String(SHUTDOWN_DEADLINE_MS) };
    const first = stream.startWorker({ name: 'worker-1', env });
    const predictions = await stream.collectPredictions();
    await first.waitForReady();
    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(EVENTS);
    const producer = await stream.producer();
    const sending = sendAll(
      producer,
      names.customers,
      events.map((e) => eventMessage(encoder, e)),
      250,
    );

    // Mid-stream: some predictions out, most still to come.
    await waitUntil(() => predictions.records.length >= 2_000, {
      timeoutMs: 120_000,
      describe: () => `only ${predictions.records.length} predictions before SIGTERM`,
    });
    const seenAtSignal = predictions.records.length;
    const signalled = Date.now();
    first.signal('SIGTERM');
    const status = await first.waitForExit(SHUTDOWN_DEADLINE_MS + EXIT_MARGIN_MS);
    const tookMs = Date.now() - signalled;
    expect(status, `exit after SIGTERM (${describeExit(status)}) in ${tookMs} ms`).toEqual({ code: 0, signal: null });
    expect(first.log()).toContain('stream worker stopped');
    await sending;
    await producer.disconnect();

    const lagAfterStop = await groupLag(admin, names.group, names.customers);
    expect(
      lagAfterStop.total,
      `the SIGTERM must land mid-stream (saw ${seenAtSignal} of ${EVENTS} predictions at the signal)`,
    ).toBeGreaterThan(0);

    const second = stream.startWorker({ name: 'worker-2', env });
    await second.waitForReady();
    const expected = new Set(events.map((e) => e.event_id));
    const audit = await predictions.settle(
      admin,
      expected,
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 180_000, lagMs: 30_000 },
    );
    expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);
    process.stdout.write(
      `[stream-shutdown] SIGTERM after ${seenAtSignal} predictions; exit 0 in ${tookMs} ms; lag left ${lagAfterStop.total}; ` +
        `${audit.distinct} distinct of ${EVENTS}\n`,
    );
  });
});
