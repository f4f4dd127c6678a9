import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import { createValidationRules, validateCustomer } from '../../src/contract/customer.js';
import { loadModel, type ChurnModel, type ModelReference } from '../../src/model/index.js';
import type { DriftWindowRecord } from '../../src/monitoring/drift-window-record.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { customerEventSchema, driftWindowSchema } from '../../src/serde/schema-files.js';
import { TopicCollector, type CollectedRecord } from '../support/collectors.js';
import { offlineDrift, shiftedContractEvents } from '../support/drift-oracle.js';
import { customerEventEncoder, eventMessage, registryClient, telcoEvents } from '../support/events.js';
import { metricValue } from '../support/metrics.js';
import { must } from '../support/must.js';
import { REPO_ROOT } from '../support/paths.js';
import type { WorkerProcess } from '../support/processes.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

// One partition, so that the windows follow the input's order; windows of 704 records (a tenth of the Telco data
// set) closed at transaction boundaries of at most 176 records, so each holds 704 to 879 records.
const WINDOW_RECORDS = 704;
const TRANSACTION_RECORDS = 176;
const DRIFT_ENV = {
  DRIFT_WINDOW_RECORDS: String(WINDOW_RECORDS),
  DRIFT_WINDOW_MS: '600000',
  TRANSACTION_MAX_RECORDS: String(TRANSACTION_RECORDS),
};

interface Started {
  worker: WorkerProcess;
  windows: TopicCollector<DriftWindowRecord>;
  inputs: TopicCollector<CustomerEvent>;
}

async function startDriftWorker(stream: StreamFixture): Promise<Started> {
  await stream.createTopics({ partitions: 1 });
  const worker = stream.startWorker({ env: DRIFT_ENV });
  await worker.waitForReady();
  const registry = registryClient();
  const windowDecoder = new AvroDecoder<DriftWindowRecord>({ registry, readerType: driftWindowSchema().type });
  const eventDecoder = new AvroDecoder<CustomerEvent>({ registry, readerType: customerEventSchema().type });
  const windows = await TopicCollector.start(stream.kafka, stream.names.drift, (m) => windowDecoder.decode(m.value));
  const inputs = await TopicCollector.start(stream.kafka, stream.names.customers, (m) => eventDecoder.decode(m.value));
  return { worker, windows, inputs };
}

async function send(stream: StreamFixture, events: readonly CustomerEvent[]): Promise<void> {
  const encoder = await customerEventEncoder(stream.names.customers);
  const messages: Message[] = events.map((event) => eventMessage(encoder, event));
  await stream.sendEvents(messages);
}

async function windowsOnTopic(started: Started, count: number): Promise<CollectedRecord<DriftWindowRecord>[]> {
  await waitUntil(() => started.windows.records.length >= count, {
    timeoutMs: 120_000,
    describe: () => `${started.windows.records.length} of ${count} drift windows on the topic`,
  });
  expect(started.windows.decodeErrors).toEqual([]);
  return started.windows.records.slice(0, count);
}

/**
 * Recomputes a window from the input topic: the events of its offset range, validated and scored as the worker
 * does (lenient categories, the local model 1.0.0), binned by the oracle. Its figures must be the record's.
 */
async function expectOfflineFigures(
  started: Started,
  model: ChurnModel,
  record: CollectedRecord<DriftWindowRecord>,
): Promise<void> {
  const window = record.value;
  const reference = model.meta.reference as ModelReference;
  await waitUntil(() => started.inputs.records.some((r) => BigInt(r.offset) >= BigInt(window.last_offset)), {
    timeoutMs: 30_000,
    describe: () => `the input records up to offset ${window.last_offset}`,
  });
  const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
  const scored = started.inputs.records
    .filter((r) => Number(r.offset) >= window.first_offset && Number(r.offset) <= window.last_offset)
    .map((r) => {
      const result = validateCustomer(r.value, rules);
      if (!result.ok) throw new Error(`offset ${r.offset}: ${JSON.stringify(result.errors)}`);
      return { customer: result.customer, score: model.score(result.customer) };
    });
  expect(window.records).toBe(scored.length);
  expect(window.scored).toBe(scored.length);
  const offline = offlineDrift(reference, scored);
  for (const feature of window.features) {
    const expected = must(offline.features.get(feature.feature), feature.feature);
    expect(feature.counts, feature.feature).toEqual(expected.counts);
    expect(Math.abs((feature.psi as number) - expected.psi), feature.feature).toBeLessThan(1e-9);
    expect(feature, feature.feature).toMatchObject({ missing: 0, missing_rate: 0, out_of_range: expected.outOfRange });
  }
  expect(window.features.map((f) => f.feature).sort()).toEqual([...offline.features.keys()].sort());
  expect(window.score_counts).toEqual(offline.scoreCounts);
  expect(Math.abs((window.score_psi as number) - offline.scorePsi)).toBeLessThan(1e-9);
}

function byFeature(window: DriftWindowRecord): Map<string, DriftWindowRecord['features'][number]> {
  return new Map(window.features.map((f) => [f.feature, f]));
}

function driftWarnings(worker: WorkerProcess): string[] {
  return worker
    .log()
    .split('\n')
    .filter((line) => line.includes('"msg":"drift: model'));
}

describe('online drift on the stream: one window record per closed window, exactly the figures of its records', () => {
  test('the unshifted Telco data keeps every PSI below 0.1 over 10 windows, as an offline computation finds', async ({
    stream,
  }) => {
    const model = await loadModel(join(REPO_ROOT, 'models', 'churn', '1.0.0'));
    const started = await startDriftWorker(stream);
    // The whole data set in file order, and enough of a second pass to close the tenth window.
    await send(stream, telcoEvents(9_000, { runId: randomUUID().slice(0, 8) }));

    const windows = await windowsOnTopic(started, 10);
    let next = 0;
    let worst = 0;
    for (const [i, record] of windows.entries()) {
      const window = record.value;
      expect(record.key).toBe('1.0.0');
      expect(window).toMatchObject({
        model_version: '1.0.0',
        source_topic: stream.names.customers,
        source_partition: 0,
        rollout_revision: 0,
        alerts: [],
      });
      // Consecutive windows cover consecutive offsets, each at least the configured size.
      expect(window.first_offset, `window ${i}`).toBe(next);
      expect(window.records, `window ${i}`).toBeGreaterThanOrEqual(WINDOW_RECORDS);
      expect(window.records, `window ${i}`).toBeLessThan(WINDOW_RECORDS + TRANSACTION_RECORDS);
      next = window.last_offset + 1;
      for (const f of window.features) {
        expect(f.psi, `window ${i} ${f.feature}`).toBeLessThan(0.1);
        expect(f.drift).toBe(false);
        worst = Math.max(worst, f.psi ?? 0);
      }
      expect(window.score_psi, `window ${i} score`).toBeLessThan(0.1);
      await expectOfflineFigures(started, model, record);
    }
    console.info(`stream drift: largest feature PSI over 10 Telco windows ${worst.toFixed(4)}`);

    // The worker's own view: its latest closed window, no alert, nothing logged.
    const monitoring = JSON.parse((await started.worker.get('/monitoring')).body) as {
      feed: string;
      versions: { version: string; last_closed: { records: number } | null; alerts: unknown[] }[];
    };
    expect(monitoring.feed).toBe('stream');
    expect(monitoring.versions[0]).toMatchObject({ version: '1.0.0', alerts: [] });
    expect(monitoring.versions[0]?.last_closed?.records).toBeGreaterThanOrEqual(WINDOW_RECORDS);
    const metrics = (await started.worker.get('/metrics')).body;
    expect(metricValue(metrics, 'churn_feature_psi', { version: '1.0.0', feature: 'contract' })).toBeLessThan(0.1);
    expect(metricValue(metrics, 'churn_drift', { version: '1.0.0', feature: 'contract' })).toBe(0);
    expect(driftWarnings(started.worker)).toEqual([]);
  });

  test('month-to-month contracts moved from 55 % to 90 % raise the contract PSI above 0.2 within one window, and no other feature above 0.1', async ({
    stream,
  }) => {
    const model = await loadModel(join(REPO_ROOT, 'models', 'churn', '1.0.0'));
    const started = await startDriftWorker(stream);
    const events = shiftedContractEvents(2_400, randomUUID().slice(0, 8), Date.now());
    const monthly = events.filter((e) => e.contract === 'Month-to-month').length / events.length;
    expect(monthly).toBeGreaterThan(0.89);
    expect(monthly).toBeLessThan(0.91);
    await send(stream, events);

    // The first window already shows it; so does the next, and the crossing is logged once.
    const windows = await windowsOnTopic(started, 2);
    for (const record of windows) {
      const features = byFeature(record.value);
      const contract = must(features.get('contract'), 'contract');
      expect(contract.psi).toBeGreaterThan(0.2);
      expect(contract.drift).toBe(true);
      for (const f of record.value.features.filter((f) => f.feature !== 'contract')) {
        expect(f.psi, f.feature).toBeLessThan(0.1);
        expect(f.drift, f.feature).toBe(false);
      }
      expect(record.value.alerts.filter((a) => a.feature !== 'score')).toEqual([
        { feature: 'contract', metric: 'psi', value: contract.psi, threshold: 0.2 },
      ]);
      await expectOfflineFigures(started, model, record);
    }
    console.info(
      `stream drift: shifted contract PSI ${windows.map((w) => byFeature(w.value).get('contract')?.psi?.toFixed(3)).join(', ')}`,
    );

    const warnings = driftWarnings(started.worker).filter((line) => line.includes('"feature":"contract"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"level":40');
    expect(warnings[0]).toMatch(/drift: model 1\.0\.0 contract psi 0\.\d+ is over its threshold 0\.2/);
    const metrics = (await started.worker.get('/metrics')).body;
    expect(metricValue(metrics, 'churn_drift', { version: '1.0.0', feature: 'contract' })).toBe(1);
    expect(metricValue(metrics, 'churn_feature_psi', { version: '1.0.0', feature: 'contract' })).toBeGreaterThan(0.2);
    // Scoring never stops: every event has its prediction.
    const predictions = await stream.collectPredictions();
    await waitUntil(() => predictions.records.length >= events.length, {
      timeoutMs: 60_000,
      describe: () => `${predictions.records.length} of ${events.length} predictions`,
    });
  });
});
