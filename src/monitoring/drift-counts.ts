import {
  CUSTOMER_FEATURE_NAMES,
  normalizeCategory,
  STRING_CATEGORICAL_FEATURES,
  type Customer,
  type StringCategoricalFeature,
} from '../contract/customer.js';
import type { ModelReference } from '../model/model-artifact.js';
import { addCounts, scoreBin } from '../rollout/score-histogram.js';
import { numericBin, type DriftBaseline, type FeatureBaseline } from './drift-baseline.js';

/** Per customer field (the baseline's order), its place among the category codes, -1 for the numeric ones. */
const CODE_SLOT = Int32Array.from(CUSTOMER_FEATURE_NAMES, (feature) =>
  STRING_CATEGORICAL_FEATURES.indexOf(feature as StringCategoricalFeature),
);

/** What one window counted for one feature, over the baseline's bins (present values only). */
export interface FeatureCounts {
  readonly feature: string;
  /** per bin; a categorical feature's unseen bucket is last */
  readonly counts: readonly number[];
  /** absent, null, blank, or (numeric) not a number */
  readonly missing: number;
  /** categorical: a value the model has no category for; numeric: 0 */
  readonly unseen: number;
  /** numeric: a value outside the training [min, max]; categorical: 0 */
  readonly outOfRange: number;
}

/**
 * One window's counts against a drift baseline, in fixed memory: per feature the counts over the reference bins
 * plus missing, unseen and out-of-range values, and the score histogram. Every record counts once per feature;
 * merging is addition, so the counts of several partitions or workers merge to those of all their records.
 */
export class DriftCounts {
  readonly baseline: DriftBaseline;
  #records = 0;
  #scored = 0;
  readonly #bins: Float64Array[];
  readonly #missing: Float64Array;
  readonly #outOfRange: Float64Array;
  readonly #score: Float64Array;
  /** the reference whose category codes are this baseline's bins (checked once, see addScoredCoded) */
  #codedBy: ModelReference | undefined;

  constructor(baseline: DriftBaseline) {
    this.baseline = baseline;
    this.#bins = baseline.features.map((f) => new Float64Array(f.counts.length));
    this.#missing = new Float64Array(baseline.features.length);
    this.#outOfRange = new Float64Array(baseline.features.length);
    this.#score = new Float64Array(baseline.scoreBins);
  }

  /** records counted, scored or not */
  get records(): number {
    return this.#records;
  }

  /** records with a score */
  get scored(): number {
    return this.#scored;
  }

  /**
   * Counts a validated customer and its score (a probability; anything else is a RangeError and counts nothing,
   * as in src/rollout: a model never scores outside [0, 1], so it is a bug upstream).
   */
  addScored(customer: Customer, score: number): void {
    const bin = scoreBin(score, this.baseline.scoreBins);
    this.#countFields(customer);
    this.#score[bin] = (this.#score[bin] ?? 0) + 1;
    this.#scored += 1;
  }

  /**
   * addScored for a customer whose string categories the model has coded already (ChurnModel.scoreWithReasons'
   * categoryCodes, positions in `reference`'s categories). When `reference` lists every field's categories as this
   * baseline does, a code is the category's bin and the categories are not looked up again; otherwise, and for a
   * code of -1, the values are counted as addScored counts them. Same counts either way.
   */
  addScoredCoded(customer: Customer, score: number, codes: readonly number[], reference: ModelReference): void {
    if (codes.length !== STRING_CATEGORICAL_FEATURES.length || !this.#codesAreBins(reference)) {
      this.addScored(customer, score);
      return;
    }
    const bin = scoreBin(score, this.baseline.scoreBins);
    const features = this.baseline.features;
    for (let i = 0; i < features.length; i++) {
      const slot = CODE_SLOT[i] as number;
      const code = slot < 0 ? -1 : (codes[slot] as number);
      if (code < 0) {
        this.#countField(i, customer[(features[i] as FeatureBaseline).feature]);
      } else {
        const bins = this.#bins[i] as Float64Array;
        bins[code] = (bins[code] ?? 0) + 1;
      }
    }
    this.#records += 1;
    this.#score[bin] = (this.#score[bin] ?? 0) + 1;
    this.#scored += 1;
  }

  #codesAreBins(reference: ModelReference): boolean {
    if (reference === this.#codedBy) return true;
    const features = this.baseline.features;
    for (let i = 0; i < features.length; i++) {
      const baseline = features[i] as FeatureBaseline;
      if (baseline.feature !== CUSTOMER_FEATURE_NAMES[i]) return false;
      if ((CODE_SLOT[i] as number) < 0) continue;
      const categories = reference.categorical[baseline.feature]?.categories;
      if (baseline.kind !== 'categorical' || categories === undefined) return false;
      if (categories.length !== baseline.categories.length) return false;
      if (!categories.every((category, bin) => category === baseline.categories[bin])) return false;
    }
    this.#codedBy = reference;
    return true;
  }

  /**
   * Counts a record that failed validation (decoded, but not scored): its usable fields land in their bins, the
   * others count as missing, so the missing rate says how much of the input arrives incomplete.
   */
  addRejected(input: unknown): void {
    const record =
      input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    this.#countFields(record);
  }

  #countFields(record: Readonly<Record<string, unknown>>): void {
    const features = this.baseline.features;
    for (let i = 0; i < features.length; i++) this.#countField(i, record[(features[i] as FeatureBaseline).feature]);
    this.#records += 1;
  }

  /** Counts one record's value of the baseline's i-th feature. */
  #countField(i: number, value: unknown): void {
    const baseline = this.baseline.features[i] as FeatureBaseline;
    const bins = this.#bins[i] as Float64Array;
    let bin: number;
    if (baseline.kind === 'categorical') {
      bin = categoricalBin(baseline.binOf, bins.length - 1, value);
    } else if (typeof value === 'number' && !Number.isNaN(value)) {
      bin = numericBin(baseline.edges, value);
      if (value < baseline.min || value > baseline.max) this.#outOfRange[i] = (this.#outOfRange[i] ?? 0) + 1;
    } else {
      bin = -1;
    }
    if (bin < 0) this.#missing[i] = (this.#missing[i] ?? 0) + 1;
    else bins[bin] = (bins[bin] ?? 0) + 1;
  }

  /** Adds `other`'s records to this one's (the same baseline, or a RangeError). */
  mergeFrom(other: DriftCounts): void {
    if (other.baseline !== this.baseline) throw new RangeError('cannot merge drift counts of another baseline');
    for (let i = 0; i < this.#bins.length; i++)
      addCounts(this.#bins[i] as Float64Array, other.#bins[i] as Float64Array);
    addCounts(this.#missing, other.#missing);
    addCounts(this.#outOfRange, other.#outOfRange);
    addCounts(this.#score, other.#score);
    this.#records += other.#records;
    this.#scored += other.#scored;
  }

  /** Back to no records (a new window), keeping the arrays. */
  clear(): void {
    for (const bins of this.#bins) bins.fill(0);
    this.#missing.fill(0);
    this.#outOfRange.fill(0);
    this.#score.fill(0);
    this.#records = 0;
    this.#scored = 0;
  }

  /** Per feature, in the baseline's order. */
  features(): FeatureCounts[] {
    return this.baseline.features.map((baseline, i) => {
      const bins = this.#bins[i] as Float64Array;
      return {
        feature: baseline.feature,
        counts: Array.from(bins),
        missing: this.#missing[i] ?? 0,
        unseen: baseline.kind === 'categorical' ? (bins[bins.length - 1] ?? 0) : 0,
        outOfRange: this.#outOfRange[i] ?? 0,
      };
    });
  }

  /** The score histogram (the baseline's equal bins on [0, 1]). */
  scoreCounts(): number[] {
    return Array.from(this.#score);
  }
}

/**
 * The bin of a categorical value, -1 when missing: absent, null or a blank string. A string is normalized as the
 * contract normalizes it ("Fiber optic" -> "fiber_optic"); a value of the wrong type (a number for a string field,
 * a string for seniorcitizen) is a value the model has no category for, so it is unseen.
 */
function categoricalBin(binOf: ReadonlyMap<string | number, number>, unseenBin: number, value: unknown): number {
  // A validated customer's categories are normalized already: one lookup, and no normalizing, per field and record.
  const known = binOf.get(value as string | number);
  if (known !== undefined) return known;
  if (value === undefined || value === null) return -1;
  if (typeof value === 'string') {
    if (value.trim() === '') return -1;
    return binOf.get(normalizeCategory(value)) ?? unseenBin;
  }
  return typeof value === 'number' ? (binOf.get(value) ?? unseenBin) : unseenBin;
}
