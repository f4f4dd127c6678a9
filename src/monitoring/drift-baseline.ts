import { CUSTOMER_FEATURE_NAMES, type CustomerFeatureName } from '../contract/customer.js';
import type { ModelReference } from '../model/model-artifact.js';
import type { ScoreBinCount } from '../rollout/score-histogram.js';

/** A numeric feature's training bins: bin i holds [edges[i-1], edges[i]), the end bins open. */
export interface NumericBaseline {
  readonly kind: 'numeric';
  readonly feature: CustomerFeatureName;
  readonly edges: Float64Array;
  /** training count per bin (edges.length + 1 bins) */
  readonly counts: Float64Array;
  /** the training range: a live value outside it is out of range (it still lands in an end bin) */
  readonly min: number;
  readonly max: number;
}

/** A categorical feature's training counts: one bin per category, then the unseen bucket (0 in training). */
export interface CategoricalBaseline {
  readonly kind: 'categorical';
  readonly feature: CustomerFeatureName;
  readonly categories: readonly (string | number)[];
  /** category -> its bin; a number category (seniorcitizen's 0/1) matches numbers only */
  readonly binOf: ReadonlyMap<string | number, number>;
  /** categories.length + 1 counts, the unseen bucket last */
  readonly counts: Float64Array;
}

export type FeatureBaseline = NumericBaseline | CategoricalBaseline;

/** The model artifact's `reference` section, laid out for per-record counting. */
export interface DriftBaseline {
  /** training customers the counts come from */
  readonly rows: number;
  readonly split: string;
  /** one per customer field, in the contract's field order */
  readonly features: readonly FeatureBaseline[];
  readonly scoreBins: ScoreBinCount;
  readonly scoreCounts: Float64Array;
}

/**
 * Lays a validated `reference` (parseModelArtifact checked it covers every field once, with consistent counts)
 * out for counting (pure). A reference that misses a field is a RangeError: it cannot have passed validation.
 */
export function driftBaseline(reference: ModelReference): DriftBaseline {
  const features = CUSTOMER_FEATURE_NAMES.map((feature): FeatureBaseline => {
    const numeric = reference.numeric[feature];
    if (numeric !== undefined) {
      return {
        kind: 'numeric',
        feature,
        edges: Float64Array.from(numeric.edges),
        counts: Float64Array.from(numeric.counts),
        min: numeric.min,
        max: numeric.max,
      };
    }
    const categorical = reference.categorical[feature];
    if (categorical === undefined) throw new RangeError(`the reference has no distribution for "${feature}"`);
    return {
      kind: 'categorical',
      feature,
      categories: categorical.categories,
      binOf: new Map(categorical.categories.map((category, bin) => [category, bin])),
      counts: Float64Array.from([...categorical.counts, categorical.unseen]),
    };
  });
  return {
    rows: reference.rows,
    split: reference.split,
    features,
    scoreBins: reference.score.bins,
    scoreCounts: Float64Array.from(reference.score.counts),
  };
}

/** The bin of a number (pure): how many edges are <= x, by binary search over the ascending edges. */
export function numericBin(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
