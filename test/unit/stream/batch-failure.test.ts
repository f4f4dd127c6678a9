import { describe, expect, it } from 'vitest';
import { batchFailure, type FailedBatch } from '../../../src/stream/batch-failure.js';
import {
  OutputTooLargeError,
  PartitionFencedError,
  RetriableBatchError,
} from '../../../src/stream/transaction-errors.js';
import { brokerError } from './fake-transactional-client.js';

const FAILED: FailedBatch = {
  topic: 'customers',
  partition: 4,
  outputs: [{ topic: 'predictions', bytes: 600_000 }],
  transactionMaxBytes: 524_288,
};

describe('what a failed batch becomes: retry, rejoin or stop', () => {
  it('fencing: a retriable PartitionFencedError naming the partition, logged as a warning', () => {
    const err = brokerError('INVALID_PRODUCER_EPOCH', 47);
    const failure = batchFailure(err, FAILED);
    expect(failure.kind).toBe('fenced');
    expect(failure.error).toBeInstanceOf(PartitionFencedError);
    expect((failure.error as PartitionFencedError).retriable).toBe(true);
    expect((failure.error as PartitionFencedError).underlying).toBe(err);
    expect((failure.error as Error).message).toContain('customers[4]');
    expect(failure.log).toMatchObject({ level: 'warn', fields: { err, topic: 'customers', partition: 4 } });
  });

  it('a rebalance: the error itself, so kafkajs recognises it and rejoins; logged as info without a stack', () => {
    const err = brokerError('REBALANCE_IN_PROGRESS', 27);
    const failure = batchFailure(err, FAILED);
    expect(failure.kind).toBe('rebalance');
    expect(failure.error).toBe(err);
    expect(failure.log.level).toBe('info');
    expect(failure.log.fields).toEqual({ topic: 'customers', partition: 4, reason: err.message });
  });

  it('not authorized: the error itself (not retriable), logged as an error saying no retry helps', () => {
    const err = brokerError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53);
    const failure = batchFailure(err, FAILED);
    expect(failure.kind).toBe('unauthorized');
    expect(failure.error).toBe(err);
    expect(failure.error).not.toBeInstanceOf(RetriableBatchError);
    expect(failure.log).toMatchObject({ level: 'error', message: 'not authorized: no retry can fix this; stopping' });
  });

  it('refused as too large: a fatal OutputTooLargeError naming what the transaction sent', () => {
    const failure = batchFailure(brokerError('MESSAGE_TOO_LARGE', 10), FAILED);
    expect(failure.kind).toBe('output-too-large');
    expect(failure.error).toBeInstanceOf(OutputTooLargeError);
    const error = failure.error as OutputTooLargeError;
    expect(error.retriable).toBe(false);
    expect(error.outputs).toEqual(FAILED.outputs);
    expect(error.message).toContain('predictions (600000 bytes)');
    expect(failure.log).toMatchObject({ level: 'error', message: error.message, fields: { outputs: FAILED.outputs } });
  });

  it('anything else: a RetriableBatchError saying which partition, keeping the original as underlying', () => {
    const err = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const failure = batchFailure(err, FAILED);
    expect(failure.kind).toBe('retriable');
    expect(failure.error).toBeInstanceOf(RetriableBatchError);
    expect((failure.error as RetriableBatchError).message).toBe(
      'customers[4]: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    expect((failure.error as RetriableBatchError).underlying).toBe(err);
    expect(failure.log).toMatchObject({ level: 'error', fields: { err } });
    // something thrown that is not an Error still says what it was
    expect((batchFailure('socket hang up', FAILED).error as Error).message).toBe('customers[4]: socket hang up');
  });

  it('an authorization failure stops the worker even when it comes with a fencing error in its chain', () => {
    const both = new Error('outer', {
      cause: Object.assign(brokerError('INVALID_PRODUCER_EPOCH', 47), { type: 'TOPIC_AUTHORIZATION_FAILED' }),
    });
    expect(batchFailure(both, FAILED).kind).toBe('unauthorized');
  });
});
