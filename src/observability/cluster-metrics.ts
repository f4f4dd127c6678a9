import { AggregatorRegistry, type Counter, type Gauge, type Registry } from 'prom-client';
import { counterIn, gaugeIn } from './metrics-registry.js';

/** One process's metrics as prom-client's `registry.getMetricsAsJSON()` gives them (they cross IPC as JSON). */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The label that tells the workers' gauges apart in the whole server's view. */
export const WORKER_LABEL = 'worker';

/**
 * prom-client's process and Node.js metrics (collectDefaultMetrics): they declare how they aggregate (sum of CPU
 * seconds and memory, mean/min/max of event-loop lag, no start time), so they are left as prom-client made them.
 */
function isProcessMetric(name: string): boolean {
  return name.startsWith('process_') || name.startsWith('nodejs_');
}

/**
 * A worker's snapshot made ready for the whole server's view (pure): each of our gauges gets a `worker` label,
 * because a gauge is the state of one process (the model it serves, the drift of the requests it answered) and a
 * sum of them means nothing; counters and histograms stay as they are and are summed over the workers.
 */
export function labelWorkerGauges(snapshot: MetricsSnapshot, worker: string): MetricsSnapshot {
  return snapshot.map((metric) => {
    if (String(metric.type) !== 'gauge' || isProcessMetric(metric.name) || metric.aggregator !== 'sum') return metric;
    return {
      ...metric,
      // the label sets now differ per worker, so 'first' keeps each worker's series as it is
      aggregator: 'first',
      values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, [WORKER_LABEL]: worker } })),
    };
  });
}

/**
 * The counters and histograms of a snapshot (pure): what a worker that exits leaves to the whole server's totals,
 * so they do not fall back (a fall reads as a counter reset to Prometheus) when a worker is restarted.
 */
export function cumulativeMetrics(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((metric) => {
    const type = String(metric.type);
    return type === 'counter' || type === 'histogram';
  });
}

/**
 * The whole server's metrics from the snapshots of its processes (pure), with prom-client's cluster aggregation
 * (AggregatorRegistry.aggregate): series with the same name and labels are summed, except where a metric declares
 * another aggregator (prom-client's event-loop lag: mean/min/max; `labelWorkerGauges`' gauges: one per worker).
 */
export function aggregateSnapshots(snapshots: readonly MetricsSnapshot[]): Registry {
  return AggregatorRegistry.aggregate(snapshots.map((s) => [...s]));
}

/** The primary's own instruments of `serve --workers N` (added to the whole server's view). */
export interface ClusterMetrics {
  workers: Gauge;
  restarts: Counter;
}

export function clusterMetrics(registry: Registry): ClusterMetrics {
  return {
    workers: gaugeIn(registry, {
      name: 'churn_http_workers',
      help: 'Side-port worker processes running (serve --workers N)',
      labelNames: [] as const,
    }),
    restarts: counterIn(registry, {
      name: 'churn_http_worker_restarts_total',
      help: 'Side-port worker processes restarted after they exited unexpectedly',
      labelNames: [] as const,
    }),
  };
}

/** Requests one worker answered, labelled with the worker: how the connections are spread over the workers. */
export function workerRequestsCounter(registry: Registry, worker: string): { inc(): void } {
  return counterIn(registry, {
    name: 'churn_http_worker_requests_total',
    help: 'HTTP requests answered by each side-port worker process (serve --workers N)',
    labelNames: [WORKER_LABEL] as const,
  }).labels({ [WORKER_LABEL]: worker });
}
