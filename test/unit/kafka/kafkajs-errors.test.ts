import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  describeKafkaError,
  findKafkaError,
  findSaslFailure,
  hasKafkaType,
  kafkaTypeIn,
} from '../../../src/kafka/kafkajs-errors.js';

// kafkajs' error classes and its table of broker error codes (CommonJS; not named exports under ESM).
const require = createRequire(import.meta.url);
type KafkaJSErrorClass = new (e: unknown, options?: object) => Error;
const kafkajs = require('kafkajs') as Record<
  | 'KafkaJSProtocolError'
  | 'KafkaJSConnectionError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSSASLAuthenticationError',
  KafkaJSErrorClass
>;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => object;
};

/** A broker's answer as kafkajs throws it, under its retry wrappers. */
function brokerAnswer(code: number): { answer: Error; thrown: Error } {
  const answer = new kafkajs.KafkaJSProtocolError(createErrorFromCode(code));
  const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(answer, { retryCount: 5, retryTime: 100 });
  return { answer, thrown: new kafkajs.KafkaJSNonRetriableError(exhausted, { cause: exhausted }) };
}

describe('reading kafkajs errors through their wrappers', () => {
  it("finds a broker answer's type, or its code when kafkajs has no name for it", () => {
    const { thrown } = brokerAnswer(3); // UNKNOWN_TOPIC_OR_PARTITION
    expect(kafkaTypeIn(thrown, new Set(['LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION']))).toBe(
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    expect(kafkaTypeIn(thrown, new Set(['LEADER_NOT_AVAILABLE']))).toBeUndefined();
    expect(hasKafkaType(thrown, new Set(['UNKNOWN_TOPIC_OR_PARTITION']))).toBe(true);
    expect(
      hasKafkaType(Object.assign(new Error('unnamed'), { code: 90 }), new Set(['PRODUCER_FENCED']), new Set([90])),
    ).toBe(true);
    // our errors' string codes and Node's errno codes are no broker codes
    expect(hasKafkaType(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), new Set(['ECONNREFUSED']))).toBe(
      false,
    );
  });

  it("finds kafkajs' own errors by class name", () => {
    const refused = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const thrown = new kafkajs.KafkaJSNonRetriableError(refused, { cause: refused });
    expect(findKafkaError(thrown, new Set(['KafkaJSConnectionError']))).toBe(refused);
    expect(findKafkaError(thrown, new Set(['KafkaJSRequestTimeoutError']))).toBeUndefined();
  });

  it('tells a refused SASL login from other failures: a rejected password, a listener without SASL', () => {
    const rejected = new kafkajs.KafkaJSSASLAuthenticationError(
      'SASL PLAIN authentication failed: Authentication failed',
    );
    expect(findSaslFailure(new kafkajs.KafkaJSNonRetriableError(rejected, { cause: rejected }))).toBe(rejected);
    expect(describeKafkaError(rejected)).toBe('SASL PLAIN authentication failed: Authentication failed');

    const { answer, thrown } = brokerAnswer(34); // what a PLAINTEXT listener answers a SASL handshake
    expect(findSaslFailure(thrown)).toBe(answer);
    expect(describeKafkaError(answer)).toBe('ILLEGAL_SASL_STATE: Request is not valid given the current SASL state');

    expect(findSaslFailure(brokerAnswer(53).thrown)).toBeUndefined(); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    expect(findSaslFailure(new kafkajs.KafkaJSConnectionError('Connection error'))).toBeUndefined();
  });
});
