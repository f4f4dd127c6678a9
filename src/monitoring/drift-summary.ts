import { populationStabilityIndex } from '../rollout/score-histogram.js';
import type { FeatureBaseline } from './drift-baseline.js';
import type { DriftCounts } from './drift-counts.js';

/** When a window's figure means drift. Every comparison is "greater than". */
export interface DriftThresholds {
  /** a feature's PSI (0.2: the usual "significant shift") */
  readonly psi: number;
  /** the score's PSI */
  readonly scorePsi: number;
  /** share of the window's records with a category the model has not seen */
  readonly unseenRate: number;
  /** share of the window's records without a usable value */
  readonly missingRate: number;
  /** share of the window's records with a number outside the training range */
  readonly outOfRangeRate: number;
  /**
   * Values a figure needs before it can raise a flag: a small window's PSI is mostly sampling noise (an empty
   * bin alone adds about 0.7 to it), so a quiet minute is not reported as drift. The figures are computed anyway.
   */
  readonly minRecords: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Object.freeze({
  psi: 0.2,
  scorePsi: 0.2,
  unseenRate: 0.01,
  missingRate: 0.01,
  outOfRangeRate: 0.01,
  minRecords: 500,
});

/** The thresholds as GET /monitoring and the drift topic name them (snake_case, as every figure). */
export interface DriftThresholdsView {
  readonly psi: number;
  readonly score_psi: number;
  readonly unseen_rate: number;
  readonly missing_rate: number;
  readonly out_of_range_rate: number;
  readonly min_records: number;
}

export function driftThresholdsView(thresholds: DriftThresholds): DriftThresholdsView {
  return {
    psi: thresholds.psi,
    score_psi: thresholds.scorePsi,
    unseen_rate: thresholds.unseenRate,
    missing_rate: thresholds.missingRate,
    out_of_range_rate: thresholds.outOfRangeRate,
    min_records: thresholds.minRecords,
  };
}

export type DriftMetric = 'psi' | 'unseen_rate' | 'missing_rate' | 'out_of_range_rate';

/** A figure above its threshold; `feature` is "score" for the score's PSI. */
export interface DriftAlert {
  readonly feature: string;
  readonly metric: DriftMetric;
  readonly value: number;
  readonly threshold: number;
}

export interface FeatureDrift {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  /** PSI of the window's present values against the training distribution; null when none is present */
  readonly psi: number | null;
  /** shares of the window's records (null for an empty window); unseen is 0 for numbers, out of range for categories */
  readonly unseen_rate: number | null;
  readonly missing_rate: number | null;
  readonly out_of_range_rate: number | null;
  /** the PSI is above its threshold over enough values */
  readonly drift: boolean;
  /** the window's counts over the reference bins (a categorical feature's unseen bucket last) */
  readonly counts: readonly number[];
}

export interface DriftWindowSummary {
  /** the caller's clock (ms) when the window opened and closed */
  readonly window_start: number;
  readonly window_end: number;
  /** records counted; `scored` of them were scored */
  readonly records: number;
  readonly scored: number;
  readonly features: readonly FeatureDrift[];
  /** PSI of the window's scores against the training scores; null without scores */
  readonly score_psi: number | null;
  readonly score_drift: boolean;
  readonly score_counts: readonly number[];
  /** every figure above its threshold, features in the contract's order, the score last */
  readonly alerts: readonly DriftAlert[];
}

/** Reads a window's counts as drift figures against their baseline (pure). */
export function summarizeDrift(
  counts: DriftCounts,
  window: { readonly start: number; readonly end: number },
  thresholds: DriftThresholds,
): DriftWindowSummary {
  const records = counts.records;
  const rate = (n: number): number | null => (records === 0 ? null : n / records);
  const alerts: DriftAlert[] = [];
  const flag = (feature: string, metric: DriftMetric, value: number | null, threshold: number, over: number) => {
    const raised = value !== null && value > threshold && over >= thresholds.minRecords;
    if (raised) alerts.push({ feature, metric, value, threshold });
    return raised;
  };
  const { baseline } = counts;
  const features = counts.features().map((observed, i): FeatureDrift => {
    const { kind, counts: reference } = baseline.features[i] as FeatureBaseline;
    const present = records - observed.missing;
    const psi = populationStabilityIndex(reference, observed.counts);
    const drift = flag(observed.feature, 'psi', psi, thresholds.psi, present);
    const unseenRate = rate(observed.unseen);
    const missingRate = rate(observed.missing);
    const outOfRangeRate = rate(observed.outOfRange);
    flag(observed.feature, 'unseen_rate', unseenRate, thresholds.unseenRate, records);
    flag(observed.feature, 'missing_rate', missingRate, thresholds.missingRate, records);
    flag(observed.feature, 'out_of_range_rate', outOfRangeRate, thresholds.outOfRangeRate, records);
    return {
      feature: observed.feature,
      kind,
      psi,
      unseen_rate: unseenRate,
      missing_rate: missingRate,
      out_of_range_rate: outOfRangeRate,
      drift,
      counts: observed.counts,
    };
  });
  const scoreCounts = counts.scoreCounts();
  const scorePsi = populationStabilityIndex(baseline.scoreCounts, scoreCounts);
  const scoreDrift = flag('score', 'psi', scorePsi, thresholds.scorePsi, counts.scored);
  return {
    window_start: window.start,
    window_end: window.end,
    records,
    scored: counts.scored,
    features,
    score_psi: scorePsi,
    score_drift: scoreDrift,
    score_counts: scoreCounts,
    alerts,
  };
}
