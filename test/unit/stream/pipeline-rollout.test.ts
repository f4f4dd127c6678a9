import type { KafkaMessage, Message } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommittedPredictionsRecorder, ScoredObservation } from '../../../src/experiments/scored-observation.js';
import type { ChurnModel } from '../../../src/model/index.js';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import type { ServingSet } from '../../../src/serving/serving-set.js';
import { DLQ_HEADERS } from '../../../src/stream/dead-letter.js';
import { messageBytes, RECORD_BATCH_OVERHEAD_BYTES } from '../../../src/stream/output-size.js';
import { COMPARE_HEADERS, PREDICTION_HEADERS } from '../../../src/stream/prediction-record.js';
import { metricValue } from '../../support/metrics.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { inputRecord, pipelineHarness, TOPICS, type Harness, type HarnessOptions } from './pipeline-harness.js';
import { committedModel, servingSet, SwappableServingSource, throwingModel } from '../../support/serving-sets.js';

let model: ChurnModel;
let candidate: ChurnModel;
beforeAll(async () => {
  model = await realModel();
  candidate = await committedModel('1.1.0');
});

/** The experiment recorder's port, keeping what it was told. */
class RecordedExperiments implements CommittedPredictionsRecorder {
  readonly calls: { set: ServingSet; observations: ScoredObservation[] }[] = [];

  recordCommitted(set: ServingSet, observations: readonly ScoredObservation[]): void {
    this.calls.push({ set, observations: [...observations] });
  }
}

function valid(pipe: Harness, from: number, to: number): KafkaMessage[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    inputRecord(from + i, pipe.encode(sampleCustomerEvent(from + i))),
  );
}

function header(message: Message, name: string): string {
  return String(message.headers?.[name]);
}

/** The input offset a prediction came from (sample customer ids end in -C<offset>). */
function offsetOf(message: Message): number {
  return Number(String(message.key).split('-C')[1]);
}

/** Per committed transaction: the rollout revision of each of its predictions (live and shadow), in order. */
function revisionsPerTransaction(pipe: Harness): string[][] {
  return pipe.client
    .committed()
    .map((t) =>
      [...(t.messages.get(TOPICS.predictions) ?? []), ...(t.messages.get(TOPICS.shadow) ?? [])].map((m) =>
        header(m, PREDICTION_HEADERS.rolloutRevision),
      ),
    );
}

async function metric(pipe: Harness, name: string, labels: Record<string, string>): Promise<number> {
  return metricValue(await pipe.metrics.metrics(), name, labels) ?? 0;
}

function harness(options: HarnessOptions): Promise<Harness> {
  return pipelineHarness(model, { captureLogs: true, ...options });
}

describe('hot swap: a serving set takes effect only between transactions', () => {
  it('keeps the set captured when a transaction opened for all its records; the next transaction takes the new one', async () => {
    const first = servingSet(1, { champion: '1.0.0' }, [model, candidate]);
    const second = servingSet(2, { champion: '1.1.0' }, [model, candidate]);
    const serving = new SwappableServingSource(first);
    const pipe = await harness({ serving, limits: { transactionMaxRecords: 3 } });
    let asked = 0;
    // kafkajs asks isRunning() before each record: the follower swaps the set while record 1 is next
    await pipe.run(valid(pipe, 0, 7), {
      isRunning: () => {
        if (++asked === 2) serving.set = second;
        return true;
      },
    });

    expect(revisionsPerTransaction(pipe)).toEqual([
      ['1', '1', '1'],
      ['2', '2', '2'],
      ['2', '2'],
    ]);
    const versions = pipe.client.committedTo(TOPICS.predictions).map((m) => header(m, PREDICTION_HEADERS.modelVersion));
    expect(versions).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
  });

  it('decides a record again with the new set when it opens the next transaction for lack of room', async () => {
    const first = servingSet(1, { champion: '1.0.0' }, [model, candidate]);
    const second = servingSet(2, { champion: '1.1.0' }, [model, candidate]);
    const probe = await harness({});
    await probe.run(valid(probe, 0, 0));
    const oneOutput = messageBytes(probe.client.committedTo(TOPICS.predictions)[0] as Message);
    // room for one prediction per transaction: record 1 is decided with the old set, then does not fit
    const serving = new SwappableServingSource(first);
    const pipe = await harness({
      serving,
      limits: { transactionMaxBytes: Math.floor(oneOutput * 1.5) + RECORD_BATCH_OVERHEAD_BYTES },
    });
    let asked = 0;
    await pipe.run(valid(pipe, 0, 2), {
      isRunning: () => {
        if (++asked === 2) serving.set = second;
        return true;
      },
    });

    expect(revisionsPerTransaction(pipe)).toEqual([['1'], ['2'], ['2']]);
    const predictions = pipe.client.committedTo(TOPICS.predictions);
    expect(predictions.map(offsetOf)).toEqual([0, 1, 2]);
    expect(predictions.map((m) => header(m, PREDICTION_HEADERS.modelVersion))).toEqual(['1.0.0', '1.1.0', '1.1.0']);
  });

  it("serves each customer with assignVariant's variant of the set in force", async () => {
    const set = servingSet(3, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 40 }] }, [
      model,
      candidate,
    ]);
    const pipe = await harness({ serving: new SwappableServingSource(set) });
    await pipe.run(valid(pipe, 0, 49));
    const predictions = pipe.client.committedTo(TOPICS.predictions);
    expect(predictions).toHaveLength(50);
    for (const m of predictions) {
      const expected = assignVariant(set.rollout, String(m.key));
      expect([header(m, PREDICTION_HEADERS.variant), header(m, PREDICTION_HEADERS.modelVersion)]).toEqual([
        expected.variant,
        expected.version,
      ]);
      const value = await pipe.decodePrediction(m.value as Buffer);
      expect([value.variant, value.model_version, value.rollout_revision]).toEqual([
        expected.variant,
        expected.version,
        3,
      ]);
    }
    expect(new Set(predictions.map((m) => header(m, PREDICTION_HEADERS.variant)))).toEqual(
      new Set(['champion', 'canary']),
    );
  });
});

describe('shadows: in the same transaction as the live prediction and the offset', () => {
  it('commits one shadow prediction per shadow with each live one and the offset, in one transaction', async () => {
    const set = servingSet(6, { champion: '1.0.0', shadows: ['1.1.0'] }, [model, candidate]);
    const experiments = new RecordedExperiments();
    const pipe = await harness({ serving: new SwappableServingSource(set), committed: experiments });
    await pipe.run(valid(pipe, 0, 4));

    const [txn, ...more] = pipe.client.committed();
    expect(more).toEqual([]);
    expect(txn?.offsetCommits).toEqual(['customers[0]@5']);
    const live = txn?.messages.get(TOPICS.predictions) ?? [];
    const shadow = txn?.messages.get(TOPICS.shadow) ?? [];
    expect(live.map(offsetOf)).toEqual([0, 1, 2, 3, 4]);
    expect(shadow.map(offsetOf)).toEqual([0, 1, 2, 3, 4]);
    expect(shadow.map((m) => header(m, PREDICTION_HEADERS.variant))).toEqual(Array(5).fill('shadow'));
    expect(shadow.map((m) => header(m, PREDICTION_HEADERS.modelVersion))).toEqual(Array(5).fill('1.1.0'));

    expect(await metric(pipe, 'churn_stream_predictions_produced_total', { source: 'live' })).toBe(5);
    expect(await metric(pipe, 'churn_stream_shadow_predictions_produced_total', { source: 'live' })).toBe(5);
    // the comparison hears of the committed transaction once, with the set it was decided with
    expect(experiments.calls).toHaveLength(1);
    const [call] = experiments.calls;
    expect(call?.set).toBe(set);
    const liveScores = await Promise.all(
      live.map(async (m) => (await pipe.decodePrediction(m.value as Buffer)).churn_probability),
    );
    const shadowScores = await Promise.all(
      shadow.map(async (m) => (await pipe.decodePrediction(m.value as Buffer)).churn_probability),
    );
    expect(call?.observations.map((o) => [o.variant, o.version, o.score, o.shadowScores])).toEqual(
      liveScores.map((score, i) => ['champion', '1.0.0', score, [shadowScores[i]]]),
    );
  });

  it('counts the shadow bytes with the live ones: every transaction fits, whatever the split', async () => {
    const set = servingSet(6, { champion: '1.0.0', shadows: ['1.1.0'] }, [model, candidate]);
    const probe = await harness({});
    await probe.run(valid(probe, 0, 0));
    const oneOutput = messageBytes(probe.client.committedTo(TOPICS.predictions)[0] as Message);
    const transactionMaxBytes = oneOutput * 5 + RECORD_BATCH_OVERHEAD_BYTES;
    const pipe = await harness({ serving: new SwappableServingSource(set), limits: { transactionMaxBytes } });
    await pipe.run(valid(pipe, 0, 9));

    const committed = pipe.client.committed();
    for (const txn of committed) {
      let bytes = 0;
      for (const messages of txn.messages.values()) for (const m of messages) bytes += messageBytes(m);
      expect(bytes + RECORD_BATCH_OVERHEAD_BYTES).toBeLessThanOrEqual(transactionMaxBytes);
      // a live prediction and its shadow are never split apart
      expect((txn.messages.get(TOPICS.shadow) ?? []).map(offsetOf)).toEqual(
        (txn.messages.get(TOPICS.predictions) ?? []).map(offsetOf),
      );
    }
    expect(committed.length).toBeGreaterThan(2);
    expect(pipe.client.committedTo(TOPICS.shadow)).toHaveLength(10);
  });

  it('gives every customer shadow scores, whichever variant serves it', async () => {
    const set = servingSet(
      6,
      { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'ab', weight: 50 }], shadows: ['1.1.0-rc'] },
      [model, candidate, { ...candidate, meta: { ...candidate.meta, version: '1.1.0-rc' } }],
    );
    const pipe = await harness({ serving: new SwappableServingSource(set) });
    await pipe.run(valid(pipe, 0, 29));
    const live = pipe.client.committedTo(TOPICS.predictions);
    const championServed = live.filter((m) => header(m, PREDICTION_HEADERS.variant) === 'champion').map(offsetOf);
    expect(championServed.length).toBeGreaterThan(0);
    expect(championServed.length).toBeLessThan(30);
    expect(pipe.client.committedTo(TOPICS.shadow).map(offsetOf)).toEqual(live.map(offsetOf));
  });

  it('a shadow that fails: the live prediction is committed, the failure counted and logged once committed', async () => {
    const broken = throwingModel(candidate, '2.0.0-rc1', 'weights file truncated');
    const set = servingSet(6, { champion: '1.0.0', shadows: ['2.0.0-rc1'] }, [model, broken]);
    const experiments = new RecordedExperiments();
    const pipe = await harness({ serving: new SwappableServingSource(set), committed: experiments });
    await pipe.run(valid(pipe, 0, 2));

    expect(pipe.client.committedTo(TOPICS.predictions).map(offsetOf)).toEqual([0, 1, 2]);
    expect(pipe.client.committedTo(TOPICS.shadow)).toEqual([]);
    expect(pipe.client.committedTo(TOPICS.deadLetter)).toEqual([]);
    expect(await metric(pipe, 'churn_stream_shadow_failures_total', { source: 'live', version: '2.0.0-rc1' })).toBe(3);
    const logged = pipe.logs.filter((l) => l.msg === 'shadow could not score a record; the live prediction stands');
    expect(logged).toMatchObject(Array(3).fill({ level: 40, shadow: '2.0.0-rc1', detail: 'weights file truncated' }));
    expect(experiments.calls[0]?.observations.map((o) => Number.isNaN(o.shadowScores[0]))).toEqual([true, true, true]);
  });

  it('tells the experiments nothing of a transaction that did not commit', async () => {
    const set = servingSet(6, { champion: '1.0.0', shadows: ['1.1.0'] }, [model, candidate]);
    const experiments = new RecordedExperiments();
    const pipe = await harness({ serving: new SwappableServingSource(set), committed: experiments });
    await pipe.leases.acquire(TOPICS.input, 0);
    pipe.client.failing.set('commit', new Error('Request timed out'));
    await expect(pipe.run(valid(pipe, 0, 2))).rejects.toThrow(/Request timed out/);
    expect(experiments.calls).toEqual([]);

    pipe.client.failing.clear();
    await pipe.run(valid(pipe, 0, 2));
    expect(experiments.calls.map((c) => c.observations.length)).toEqual([3]);
  });
});

describe('replay --compare: champion and candidate to the shadow topic, nothing to predictions', () => {
  function compareRecord(pipe: Harness, offset: number, version: string): KafkaMessage {
    const record = inputRecord(offset, pipe.encode(sampleCustomerEvent(offset)));
    record.headers = {
      [COMPARE_HEADERS.version]: Buffer.from(version),
      [COMPARE_HEADERS.id]: Buffer.from('run-42'),
    };
    return record;
  }

  it('commits both predictions of each compare record to the shadow topic with the offset; unknown versions dead-lettered', async () => {
    const set = servingSet(8, { champion: '1.0.0' }, [model, candidate]);
    const experiments = new RecordedExperiments();
    const pipe = await harness({
      serving: new SwappableServingSource(set),
      committed: experiments,
      source: { replay: true, label: 'replay' },
    });
    await pipe.run([compareRecord(pipe, 0, '1.1.0'), compareRecord(pipe, 1, '7.0.0'), compareRecord(pipe, 2, '1.1.0')]);

    const [txn, ...more] = pipe.client.committed();
    expect(more).toEqual([]);
    expect(txn?.offsetCommits).toEqual(['customers[0]@3']);
    expect(txn?.messages.get(TOPICS.predictions)).toBeUndefined();
    const shadow = txn?.messages.get(TOPICS.shadow) ?? [];
    expect(
      shadow.map((m) => [
        offsetOf(m),
        header(m, PREDICTION_HEADERS.variant),
        header(m, PREDICTION_HEADERS.modelVersion),
      ]),
    ).toEqual([
      [0, 'champion', '1.0.0'],
      [0, 'shadow', '1.1.0'],
      [2, 'champion', '1.0.0'],
      [2, 'shadow', '1.1.0'],
    ]);
    expect(shadow.map((m) => header(m, COMPARE_HEADERS.id))).toEqual(Array(4).fill('run-42'));
    for (const m of shadow) expect((await pipe.decodePrediction(m.value as Buffer)).replay).toBe(true);
    const letters = txn?.messages.get(TOPICS.deadLetter) ?? [];
    expect(letters.map((l) => [header(l, DLQ_HEADERS.errorType), header(l, DLQ_HEADERS.sourceOffset)])).toEqual([
      ['compare-model-unknown', '1'],
    ]);

    expect(await metric(pipe, 'churn_stream_predictions_produced_total', { source: 'replay' })).toBe(0);
    expect(await metric(pipe, 'churn_stream_shadow_predictions_produced_total', { source: 'replay' })).toBe(4);
    expect(
      await metric(pipe, 'churn_stream_dead_letters_total', { source: 'replay', reason: 'compare-model-unknown' }),
    ).toBe(1);
    // a comparison is not live traffic: the experiment counts stay as they were
    expect(experiments.calls).toEqual([]);
  });
});
