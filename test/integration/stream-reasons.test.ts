import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage } from '../support/events.js';
import {
  COMMITTED_MODEL_VERSIONS,
  modelDir,
  readModelJson,
  readParityCustomers,
  topProblems,
  type CommittedModelVersion,
} from '../support/independent-explanation.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';

/**
 * Runs a real `churn-scorer run` serving `version` on the test's own topics, sends it `count` test customers of
 * that version's parity file and returns the committed predictions with the customers they are for.
 */
async function scoreOnTheStream(
  stream: StreamFixture,
  version: CommittedModelVersion,
  count: number,
  env: Record<string, string> = {},
) {
  const { names, admin } = stream;
  await stream.createTopics();
  const worker = stream.startWorker({ env: { MODEL_DIR: modelDir(version), ...env } });
  await worker.waitForReady();

  const customers = readParityCustomers(version).slice(0, count);
  const runId = randomUUID().slice(0, 8);
  const encoder = await customerEventEncoder(names.customers);
  const sent = customers.map((customer, i) => ({
    customer,
    event: {
      ...(customer.raw as Omit<CustomerEvent, 'customerid' | 'event_id' | 'event_time'>),
      customerid: customer.customerid,
      event_id: `${runId}-${i}`,
      event_time: Date.now(),
    } satisfies CustomerEvent,
  }));
  const byEventId = new Map(sent.map((s) => [s.event.event_id, s.customer]));
  const collector = await stream.collectPredictions();
  await stream.sendEvents(sent.map((s) => eventMessage(encoder, s.event)));

  const audit = await collector.settle(
    admin,
    new Set(byEventId.keys()),
    { groupId: names.group, topic: names.customers },
    { predictionsMs: 120_000, lagMs: 30_000 },
  );
  expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);
  return collector.records.map((record) => ({
    prediction: record.value,
    customer: byEventId.get(record.value.event_id),
  }));
}

describe('the top three reasons on the predictions topic', () => {
  describe.each(COMMITTED_MODEL_VERSIONS)('served by models/churn/%s', (version) => {
    test('every one of the 1,409 test customers: the three largest terms of model.json by magnitude', async ({
      stream,
    }) => {
      const json = readModelJson(version);
      const scored = await scoreOnTheStream(stream, version, 1409);
      expect(scored).toHaveLength(1409);
      const problems: string[] = [];
      for (const { prediction, customer } of scored) {
        if (customer === undefined) continue;
        const where = `${prediction.event_id} (${customer.customerid})`;
        if (prediction.model_version !== version) problems.push(`${where}: model_version ${prediction.model_version}`);
        if (prediction.reasons.length !== 3) problems.push(`${where}: ${prediction.reasons.length} reasons`);
        for (const problem of topProblems(prediction.reasons, json, customer.features, 3)) {
          problems.push(`${where}: ${problem}`);
        }
        // the value as the schema says: the category, or the number as String() writes it
        for (const reason of prediction.reasons) {
          if (typeof reason.value !== 'string')
            problems.push(`${where}: ${reason.feature} value ${JSON.stringify(reason.value)}`);
        }
      }
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([]);
    });
  });

  test('PREDICTION_REASONS=false writes no reasons, the same predictions otherwise', async ({ stream }) => {
    const scored = await scoreOnTheStream(stream, '1.0.0', 30, { PREDICTION_REASONS: 'false' });
    expect(scored).toHaveLength(30);
    for (const { prediction, customer } of scored) {
      expect(prediction.reasons).toEqual([]);
      expect(Math.abs(prediction.churn_probability - (customer?.churn_probability ?? NaN))).toBeLessThanOrEqual(1e-9);
    }
  });
});
