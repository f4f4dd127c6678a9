import type { Customer, StringCategoricalFeature } from '../contract/customer.js';
import type { Explanation, FeatureContribution, ScoreWithReasons } from './explain.js';
import type { ModelArtifact } from './model-artifact.js';

/** Artifact metadata for GET /model and `model info` (snake_case, as in model.json). */
export interface ModelMeta {
  readonly format: string;
  readonly name: string;
  readonly version: string;
  readonly created_at: string;
  readonly estimator: string | undefined;
  readonly threshold: number;
  readonly intercept: number;
  readonly n_features: number;
  readonly features: readonly string[];
  readonly metrics: Readonly<Record<string, number>>;
  readonly training: Readonly<Record<string, string | number | boolean | null>>;
  readonly data: ModelArtifact['data'];
  readonly preprocessing: ModelArtifact['preprocessing'];
  readonly categories: Readonly<Partial<Record<StringCategoricalFeature, readonly string[]>>>;
  readonly numeric_ranges: ModelArtifact['numeric_ranges'];
  /** The training distributions (the drift monitor's baseline); absent in artifacts written before them. */
  readonly reference: ModelArtifact['reference'];
}

export interface UnknownCategory {
  readonly field: StringCategoricalFeature;
  readonly value: string;
}

/** A loaded, validated model. Scoring is pure and allocation-free beyond the returned value. */
export interface ChurnModel {
  readonly meta: ModelMeta;
  /** Churn probability, as sklearn's predict_proba(X)[:, 1]. */
  score(customer: Customer): number;
  /** Writes the probability of customers[i] into out[i]; out must be at least customers.length long. Returns out. */
  scoreInto(customers: readonly Customer[], out: Float64Array): Float64Array;
  /** probability >= threshold, as the notes' service decides churn. */
  isChurn(probability: number): boolean;
  /** Categories the model has no coefficient for (scored as all-zero); a shared empty array when none. */
  unknownCategories(customer: Customer): readonly UnknownCategory[];
  /**
   * Exact decomposition of the customer's logit (explain.ts): intercept + Σ contributions = logit, and
   * sigmoid(logit) is `score(customer)`; contributions largest |contribution| first.
   */
  explain(customer: Customer): Explanation;
  /** The n largest contributions by magnitude: `explain(customer).contributions.slice(0, n)`, without the full sort. */
  reasons(customer: Customer, n: number): readonly FeatureContribution[];
  /**
   * `score(customer)` (bit for bit), `reasons(customer, n)` and the customer's category codes under `meta.reference`
   * in one pass, each category looked up once: what the stream needs per record (n = 0: no reasons).
   */
  scoreWithReasons(customer: Customer, n: number): ScoreWithReasons;
}
