import { addCounts, scoreBin, type ScoreBinCount } from './score-histogram.js';

export interface VariantStatsOptions {
  /** the model's decision threshold: a score at or above it is a churn decision */
  readonly threshold: number;
  readonly bins?: ScoreBinCount;
}

export interface VariantStatsSummary {
  readonly count: number;
  /** null before the first score */
  readonly meanScore: number | null;
  /** scores at or above the threshold */
  readonly churned: number;
  /** churned / count; null before the first score */
  readonly churnRate: number | null;
  /** counts per bin (score-histogram.ts) */
  readonly histogram: readonly number[];
}

/**
 * What one variant scored, in fixed memory (a count, a sum and the bins): add each score as it is made,
 * merge the accumulators of several partitions or workers, read a summary. Merging is addition, so any
 * split of the same scores merges to the same counts (the mean up to floating-point rounding of the sum).
 */
export class VariantStats {
  readonly threshold: number;
  readonly bins: ScoreBinCount;
  #count = 0;
  #sum = 0;
  #churned = 0;
  // Float64: exact counts up to 2^53, where 32-bit counters would wrap on a long-running worker.
  readonly #histogram: Float64Array;

  constructor({ threshold, bins = 10 }: VariantStatsOptions) {
    if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${threshold}`);
    this.threshold = threshold;
    this.bins = bins;
    this.#histogram = new Float64Array(bins);
  }

  /** Counts one score (a probability; anything else is a RangeError, see scoreBin). */
  add(score: number): void {
    const bin = scoreBin(score, this.bins);
    this.#histogram[bin] = (this.#histogram[bin] ?? 0) + 1;
    this.#count += 1;
    this.#sum += score;
    if (score >= this.threshold) this.#churned += 1;
  }

  /** Adds `other`'s counts to this one's (same threshold and bins, or a RangeError). */
  mergeFrom(other: VariantStats): void {
    if (other.threshold !== this.threshold || other.bins !== this.bins) {
      throw new RangeError(
        `cannot merge variant stats of threshold ${other.threshold} and ${other.bins} bins into threshold ` +
          `${this.threshold} and ${this.bins} bins`,
      );
    }
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#churned += other.#churned;
    addCounts(this.#histogram, other.#histogram);
  }

  summary(): VariantStatsSummary {
    const count = this.#count;
    return {
      count,
      meanScore: count === 0 ? null : this.#sum / count,
      churned: this.#churned,
      churnRate: count === 0 ? null : this.#churned / count,
      histogram: [...this.#histogram],
    };
  }
}
