import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { DriftAlert, DriftWindowSummary, FeatureDrift } from '../monitoring/drift-summary.js';
import type { ClosedVersionDrift, DriftAlertChange } from '../monitoring/drift-tracker.js';
import { scrapedGaugeIn } from './metrics-registry.js';

/** Where the gauges read the latest closed drift figures of each model version in force. */
export interface DriftFiguresSource {
  closed(): readonly ClosedVersionDrift[];
}

/**
 * Online drift as Prometheus gauges, per model version: the figures of its latest closed windows (merged over the
 * input partitions of this process; the side-port's requests for `serve`), read at each scrape (collect callbacks,
 * so nothing runs per prediction). A figure that is not defined (no value in the window) has no series; a rate
 * that cannot move for a kind of field (unseen for numbers, out of range for categories) has none either.
 *
 * Idempotent per registry, like the other instruments: a second call keeps the first source.
 */
export function registerDriftMetrics(registry: Registry, source: DriftFiguresSource): void {
  const featureGauge = (name: string, help: string, pick: (f: FeatureDrift) => number | null): void => {
    scrapedGaugeIn(registry, { name, help, labelNames: ['version', 'feature'] }, () =>
      source
        .closed()
        .flatMap(({ version, summary }) =>
          summary.features.map((f) => [{ version, feature: f.feature }, pick(f)] as const),
        ),
    );
  };
  const versionGauge = (name: string, help: string, pick: (s: DriftWindowSummary) => number | null): void => {
    scrapedGaugeIn(registry, { name, help, labelNames: ['version'] }, () =>
      source.closed().map(({ version, summary }) => [{ version }, pick(summary)] as const),
    );
  };

  featureGauge(
    'churn_feature_psi',
    "Population stability index of a feature against the model version's training data (latest closed drift window)",
    (f) => f.psi,
  );
  featureGauge(
    'churn_feature_unseen_rate',
    'Share of the latest closed drift window with a category the model version has not seen (categorical features)',
    (f) => (f.kind === 'categorical' ? f.unseen_rate : null),
  );
  featureGauge(
    'churn_feature_missing_rate',
    'Share of the latest closed drift window without a usable value of the feature (refused records count)',
    (f) => f.missing_rate,
  );
  featureGauge(
    'churn_feature_out_of_range_rate',
    "Share of the latest closed drift window with a number outside the version's training range (numeric features)",
    (f) => (f.kind === 'numeric' ? f.out_of_range_rate : null),
  );
  versionGauge(
    'churn_score_psi',
    "Population stability index of the scores against the model version's training scores (latest closed window)",
    (s) => s.score_psi,
  );
  versionGauge(
    'churn_drift_window_records',
    'Records behind the drift figures of the model version (its latest closed windows, merged)',
    (s) => s.records,
  );
  scrapedGaugeIn(
    registry,
    {
      name: 'churn_drift',
      help:
        '1 while a figure of the feature (PSI, unseen, missing or out-of-range rate; feature="score": the score ' +
        'PSI) is over its threshold in the latest closed drift window of the model version (or was, and that ' +
        'window has too few values to say otherwise: DRIFT_MIN_RECORDS), else 0',
      labelNames: ['version', 'feature'],
    },
    () =>
      source.closed().flatMap(({ version, summary, alerts }) => {
        const alerting = new Set(alerts.map((a) => a.feature));
        const features = [...summary.features.map((f) => f.feature), 'score'];
        return features.map((feature) => [{ version, feature }, alerting.has(feature) ? 1 : 0] as const);
      }),
  );
}

/**
 * Logs each change of a version's drift alerts once: a figure crossing its threshold as a warning, its clearing as
 * info, one line each naming the version, the feature, the figure and the threshold. Scoring goes on either way.
 */
export function logDriftAlerts(logger: Logger): (change: DriftAlertChange) => void {
  const fields = (version: string, alert: DriftAlert, window: DriftWindowSummary) => ({
    version,
    feature: alert.feature,
    metric: alert.metric,
    value: alert.value,
    threshold: alert.threshold,
    windowRecords: window.records,
  });
  return ({ version, raised, cleared, window }) => {
    for (const alert of raised) {
      logger.warn(
        fields(version, alert, window),
        `drift: model ${version} ${alert.feature} ${alert.metric} ${round(alert.value)} is over its threshold ${alert.threshold}`,
      );
    }
    for (const alert of cleared) {
      logger.info(
        fields(version, alert, window),
        `drift cleared: model ${version} ${alert.feature} ${alert.metric} ${round(alert.value)} is back within its threshold ${alert.threshold}`,
      );
    }
  };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
