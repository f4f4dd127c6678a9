import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counterIn, gaugeIn, histogramIn } from './metrics-registry.js';

/** The outcome join's instruments (src/outcomes/outcome-joiner.ts). */
export interface JoinMetrics {
  /** committed records on the joined topic by kind: joined, unmatched-outcome, expired-prediction */
  joined: Counter<'kind'>;
  /** predictions waiting for an outcome in the tasks this worker owns (committed state) */
  pending: Gauge;
  /** pending predictions expired before their window closed because their task was full (maxPendingPerPartition) */
  evicted: Counter;
  /** restores of a task's state from its changelog partition */
  restoreSeconds: Histogram;
  /** outcome (and prediction) records the join sent to the dead-letter topic, by reason */
  deadLettered: Counter<'reason'>;
}

export function joinMetrics(registry: Registry): JoinMetrics {
  return {
    joined: counterIn(registry, {
      name: 'churn_outcomes_joined_total',
      help: 'Records committed to the joined topic, by kind (joined, unmatched-outcome, expired-prediction)',
      labelNames: ['kind'] as const,
    }),
    pending: gaugeIn(registry, {
      name: 'churn_outcomes_pending_predictions',
      help: 'Predictions waiting for their outcome in the join tasks this worker owns',
      labelNames: [] as const,
    }),
    evicted: counterIn(registry, {
      name: 'churn_outcomes_evicted_total',
      help:
        'Pending predictions expired before their attribution window closed because their join task held ' +
        'OUTCOME_MAX_PENDING_PER_PARTITION (each also counts as kind="expired-prediction" in churn_outcomes_joined_total)',
      labelNames: [] as const,
    }),
    restoreSeconds: histogramIn(registry, {
      name: 'churn_outcomes_restore_seconds',
      help: "Time to restore a join task's state from its changelog partition (fencing and offsets included)",
      labelNames: [] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    }),
    deadLettered: counterIn(registry, {
      name: 'churn_outcomes_dead_letters_total',
      help: 'Records of the join inputs committed to the dead-letter topic, by reason',
      labelNames: ['reason'] as const,
    }),
  };
}
