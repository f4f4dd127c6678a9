import { describe, expect } from 'vitest';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { describeLag, groupLag } from '../support/kafka.js';
import { describeExit } from '../support/processes.js';
import { localStackCheck, runStackScript, type ScriptRun } from '../support/stack.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const FIRST = 12_000;
const SECOND = 4_000;
const stack = localStackCheck();

/** scripts/stack/restart-kafka.sh: stops the local broker, waits, starts it again (same data and port). */
function restartBroker(downForS: number): Promise<ScriptRun> {
  return runStackScript('restart-kafka.sh', ['--down-for', String(downForS)], { timeoutMs: 240_000 });
}

describe('chaos: broker restart', () => {
  // 3 s: kafkajs rides it out itself. 20 s: longer than kafkajs' retries for the group coordinator, so kafkajs
  // gives the consumers up ("Failed to find group coordinator") and the worker must restart them itself.
  test.for([
    { downForS: 3, label: 'a short broker restart' },
    { downForS: 20, label: 'a broker away for longer than kafkajs retries' },
  ])(
    'the worker recovers by itself from $label mid-stream; nothing lost or duplicated',
    async ({ downForS }, { stream, skip }) => {
      if (!stack.local) {
        skip(`needs the local stack (scripts/stack) to restart the broker: ${stack.reason}`);
        return;
      }
      const { names, admin } = stream;
      await stream.createTopics();
      const worker = stream.startWorker({ env: { TRANSACTION_MAX_RECORDS: '100' } });
      await worker.waitForReady();
      const encoder = await customerEventEncoder(names.customers);
      const events = telcoEvents(FIRST + SECOND);
      const messages = events.map((e) => eventMessage(encoder, e));

      // A backlog, then the broker goes away while the worker is in the middle of it.
      await stream.sendEvents(messages.slice(0, FIRST));
      await waitUntil(async () => (await groupLag(admin, names.group, names.customers)).total < FIRST - 1_000, {
        timeoutMs: 60_000,
        intervalMs: 50,
        describe: async () =>
          `worker did not start on the backlog: ${describeLag(await groupLag(admin, names.group, names.customers))}`,
      });
      const lagAtRestart = (await groupLag(admin, names.group, names.customers)).total;
      const restart = await restartBroker(downForS);
      expect(restart.code, restart.output).toBe(0);
      expect(worker.running, `the worker must ride out the restart, not exit (${describeExit(worker.status)})`).toBe(
        true,
      );

      // More events once the broker is back.
      await stream.sendEvents(messages.slice(FIRST));

      const predictions = await stream.collectPredictions();
      const expected = new Set(events.map((e) => e.event_id));
      const audit = await predictions.settle(
        admin,
        expected,
        { groupId: names.group, topic: names.customers },
        { predictionsMs: 240_000, lagMs: 60_000 },
      );
      process.stdout.write(
        `[chaos broker-restart] down ${downForS} s: restart took ${restart.ms} ms with lag ${lagAtRestart}; ${describeAudit(audit)}\n`,
      );
      expect(audit.missing, describeAudit(audit)).toEqual([]);
      expect(audit.duplicated, describeAudit(audit)).toEqual([]);
      expect(audit.unexpected, describeAudit(audit)).toEqual([]);
      expect(worker.running, `worker exited (${describeExit(worker.status)})`).toBe(true);
      await worker.waitForReady(60_000);
    },
  );
});
