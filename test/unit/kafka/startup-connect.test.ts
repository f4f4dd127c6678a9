import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { findConnectionError, startupBackoffMs } from '../../../src/kafka/startup-connect.js';

// kafkajs' error classes (CommonJS; they are not named exports under ESM).
const require = createRequire(import.meta.url);
type KafkaJSErrorClass = new (e: Error | string, options?: object) => Error;
const kafkajs = require('kafkajs') as Record<
  | 'KafkaJSConnectionError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSSASLAuthenticationError',
  KafkaJSErrorClass
>;

describe('start-up connection attempts', () => {
  it('pause 250 ms after the first failure, doubling up to 5 s (a broker that comes up late is seen within 5 s)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(startupBackoffMs)).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
  });
});

describe('findConnectionError', () => {
  it('finds the connection error under the retry wrappers kafkajs throws', () => {
    const refused = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 800 });
    const wrapped = new kafkajs.KafkaJSNonRetriableError(exhausted, { cause: exhausted });
    expect(findConnectionError(wrapped)).toBe(refused);
  });

  it('does not take an authentication failure or a plain error for an unreachable broker', () => {
    const sasl = new kafkajs.KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed: bad password');
    expect(findConnectionError(new kafkajs.KafkaJSNonRetriableError(sasl, { cause: sasl }))).toBeUndefined();
    expect(findConnectionError(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(findConnectionError(undefined)).toBeUndefined();
  });
});
