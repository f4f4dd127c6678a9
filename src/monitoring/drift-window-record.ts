import { driftThresholdsView, type DriftThresholds, type DriftThresholdsView } from './drift-summary.js';
import type { ClosedDriftWindow } from './drift-windows.js';

/** One feature of a window record (schemas/drift-window.avsc, `churn.FeatureDrift`). */
export interface FeatureDriftRecord {
  feature: string;
  kind: string;
  psi: number | null;
  unseen_rate: number;
  missing_rate: number;
  out_of_range_rate: number;
  drift: boolean;
  counts: number[];
  missing: number;
  unseen: number;
  out_of_range: number;
}

/** One closed drift window of one input partition and model version, as the drift topic carries it (Avro). */
export interface DriftWindowRecord {
  model_version: string;
  source_topic: string;
  source_partition: number;
  first_offset: number;
  last_offset: number;
  window_start: number;
  window_end: number;
  records: number;
  scored: number;
  features: FeatureDriftRecord[];
  score_psi: number | null;
  score_drift: boolean;
  score_counts: number[];
  alerts: { feature: string; metric: string; value: number; threshold: number }[];
  thresholds: DriftThresholdsView;
  rollout_revision: number;
  scorer_version: string;
}

export interface DriftWindowSource {
  readonly topic: string;
  readonly partition: number;
  /** the rollout revision of the transaction that closed the window */
  readonly rolloutRevision: number;
  readonly scorerVersion: string;
}

/**
 * The record of a closed stream window (pure). Its figures are the window summary's, its raw counts the window's,
 * so a reader can redo every figure from the record and the artifact's reference. A window of the stream always has
 * records and an offset span; one without either is a RangeError (a bug upstream).
 */
export function driftWindowRecord(
  closed: ClosedDriftWindow,
  source: DriftWindowSource,
  thresholds: DriftThresholds,
): DriftWindowRecord {
  const { summary, counts, offsets } = closed;
  if (offsets === undefined || summary.records === 0) {
    throw new RangeError(`drift window of ${closed.version} has no records or no offsets: not a stream window`);
  }
  const raw = counts.features();
  return {
    model_version: closed.version,
    source_topic: source.topic,
    source_partition: source.partition,
    first_offset: Number(offsets.first),
    last_offset: Number(offsets.last),
    window_start: summary.window_start,
    window_end: summary.window_end,
    records: summary.records,
    scored: summary.scored,
    features: summary.features.map((f, i) => {
      const observed = raw[i];
      if (observed?.feature !== f.feature) throw new RangeError(`drift window features out of order at ${f.feature}`);
      return {
        feature: f.feature,
        kind: f.kind,
        psi: f.psi,
        // A window with records has every rate.
        unseen_rate: f.unseen_rate ?? 0,
        missing_rate: f.missing_rate ?? 0,
        out_of_range_rate: f.out_of_range_rate ?? 0,
        drift: f.drift,
        counts: [...f.counts],
        missing: observed.missing,
        unseen: observed.unseen,
        out_of_range: observed.outOfRange,
      };
    }),
    score_psi: summary.score_psi,
    score_drift: summary.score_drift,
    score_counts: [...summary.score_counts],
    alerts: summary.alerts.map((a) => ({
      feature: a.feature,
      metric: a.metric,
      value: a.value,
      threshold: a.threshold,
    })),
    thresholds: driftThresholdsView(thresholds),
    rollout_revision: source.rolloutRevision,
    scorer_version: source.scorerVersion,
  };
}
