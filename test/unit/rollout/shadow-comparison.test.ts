import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { riskiestQuartileJaccard } from '../../../src/rollout/riskiest-quartile.js';
import { DEFAULT_SAMPLE_CAPACITY, ShadowComparison } from '../../../src/rollout/shadow-comparison.js';
import { seededRandom, splitAt } from './rollout-test-data.js';

type Pair = readonly [champion: number, shadow: number];

const THRESHOLDS = { championThreshold: 0.5, shadowThreshold: 0.5 };

function compare(pairs: readonly Pair[], options: { sampleCapacity?: number; bins?: 10 | 20 } = {}): ShadowComparison {
  const comparison = new ShadowComparison({ ...THRESHOLDS, ...options });
  for (const [champion, shadow] of pairs) comparison.add(champion, shadow);
  return comparison;
}

/** The riskiest-quarter overlap as defined, computed the plain way: sort, cut at the k-th, compare index sets. */
function plainJaccard(pairs: readonly Pair[]): number | null {
  if (pairs.length === 0) return null;
  const k = Math.ceil(pairs.length / 4);
  const riskiest = (side: 0 | 1): Set<number> => {
    const cut = pairs.map((p) => p[side]).sort((a, b) => b - a)[k - 1] ?? 0;
    return new Set(pairs.flatMap((p, i) => (p[side] >= cut ? [i] : [])));
  };
  const a = riskiest(0);
  const b = riskiest(1);
  const both = [...a].filter((i) => b.has(i)).length;
  return both / new Set([...a, ...b]).size;
}

/** Everything but the overlap, computed the plain way from the definitions. */
function plainSummary(pairs: readonly Pair[], bins: number) {
  const n = pairs.length;
  const histogram = (side: 0 | 1): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const p of pairs) {
      const bin = Math.min(bins - 1, Math.floor(p[side] * bins));
      counts[bin] = (counts[bin] ?? 0) + 1;
    }
    return counts;
  };
  const championHistogram = histogram(0);
  const shadowHistogram = histogram(1);
  let psi = 0;
  for (let i = 0; i < bins; i++) {
    const e = Math.max((championHistogram[i] ?? 0) / n, 1e-4);
    const a = Math.max((shadowHistogram[i] ?? 0) / n, 1e-4);
    psi += (a - e) * Math.log(a / e);
  }
  return {
    count: n,
    agreement: pairs.filter(([c, s]) => c >= 0.5 === s >= 0.5).length / n,
    meanAbsDelta: pairs.reduce((sum, [c, s]) => sum + Math.abs(s - c), 0) / n,
    psi,
    championHistogram,
    shadowHistogram,
  };
}

// Fine scores, and coarse ones that tie (equal scores, whole duplicate pairs).
const score = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 10 }).map((i) => i / 10),
);
const pairs = (maxLength: number): fc.Arbitrary<Pair[]> =>
  fc.array(fc.tuple(score, score), { maxLength }).map((list) => list.map(([c, s]): Pair => [c, s]));

/** Scores of two related models: the shadow is the champion's score with noise. */
function relatedPairs(count: number, seed: number): Pair[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const champion = random();
    return [champion, Math.min(1, Math.max(0, champion + (random() - 0.5) * 0.4))];
  });
}

describe('riskiestQuartileJaccard', () => {
  it('takes the events at or above each model’s k-th highest score, k = ceil(n/4): hand-computed', () => {
    // n = 8, k = 2: the champion's riskiest are events 0 and 1, the shadow's 0 and 3: 1 shared of 3
    const champion = Float64Array.of(0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.4, 0.05);
    const shadow = Float64Array.of(0.9, 0.2, 0.3, 0.85, 0.1, 0.15, 0.35, 0.05);
    expect(riskiestQuartileJaccard(champion, shadow)).toBeCloseTo(1 / 3, 15);
    expect(riskiestQuartileJaccard(champion, champion)).toBe(1);
  });

  it('keeps every tie at the cut in the set', () => {
    // n = 4, k = 1: the champion's cut 0.5 takes events 0-2, the shadow's 0.9 takes event 0
    expect(
      riskiestQuartileJaccard(Float64Array.of(0.5, 0.5, 0.5, 0.1), Float64Array.of(0.9, 0.1, 0.1, 0.1)),
    ).toBeCloseTo(1 / 3, 15);
    // all tied: the shadow's riskiest quarter is every event
    expect(riskiestQuartileJaccard(Float64Array.of(0.9, 0.1, 0.1, 0.1), Float64Array.of(0.2, 0.2, 0.2, 0.2))).toBe(
      0.25,
    );
  });

  it('is null for no events; about 1/7 for unrelated scores', () => {
    expect(riskiestQuartileJaccard(new Float64Array(0), new Float64Array(0))).toBeNull();
    const random = seededRandom(7);
    const champion = Float64Array.from({ length: 40_000 }, random);
    const shadow = Float64Array.from({ length: 40_000 }, random);
    expect(Math.abs((riskiestQuartileJaccard(champion, shadow) ?? 0) - 1 / 7)).toBeLessThan(0.01);
  });
});

describe('ShadowComparison', () => {
  it('compares a shadow with the champion on the same events: hand-computed', () => {
    const summary = compare([
      [0.9, 0.8], // both churn
      [0.6, 0.3], // champion only
      [0.2, 0.7], // shadow only
      [0.1, 0.1], // neither
    ]).summary();
    expect(summary).toMatchObject({
      count: 4,
      agreement: 0.5,
      riskiestQuartileJaccard: 1, // k = 1: event 0 for both
      riskiestQuartileEvents: 4,
      riskiestQuartileExact: true,
      championHistogram: [0, 1, 1, 0, 0, 0, 1, 0, 0, 1],
      shadowHistogram: [0, 1, 0, 1, 0, 0, 0, 1, 1, 0],
    });
    expect(summary.meanAbsDelta).toBeCloseTo((0.1 + 0.3 + 0.5 + 0) / 4, 15);
    // bin 1 is 1/4 on both sides; bins 2, 6, 9 (champion) and 3, 7, 8 (shadow) are 1/4 against an empty 0.0001
    expect(summary.psi).toBeCloseTo(6 * (0.25 - 1e-4) * Math.log(0.25 / 1e-4), 12);
    expect(summary.psi).toBeCloseTo(11.731375, 6);
  });

  it('decides churn at each model’s own threshold', () => {
    const comparison = new ShadowComparison({ championThreshold: 0.5, shadowThreshold: 0.7 });
    comparison.add(0.6, 0.6); // champion churn, shadow not
    comparison.add(0.8, 0.75); // both
    expect(comparison.summary().agreement).toBe(0.5);
  });

  it('has nothing to say before the first event', () => {
    expect(new ShadowComparison(THRESHOLDS).summary()).toEqual({
      count: 0,
      agreement: null,
      meanAbsDelta: null,
      psi: null,
      riskiestQuartileJaccard: null,
      riskiestQuartileEvents: 0,
      riskiestQuartileExact: true,
      championHistogram: new Array<number>(10).fill(0),
      shadowHistogram: new Array<number>(10).fill(0),
    });
  });

  it('agrees with a straightforward recomputation on random events (all exact below the sample capacity)', () => {
    fc.assert(
      fc.property(pairs(400), fc.constantFrom(10 as const, 20 as const), (events, bins) => {
        fc.pre(events.length > 0);
        const summary = compare(events, { bins }).summary();
        const plain = plainSummary(events, bins);
        expect(summary.count).toBe(plain.count);
        expect(summary.agreement).toBe(plain.agreement);
        expect(summary.meanAbsDelta).toBeCloseTo(plain.meanAbsDelta, 12);
        expect(summary.psi).toBeCloseTo(plain.psi, 10);
        expect(summary.championHistogram).toEqual(plain.championHistogram);
        expect(summary.shadowHistogram).toEqual(plain.shadowHistogram);
        expect(summary.riskiestQuartileJaccard).toBe(plainJaccard(events));
        expect(summary.riskiestQuartileExact).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('merges the accumulators of any split, in any order, into the summary of one (sample included)', () => {
    fc.assert(
      fc.property(
        pairs(300),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (events, cuts, capacity) => {
          const whole = compare(events, { sampleCapacity: capacity }).summary();
          const parts = splitAt(events, cuts).map((part) => compare(part, { sampleCapacity: capacity }));
          const merged = new ShadowComparison({ ...THRESHOLDS, sampleCapacity: capacity });
          for (const part of parts.reverse()) merged.mergeFrom(part);
          const { meanAbsDelta, ...rest } = merged.summary();
          const { meanAbsDelta: wholeDelta, ...wholeRest } = whole;
          expect(rest).toEqual(wholeRest);
          if (wholeDelta !== null) expect(meanAbsDelta).toBeCloseTo(wholeDelta, 12);
          // and the events added in another order keep the same sample
          expect(compare([...events].reverse(), { sampleCapacity: capacity }).summary().riskiestQuartileJaccard).toBe(
            whole.riskiestQuartileJaccard,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is exact up to its sample capacity, and past it estimates the overlap from a sample of that size', () => {
    const events = relatedPairs(50_000, 11);
    const exact = compare(events.slice(0, 1000), { sampleCapacity: 1000 }).summary();
    expect(exact).toMatchObject({ riskiestQuartileExact: true, riskiestQuartileEvents: 1000 });
    expect(exact.riskiestQuartileJaccard).toBe(plainJaccard(events.slice(0, 1000)));

    const oneMore = compare(events.slice(0, 1001), { sampleCapacity: 1000 }).summary();
    expect(oneMore).toMatchObject({ count: 1001, riskiestQuartileExact: false, riskiestQuartileEvents: 1000 });

    const sampled = compare(events, { sampleCapacity: 8192 }).summary();
    expect(sampled).toMatchObject({ count: 50_000, riskiestQuartileExact: false, riskiestQuartileEvents: 8192 });
    const truth = plainJaccard(events) ?? 0;
    expect(truth).toBeGreaterThan(0.4);
    expect(truth).toBeLessThan(0.8);
    expect(Math.abs((sampled.riskiestQuartileJaccard ?? 0) - truth)).toBeLessThan(0.03);
    // the sums stay exact
    expect(sampled.agreement).toBe(plainSummary(events, 10).agreement);
  });

  it('keeps 16,384 events by default', () => {
    expect(DEFAULT_SAMPLE_CAPACITY).toBe(16_384);
    const summary = compare(relatedPairs(DEFAULT_SAMPLE_CAPACITY + 10, 3)).summary();
    expect(summary.riskiestQuartileEvents).toBe(DEFAULT_SAMPLE_CAPACITY);
  });

  it('refuses scores that are not probabilities (counting nothing), bad settings and a merge of other settings', () => {
    const comparison = compare([[0.2, 0.3]]);
    expect(() => {
      comparison.add(0.5, Number.NaN);
    }).toThrow(RangeError);
    expect(() => {
      comparison.add(-1, 0.5);
    }).toThrow(RangeError);
    expect(comparison.summary()).toMatchObject({ count: 1, riskiestQuartileEvents: 1 });
    expect(() => new ShadowComparison({ championThreshold: 0.5, shadowThreshold: 2 })).toThrow(RangeError);
    expect(() => new ShadowComparison({ ...THRESHOLDS, sampleCapacity: 0 })).toThrow(RangeError);
    expect(() => new ShadowComparison({ ...THRESHOLDS, sampleCapacity: 1.5 })).toThrow(RangeError);
    expect(() => {
      comparison.mergeFrom(new ShadowComparison({ ...THRESHOLDS, bins: 20 }));
    }).toThrow(RangeError);
    expect(() => {
      comparison.mergeFrom(new ShadowComparison({ ...THRESHOLDS, sampleCapacity: 10 }));
    }).toThrow(RangeError);
  });
});
