import { createRequire } from 'node:module';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { TransactionalClient } from '../../../src/stream/partition-leases.js';
import {
  TransactionsUnavailableError,
  checkTransactionsAvailable,
  isTransientTransactionsError,
} from '../../../src/stream/transactions-check.js';

// kafkajs' error classes (CommonJS; they are not named exports under ESM).
const require = createRequire(import.meta.url);
type KafkaJSErrorClass = new (e: Error | string, options?: object) => Error;
const kafkajs = require('kafkajs') as Record<
  'KafkaJSConnectionError' | 'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSNonRetriableError',
  KafkaJSErrorClass
>;

const refused = () => {
  const refusal = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9094');
  const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(refusal, { retryCount: 8, retryTime: 1000 });
  return new kafkajs.KafkaJSNonRetriableError(exhausted, { cause: exhausted });
};
const brokerError = (type: string) => Object.assign(new Error(`broker said ${type}`), { type });

/** Producers whose empty transaction fails with the next error of the list, then succeeds. */
function failingThen(errors: Error[]): { kafka: TransactionalClient; attempts: () => number } {
  let attempts = 0;
  const kafka: TransactionalClient = {
    producer: () => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      transaction: () => {
        const failure = errors[attempts++];
        if (failure !== undefined) return Promise.reject(failure);
        return Promise.resolve({
          sendBatch: () => Promise.resolve([]),
          sendOffsets: () => Promise.resolve(),
          commit: () => Promise.resolve(),
          abort: () => Promise.resolve(),
        });
      },
    }),
  };
  return { kafka, attempts: () => attempts };
}

const log = pino({ level: 'silent' });

describe('start-up check of Kafka transactions', () => {
  it('tells a coordinator on a dead broker (a passing state) from a refusal', () => {
    expect(isTransientTransactionsError(refused())).toBe(true);
    expect(isTransientTransactionsError(brokerError('GROUP_COORDINATOR_NOT_AVAILABLE'))).toBe(true);
    expect(isTransientTransactionsError(brokerError('NOT_COORDINATOR_FOR_GROUP'))).toBe(true);
    expect(isTransientTransactionsError(brokerError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isTransientTransactionsError(new Error('something else'))).toBe(false);
  });

  it('takes being fenced by a worker starting at the same moment as transactions working', async () => {
    for (const type of ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']) {
      const { kafka, attempts } = failingThen([brokerError(type)]);
      await checkTransactionsAvailable(kafka, 'group', log, 1_000);
      expect(attempts(), type).toBe(1);
    }
  });

  it('rides out a transaction coordinator that is moving off a dead broker', async () => {
    const { kafka, attempts } = failingThen([refused(), brokerError('GROUP_COORDINATOR_NOT_AVAILABLE')]);
    await checkTransactionsAvailable(kafka, 'scorer', log, 10_000);
    expect(attempts()).toBe(3);
  });

  it('fails at once when transactions are refused', async () => {
    const { kafka, attempts } = failingThen([brokerError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED')]);
    const check = checkTransactionsAvailable(kafka, 'scorer', log, 10_000);
    await expect(check).rejects.toBeInstanceOf(TransactionsUnavailableError);
    await expect(check).rejects.toThrow(
      /Kafka transactions are not available \(broker said TRANSACTIONAL_ID_AUTHORIZATION_FAILED\)/,
    );
    expect(attempts()).toBe(1);
  });

  it('gives up when the coordinator stays unreachable for the start-up budget', async () => {
    const { kafka } = failingThen(Array.from({ length: 100 }, refused));
    const started = Date.now();
    await expect(checkTransactionsAvailable(kafka, 'scorer', log, 600)).rejects.toThrow(
      /not available \(.*ECONNREFUSED/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
