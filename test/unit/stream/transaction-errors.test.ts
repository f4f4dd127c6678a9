import { describe, expect, it } from 'vitest';
import {
  isAuthorizationError,
  isFencedError,
  isRebalanceError,
  isTooLargeError,
  OutputTooLargeError,
  PartitionFencedError,
  RetriableBatchError,
} from '../../../src/stream/transaction-errors.js';

/** The shape kafkajs gives broker errors: KafkaJSProtocolError { type, code, retriable }. */
function protocolError(type: string, code: number): Error {
  return Object.assign(new Error(type.toLowerCase()), { type, code, retriable: false });
}

describe('transaction error classification', () => {
  it('recognises fencing, also when wrapped under cause', () => {
    expect(isFencedError(protocolError('INVALID_PRODUCER_EPOCH', 47))).toBe(true);
    const wrapped = new Error('KafkaJSNonRetriableError', { cause: protocolError('INVALID_PRODUCER_EPOCH', 47) });
    expect(isFencedError(new Error('outer', { cause: wrapped }))).toBe(true);
    // kafkajs 2.2.4 does not know code 90 by name
    expect(isFencedError(Object.assign(new Error('unknown'), { code: 90 }))).toBe(true);
  });

  it('does not take other failures for fencing', () => {
    expect(isFencedError(protocolError('NOT_COORDINATOR', 16))).toBe(false);
    expect(isFencedError(new Error('ECONNREFUSED'))).toBe(false);
    expect(isFencedError(undefined)).toBe(false);
  });

  it('recognises group rebalances', () => {
    expect(isRebalanceError(protocolError('REBALANCE_IN_PROGRESS', 27))).toBe(true);
    expect(isRebalanceError(protocolError('INVALID_PRODUCER_EPOCH', 47))).toBe(false);
  });

  it('recognises authorization failures, which no retry mends', () => {
    expect(
      isAuthorizationError(new Error('x', { cause: protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53) })),
    ).toBe(true);
    expect(isAuthorizationError(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', 15))).toBe(false);
  });

  it('turns fencing into a retriable error so kafkajs rejoins instead of crashing the consumer', () => {
    const err = new PartitionFencedError('customers', 2, protocolError('INVALID_PRODUCER_EPOCH', 47));
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('customers[2]');
    expect(isFencedError(err)).toBe(true);
  });

  it('leaves no cause chain for kafkajs to find a non-retriable error in', () => {
    // kafkajs restarts a crashed consumer only when the innermost `cause` says retriable.
    const err = new RetriableBatchError(
      'customers[0]: Failed to find group coordinator',
      protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', 15),
    );
    let innermost: unknown = err;
    while ((innermost as { cause?: unknown }).cause !== undefined) innermost = (innermost as { cause?: unknown }).cause;
    expect((innermost as { retriable?: unknown }).retriable).toBe(true);
  });

  it('recognises a batch the broker refused as too large, also wrapped', () => {
    expect(isTooLargeError(new Error('x', { cause: protocolError('MESSAGE_TOO_LARGE', 10) }))).toBe(true);
    expect(isTooLargeError(protocolError('RECORD_LIST_TOO_LARGE', 18))).toBe(true);
    expect(isTooLargeError(Object.assign(new Error('unnamed'), { code: 10 }))).toBe(true);
    expect(isTooLargeError(protocolError('NOT_LEADER_FOR_PARTITION', 6))).toBe(false);
  });

  it('makes a refused-as-too-large transaction fatal, naming the topics and the limit', () => {
    const err = new OutputTooLargeError(
      { topic: 'customers', partition: 2 },
      [{ topic: 'customers.dlq', bytes: 500_000 }],
      524_288,
      protocolError('MESSAGE_TOO_LARGE', 10),
    );
    expect(err.retriable).toBe(false);
    // kafkajs restarts a crashed consumer only when the innermost cause says retriable: this must not.
    expect((err as { cause?: unknown }).cause).toBeUndefined();
    expect(err.message).toContain('customers[2]');
    expect(err.message).toContain('customers.dlq (500000 bytes)');
    expect(err.message).toContain('max.message.bytes');
    expect(err.message).toContain('524288');
  });
});
