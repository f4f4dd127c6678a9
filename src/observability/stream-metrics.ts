import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counterIn, gaugeIn, histogramIn } from './metrics-registry.js';

/** The stream worker's instruments; labels: `source` is 'live' or 'replay'. */
export interface StreamMetrics {
  consumed: Counter<'source'>;
  produced: Counter<'source'>;
  shadowProduced: Counter<'source'>;
  shadowFailed: Counter<'source' | 'version'>;
  deadLettered: Counter<'source' | 'reason'>;
  batchSize: Histogram<'source'>;
  transactionSeconds: Histogram<'source' | 'result'>;
  endToEndSeconds: Histogram<'source'>;
  lag: Gauge<'topic' | 'partition'>;
  rebalances: Counter<'consumer'>;
  assignedPartitions: Gauge<'consumer'>;
}

export function streamMetrics(registry: Registry): StreamMetrics {
  return {
    consumed: counterIn(registry, {
      name: 'churn_stream_records_consumed_total',
      help: 'Input records processed inside committed transactions',
      labelNames: ['source'] as const,
    }),
    produced: counterIn(registry, {
      name: 'churn_stream_predictions_produced_total',
      help: 'Predictions committed to the predictions topic',
      labelNames: ['source'] as const,
    }),
    shadowProduced: counterIn(registry, {
      name: 'churn_stream_shadow_predictions_produced_total',
      help: 'Predictions committed to the shadow topic (shadow versions, and both sides of replay --compare)',
      labelNames: ['source'] as const,
    }),
    shadowFailed: counterIn(registry, {
      name: 'churn_stream_shadow_failures_total',
      help: 'Committed live predictions a shadow version could not score alongside (no shadow prediction written)',
      labelNames: ['source', 'version'] as const,
    }),
    deadLettered: counterIn(registry, {
      name: 'churn_stream_dead_letters_total',
      help: 'Records committed to the dead-letter topic, by reason',
      labelNames: ['source', 'reason'] as const,
    }),
    batchSize: histogramIn(registry, {
      name: 'churn_stream_transaction_records',
      help: 'Records per committed transaction',
      labelNames: ['source'] as const,
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    }),
    transactionSeconds: histogramIn(registry, {
      name: 'churn_stream_transaction_seconds',
      help: 'Time from transaction begin to commit (or abort)',
      labelNames: ['source', 'result'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    endToEndSeconds: histogramIn(registry, {
      name: 'churn_stream_end_to_end_seconds',
      help: 'From the event_time of an input record to the commit of its prediction',
      labelNames: ['source'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
    lag: gaugeIn(registry, {
      name: 'churn_stream_consumer_lag',
      help: 'Records between the committed offset and the end of each input partition',
      labelNames: ['topic', 'partition'] as const,
    }),
    rebalances: counterIn(registry, {
      name: 'churn_stream_rebalances_total',
      help: 'Consumer group joins (each rebalance the worker takes part in)',
      labelNames: ['consumer'] as const,
    }),
    assignedPartitions: gaugeIn(registry, {
      name: 'churn_stream_assigned_partitions',
      help: 'Input partitions currently assigned to this worker',
      labelNames: ['consumer'] as const,
    }),
  };
}
