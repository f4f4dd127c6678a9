import { describe, expect, it } from 'vitest';
import { boundedWeights, equalWeights } from '../../../src/bandit/bandit-weights.js';

const sum = (weights: number[]) => Math.round(weights.reduce((a, b) => a + b, 0) * 100);
const inSteps = (weights: number[]) => weights.every((w) => Math.abs(w * 100 - Math.round(w * 100)) < 1e-9);

describe('boundedWeights: P(best) clipped to [floor, ceiling], renormalized to 100 in 0.01 steps', () => {
  it('keeps shares that are within the bounds, in whole buckets', () => {
    expect(boundedWeights([0.3, 0.7], 10, 90)).toEqual([30, 70]);
    // 1234.56 and 8765.44 buckets: the leftover bucket goes to the larger remainder
    expect(boundedWeights([0.123456, 0.876544], 10, 90)).toEqual([12.35, 87.65]);
  });

  it('clips to the ceiling and floor, the rest going where the shares point', () => {
    expect(boundedWeights([0.01, 0.99], 10, 90)).toEqual([10, 90]);
    expect(boundedWeights([0, 1], 10, 90)).toEqual([10, 90]);
    // the third arm is lifted to the floor; the shift that pays for it comes off the other two equally
    expect(boundedWeights([0.5, 0.5, 0], 10, 90)).toEqual([45, 45, 10]);
    // with a ceiling of 40, three arms: one at the ceiling, the other two share 60 above their floors
    expect(boundedWeights([0.98, 0.01, 0.01], 20, 40)).toEqual([40, 30, 30]);
  });

  it('always adds up to exactly 100, in 0.01 steps, every weight within the bounds', () => {
    for (let i = 0; i < 200; i++) {
      const n = 2 + (i % 4);
      const raw = Array.from({ length: n }, (_, j) => ((i * 7919 + j * 104_729) % 1000) / 1000);
      const floor = [0, 5, 10, 12.5][i % 4] as number;
      const ceiling = [100, 95, 90, 60][i % 4] as number;
      const weights = boundedWeights(raw, floor, ceiling);
      expect(sum(weights)).toBe(10_000);
      expect(inSteps(weights)).toBe(true);
      for (const w of weights) {
        expect(w).toBeGreaterThanOrEqual(floor);
        expect(w).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('splits equally, the earlier arms taking the odd buckets', () => {
    expect(equalWeights(2, 10, 90)).toEqual([50, 50]);
    expect(equalWeights(3, 10, 90)).toEqual([33.34, 33.33, 33.33]);
    expect(equalWeights(7, 0, 100)).toEqual([14.29, 14.29, 14.29, 14.29, 14.28, 14.28, 14.28]);
  });

  it('refuses bounds no weights can keep', () => {
    expect(() => boundedWeights([0.5, 0.5], 60, 90)).toThrow(RangeError);
    expect(() => boundedWeights([0.5, 0.5], 10, 40)).toThrow(RangeError);
  });
});
