import type { Counter, Gauge, Registry } from 'prom-client';
import { counterIn, gaugeIn } from './metrics-registry.js';

/** Where a prediction was made; the stream worker uses 'stream', the side-port 'http'. */
export type PredictionSource = 'http' | 'cli' | 'stream';
export type ChurnLabel = 'churn' | 'no_churn';

export interface PredictionMetrics {
  predictions: Counter<'outcome' | 'source'>;
  modelInfo: Gauge<'name' | 'version'>;
}

export function predictionMetrics(registry: Registry): PredictionMetrics {
  return {
    predictions: counterIn(registry, {
      name: 'churn_predictions_total',
      help: 'Predictions made, by outcome (churn / no_churn at the model threshold) and source',
      labelNames: ['outcome', 'source'] as const,
    }),
    modelInfo: gaugeIn(registry, {
      name: 'churn_model_info',
      help: 'Always 1; labels name the loaded model artifact',
      labelNames: ['name', 'version'] as const,
    }),
  };
}

/** Pre-bound counters so the hot path does not hash a label set per prediction. */
export interface ChurnCounters {
  churn: { inc(value?: number): void };
  no_churn: { inc(value?: number): void };
}

export function churnCounters(metrics: PredictionMetrics, source: PredictionSource): ChurnCounters {
  return {
    churn: metrics.predictions.labels({ outcome: 'churn', source }),
    no_churn: metrics.predictions.labels({ outcome: 'no_churn', source }),
  };
}

export function recordModelInfo(metrics: PredictionMetrics, model: { name: string; version: string }): void {
  metrics.modelInfo.set({ name: model.name, version: model.version }, 1);
}
