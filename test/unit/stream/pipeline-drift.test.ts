import type { KafkaMessage } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createValidationRules, validateCustomer } from '../../../src/contract/customer.js';
import type { ChurnModel } from '../../../src/model/index.js';
import { DriftCounts } from '../../../src/monitoring/drift-counts.js';
import { DEFAULT_DRIFT_THRESHOLDS, summarizeDrift } from '../../../src/monitoring/drift-summary.js';
import { DriftTracker } from '../../../src/monitoring/drift-tracker.js';
import type { DriftWindowRecord } from '../../../src/monitoring/drift-window-record.js';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { must } from '../../support/must.js';
import { committedModel, servingSet } from '../../support/serving-sets.js';
import { fixedServingSetSource } from '../../../src/serving/serving-set.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import {
  GROUP_ID,
  inputRecord,
  pipelineHarness,
  TOPICS,
  type Harness,
  type HarnessOptions,
} from './pipeline-harness.js';

let model: ChurnModel;
let candidate: ChurnModel;
beforeAll(async () => {
  model = await committedModel('1.0.0');
  candidate = await committedModel('1.1.0');
});

const THRESHOLDS = { ...DEFAULT_DRIFT_THRESHOLDS, minRecords: 0 };

function tracker(windowRecords: number, windowMs = 600_000): DriftTracker {
  return new DriftTracker({ windowRecords, windowMs, thresholds: THRESHOLDS });
}

function harness(drift: DriftTracker, options: HarnessOptions = {}): Promise<Harness> {
  return pipelineHarness(model, { drift, ...options });
}

function records(pipe: Harness, from: number, to: number, event = sampleCustomerEvent): KafkaMessage[] {
  return Array.from({ length: to - from }, (_, i) => inputRecord(from + i, pipe.encode(event(from + i))));
}

/** The window records committed to the drift topic, decoded, with the offsets their transaction committed. */
async function committedWindows(pipe: Harness): Promise<{ window: DriftWindowRecord; offsets: string[] }[]> {
  const out: { window: DriftWindowRecord; offsets: string[] }[] = [];
  for (const txn of pipe.client.committed()) {
    for (const message of txn.messages.get(TOPICS.drift) ?? []) {
      out.push({ window: await pipe.decodeDriftWindow(message.value as Buffer), offsets: txn.offsetCommits });
    }
  }
  return out;
}

/** The figures of events [from, to) as `scoring` validates and scores them, counted by hand. */
function expectedCounts(drift: DriftTracker, scoring: ChurnModel, events: readonly CustomerEvent[]): DriftCounts {
  const counts = new DriftCounts(drift.baselineOf(scoring.meta.version, must(scoring.meta.reference, 'a reference')));
  const rules = createValidationRules({ categories: scoring.meta.categories, strictCategories: false });
  for (const event of events) {
    const result = validateCustomer(event, rules);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    counts.addScored(result.customer, scoring.score(result.customer));
  }
  return counts;
}

function range(from: number, to: number): CustomerEvent[] {
  return Array.from({ length: to - from }, (_, i) => sampleCustomerEvent(from + i));
}

describe('drift windows on the stream: counted per committed transaction, published in the one that closes them', () => {
  it('sends a window in the transaction that closes it, with the offsets it depends on and the figures of its records', async () => {
    const drift = tracker(10);
    const pipe = await harness(drift, { limits: { transactionMaxRecords: 4 } });
    await pipe.run(records(pipe, 0, 14));

    // Transactions of 4, 4, 4, 2: the third takes the window to 12 records and closes it.
    const windows = await committedWindows(pipe);
    expect(windows).toHaveLength(1);
    const { window, offsets } = must(windows[0], 'the window record');
    expect(offsets).toEqual([`${TOPICS.input}[0]@12`]);
    expect(window).toMatchObject({
      model_version: '1.0.0',
      source_topic: TOPICS.input,
      source_partition: 0,
      first_offset: 0,
      last_offset: 11,
      records: 12,
      scored: 12,
      rollout_revision: 0,
      scorer_version: 'churn-scorer/test',
    });
    const expected = summarizeDrift(
      expectedCounts(drift, model, range(0, 12)),
      { start: window.window_start, end: window.window_end },
      THRESHOLDS,
    );
    expect(window.features.map((f) => [f.feature, f.psi, f.counts])).toEqual(
      expected.features.map((f) => [f.feature, f.psi, f.counts]),
    );
    expect(window.score_psi).toBe(expected.score_psi);
    expect(window.score_counts).toEqual(expected.score_counts);
    // The window key is the model version, so a reader finds a version's windows by key.
    expect(String(pipe.client.committedTo(TOPICS.drift)[0]?.key)).toBe('1.0.0');
    // The open window holds the last transaction's two records, committed.
    expect(drift.view(Date.now(), [['1.0.0', model.meta.reference]]).versions[0]?.current?.records).toBe(2);
  });

  it('counts an aborted transaction once it is retried, never twice', async () => {
    const drift = tracker(10);
    const pipe = await harness(drift, { limits: { transactionMaxRecords: 5 } });
    await pipe.run(records(pipe, 0, 5));
    pipe.offsets.commit(GROUP_ID, TOPICS.input, 0, 5);
    pipe.client.failing.set('commit', new Error('Request timed out'));
    await expect(pipe.run(records(pipe, 5, 10))).rejects.toThrow();
    pipe.client.failing.delete('commit');
    // kafkajs fetches the records again from the committed offset; the new lease finds it where our commit left it.
    await pipe.run(records(pipe, 5, 12));

    const windows = await committedWindows(pipe);
    expect(windows.map(({ window }) => [window.first_offset, window.last_offset, window.records])).toEqual([
      [0, 9, 10],
    ]);
    const expected = expectedCounts(drift, model, range(0, 10));
    expect(windows[0]?.window.score_counts).toEqual(expected.scoreCounts());
  });

  it('starts afresh when the partition comes back after another owner committed records: they are not in our window', async () => {
    const drift = tracker(10);
    const pipe = await harness(drift, { limits: { transactionMaxRecords: 5 } });
    await pipe.run(records(pipe, 0, 5));
    // A rebalance: the partition goes to another worker, which commits up to 20, and comes back.
    await pipe.leases.release(TOPICS.input, 0);
    pipe.offsets.commit(GROUP_ID, TOPICS.input, 0, 20);
    await pipe.run(records(pipe, 20, 30));

    const windows = await committedWindows(pipe);
    expect(windows.map(({ window }) => [window.first_offset, window.last_offset, window.records])).toEqual([
      [20, 29, 10],
    ]);
  });

  it('keeps a window per model version: a challenger counts the customers it serves', async () => {
    const drift = tracker(1_000);
    const set = servingSet(4, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 30 }] }, [
      model,
      candidate,
    ]);
    const pipe = await harness(drift, { serving: fixedServingSetSource(set) });
    await pipe.run(records(pipe, 0, 80));

    const view = drift.view(Date.now(), [
      ['1.0.0', model.meta.reference],
      ['1.1.0', candidate.meta.reference],
    ]);
    const events = range(0, 80);
    const servedBy = (version: string) =>
      events.filter((e) => assignVariant(set.rollout, e.customerid).version === version);
    expect(servedBy('1.1.0').length).toBeGreaterThan(0);
    for (const [version, scoring] of [
      ['1.0.0', model],
      ['1.1.0', candidate],
    ] as const) {
      const current = view.versions.find((v) => v.version === version)?.current;
      const expected = expectedCounts(drift, scoring, servedBy(version));
      expect(current?.records, version).toBe(servedBy(version).length);
      expect(current?.score_counts, version).toEqual(expected.scoreCounts());
    }
  });

  it('gives a shadow a window of its own: the champion customers, counted against its reference, with its scores', async () => {
    const drift = tracker(40);
    const set = servingSet(5, { champion: '1.0.0', shadows: ['1.1.0'] }, [model, candidate]);
    const pipe = await harness(drift, { serving: fixedServingSetSource(set) });
    await pipe.run(records(pipe, 0, 40));

    const windows = (await committedWindows(pipe)).map(({ window }) => window);
    expect(windows.map((w) => [w.model_version, w.records, w.rollout_revision])).toEqual([
      ['1.0.0', 40, 5],
      ['1.1.0', 40, 5],
    ]);
    for (const [window, scoring] of [
      [windows[0], model],
      [windows[1], candidate],
    ] as const) {
      const expected = summarizeDrift(expectedCounts(drift, scoring, range(0, 40)), { start: 0, end: 0 }, THRESHOLDS);
      expect(window?.score_counts).toEqual(expected.score_counts);
      expect(window?.score_psi).toBe(expected.score_psi);
    }
  });

  it('counts a refused customer in the missing and unseen rates of the version that refused it', async () => {
    const drift = tracker(4);
    const pipe = await harness(drift);
    const blank = (i: number): CustomerEvent => ({ ...sampleCustomerEvent(i), contract: '', paymentmethod: 'Cash' });
    await pipe.run([...records(pipe, 0, 3), inputRecord(3, pipe.encode(blank(3)))]);

    expect(pipe.client.committedTo(TOPICS.deadLetter)).toHaveLength(1);
    const windows = await committedWindows(pipe);
    expect(windows).toHaveLength(1);
    const { window } = must(windows[0], 'the window record');
    expect(window).toMatchObject({ records: 4, scored: 3 });
    const feature = (name: string) =>
      must(
        window.features.find((f) => f.feature === name),
        name,
      );
    expect(feature('contract')).toMatchObject({ missing: 1, missing_rate: 0.25 });
    expect(feature('paymentmethod')).toMatchObject({ unseen: 1, unseen_rate: 0.25, missing: 0 });
    expect(feature('tenure')).toMatchObject({ missing: 0 });
  });

  it('does not count replayed records', async () => {
    const drift = tracker(2);
    const pipe = await harness(drift, { source: { replay: true, label: 'replay' } });
    await pipe.run(records(pipe, 0, 10));
    expect(pipe.client.committedTo(TOPICS.predictions)).toHaveLength(10);
    expect(pipe.client.committedTo(TOPICS.drift)).toHaveLength(0);
    expect(drift.view(0, [['1.0.0', model.meta.reference]]).versions[0]).toMatchObject({
      current: null,
      last_closed: null,
    });
  });
});
