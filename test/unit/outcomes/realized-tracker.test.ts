import { describe, expect, it } from 'vitest';
import { realizedFigures } from '../../../src/outcomes/realized-performance.js';
import { RealizedTracker } from '../../../src/outcomes/realized-tracker.js';
import { seededRandom } from '../rollout/rollout-test-data.js';
import { expiredRecord, joinedRecord, pairwiseAuc, unmatchedRecord } from './joined-test-records.js';

describe('RealizedTracker', () => {
  it('counts joins, expired predictions and unmatched outcomes, per version and variant', () => {
    const tracker = new RealizedTracker({ windowRecords: 100 });
    expect(tracker.view()).toEqual({ window_records: 100, unmatched_outcomes: 0, versions: [] });
    tracker.recordCommitted([
      joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.8, churned: true }),
      joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.3, churned: false }),
      expiredRecord('1.0.0', 'champion'),
      expiredRecord('1.1.0', 'shadow'),
      unmatchedRecord(),
    ]);
    tracker.recordCommitted([
      unmatchedRecord('C-3'),
      joinedRecord({ version: '1.1.0', variant: 'canary', p: 0.6, churned: false }),
    ]);
    const view = tracker.view();
    expect(view.unmatched_outcomes).toBe(2);
    expect(view.versions.map((v) => [v.version, v.variant, v.joined, v.expired, v.n, v.auc])).toEqual([
      ['1.0.0', 'champion', 2, 1, 2, 1],
      ['1.1.0', 'canary', 1, 0, 1, null],
      ['1.1.0', 'shadow', 0, 1, 0, null],
    ]);
  });

  it('computes the figures over the last windowRecords joins of each version and variant only', () => {
    const windowRecords = 50;
    const tracker = new RealizedTracker({ windowRecords });
    const random = seededRandom(7);
    const written: { p: number; churned: boolean }[] = [];
    for (let batch = 0; batch < 7; batch++) {
      const records = Array.from({ length: 23 }, () => {
        const p = Math.round(random() * 20) / 20;
        const churned = random() < p;
        written.push({ p, churned });
        return joinedRecord({ version: '1.0.0', variant: 'champion', p, churned });
      });
      tracker.recordCommitted(records);
    }
    const [champion] = tracker.view().versions;
    const window = written.slice(-windowRecords);
    expect(champion).toMatchObject({ joined: 161, n: windowRecords });
    expect(Math.abs((champion?.auc ?? 0) - (pairwiseAuc(window) ?? 0))).toBeLessThan(1e-12);
    // the same figures, oldest first, as the pure function gives (riskiest-25% ties are broken by that order)
    const expected = realizedFigures(
      window.map(({ p, churned }) => ({ churnProbability: p, churned, correct: p >= 0.5 === churned })),
    );
    expect(champion).toEqual({ version: '1.0.0', variant: 'champion', ...expected, joined: 161, expired: 0 });
  });

  it('caches the view until the next commit', () => {
    const tracker = new RealizedTracker({ windowRecords: 10 });
    tracker.recordCommitted([joinedRecord({ version: '1', variant: 'champion', p: 0.8, churned: true })]);
    const first = tracker.view();
    expect(tracker.view()).toBe(first);
    tracker.recordCommitted([]);
    expect(tracker.view()).toBe(first);
    tracker.recordCommitted([joinedRecord({ version: '1', variant: 'champion', p: 0.1, churned: false })]);
    expect(tracker.view()).not.toBe(first);
    expect(tracker.view().versions[0]?.auc).toBe(1);
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => new RealizedTracker({ windowRecords: 0 })).toThrow(RangeError);
  });
});
