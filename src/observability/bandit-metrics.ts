import type { Counter, Gauge, Registry } from 'prom-client';
import { counterIn, gaugeIn } from './metrics-registry.js';

/** The bandit stepper's instruments (src/bandit/bandit-stepper.ts). */
export interface BanditMetrics {
  /** percent of the customers each arm of the bandit in force serves; no series while no bandit is in force */
  weight: Gauge<'version'>;
  /** bandit steps this worker published */
  steps: Counter;
}

export function banditMetrics(registry: Registry): BanditMetrics {
  return {
    weight: gaugeIn(registry, {
      name: 'churn_bandit_weight',
      help: 'Percent of the customers each arm (model version) of the bandit rollout in force serves',
      labelNames: ['version'] as const,
    }),
    steps: counterIn(registry, {
      name: 'churn_bandit_steps_total',
      help: 'Bandit steps (posterior update and new weights) this worker published to the rollout topic',
      labelNames: [] as const,
    }),
  };
}
