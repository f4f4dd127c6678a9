import { describe, expect, it } from 'vitest';
import { PredictionCollector, describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { useProcessCleanup, useTestTopics } from '../support/hooks.js';
import { eventProducer, groupLag, sendAll } from '../support/kafka.js';
import { topicEnv, uniqueNames } from '../support/names.js';
import { describeExit, startWorker } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 30_000;
const SHUTDOWN_DEADLINE_MS = 10_000;
/** process start-up of `node --import tsx` and signal delivery on a busy 2-core machine */
const EXIT_MARGIN_MS = 3_000;
const names = uniqueNames('shutdown');

describe('stream graceful shutdown', () => {
  useProcessCleanup();

  const topics = useTestTopics('test-stream-shutdown', names, 3);

  it('SIGTERM mid-stream exits 0 within the deadline; a new worker finishes; every event exactly once', async () => {
    const { kafka, admin } = topics;
    const env = { ...topicEnv(names), SHUTDOWN_DEADLINE_MS: String(SHUTDOWN_DEADLINE_MS) };
    const first = startWorker({ label: `${names.suffix}-worker-1`, env });
    const predictions = await PredictionCollector.start(kafka, names.predictions);
    try {
      await first.waitForReady();
      const encoder = await customerEventEncoder(names.customers);
      const events = telcoEvents(EVENTS);
      const producer = await eventProducer(kafka);
      const sending = sendAll(producer, names.customers, events.map((e) => eventMessage(encoder, e)), 250);

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

      const second = startWorker({ label: `${names.suffix}-worker-2`, env });
      await second.waitForReady();
      const expected = new Set(events.map((e) => e.event_id));
      const audit = await predictions.settle(admin, expected, { groupId: names.group, topic: names.customers }, { predictionsMs: 180_000, lagMs: 30_000 });
      expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);
      process.stdout.write(
        `[stream-shutdown] SIGTERM after ${seenAtSignal} predictions; exit 0 in ${tookMs} ms; lag left ${lagAfterStop.total}; ` +
          `${audit.distinct} distinct of ${EVENTS}\n`,
      );
    } finally {
      await predictions.stop();
    }
  });
});
