import { describe, expect, it } from 'vitest';
import {
  mannWhitneyAuc,
  realizedFigures,
  realizedPerformance,
  scoredOutcomeOf,
  type ScoredOutcome,
} from '../../../src/outcomes/realized-performance.js';
import { seededRandom } from '../rollout/rollout-test-data.js';
import { expiredRecord, joinedRecord, pairwiseAuc, unmatchedRecord } from './joined-test-records.js';

const scored = (p: number, churned: boolean, threshold = 0.5): ScoredOutcome => ({
  churnProbability: p,
  churned,
  correct: p >= threshold === churned,
});

// six customers: decisions at 0.5 are churn, churn, churn, stay, stay, stay
const SIX = [
  scored(0.9, true),
  scored(0.8, false),
  scored(0.7, true),
  scored(0.3, false),
  scored(0.3, true),
  scored(0.1, false),
];

describe('realizedFigures', () => {
  it('gives the hand-computed figures of six customers', () => {
    const figures = realizedFigures(SIX);
    expect(figures).toMatchObject({ n: 6, churned: 3, churn_rate: 0.5, riskiest25_selected: 2 });
    // churners 0.9, 0.7, 0.3 against non-churners 0.8, 0.3, 0.1: 3 + 2 + (0 + 1/2 + 1) of 9 pairs
    expect(figures.auc).toBeCloseTo(6.5 / 9, 15);
    const loss = -(Math.log(0.9) + Math.log(0.2) + Math.log(0.7) + Math.log(0.7) + Math.log(0.3) + Math.log(0.9)) / 6;
    expect(figures.log_loss).toBeCloseTo(loss, 15);
    // the riskiest two are 0.9 (churned) and 0.8 (stayed)
    expect(figures.precision_riskiest25).toBe(0.5);
    expect(figures.recall_riskiest25).toBeCloseTo(1 / 3, 15);
    // correct: 0.9, 0.7, 0.3 (stayed), 0.1: 4 of 6
    expect(figures.mean_correct).toBeCloseTo(4 / 6, 15);
    // six predictions in ten deciles: positions floor(6g/10) to floor(6(g+1)/10), so four deciles stay empty
    const filled = figures.calibration.filter((bin) => bin.count > 0);
    expect(filled.map((b) => [b.decile, b.lower, b.upper, b.count, b.observed_rate])).toEqual([
      [2, 0.1, 0.1, 1, 0],
      [4, 0.3, 0.3, 1, 0],
      [5, 0.3, 0.3, 1, 1],
      [7, 0.7, 0.7, 1, 1],
      [9, 0.8, 0.8, 1, 0],
      [10, 0.9, 0.9, 1, 1],
    ]);
    expect(figures.calibration).toHaveLength(10);
    expect(figures.calibration[0]).toEqual({
      decile: 1,
      lower: null,
      upper: null,
      count: 0,
      mean_predicted: null,
      observed_rate: null,
    });
  });

  it('has no AUC or recall without churners, no figures at all without records', () => {
    const stayed = realizedFigures([scored(0.2, false), scored(0.6, false)]);
    expect([stayed.auc, stayed.recall_riskiest25, stayed.precision_riskiest25]).toEqual([null, null, 0]);
    expect(realizedFigures([scored(0.2, true)]).auc).toBeNull();
    const none = realizedFigures([]);
    expect(none).toMatchObject({
      n: 0,
      auc: null,
      log_loss: null,
      riskiest25_selected: 0,
      precision_riskiest25: null,
      recall_riskiest25: null,
      mean_correct: null,
      churn_rate: null,
    });
  });

  it('clips probabilities of 0 and 1 for the log-loss, so a confident miss costs about -ln(1e-15)', () => {
    const figures = realizedFigures([scored(1, false), scored(0, false)]);
    // 1 is clipped to 1 - 1e-15 (as rounded in floating point), 0 to 1e-15
    const clippedOne = 1 - 1e-15;
    expect(figures.log_loss).toBeCloseTo((-Math.log(1 - clippedOne) - Math.log(1 - 1e-15)) / 2, 12);
    expect(figures.log_loss).toBeGreaterThan(17);
    expect(Number.isFinite(figures.log_loss)).toBe(true);
    // 1 is in the riskiest decile
    expect(figures.calibration[9]).toMatchObject({ count: 1, lower: 1, upper: 1 });
  });

  it('selects ceil(n/4) and breaks ties of the riskiest selection by order', () => {
    // five records: two selected; the three tied at 0.6 are taken in order
    const figures = realizedFigures([
      scored(0.6, false),
      scored(0.6, true),
      scored(0.6, true),
      scored(0.2, true),
      scored(0.1, false),
    ]);
    expect(figures.riskiest25_selected).toBe(2);
    expect(figures.precision_riskiest25).toBe(0.5);
    expect(figures.recall_riskiest25).toBeCloseTo(1 / 3, 15);
  });

  it('agrees with an O(n^2) pairwise AUC and a plain log-loss on 2,000 random predictions with many ties', () => {
    const random = seededRandom(13);
    const outcomes = Array.from({ length: 2_000 }, () => {
      const p = Math.round(random() * 50) / 50; // 51 distinct values: plenty of ties
      return scored(p, random() < p * 0.8 + 0.1);
    });
    const figures = realizedFigures(outcomes);
    const expected = pairwiseAuc(outcomes.map((o) => ({ p: o.churnProbability, churned: o.churned })));
    expect(figures.auc).not.toBeNull();
    expect(Math.abs((figures.auc ?? 0) - (expected ?? 0))).toBeLessThan(1e-12);
    expect(mannWhitneyAuc(outcomes)).toBe(figures.auc);
    const clip = (p: number) => Math.min(Math.max(p, 1e-15), 1 - 1e-15);
    const loss =
      outcomes.reduce(
        (s, o) => s - (o.churned ? Math.log(clip(o.churnProbability)) : Math.log(1 - clip(o.churnProbability))),
        0,
      ) / outcomes.length;
    expect(figures.log_loss).toBeCloseTo(loss, 12);
    const top = [...outcomes].sort((a, b) => b.churnProbability - a.churnProbability).slice(0, 500);
    // ties at the cut: compare counts only where the cut falls between distinct probabilities
    const cut = top.at(-1)?.churnProbability ?? 0;
    const above = outcomes.filter((o) => o.churnProbability > cut);
    const atCut = outcomes.filter((o) => o.churnProbability === cut).slice(0, 500 - above.length);
    const caught = [...above, ...atCut].filter((o) => o.churned).length;
    expect(figures.precision_riskiest25).toBeCloseTo(caught / 500, 15);
    // deciles: 200 predictions each, in order of probability, each its tenth of the sorted list
    const sorted = outcomes
      .map((o, i) => ({ o, i }))
      .sort((a, b) => a.o.churnProbability - b.o.churnProbability || a.i - b.i);
    expect(figures.calibration.map((b) => b.count)).toEqual(Array(10).fill(200));
    figures.calibration.forEach((bin, g) => {
      const group = sorted.slice(200 * g, 200 * (g + 1)).map(({ o }) => o);
      expect(bin.decile).toBe(g + 1);
      expect([bin.lower, bin.upper]).toEqual([group[0]?.churnProbability, group.at(-1)?.churnProbability]);
      expect(bin.mean_predicted).toBeCloseTo(group.reduce((s, o) => s + o.churnProbability, 0) / 200, 12);
      expect(bin.observed_rate).toBe(group.filter((o) => o.churned).length / 200);
    });
    const rates = figures.calibration.map((b) => b.mean_predicted ?? 0);
    expect([...rates].sort((a, b) => a - b)).toEqual(rates);
  });
});

describe('realizedPerformance', () => {
  it('groups the joined records per version and variant and leaves the other kinds out', () => {
    const records = [
      joinedRecord({ version: '1.1.0', variant: 'ab', p: 0.9, churned: true }),
      joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.2, churned: false }),
      expiredRecord('1.0.0', 'champion'),
      unmatchedRecord(),
      joinedRecord({ version: '1.0.0', variant: 'champion', p: 0.7, churned: true }),
      joinedRecord({ version: '1.1.0', variant: 'shadow', p: 0.4, churned: true }),
    ];
    const rows = realizedPerformance(records);
    expect(rows.map((r) => [r.version, r.variant, r.n])).toEqual([
      ['1.0.0', 'champion', 2],
      ['1.1.0', 'ab', 1],
      ['1.1.0', 'shadow', 1],
    ]);
    expect(rows[0]?.auc).toBe(1);
  });

  it('takes a joined record without `correct` by its decision, and refuses one without what the figures need', () => {
    const record = { ...joinedRecord({ version: '1', variant: 'champion', p: 0.7, churned: false }), correct: null };
    expect(scoredOutcomeOf(record)).toMatchObject({ correct: false, churned: false });
    expect(scoredOutcomeOf({ ...record, churn_probability: null })).toBeNull();
    expect(scoredOutcomeOf({ ...record, churn_probability: 1.5 })).toBeNull();
    expect(scoredOutcomeOf({ ...record, churned: null })).toBeNull();
    expect(scoredOutcomeOf({ ...record, predicted_churn: null })).toBeNull();
  });
});
