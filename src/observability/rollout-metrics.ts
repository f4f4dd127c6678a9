import type { Counter, Gauge, Registry } from 'prom-client';
import { counterIn, gaugeIn } from './metrics-registry.js';

/** The rollout follower's instruments (src/model-registry/rollout-follower.ts). */
export interface RolloutMetrics {
  /** revision of the rollout in force; 0 while the local model serves alone */
  revision: Gauge;
  /** percent of the customers each served version gets, by variant (champion, canary, ab) */
  share: Gauge<'version' | 'variant'>;
  rolloutRefused: Counter<'reason'>;
  modelRefused: Counter<'reason'>;
}

export function rolloutMetrics(registry: Registry): RolloutMetrics {
  return {
    revision: gaugeIn(registry, {
      name: 'churn_rollout_revision',
      help: 'Revision of the rollout in force (0: no rollout published, the local model serves everyone)',
      labelNames: [] as const,
    }),
    share: gaugeIn(registry, {
      name: 'churn_rollout_share',
      help: 'Percent of the customers each model version serves in the rollout in force, by variant',
      labelNames: ['version', 'variant'] as const,
    }),
    rolloutRefused: counterIn(registry, {
      name: 'churn_rollout_refused_total',
      help: 'Rollout records refused (the previous rollout stays in force), by reason',
      labelNames: ['reason'] as const,
    }),
    modelRefused: counterIn(registry, {
      name: 'churn_model_refused_total',
      help: 'Model packages refused by verification (checksum, artifact, parity, ...), by reason',
      labelNames: ['reason'] as const,
    }),
  };
}
