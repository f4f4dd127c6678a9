import type { Message } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createValidationRules, validateCustomer, type Customer } from '../../../src/contract/customer.js';
import { servingModel, singleModelServingSet, type ServingSet } from '../../../src/serving/serving-set.js';
import { PendingTransaction, type TransactionShape } from '../../../src/stream/pending-transaction.js';
import type { RejectedRecord, ScoredRecord } from '../../../src/stream/record-decision.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';

const SHAPE: TransactionShape = {
  maxRecords: 3,
  maxMs: 1_000,
  outputBudget: 10_000,
  topics: { predictions: 'predictions', deadLetter: 'customers.dlq', shadow: 'predictions.shadow' },
};

let set: ServingSet;
let customer: Customer;
beforeAll(async () => {
  set = singleModelServingSet(servingModel(await realModel(), false));
  const validated = validateCustomer(
    sampleCustomerEvent(0),
    createValidationRules({ categories: {}, strictCategories: false }),
  );
  if (!validated.ok) throw new Error('the sample customer is valid');
  customer = validated.customer;
});

function message(name: string): Message {
  return { key: name, value: Buffer.from(name) };
}

function scored(name: string, bytes: number, churn = false, eventTime = 0): ScoredRecord {
  return {
    ok: true,
    live: message(name),
    shadows: [],
    bytes,
    shadowBytes: 0,
    churn,
    eventTime,
    shadowFailures: [],
    variant: 'champion',
    version: '1.0.0',
    score: churn ? 0.7 : 0.2,
    shadowScores: [],
    customer,
    categoryCodes: [],
    customerid: name,
    reasons: [],
  };
}

/** A live prediction of `liveBytes` with shadow predictions of `shadowBytes` each. */
function withShadows(name: string, liveBytes: number, shadowBytes: readonly number[]): ScoredRecord {
  return {
    ...scored(name, liveBytes + shadowBytes.reduce((a, b) => a + b, 0)),
    shadows: shadowBytes.map((_, i) => message(`${name}/shadow-${i}`)),
    shadowBytes: shadowBytes.reduce((a, b) => a + b, 0),
    shadowScores: shadowBytes.map(() => 0.4),
  };
}

/** A `replay --compare` record: both predictions to the shadow topic, none live. */
function compared(name: string, bytes: number): ScoredRecord {
  return {
    ...scored(name, bytes),
    live: undefined,
    shadows: [message(`${name}/champion`), message(`${name}/candidate`)],
    shadowBytes: bytes,
  };
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
    const txn = new PendingTransaction(0, SHAPE, set);
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
    const onlyLetters = new PendingTransaction(0, SHAPE, set);
    onlyLetters.add(rejected('x', 10), '1');
    expect(onlyLetters.topicMessages().map((t) => t.topic)).toEqual(['customers.dlq']);
    expect(onlyLetters.outputs()).toEqual([{ topic: 'customers.dlq', bytes: 10 }]);

    const empty = new PendingTransaction(0, SHAPE, set);
    expect(empty.topicMessages()).toEqual([]);
    expect(empty.outputs()).toEqual([]);
    expect(empty.lastOffset).toBe('');
  });

  it('is full at maxRecords records', () => {
    const txn = new PendingTransaction(0, SHAPE, set);
    txn.add(scored('a', 1), '0');
    txn.add(scored('b', 1), '1');
    expect(txn.isFull(0)).toBe(false);
    txn.add(rejected('c', 1), '2');
    expect(txn.isFull(0)).toBe(true);
  });

  it('is full once open for maxMs, however few records it holds', () => {
    const txn = new PendingTransaction(5_000, SHAPE, set);
    txn.add(scored('a', 1), '0');
    expect(txn.isFull(5_999)).toBe(false);
    expect(txn.isFull(6_000)).toBe(true);
  });

  it('refuses an output that would take it over the output budget, counting both topics', () => {
    const txn = new PendingTransaction(0, SHAPE, set);
    txn.add(scored('a', 6_000), '0');
    txn.add(rejected('b', 3_000), '1');
    expect(txn.cannotTake(1_000)).toBe(false); // exactly the budget
    expect(txn.cannotTake(1_001)).toBe(true);
  });

  it('takes any output while empty: outputs are cut to the budget before they get here', () => {
    expect(new PendingTransaction(0, SHAPE, set).cannotTake(SHAPE.outputBudget + 1)).toBe(false);
  });

  it('sends shadow predictions to the shadow topic, next to the live ones, and observes only live predictions', () => {
    const txn = new PendingTransaction(0, SHAPE, set);
    txn.add(withShadows('a', 100, [40, 50]), '1');
    txn.add(compared('b', 300), '2');
    txn.add(rejected('c', 20), '3');

    expect(txn.topicMessages()).toEqual([
      { topic: 'predictions', messages: [message('a')] },
      {
        topic: 'predictions.shadow',
        messages: [message('a/shadow-0'), message('a/shadow-1'), message('b/champion'), message('b/candidate')],
      },
      { topic: 'customers.dlq', messages: [message('c')] },
    ]);
    expect(txn.outputs()).toEqual([
      { topic: 'predictions', bytes: 100 },
      { topic: 'predictions.shadow', bytes: 390 },
      { topic: 'customers.dlq', bytes: 20 },
    ]);
    // a compare record is no live prediction: neither observed nor counted as churn or no-churn
    expect(txn.observations.map((o) => [o.variant, o.shadowScores])).toEqual([['champion', [0.4, 0.4]]]);
    expect(txn.predictions).toHaveLength(1);
    expect(txn.eventTimes).toHaveLength(2);
    expect(txn.set).toBe(set);
  });

  it('counts shadow bytes against the budget like any output', () => {
    const txn = new PendingTransaction(0, SHAPE, set);
    txn.add(withShadows('a', 1_000, [4_000, 4_000]), '0');
    expect(txn.cannotTake(1_000)).toBe(false);
    expect(txn.cannotTake(1_001)).toBe(true);
  });
});
