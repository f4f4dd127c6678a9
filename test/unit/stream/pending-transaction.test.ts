import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PendingTransaction, type TransactionShape } from '../../../src/stream/pending-transaction.js';
import type { RejectedRecord, ScoredRecord } from '../../../src/stream/record-decision.js';

const SHAPE: TransactionShape = {
  maxRecords: 3,
  maxMs: 1_000,
  outputBudget: 10_000,
  topics: { predictions: 'predictions', deadLetter: 'customers.dlq' },
};

function message(name: string): Message {
  return { key: name, value: Buffer.from(name) };
}

function scored(name: string, bytes: number, churn = false, eventTime = 0): ScoredRecord {
  return { ok: true, message: message(name), bytes, churn, eventTime };
}

function rejected(name: string, bytes: number): RejectedRecord {
  return {
    ok: false,
    message: message(name),
    bytes,
    rejection: { kind: 'invalid-customer', message: `${name}: tenure` },
  };
}

describe('a pending transaction', () => {
  it('gathers predictions and dead letters apart, in order, with what the metrics need', () => {
    const txn = new PendingTransaction(0, SHAPE);
    txn.add(scored('a', 100, true, 5), '10');
    txn.add(rejected('b', 300), '11');
    txn.add(scored('c', 200, false, 7), '12');

    expect(txn.records).toBe(3);
    expect(txn.churned).toBe(1);
    expect(txn.lastOffset).toBe('12');
    expect(txn.eventTimes).toEqual([5, 7]);
    expect(txn.rejections).toEqual([{ kind: 'invalid-customer', message: 'b: tenure' }]);
    expect(txn.topicMessages()).toEqual([
      { topic: 'predictions', messages: [message('a'), message('c')] },
      { topic: 'customers.dlq', messages: [message('b')] },
    ]);
    expect(txn.outputs()).toEqual([
      { topic: 'predictions', bytes: 300 },
      { topic: 'customers.dlq', bytes: 300 },
    ]);
  });

  it('sends nothing for an output topic without records, and nothing at all when empty (offsets only)', () => {
    const onlyLetters = new PendingTransaction(0, SHAPE);
    onlyLetters.add(rejected('x', 10), '1');
    expect(onlyLetters.topicMessages().map((t) => t.topic)).toEqual(['customers.dlq']);
    expect(onlyLetters.outputs()).toEqual([{ topic: 'customers.dlq', bytes: 10 }]);

    const empty = new PendingTransaction(0, SHAPE);
    expect(empty.topicMessages()).toEqual([]);
    expect(empty.outputs()).toEqual([]);
    expect(empty.lastOffset).toBe('');
  });

  it('is full at maxRecords records', () => {
    const txn = new PendingTransaction(0, SHAPE);
    txn.add(scored('a', 1), '0');
    txn.add(scored('b', 1), '1');
    expect(txn.isFull(0)).toBe(false);
    txn.add(rejected('c', 1), '2');
    expect(txn.isFull(0)).toBe(true);
  });

  it('is full once open for maxMs, however few records it holds', () => {
    const txn = new PendingTransaction(5_000, SHAPE);
    txn.add(scored('a', 1), '0');
    expect(txn.isFull(5_999)).toBe(false);
    expect(txn.isFull(6_000)).toBe(true);
  });

  it('refuses an output that would take it over the output budget, counting both topics', () => {
    const txn = new PendingTransaction(0, SHAPE);
    txn.add(scored('a', 6_000), '0');
    txn.add(rejected('b', 3_000), '1');
    expect(txn.cannotTake(1_000)).toBe(false); // exactly the budget
    expect(txn.cannotTake(1_001)).toBe(true);
  });

  it('takes any output while empty: outputs are cut to the budget before they get here', () => {
    expect(new PendingTransaction(0, SHAPE).cannotTake(SHAPE.outputBudget + 1)).toBe(false);
  });
});
