import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VariantStats } from '../../../src/rollout/variant-stats.js';
import { splitAt } from './rollout-test-data.js';

const probability = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 1));

describe('VariantStats', () => {
  it('counts, averages, bins and decides at the threshold: hand-computed', () => {
    const stats = new VariantStats({ threshold: 0.5 });
    for (const score of [0.1, 0.4, 0.5, 0.9]) stats.add(score);
    expect(stats.summary()).toEqual({
      count: 4,
      meanScore: expect.closeTo(0.475, 12) as number,
      churned: 2,
      churnRate: 0.5,
      histogram: [0, 1, 0, 0, 1, 1, 0, 0, 0, 1],
    });
  });

  it('has no mean or rate before the first score; 20 bins when asked', () => {
    expect(new VariantStats({ threshold: 0.5, bins: 20 }).summary()).toEqual({
      count: 0,
      meanScore: null,
      churned: 0,
      churnRate: null,
      histogram: new Array<number>(20).fill(0),
    });
  });

  it('agrees with a straightforward recomputation on random scores', () => {
    fc.assert(
      fc.property(
        fc.array(probability, { maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (scores, threshold) => {
          const stats = new VariantStats({ threshold, bins: 20 });
          for (const score of scores) stats.add(score);
          const summary = stats.summary();
          const histogram = new Array<number>(20).fill(0);
          for (const score of scores) {
            const bin = Math.min(19, Math.floor(score * 20));
            histogram[bin] = (histogram[bin] ?? 0) + 1;
          }
          const churned = scores.filter((s) => s >= threshold).length;
          expect(summary.count).toBe(scores.length);
          expect(summary.histogram).toEqual(histogram);
          expect(summary.churned).toBe(churned);
          if (scores.length > 0) {
            expect(summary.meanScore).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 12);
            expect(summary.churnRate).toBe(churned / scores.length);
          }
        },
      ),
    );
  });

  it('merges the accumulators of any split into the counts of one', () => {
    fc.assert(
      fc.property(fc.array(probability, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 4 }), (scores, cuts) => {
        const whole = new VariantStats({ threshold: 0.3 });
        for (const score of scores) whole.add(score);
        const merged = new VariantStats({ threshold: 0.3 });
        for (const part of splitAt(scores, cuts)) {
          const stats = new VariantStats({ threshold: 0.3 });
          for (const score of part) stats.add(score);
          merged.mergeFrom(stats);
        }
        const { meanScore, ...counts } = merged.summary();
        const { meanScore: wholeMean, ...wholeCounts } = whole.summary();
        expect(counts).toEqual(wholeCounts);
        if (wholeMean !== null) expect(meanScore).toBeCloseTo(wholeMean, 12);
      }),
    );
  });

  it('refuses a score that is not a probability, counting nothing, and a merge of other settings', () => {
    const stats = new VariantStats({ threshold: 0.5 });
    stats.add(0.7);
    expect(() => {
      stats.add(Number.NaN);
    }).toThrow(RangeError);
    expect(() => {
      stats.add(1.5);
    }).toThrow(RangeError);
    expect(stats.summary()).toMatchObject({ count: 1, churned: 1, meanScore: 0.7 });
    expect(() => {
      stats.mergeFrom(new VariantStats({ threshold: 0.6 }));
    }).toThrow(RangeError);
    expect(() => {
      stats.mergeFrom(new VariantStats({ threshold: 0.5, bins: 20 }));
    }).toThrow(RangeError);
    expect(() => new VariantStats({ threshold: 1.2 })).toThrow(RangeError);
  });
});
