import type { Registry } from 'prom-client';
import type { ShadowView, VariantView } from '../experiments/comparison-view.js';
import type { ExperimentsSource } from '../experiments/experiment-tracker.js';
import { scrapedGaugeIn } from './metrics-registry.js';

/**
 * The comparison of the rollout revision in force as Prometheus gauges, read from the tracker at each scrape
 * (collect callbacks, so nothing runs per prediction). Series exist for the variants and shadows the revision
 * has scored; a new revision starts them afresh, as GET /experiments does. A gauge whose figure is not defined
 * yet (no event) has no series.
 *
 * Idempotent per registry, like the other instruments: a second call keeps the first source.
 */
export function registerExperimentMetrics(registry: Registry, experiments: ExperimentsSource): void {
  const variantGauge = (name: string, help: string, pick: (v: VariantView) => number | null): void => {
    scrapedGaugeIn(registry, { name, help, labelNames: ['variant', 'version'] }, () =>
      experiments.summary().variants.map((v) => [{ variant: v.variant, version: v.version }, pick(v)] as const),
    );
  };
  const shadowGauge = (name: string, help: string, pick: (s: ShadowView) => number | null): void => {
    scrapedGaugeIn(registry, { name, help, labelNames: ['shadow', 'champion'] }, () =>
      experiments.summary().shadows.map((s) => [{ shadow: s.version, champion: s.champion_version }, pick(s)] as const),
    );
  };

  variantGauge(
    'churn_experiment_predictions',
    'Committed live predictions of the rollout revision in force, by variant and model version',
    (v) => v.count,
  );
  variantGauge(
    'churn_experiment_mean_score',
    'Mean churn probability of the committed predictions of the revision in force, by variant and model version',
    (v) => v.mean_score,
  );
  variantGauge(
    'churn_experiment_churn_rate',
    "Share of the revision's committed predictions at or above the model's threshold, by variant and version",
    (v) => v.churn_rate,
  );
  scrapedGaugeIn(
    registry,
    {
      name: 'churn_experiment_score_histogram',
      help:
        'Committed live predictions of the revision in force per churn-probability bin (bin="0.0-0.1", ..., ' +
        '"0.9-1.0"; the last includes 1), by variant and model version',
      labelNames: ['variant', 'version', 'bin'],
    },
    () =>
      experiments
        .summary()
        .variants.flatMap((v) =>
          v.histogram.map(
            (count, i) =>
              [{ variant: v.variant, version: v.version, bin: binLabel(i, v.histogram.length) }, count] as const,
          ),
        ),
  );
  shadowGauge(
    'churn_shadow_agreement',
    'Share of events where the shadow and the champion make the same churn decision (revision in force)',
    (s) => s.agreement,
  );
  shadowGauge(
    'churn_shadow_mean_abs_delta',
    'Mean |shadow score - champion score| over the same events (revision in force)',
    (s) => s.mean_abs_delta,
  );
  shadowGauge(
    'churn_shadow_psi',
    "Population stability index of the shadow's scores against the champion's (10 bins, revision in force)",
    (s) => s.psi,
  );
  shadowGauge(
    'churn_shadow_riskiest_quartile_jaccard',
    'Jaccard overlap of the riskiest 25% of events by the shadow and by the champion (revision in force)',
    (s) => s.riskiest_quartile_jaccard,
  );
}

/** "0.0-0.1" for bin 0 of 10: the bin's edges on [0, 1]. */
function binLabel(index: number, bins: number): string {
  return `${(index / bins).toFixed(1)}-${((index + 1) / bins).toFixed(1)}`;
}
