import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeChangelogRecord, encodeChangelogUpdate } from '../../../src/outcomes/join-changelog.js';
import { JoinState, type PendingPrediction } from '../../../src/outcomes/join-state.js';
import { JoinTransaction } from '../../../src/outcomes/join-transaction.js';
import type { CustomerOutcome, PredictionOutcome } from '../../../src/serde/avro-records.js';
import { messageBytes } from '../../../src/stream/output-size.js';

const W = 10_000;
const NOW = 7;

/** The joined topic's encoder is a port of the transaction; JSON stands in for Avro here. */
const encode = (record: PredictionOutcome): Message => ({
  key: record.customerid,
  value: Buffer.from(JSON.stringify(record)),
});

function prediction(event_id: string, time: number, variant = 'champion'): PendingPrediction {
  return {
    event_id,
    model_version: '1.0.0',
    variant,
    rollout_revision: 1,
    churn_probability: 0.42,
    predicted_churn: false,
    assignment_probability: 1,
    prediction_time: time,
  };
}

type Input = { customerid: string; p: PendingPrediction } | { o: CustomerOutcome };

interface Committed {
  /** what the transaction's record batches hold, encoded */
  bytes: number;
  /** what the transaction counted */
  counted: number;
  records: PredictionOutcome[];
  changelog: { key: Buffer; value: Buffer | null }[];
}

/** The joiner's loop (src/outcomes/outcome-joiner.ts) without Kafka: a transaction is cut before it would overflow. */
function join(inputs: readonly Input[], budget: number): { state: JoinState; committed: Committed[] } {
  const state = new JoinState(W);
  const committed: Committed[] = [];
  let txn = new JoinTransaction(state.begin(NOW), budget, encode);
  const cut = () => {
    const changelog = txn.staged.changelog().map(encodeChangelogUpdate);
    const bytes = [...txn.joinedMessages, ...changelog].reduce((sum, m) => sum + messageBytes(m), 0);
    committed.push({ bytes, counted: txn.bytes, records: [...txn.records], changelog });
    txn.staged.commit();
    txn = new JoinTransaction(state.begin(NOW), budget, encode);
  };
  const drainDue = () => {
    for (let step = txn.staged.planExpiry(); step !== undefined; step = txn.staged.planExpiry()) {
      if (!txn.tryTake({ kind: 'step', step })) cut();
    }
  };
  for (const input of inputs) {
    drainDue();
    const plan = () =>
      'o' in input ? txn.staged.planOutcome(input.o) : txn.staged.planPrediction(input.customerid, input.p);
    if (!txn.tryTake({ kind: 'step', step: plan() })) {
      cut();
      expect(txn.tryTake({ kind: 'step', step: plan() })).toBe(true);
    }
  }
  drainDue();
  cut();
  return { state, committed };
}

/** Many predictions per customer (as a benchmark scores each customer over and over), then their outcomes. */
function scenario(): Input[] {
  const inputs: Input[] = [];
  for (let round = 0; round < 30; round++) {
    for (let c = 0; c < 20; c++) {
      inputs.push({ customerid: `cust-${c}`, p: prediction(`ev-${round}-${c}`, 1_000 + round * 10) });
      if (c % 3 === 0) inputs.push({ customerid: `cust-${c}`, p: prediction(`ev-${round}-${c}`, 1_000, 'shadow') });
    }
  }
  for (let c = 0; c < 20; c += 2)
    inputs.push({
      o: { customerid: `cust-${c}`, event_time: 1_200, churned: c % 4 === 0, offer: null, accepted: null },
    });
  // An outcome far ahead: every other pending prediction expires.
  inputs.push({ o: { customerid: 'cust-x', event_time: 1_000 + 2 * W, churned: false, offer: null, accepted: null } });
  return inputs;
}

describe('JoinTransaction: the joiner cuts its transactions by bytes, changelog included', () => {
  it('commits before a transaction would outgrow the budget, counting exactly what it writes', () => {
    const budget = 40_000;
    const { committed } = join(scenario(), budget);
    expect(committed.length).toBeGreaterThan(3);
    for (const txn of committed) {
      expect(txn.bytes).toBe(txn.counted);
      expect(txn.bytes).toBeLessThanOrEqual(budget);
    }
    // Transactions of predictions only (no joined record at all) are cut too: the changelog's bytes count.
    expect(committed.some((t) => t.records.length === 0 && t.bytes > budget / 2)).toBe(true);
  });

  it('changes nothing of the join: the records and the restored state are those of one unbounded transaction', () => {
    const inputs = scenario();
    const small = join(inputs, 40_000);
    const whole = join(inputs, Number.MAX_SAFE_INTEGER);
    expect(whole.committed.length).toBe(1);
    expect(small.committed.length).toBeGreaterThan(3);
    expect(small.committed.flatMap((t) => t.records)).toEqual(whole.committed.flatMap((t) => t.records));
    expect(small.state.snapshot()).toEqual(whole.state.snapshot());
    const kinds = new Set(small.committed.flatMap((t) => t.records.map((r) => r.kind)));
    expect([...kinds].sort()).toEqual(['expired-prediction', 'joined', 'unmatched-outcome']);
    const restored = new JoinState(W);
    for (const { key, value } of small.committed.flatMap((t) => t.changelog)) {
      restored.applyChangelog(decodeChangelogRecord(key, value));
    }
    restored.restored();
    expect(restored.snapshot()).toEqual(small.state.snapshot());
  });

  it('gives an input that alone exceeds the budget a transaction of its own', () => {
    const inputs: Input[] = [
      { customerid: 'a', p: prediction('a1', 1_000) },
      { customerid: 'a', p: prediction('a2', 1_001) },
      { customerid: 'b', p: prediction('b1', 1_000) },
      { o: { customerid: 'a', event_time: 1_100, churned: true, offer: null, accepted: null } },
    ];
    const { committed } = join(inputs, 500);
    const outcomeTxn = committed.find((t) => t.records.some((r) => r.kind === 'joined'));
    expect(outcomeTxn?.records.map((r) => r.event_id)).toEqual(['a1', 'a2']);
    expect(outcomeTxn?.bytes).toBeGreaterThan(500);
    expect(committed.filter((t) => t.bytes > 500)).toHaveLength(1);
  });

  it('refuses a dead letter that would overflow a non-empty transaction, takes it in an empty one', () => {
    const state = new JoinState(W);
    const txn = new JoinTransaction(state.begin(NOW), 1_000, encode);
    expect(txn.tryTake({ kind: 'step', step: txn.staged.planPrediction('a', prediction('a1', 1)) })).toBe(true);
    const message: Message = { key: 'a', value: Buffer.alloc(900) };
    const letter = { message, bytes: messageBytes(message), reason: 'invalid-outcome' };
    expect(txn.tryTake({ kind: 'dead-letter', letter })).toBe(false);
    expect(txn.deadLetters).toHaveLength(0);
    txn.staged.discard();
    const empty = new JoinTransaction(state.begin(NOW), 1_000, encode);
    expect(empty.tryTake({ kind: 'dead-letter', letter })).toBe(true);
    expect(empty.bytes).toBe(letter.bytes);
    empty.staged.discard();
  });
});
