import { describe, expect, it } from 'vitest';
import type { OutcomeSimulationSummary } from '../../../src/outcomes/outcome-simulator.js';
import type { OutcomeRule } from '../../../src/outcomes/simulated-outcome.js';
import { durationText, simulationJson, simulationLine } from '../../../src/outcomes/simulation-report.js';

const RULE: OutcomeRule = {
  rule: 'probability',
  flipRate: 0,
  share: 1,
  delayMs: 7 * 86_400_000,
  seed: 1,
  offer: null,
  acceptRate: null,
};

const SUMMARY: OutcomeSimulationSummary = {
  customersTopic: 'customers',
  outcomesTopic: 'customers.outcomes',
  partitions: 3,
  createdTopic: false,
  events: 21_129,
  undecodable: 0,
  customersRead: 7_043,
  tally: { customers: 7_043, outcomes: 7_043, churned: 1_870, flipped: 0, accepted: 0, unscorable: 0 },
  outcomes: [],
};

const context = { rule: RULE, truthModel: { dir: 'models/churn/1.1.0', version: '1.1.0' } };

describe('simulate outcomes: its summary', () => {
  it('says what was read, what was written and how many churned, in one line', () => {
    expect(simulationLine(SUMMARY, context)).toBe(
      'simulate outcomes: read 7043 customers (21129 events) from customers; wrote 7043 outcomes to ' +
        'customers.outcomes: 1870 churned (26.6%); truth 1.1.0 by probability, seed 1, event time + 7 d',
    );
  });

  it('names the limit, the unscorable, the share, the flips and the offer when there are some', () => {
    const summary = {
      ...SUMMARY,
      undecodable: 2,
      createdTopic: true,
      tally: { customers: 100, outcomes: 48, churned: 12, flipped: 5, accepted: 20, unscorable: 1 },
    };
    const rule = { ...RULE, share: 0.5, flipRate: 0.1, offer: 'discount-20', acceptRate: 0.4, delayMs: 36 * 3_600_000 };
    expect(simulationLine(summary, { ...context, rule })).toBe(
      'simulate outcomes: read 7043 customers (21129 events, 2 not CustomerEvents) from customers, the first 100 of ' +
        'them, 1 the truth model cannot score; wrote 48 outcomes to customers.outcomes (created, 3 partitions): ' +
        '12 churned (25.0%), share 0.5, 5 flipped (--flip 0.1), offer discount-20, 20 accepted; ' +
        'truth 1.1.0 by probability, seed 1, event time + 36 h',
    );
    expect(simulationJson(summary, { ...context, rule })).toMatchObject({
      customersRead: 7_043,
      customers: 100,
      outcomes: 48,
      withoutOutcome: 51,
      churnedShare: 0.25,
      accepted: 20,
    });
  });

  it('writes durations in days, hours or milliseconds', () => {
    expect(durationText(7 * 86_400_000)).toBe('7 d');
    expect(durationText(3_600_000)).toBe('1 h');
    expect(durationText(1_500)).toBe('1500 ms');
    expect(durationText(0)).toBe('0 ms');
  });
});
