import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, loadParityCases, traceparentFor } from '../support/events.js';
import { metricValue } from '../support/metrics.js';
import { test } from '../support/stream-fixture.js';

describe('stream end to end: the 1,409 test customers', () => {
  test('gives one prediction per event, equal to sklearn within 1e-9, keyed and traced', async ({ stream }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const worker = stream.startWorker();
    await worker.waitForReady();
    expect((await worker.get('/readyz')).status).toBe(200);

    const cases = loadParityCases();
    expect(cases).toHaveLength(1409);
    const runId = randomUUID().slice(0, 8);
    const encoder = await customerEventEncoder(names.customers);
    const sent = cases.map((c, i) => {
      const event = { ...c.raw, customerid: c.customerid, event_id: `${runId}-${i}`, event_time: Date.now() };
      const traceparent = i % 2 === 0 ? traceparentFor(i) : undefined;
      return {
        case: c,
        event,
        traceparent,
        message: eventMessage(encoder, event, traceparent === undefined ? {} : { headers: { traceparent } }),
      };
    });
    const byEventId = new Map(sent.map((s) => [s.event.event_id, s]));

    const collector = await stream.collectPredictions();
    await stream.sendEvents(sent.map((s) => s.message));

    const expected = new Set(byEventId.keys());
    const audit = await collector.settle(
      admin,
      expected,
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 120_000, lagMs: 30_000 },
    );
    expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);
    expect(audit.records).toBe(1409);

    const problems: string[] = [];
    for (const record of collector.records) {
      const p = record.value;
      const input = byEventId.get(p.event_id);
      if (input === undefined) continue;
      const want = input.case.churn_probability;
      const where = `${p.event_id} (${input.case.customerid})`;
      if (!(Math.abs(p.churn_probability - want) <= 1e-9))
        problems.push(`${where}: p=${p.churn_probability}, sklearn ${want}`);
      if (p.churn !== p.churn_probability >= 0.5)
        problems.push(`${where}: churn=${p.churn} at p=${p.churn_probability}`);
      if (p.replay) problems.push(`${where}: replay=${p.replay}`);
      if (p.model_version !== '1.0.0') problems.push(`${where}: model_version ${p.model_version}`);
      // no rollout published: the local model serves everyone as the champion of revision 0
      if (p.variant !== 'champion' || p.rollout_revision !== 0) {
        problems.push(`${where}: variant ${p.variant}, rollout_revision ${p.rollout_revision}`);
      }
      if (record.headers['churn.variant'] !== 'champion' || record.headers['churn.rollout.revision'] !== '0') {
        problems.push(`${where}: headers ${JSON.stringify(record.headers)}`);
      }
      if (p.customerid !== input.case.customerid) problems.push(`${where}: customerid ${p.customerid}`);
      if (record.key !== input.case.customerid) problems.push(`${where}: key ${record.key}`);
      if (record.headers['churn.model.version'] !== '1.0.0') {
        problems.push(`${where}: header churn.model.version=${record.headers['churn.model.version']}`);
      }
      if (record.headers['traceparent'] !== input.traceparent) {
        problems.push(`${where}: traceparent ${record.headers['traceparent']} (input had ${input.traceparent})`);
      }
      if (p.source_topic !== names.customers) problems.push(`${where}: source_topic ${p.source_topic}`);
    }
    expect(problems.slice(0, 20), `${problems.length} predictions differ`).toEqual([]);

    const metrics = (await worker.get('/metrics')).body;
    expect(metricValue(metrics, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(1409);
    expect(metricValue(metrics, 'churn_stream_predictions_produced_total', { source: 'live' })).toBe(1409);
    expect(metricValue(metrics, 'churn_stream_end_to_end_seconds_count', { source: 'live' })).toBe(1409);
    expect(
      metricValue(metrics, 'churn_stream_transaction_seconds_count', { source: 'live', result: 'commit' }),
    ).toBeGreaterThan(0);
    expect(metricValue(metrics, 'churn_stream_rebalances_total', { consumer: 'live' })).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^churn_stream_consumer_lag\{/m);
    expect(metrics).toMatch(/^churn_stream_transaction_records_bucket\{/m);
  });
});
