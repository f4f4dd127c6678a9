import { describe, expect, it } from 'vitest';
import { isComparePrediction, isIgnoredPrediction, outcomeProblem } from '../../../src/outcomes/join-input.js';
import type { CustomerOutcome } from '../../../src/serde/avro-records.js';

const OUTCOME: CustomerOutcome = { customerid: 'c-1', event_time: 1_000, churned: true, offer: null, accepted: null };

describe('join inputs', () => {
  it('takes an outcome keyed by its customerid', () => {
    expect(outcomeProblem(Buffer.from('c-1'), OUTCOME)).toBeUndefined();
  });

  it('refuses an outcome without a key, keyed by another id, or without a customerid', () => {
    expect(outcomeProblem(null, OUTCOME)).toMatch(/no record key/);
    expect(outcomeProblem(Buffer.from('c-2'), OUTCOME)).toMatch(
      /record key 'c-2' is not the outcome's customerid 'c-1'/,
    );
    expect(outcomeProblem(Buffer.from(''), { ...OUTCOME, customerid: '' })).toMatch(
      /^customerid must be a non-empty string/,
    );
  });

  it('leaves out replayed predictions and replay --compare shadows', () => {
    expect(isIgnoredPrediction({ replay: true })).toBe(true);
    expect(isIgnoredPrediction({ replay: false })).toBe(false);
    expect(isComparePrediction({ 'churn.compare.id': Buffer.from('run-1') })).toBe(true);
    expect(isComparePrediction({ 'churn.variant': Buffer.from('shadow') })).toBe(false);
    expect(isComparePrediction(undefined)).toBe(false);
  });
});
