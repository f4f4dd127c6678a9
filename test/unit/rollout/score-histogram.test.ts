import { describe, expect, it } from 'vitest';
import { PSI_EMPTY_BIN_SHARE, populationStabilityIndex, scoreBin } from '../../../src/rollout/score-histogram.js';

describe('scoreBin', () => {
  it('puts a probability in floor(score * bins), 1 in the last bin', () => {
    expect([0, 0.0999, 0.1, 0.45, 0.95, 0.999, 1].map((p) => scoreBin(p, 10))).toEqual([0, 0, 1, 4, 9, 9, 9]);
    expect([0, 0.05, 0.5, 0.97, 1].map((p) => scoreBin(p, 20))).toEqual([0, 1, 10, 19, 19]);
  });

  it('refuses what is not a probability', () => {
    for (const bad of [-0.01, 1.0001, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => scoreBin(bad, 10)).toThrow(new RangeError(`a score must be a probability in [0, 1], got ${bad}`));
    }
  });
});

describe('populationStabilityIndex', () => {
  it('is sum (a - e) ln(a / e) over the bins’ shares: hand-computed', () => {
    // shares e = (0.5, 0.5), a = (0.25, 0.75): 0.25 ln 2 + 0.25 ln 1.5
    expect(populationStabilityIndex([50, 50], [25, 75])).toBeCloseTo(0.274653072, 9);
    // the same counts scaled: the same shares, the same PSI
    expect(populationStabilityIndex([5, 5], [1, 3])).toBeCloseTo(0.274653072, 9);
    expect(populationStabilityIndex([3, 1, 0], [3, 1, 0])).toBe(0);
  });

  it('counts an empty bin as a share of 0.0001 (a bin empty on both sides adds nothing)', () => {
    expect(PSI_EMPTY_BIN_SHARE).toBe(1e-4);
    // e = (1, 0.0001, 0.0001), a = (0.5, 0.5, 0.0001): 0.5 ln 2 + 0.4999 ln 5000
    expect(populationStabilityIndex([100, 0, 0], [50, 50, 0])).toBeCloseTo(
      0.5 * Math.LN2 + 0.4999 * Math.log(5000),
      12,
    );
    expect(populationStabilityIndex([100, 0, 0], [50, 50, 0])).toBeCloseTo(4.604318, 6);
  });

  it('is null when a side has no scores, and refuses histograms of different bins', () => {
    expect(populationStabilityIndex([0, 0], [1, 2])).toBeNull();
    expect(populationStabilityIndex([1, 2], [0, 0])).toBeNull();
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(RangeError);
  });
});
