import { describe, expect, it } from 'vitest';
import { realizedReport, type JoinedTopicRecord } from '../../../src/outcomes/realized-report.js';
import { realizedTables } from '../../../src/outcomes/realized-tables.js';
import type { PredictionOutcome } from '../../../src/serde/avro-records.js';
import { expiredRecord, joinedRecord, pairwiseAuc, unmatchedRecord } from './joined-test-records.js';

const at = (record: PredictionOutcome, partition: number, offset: number): JoinedTopicRecord => ({
  record,
  partition,
  offset: BigInt(offset),
});

describe('realizedReport', () => {
  // read partition by partition; joined_at orders them: 0.9 (t=1), 0.2 (t=2), 0.8 (t=3), 0.1 (t=4), 0.7 (t=4, p1)
  const records = [
    at(joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.9, churned: false, joinedAt: 1 }), 0, 0),
    at(joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.8, churned: true, joinedAt: 3 }), 0, 1),
    at(joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.7, churned: true, joinedAt: 4 }), 1, 5),
    at(joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.1, churned: false, joinedAt: 4 }), 0, 2),
    at(joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.2, churned: true, joinedAt: 2 }), 1, 4),
    at(expiredRecord('1.0.0', 'champion'), 1, 6),
    at(unmatchedRecord(), 2, 0),
    at({ ...unmatchedRecord(), kind: 'something-new' }, 2, 1),
  ];

  it('counts the kinds and computes the figures over every join', () => {
    const report = realizedReport('joined', records);
    expect(report).toMatchObject({
      topic: 'joined',
      joined: 5,
      expired_predictions: 1,
      unmatched_outcomes: 1,
      other: 1,
      last: null,
    });
    expect(report.versions).toHaveLength(1);
    const all = [
      { p: 0.9, churned: false },
      { p: 0.8, churned: true },
      { p: 0.7, churned: true },
      { p: 0.1, churned: false },
      { p: 0.2, churned: true },
    ];
    expect(report.versions[0]).toMatchObject({ n: 5, joined: 5, expired: 1, auc: pairwiseAuc(all) });
    expect(report.ips.map((t) => t.reward)).toEqual(['correct-decision', 'caught-churner']);
    expect(report.ips[0]?.n).toBe(5);
  });

  it('--last takes the last joins by joined_at, then partition and offset', () => {
    const report = realizedReport('joined', records, { last: 3 });
    // the last three: 0.8 (t=3), 0.1 (t=4, p0), 0.7 (t=4, p1)
    expect(report.versions[0]).toMatchObject({
      n: 3,
      joined: 5,
      auc: pairwiseAuc([
        { p: 0.8, churned: true },
        { p: 0.1, churned: false },
        { p: 0.7, churned: true },
      ]),
    });
    // the riskiest ceil(3/4) = 1 is 0.8, a churner
    expect(report.versions[0]?.precision_riskiest25).toBe(1);
    // IPS keeps every join
    expect(report.ips[0]?.n).toBe(5);
  });

  it('prints the figures and the IPS tables', () => {
    const text = realizedTables(realizedReport('joined', records)).join('\n');
    expect(text).toContain('realized performance from joined: 5 joined, 1 expired predictions, 1 unmatched outcomes');
    // AUC: churners 0.8, 0.7, 0.2 against 0.9, 0.1 win 3 of 6 pairs
    expect(text).toMatch(/^1\.0\.0\s+champion\s+5\s+60\.00%\s+0\.5000\s/m);
    expect(text).toContain("inverse-propensity estimate of each served version's reward 'correct-decision' (n = 5");
  });
});
