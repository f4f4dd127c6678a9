import type { Rollout } from '../rollout/rollout.js';
import type { ShadowComparison } from '../rollout/shadow-comparison.js';
import type { VariantStats } from '../rollout/variant-stats.js';

/*
 * The JSON shape of a comparison (snake_case, as the prediction records and GET /model are), shared by the
 * live tracker (GET /experiments, the gauges) and the report recomputed from the topics (`experiment report`),
 * so the two can be compared field by field.
 */

/** Score histograms of the comparison: 10 equal bins on [0, 1] (src/rollout/score-histogram.ts). */
export const COMPARISON_BINS = 10;

/** What one variant (a version serving as champion, canary or ab) scored. */
export interface VariantView {
  /** champion, canary or ab (as the prediction records name it) */
  readonly variant: string;
  readonly version: string;
  readonly count: number;
  /** null before the first prediction */
  readonly mean_score: number | null;
  /** predictions per bin of COMPARISON_BINS equal bins on [0, 1] */
  readonly histogram: readonly number[];
  /** predictions at or above the threshold */
  readonly churned: number;
  /** churned / count; null before the first prediction */
  readonly churn_rate: number | null;
  /** the version's decision threshold */
  readonly threshold: number;
}

/** A shadow against the champion on the same events (src/rollout/shadow-comparison.ts). */
export interface ShadowView {
  readonly version: string;
  readonly champion_version: string;
  /** events both scored */
  readonly events: number;
  readonly agreement: number | null;
  readonly mean_abs_delta: number | null;
  readonly psi: number | null;
  readonly riskiest_quartile_jaccard: number | null;
  /** false once the events outnumber the sample the overlap is computed over */
  readonly riskiest_quartile_exact: boolean;
}

export interface ComparisonView {
  readonly variants: readonly VariantView[];
  readonly shadows: readonly ShadowView[];
}

/** A rollout as the comparison shows it (the document's fields, the salt resolved). */
export interface RolloutView {
  readonly champion: string;
  readonly challengers: readonly { readonly version: string; readonly kind: string; readonly weight: number }[];
  readonly shadows: readonly string[];
  readonly salt: string;
}

export function variantView(variant: string, version: string, stats: VariantStats): VariantView {
  const summary = stats.summary();
  return {
    variant,
    version,
    count: summary.count,
    mean_score: summary.meanScore,
    histogram: summary.histogram,
    churned: summary.churned,
    churn_rate: summary.churnRate,
    threshold: stats.threshold,
  };
}

export function shadowView(version: string, championVersion: string, comparison: ShadowComparison): ShadowView {
  const summary = comparison.summary();
  return {
    version,
    champion_version: championVersion,
    events: summary.count,
    agreement: summary.agreement,
    mean_abs_delta: summary.meanAbsDelta,
    psi: summary.psi,
    riskiest_quartile_jaccard: summary.riskiestQuartileJaccard,
    riskiest_quartile_exact: summary.riskiestQuartileExact,
  };
}

export function rolloutView(rollout: Rollout): RolloutView {
  return {
    champion: rollout.champion.version,
    challengers: rollout.challengers.map(({ version, kind, weight }) => ({ version, kind, weight })),
    shadows: [...rollout.shadows],
    salt: rollout.salt,
  };
}

const VARIANT_ORDER = ['champion', 'canary', 'ab'];

/** Variants in a stable order: champion, canary, ab (anything else after), then by version. */
export function compareVariants(a: VariantView, b: VariantView): number {
  return rank(a.variant) - rank(b.variant) || compareText(a.version, b.version);
}

/** Shadows in a stable order: by version, then by champion version. */
export function compareShadows(a: ShadowView, b: ShadowView): number {
  return compareText(a.version, b.version) || compareText(a.champion_version, b.champion_version);
}

function rank(variant: string): number {
  const index = VARIANT_ORDER.indexOf(variant);
  return index === -1 ? VARIANT_ORDER.length : index;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
