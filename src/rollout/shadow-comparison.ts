import { riskiestQuartileJaccard } from './riskiest-quartile.js';
import { MAX_SAMPLE_CAPACITY, ScorePairSample } from './score-pair-sample.js';
import { addCounts, populationStabilityIndex, scoreBin, type ScoreBinCount } from './score-histogram.js';

export interface ShadowComparisonOptions {
  /** the champion's decision threshold (a score at or above it: churn) */
  readonly championThreshold: number;
  /** the shadow's decision threshold */
  readonly shadowThreshold: number;
  readonly bins?: ScoreBinCount;
  /** events up to which the riskiest-quarter overlap is exact (score-pair-sample.ts) */
  readonly sampleCapacity?: number;
}

/** 16,384 pairs: 320 KB per comparison. */
export const DEFAULT_SAMPLE_CAPACITY = 16_384;

/**
 * The sample capacity that keeps the riskiest-quarter overlap exact up to `events` events, as far as a sample
 * may hold them (1 to MAX_SAMPLE_CAPACITY pairs): what a comparison recomputed from the topics asks for.
 */
export function exactSampleCapacity(events: number): number {
  return Math.min(Math.max(events, 1), MAX_SAMPLE_CAPACITY);
}

export interface ShadowComparisonSummary {
  /** events both models scored */
  readonly count: number;
  /** share of the events where both models make the same churn decision at their thresholds */
  readonly agreement: number | null;
  /** mean of |shadow score - champion score| */
  readonly meanAbsDelta: number | null;
  /** PSI of the shadow's score histogram against the champion's (score-histogram.ts) */
  readonly psi: number | null;
  /** overlap of the two riskiest quarters (riskiest-quartile.ts) */
  readonly riskiestQuartileJaccard: number | null;
  /** events the overlap was computed over: all of them (`count`) up to the sample capacity, then the sample */
  readonly riskiestQuartileEvents: number;
  /** true while the overlap is over every event */
  readonly riskiestQuartileExact: boolean;
  readonly championHistogram: readonly number[];
  readonly shadowHistogram: readonly number[];
}

/**
 * A shadow model against the champion on the same events, in fixed memory: add both scores of each event,
 * merge the accumulators of several partitions or workers, read a summary. All but the overlap are sums, so
 * exact for any number of events; the overlap is exact up to `sampleCapacity` events and, past that, computed
 * over a sample of that many (score-pair-sample.ts) that any split and merge of the same events keeps the same.
 */
export class ShadowComparison {
  readonly championThreshold: number;
  readonly shadowThreshold: number;
  readonly bins: ScoreBinCount;
  #count = 0;
  #agreements = 0;
  #absDeltaSum = 0;
  readonly #championHistogram: Float64Array;
  readonly #shadowHistogram: Float64Array;
  readonly #sample: ScorePairSample;

  constructor({
    championThreshold,
    shadowThreshold,
    bins = 10,
    sampleCapacity = DEFAULT_SAMPLE_CAPACITY,
  }: ShadowComparisonOptions) {
    for (const [name, threshold] of [
      ['championThreshold', championThreshold],
      ['shadowThreshold', shadowThreshold],
    ] as const) {
      if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${threshold}`);
    }
    this.championThreshold = championThreshold;
    this.shadowThreshold = shadowThreshold;
    this.bins = bins;
    this.#championHistogram = new Float64Array(bins);
    this.#shadowHistogram = new Float64Array(bins);
    this.#sample = new ScorePairSample(sampleCapacity);
  }

  /** Counts one event's two scores (probabilities; anything else is a RangeError and counts nothing). */
  add(championScore: number, shadowScore: number): void {
    const championBin = scoreBin(championScore, this.bins);
    const shadowBin = scoreBin(shadowScore, this.bins);
    this.#championHistogram[championBin] = (this.#championHistogram[championBin] ?? 0) + 1;
    this.#shadowHistogram[shadowBin] = (this.#shadowHistogram[shadowBin] ?? 0) + 1;
    this.#count += 1;
    if (championScore >= this.championThreshold === shadowScore >= this.shadowThreshold) this.#agreements += 1;
    this.#absDeltaSum += Math.abs(shadowScore - championScore);
    this.#sample.add(championScore, shadowScore);
  }

  /** Adds `other`'s events to this one's (same thresholds and bins, or a RangeError). */
  mergeFrom(other: ShadowComparison): void {
    if (
      other.championThreshold !== this.championThreshold ||
      other.shadowThreshold !== this.shadowThreshold ||
      other.bins !== this.bins ||
      other.#sample.capacity !== this.#sample.capacity
    ) {
      throw new RangeError('cannot merge shadow comparisons of other thresholds, bins or sample capacity');
    }
    this.#count += other.#count;
    this.#agreements += other.#agreements;
    this.#absDeltaSum += other.#absDeltaSum;
    addCounts(this.#championHistogram, other.#championHistogram);
    addCounts(this.#shadowHistogram, other.#shadowHistogram);
    this.#sample.mergeFrom(other.#sample);
  }

  summary(): ShadowComparisonSummary {
    const count = this.#count;
    const { champion, shadow } = this.#sample.scores();
    return {
      count,
      agreement: count === 0 ? null : this.#agreements / count,
      meanAbsDelta: count === 0 ? null : this.#absDeltaSum / count,
      psi: populationStabilityIndex(this.#championHistogram, this.#shadowHistogram),
      riskiestQuartileJaccard: riskiestQuartileJaccard(champion, shadow),
      riskiestQuartileEvents: this.#sample.size,
      riskiestQuartileExact: this.#sample.size === count,
      championHistogram: [...this.#championHistogram],
      shadowHistogram: [...this.#shadowHistogram],
    };
  }
}
