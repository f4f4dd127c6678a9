import { describe, expect, it } from 'vitest';
import { RiskiestCustomers } from '../../../src/dashboard/riskiest-customers.js';
import { recordingAll, type CommittedPrediction } from '../../../src/experiments/scored-observation.js';

function prediction(customerid: string, score: number): CommittedPrediction {
  return {
    customerid,
    score,
    version: '1.0.0',
    variant: 'champion',
    shadowScores: [],
    reasons: [{ feature: 'contract=month-to-month', value: 'month-to-month', contribution: 0.7 }],
  };
}

const NO_SET = undefined;

describe('the riskiest customers the dashboard lists', () => {
  it("holds each customer's latest prediction and ranks the riskiest quarter, highest first, ties by id", () => {
    const tracker = new RiskiestCustomers({ capacity: 100, now: () => 42 });
    tracker.recordCommitted(NO_SET, [
      prediction('a', 0.9),
      prediction('b', 0.2),
      prediction('c', 0.5),
      prediction('d', 0.7),
      prediction('e', 0.7),
    ]);
    // a's newer prediction replaces the older one
    tracker.recordCommitted(NO_SET, [prediction('a', 0.1)]);
    const view = tracker.view(10);
    expect(view.tracked).toBe(5);
    expect(view.riskiest).toBe(2);
    expect(view.cutoff).toBe(0.7);
    expect(view.customers.map((c) => [c.customerid, c.probability])).toEqual([
      ['d', 0.7],
      ['e', 0.7],
    ]);
    expect(view.customers[0]).toMatchObject({ version: '1.0.0', variant: 'champion', committedAt: 42 });
    expect(view.customers[0]?.reasons[0]?.feature).toBe('contract=month-to-month');
    expect(view.histogram).toEqual([0, 1, 1, 0, 0, 1, 0, 2, 0, 0]);
    expect(tracker.view(1).customers).toHaveLength(1);
  });

  it('stays bounded: past capacity the customers held the longest are dropped, and come back with their next one', () => {
    const tracker = new RiskiestCustomers({ capacity: 3 });
    tracker.recordCommitted(NO_SET, [prediction('a', 0.9), prediction('b', 0.8), prediction('c', 0.1)]);
    // a is updated in place (still held the longest); d and e push a and b out
    tracker.recordCommitted(NO_SET, [prediction('a', 0.95), prediction('d', 0.2), prediction('e', 0.3)]);
    const view = tracker.view(10);
    expect(view.tracked).toBe(3);
    expect(view.capacity).toBe(3);
    expect(view.customers.map((c) => c.customerid)).toEqual(['e']);
    tracker.recordCommitted(NO_SET, [prediction('a', 0.97)]);
    expect(tracker.view(10).customers.map((c) => [c.customerid, c.probability])).toEqual([['a', 0.97]]);
    expect(view.histogram.reduce((s, n) => s + n, 0)).toBe(3);
    for (let i = 0; i < 10_000; i++) tracker.recordCommitted(NO_SET, [prediction(`x${i}`, (i % 100) / 100)]);
    expect(tracker.view(5).tracked).toBe(3);
  });

  it('shows nothing before the first commit, and refuses a capacity that is no count', () => {
    expect(new RiskiestCustomers({ capacity: 5 }).view(10)).toEqual({
      tracked: 0,
      capacity: 5,
      riskiest: 0,
      cutoff: null,
      customers: [],
      histogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    expect(() => new RiskiestCustomers({ capacity: 0 })).toThrow(/positive integer/);
  });
});

describe('recordingAll', () => {
  it('tells every recorder of a commit, even after one throws, then throws the first failure', () => {
    const heard: string[] = [];
    const recorder = recordingAll([
      {
        recordCommitted: () => {
          heard.push('first');
          throw new Error('first broke');
        },
      },
      new RiskiestCustomers({ capacity: 2 }),
      {
        recordCommitted: (_set, observations) => {
          heard.push(`third saw ${observations.length}`);
        },
      },
    ]);
    expect(() => {
      recorder.recordCommitted(NO_SET as never, [prediction('a', 0.5)]);
    }).toThrow('first broke');
    expect(heard).toEqual(['first', 'third saw 1']);
  });
});
