import type { KafkaMessage } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChurnModel } from '../../../src/model/index.js';
import { DLQ_HEADERS } from '../../../src/stream/dead-letter.js';
import { PartitionFencedError, RetriableBatchError } from '../../../src/stream/transaction-errors.js';
import { metricValue } from '../../support/metrics.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { brokerError } from './fake-transactional-client.js';
import {
  GROUP_ID,
  inputRecord,
  pipelineHarness,
  TOPICS,
  type Harness,
  type HarnessOptions,
} from './pipeline-harness.js';

const LEASE_ID = `${GROUP_ID}-${TOPICS.input}-0`;

let model: ChurnModel;
beforeAll(async () => {
  model = await realModel();
});

function harness(options: HarnessOptions = {}): Promise<Harness> {
  return pipelineHarness(model, { captureLogs: true, ...options });
}

/** Valid customers at `from`..`to` (inclusive). */
function valid(pipe: Harness, from: number, to: number): KafkaMessage[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    inputRecord(from + i, pipe.encode(sampleCustomerEvent(from + i))),
  );
}

/** The input offsets the committed predictions came from, in order. */
function predictedOffsets(pipe: Harness): number[] {
  return pipe.client.committedTo(TOPICS.predictions).map((m) => Number(String(m.key).split('-C')[1]));
}

async function metric(pipe: Harness, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await pipe.metrics.metrics(), name, labels) ?? 0;
}

/** Offsets committed by transactions that committed, in order. */
function committedOffsets(pipe: Harness): string[] {
  return pipe.client.committed().flatMap((t) => t.offsetCommits);
}

function logged(pipe: Harness, msg: string | RegExp): Record<string, unknown>[] {
  return pipe.logs.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
}

describe('one batch, one transaction: outcomes and offset together', () => {
  it('commits the predictions, the dead letters and the next offset in one transaction, then resolves and heartbeats', async () => {
    const pipe = await harness();
    const records = [...valid(pipe, 0, 2), inputRecord(3, Buffer.from('not avro')), ...valid(pipe, 4, 5)];
    await pipe.run(records);

    const [fence, txn, ...rest] = pipe.client.transactions;
    expect(rest).toEqual([]);
    // the lease's empty transaction fenced the previous owner first
    expect(fence).toMatchObject({ transactionalId: LEASE_ID, result: 'aborted', offsets: [] });
    expect(txn).toMatchObject({ transactionalId: LEASE_ID, result: 'committed', groups: [GROUP_ID] });
    expect(txn?.offsetCommits).toEqual(['customers[0]@6']);
    expect(predictedOffsets(pipe)).toEqual([0, 1, 2, 4, 5]);
    const [letter] = pipe.client.committedTo(TOPICS.deadLetter);
    expect(letter?.headers).toMatchObject({
      [DLQ_HEADERS.errorType]: 'unknown-magic-byte',
      [DLQ_HEADERS.sourceOffset]: '3',
    });
    expect(pipe.resolved).toEqual(['5']);
    expect(pipe.heartbeats).toBe(1);
    expect(pipe.committedRecords).toEqual([6]);
  });

  it('counts what it committed: records, predictions by outcome, dead letters by reason', async () => {
    const pipe = await harness();
    await pipe.run([
      ...valid(pipe, 0, 3),
      inputRecord(4, null),
      inputRecord(5, pipe.encode({ ...sampleCustomerEvent(5), tenure: -1 })),
    ]);

    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(6);
    expect(await metric(pipe, 'churn_stream_predictions_produced_total', { source: 'live' })).toBe(4);
    const churn = await metric(pipe, 'churn_predictions_total', { outcome: 'churn', source: 'stream' });
    const noChurn = await metric(pipe, 'churn_predictions_total', { outcome: 'no_churn', source: 'stream' });
    expect(churn + noChurn).toBe(4);
    expect(await metric(pipe, 'churn_stream_dead_letters_total', { source: 'live', reason: 'empty' })).toBe(1);
    expect(await metric(pipe, 'churn_stream_dead_letters_total', { source: 'live', reason: 'invalid-customer' })).toBe(
      1,
    );
    expect(await metric(pipe, 'churn_stream_end_to_end_seconds_count', { source: 'live' })).toBe(4);
    expect(logged(pipe, 'record dead-lettered').map((l) => l.reason)).toEqual(['empty', 'invalid-customer']);
  });

  it('cuts a batch into transactions of at most transactionMaxRecords, each with its own offset', async () => {
    const pipe = await harness({ limits: { transactionMaxRecords: 3 } });
    await pipe.run(valid(pipe, 0, 6));
    expect(pipe.client.committed().map((t) => t.counts.get(TOPICS.predictions))).toEqual([3, 3, 1]);
    expect(committedOffsets(pipe)).toEqual(['customers[0]@3', 'customers[0]@6', 'customers[0]@7']);
    expect(pipe.resolved).toEqual(['2', '5', '6']);
    expect(pipe.committedRecords).toEqual([3, 3, 1]);
  });

  it('cuts a transaction once it has been open for transactionMaxMs', async () => {
    let clock = 0;
    // kafkajs asks isRunning() before each record: let 10 ms pass per record
    const pipe = await harness({ now: () => clock, limits: { transactionMaxMs: 25 } });
    await pipe.run(valid(pipe, 0, 5), {
      isRunning: () => {
        clock += 10;
        return true;
      },
    });
    // opened at the first record (10 ms), full at the fourth (40 ms); the last two close with the batch
    expect(pipe.client.committed().map((t) => t.counts.get(TOPICS.predictions))).toEqual([4, 2]);
  });

  it('publishes replay predictions under the replay label, flagged as replays', async () => {
    const pipe = await harness({ source: { replay: true, label: 'replay' } });
    await pipe.run(valid(pipe, 0, 1));
    const [first] = pipe.client.committedTo(TOPICS.predictions);
    expect((await pipe.decodePrediction(first?.value as Buffer)).replay).toBe(true);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'replay' })).toBe(2);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(0);
  });
});

describe('offsets: continuing exactly where the committed offset says', () => {
  it('skips the records below the committed offset, which an earlier owner already committed', async () => {
    const pipe = await harness();
    pipe.offsets.commit(GROUP_ID, TOPICS.input, 0, 5);
    await pipe.run(valid(pipe, 0, 9));
    expect(predictedOffsets(pipe)).toEqual([5, 6, 7, 8, 9]);
    expect(committedOffsets(pipe)).toEqual(['customers[0]@10']);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(5);
  });

  it('reads the committed offset only after fencing the previous owner, so it is final', async () => {
    const pipe = await harness();
    await pipe.run(valid(pipe, 0, 0));
    const fenced = pipe.client.calls.indexOf(`${LEASE_ID} abort`);
    expect(fenced).toBeGreaterThan(pipe.client.calls.indexOf(`${LEASE_ID} transaction`));
    expect(pipe.offsets.calls).toEqual([`fetchOffsets ${GROUP_ID}`]);
    // fetchOffsets is not a producer call, so compare against the order of producer calls around it
    expect(pipe.client.calls.slice(0, fenced + 1)).toEqual([
      `${LEASE_ID} connect`,
      `${LEASE_ID} transaction`,
      `${LEASE_ID} abort`,
    ]);
  });

  it('moves kafkajs up to the committed offset, without a transaction, when the whole batch is below it', async () => {
    const pipe = await harness();
    pipe.offsets.commit(GROUP_ID, TOPICS.input, 0, 20);
    await pipe.run(valid(pipe, 0, 9));
    expect(pipe.client.committed()).toEqual([]);
    expect(pipe.resolved).toEqual(['19']);
    expect(pipe.committedRecords).toEqual([]);
  });

  it('commits past trailing transaction markers: the offset after the batch, not after its last record', async () => {
    const pipe = await harness();
    await pipe.run(valid(pipe, 0, 9), { lastOffset: '11' });
    expect(committedOffsets(pipe)).toEqual(['customers[0]@12']);
    expect(pipe.resolved).toEqual(['11']);
  });

  it('commits past markers left after a full transaction with an offsets-only transaction', async () => {
    const pipe = await harness({ limits: { transactionMaxRecords: 3 } });
    await pipe.run(valid(pipe, 0, 2), { lastOffset: '4' });
    const [full, markers] = pipe.client.committed();
    expect(full?.offsets).toEqual(['3']);
    expect(markers?.offsets).toEqual(['5']);
    expect(markers?.counts.size).toBe(0);
    expect(pipe.client.calls.filter((c) => c.endsWith('sendBatch'))).toHaveLength(1);
    expect(pipe.resolved).toEqual(['2', '4']);
    expect(pipe.committedRecords).toEqual([3, 0]);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(3);
  });

  it('commits past markers behind records an earlier owner committed, offsets only', async () => {
    const pipe = await harness();
    pipe.offsets.commit(GROUP_ID, TOPICS.input, 0, 5);
    await pipe.run(valid(pipe, 0, 4), { lastOffset: '6' });
    expect(pipe.client.committed().map((t) => [t.counts.size, t.offsets])).toEqual([[0, ['7']]]);
  });
});

describe('failures: nothing is lost, nothing is written twice', () => {
  it('fenced: aborts, gives the lease up, throws PartitionFencedError; the next batch fences again', async () => {
    const pipe = await harness();
    await pipe.leases.acquire(TOPICS.input, 0);
    pipe.client.failing.set('sendOffsets', brokerError('INVALID_PRODUCER_EPOCH', 47));
    await expect(pipe.run(valid(pipe, 0, 2))).rejects.toBeInstanceOf(PartitionFencedError);

    expect(pipe.client.transactions.at(-1)?.result).toBe('aborted');
    expect(pipe.client.producers[0]?.disconnected).toBe(true);
    expect(pipe.leases.isReady(TOPICS.input, 0)).toBe(false);
    expect(pipe.resolved).toEqual([]);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(0);
    expect(logged(pipe, /fenced by a newer owner/)).toHaveLength(1);

    pipe.client.failing.clear();
    await pipe.run(valid(pipe, 0, 2));
    expect(pipe.client.producers).toHaveLength(2);
    expect(predictedOffsets(pipe)).toEqual([0, 1, 2]);
  });

  it('a rebalance reported by the heartbeat after a commit: rethrown as it is, the commit stands', async () => {
    const pipe = await harness({ limits: { transactionMaxRecords: 2 } });
    const rebalance = brokerError('REBALANCE_IN_PROGRESS', 27);
    const run = pipe.run(valid(pipe, 0, 4), { heartbeat: () => Promise.reject(rebalance) });
    await expect(run).rejects.toBe(rebalance);

    // the first transaction committed before the heartbeat said so; the rest waits for the next owner
    expect(committedOffsets(pipe)).toEqual(['customers[0]@2']);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(2);
    expect(pipe.leases.isReady(TOPICS.input, 0)).toBe(false);
    expect(logged(pipe, /group rebalancing/)).toMatchObject([{ level: 30 }]);
  });

  it('not authorized: throws the error as it is (no retry mends it)', async () => {
    const pipe = await harness();
    const denied = brokerError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53);
    await pipe.leases.acquire(TOPICS.input, 0);
    pipe.client.failing.set('sendBatch', denied);
    const run = pipe.run(valid(pipe, 0, 0));
    await expect(run).rejects.toBe(denied);
    await expect(run).rejects.not.toBeInstanceOf(RetriableBatchError);
    expect(logged(pipe, /not authorized/)).toMatchObject([{ level: 50 }]);
  });

  it('a broker that is away: RetriableBatchError; the retry produces every record once', async () => {
    const pipe = await harness();
    await pipe.leases.acquire(TOPICS.input, 0);
    pipe.client.failing.set('commit', new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    const run = pipe.run(valid(pipe, 0, 3));
    await expect(run).rejects.toBeInstanceOf(RetriableBatchError);
    await expect(run).rejects.toThrow('customers[0]: Connection error: connect ECONNREFUSED');
    expect(pipe.client.transactions.at(-1)?.result).toBe('aborted');
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(0);
    expect(await metric(pipe, 'churn_stream_transaction_seconds_count', { source: 'live', result: 'abort' })).toBe(1);

    pipe.client.failing.clear();
    await pipe.run(valid(pipe, 0, 3));
    expect(predictedOffsets(pipe)).toEqual([0, 1, 2, 3]);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(4);
  });

  it('an abort that fails too: logged, and the original failure is what is thrown', async () => {
    const pipe = await harness();
    await pipe.leases.acquire(TOPICS.input, 0);
    pipe.client.failing.set('commit', new Error('Request timed out'));
    pipe.client.failing.set('abort', new Error('The coordinator is not available'));
    await expect(pipe.run(valid(pipe, 0, 1))).rejects.toThrow('customers[0]: Request timed out');
    expect(logged(pipe, 'abort after a failed transaction also failed')).toMatchObject([
      { level: 40, err: { message: 'The coordinator is not available' } },
    ]);
    expect(pipe.client.producers[0]?.disconnected).toBe(true);
  });

  it('a registry outage mid-batch: nothing dead-lettered, nothing committed, the retry scores the record', async () => {
    const pipe = await harness();
    pipe.registry.outage = 'http-503';
    await expect(pipe.run(valid(pipe, 0, 2))).rejects.toBeInstanceOf(RetriableBatchError);
    expect(pipe.client.committed()).toEqual([]);
    expect(await metric(pipe, 'churn_stream_dead_letters_total', { source: 'live', reason: 'unknown-schema-id' })).toBe(
      0,
    );

    pipe.registry.outage = undefined;
    await pipe.run(valid(pipe, 0, 2));
    expect(predictedOffsets(pipe)).toEqual([0, 1, 2]);
    expect(pipe.client.committedTo(TOPICS.deadLetter)).toEqual([]);
  });

  it('a lease that cannot be taken: the batch is retried, nothing is processed', async () => {
    const pipe = await harness();
    pipe.offsets.failWith = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    await expect(pipe.run(valid(pipe, 0, 1))).rejects.toThrow(/customers\[0\]: cannot take partition customers\[0\]/);
    expect(pipe.client.committed()).toEqual([]);
  });
});

describe('stopping mid-batch: what is not committed is left to the next owner', () => {
  it('stops when isRunning() turns false, committing only the transactions already full', async () => {
    const pipe = await harness({ limits: { transactionMaxRecords: 3 } });
    let asked = 0;
    await pipe.run(valid(pipe, 0, 9), { isRunning: () => ++asked <= 5 });
    expect(committedOffsets(pipe)).toEqual(['customers[0]@3']);
    expect(predictedOffsets(pipe)).toEqual([0, 1, 2]);
    expect(pipe.resolved).toEqual(['2']);
    expect(await metric(pipe, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(3);
  });

  it('stops when the batch turns stale (the partition was revoked)', async () => {
    const pipe = await harness();
    let asked = 0;
    await pipe.run(valid(pipe, 0, 9), { isStale: () => ++asked > 4 });
    expect(pipe.client.committed()).toEqual([]);
    expect(pipe.resolved).toEqual([]);
  });

  it('does not commit the last records when the consumer stops right after deciding them', async () => {
    const pipe = await harness();
    let asked = 0;
    // one answer per record, then false at the check before the commit
    await pipe.run(valid(pipe, 0, 3), { isRunning: () => ++asked <= 4 });
    expect(pipe.client.committed()).toEqual([]);
    expect(pipe.resolved).toEqual([]);
    expect(pipe.heartbeats).toBe(0);
  });
});
