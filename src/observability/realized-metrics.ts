import type { Registry } from 'prom-client';
import type { RealizedPerformance } from '../outcomes/realized-performance.js';
import type { RealizedSource } from '../outcomes/realized-tracker.js';
import { scrapedGaugeIn } from './metrics-registry.js';

/**
 * Realized performance as Prometheus gauges, per model version and variant, over each one's window of its last
 * joined predictions (src/outcomes/realized-tracker.ts), read at each scrape (collect callbacks, so nothing runs
 * per joined record). A figure that is not defined (AUC with one class, recall without a churner) has no series.
 *
 * Idempotent per registry, like the other instruments: a second call keeps the first source.
 */
export function registerRealizedMetrics(registry: Registry, source: RealizedSource): void {
  const gauge = (name: string, help: string, pick: (v: RealizedPerformance) => number | null): void => {
    scrapedGaugeIn(registry, { name, help, labelNames: ['version', 'variant'] }, () =>
      source.view().versions.map((v) => [{ version: v.version, variant: v.variant }, pick(v)] as const),
    );
  };
  gauge(
    'churn_realized_auc',
    'AUC of the churn probabilities against the real outcomes (Mann-Whitney), over the realized-performance window',
    (v) => v.auc,
  );
  gauge(
    'churn_realized_log_loss',
    'Log-loss of the churn probabilities against the real outcomes, over the realized-performance window',
    (v) => v.log_loss,
  );
  gauge(
    'churn_realized_precision_riskiest25',
    'Share of churners among the riskiest 25% of the window (highest churn probabilities)',
    (v) => v.precision_riskiest25,
  );
  gauge(
    'churn_realized_recall_riskiest25',
    "Share of the window's churners caught by its riskiest 25% (highest churn probabilities)",
    (v) => v.recall_riskiest25,
  );
  gauge(
    'churn_realized_records',
    'Joined predictions (outcome known) in the realized-performance window of the model version and variant',
    (v) => v.n,
  );
}
