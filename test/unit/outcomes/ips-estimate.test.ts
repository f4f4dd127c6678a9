import { describe, expect, it } from 'vitest';
import { rewardOf } from '../../../src/bandit/bandit-reward.js';
import { ipsEstimate } from '../../../src/outcomes/ips-estimate.js';
import { expiredRecord, joinedRecord, unmatchedRecord } from './joined-test-records.js';

// A bandit at 80/20: 1.0.0 served five customers with probability 0.8, 1.1.0 two with 0.2; a shadow of 1.1.0 scored too.
const RECORDS = [
  joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.9, churned: true, assignmentProbability: 0.8 }), // correct, caught
  joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.2, churned: true, assignmentProbability: 0.8 }), // wrong, missed
  joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.1, churned: false, assignmentProbability: 0.8 }), // correct
  joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.6, churned: false, assignmentProbability: 0.8 }), // wrong
  joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.3, churned: false, assignmentProbability: 0.8 }), // correct
  joinedRecord({ version: '1.1.0', variant: 'bandit', p: 0.7, churned: true, assignmentProbability: 0.2 }), // correct, caught
  joinedRecord({ version: '1.1.0', variant: 'bandit', p: 0.4, churned: false, assignmentProbability: 0.2 }), // correct
  joinedRecord({ version: '1.1.0', variant: 'shadow', p: 0.9, churned: true }),
  expiredRecord('1.0.0', 'champion'),
  unmatchedRecord(),
];

describe('rewardOf', () => {
  it('correct-decision: the decision equals the outcome; caught-churner: churners only', () => {
    expect(RECORDS.slice(0, 7).map((r) => rewardOf('correct-decision', r))).toEqual([1, 0, 1, 0, 1, 1, 1]);
    expect(RECORDS.slice(0, 7).map((r) => rewardOf('caught-churner', r))).toEqual([
      1,
      0,
      undefined,
      undefined,
      undefined,
      1,
      undefined,
    ]);
    expect(rewardOf('correct-decision', RECORDS[8] as never)).toBeUndefined();
    expect(rewardOf('caught-churner', RECORDS[9] as never)).toBeUndefined();
  });
});

describe('ipsEstimate', () => {
  it("weights each served version's rewards by 1 / assignment probability over all n served records", () => {
    const table = ipsEstimate(RECORDS, 'correct-decision');
    // n = 7 served joined records (the shadow, the expired and the unmatched are not)
    expect(table).toMatchObject({ reward: 'correct-decision', n: 7, without_propensity: 0 });
    const [v100, v110] = table.versions;
    expect(v100).toMatchObject({ version: '1.0.0', records: 5, rewarded: 3, mean_reward: 0.6 });
    expect(v100?.ips).toBeCloseTo(3 / 0.8 / 7, 15);
    expect(v110).toMatchObject({ version: '1.1.0', records: 2, rewarded: 2, mean_reward: 1 });
    expect(v110?.ips).toBeCloseTo(2 / 0.2 / 7, 15);
  });

  it('caught-churner counts only the churners in n', () => {
    const table = ipsEstimate(RECORDS, 'caught-churner');
    expect(table.n).toBe(3);
    expect(table.versions.map((v) => [v.version, v.records, v.rewarded, v.mean_reward])).toEqual([
      ['1.0.0', 2, 1, 0.5],
      ['1.1.0', 1, 1, 1],
    ]);
    expect(table.versions[0]?.ips).toBeCloseTo(1 / 0.8 / 3, 15);
    expect(table.versions[1]?.ips).toBeCloseTo(1 / 0.2 / 3, 15);
  });

  it('leaves out (and counts) records that cannot be weighted', () => {
    const table = ipsEstimate(
      [
        ...RECORDS,
        joinedRecord({ version: '1.1.0', variant: 'bandit', p: 0.9, churned: true, assignmentProbability: null }),
        joinedRecord({ version: '1.1.0', variant: 'bandit', p: 0.9, churned: true, assignmentProbability: 0 }),
      ],
      'correct-decision',
    );
    expect([table.n, table.without_propensity]).toEqual([7, 2]);
    expect(ipsEstimate([], 'correct-decision')).toEqual({
      reward: 'correct-decision',
      n: 0,
      without_propensity: 0,
      versions: [],
    });
  });
});
