import type { ExperimentsView } from '../experiments/experiment-tracker.js';
import type { MonitoringView } from '../http/monitoring-view.js';
import type { MetricsSnapshot } from '../observability/cluster-metrics.js';
import type { ProbeResult } from '../observability/health.js';
import type { RealizedView } from '../outcomes/realized-tracker.js';
import type { ServingModel, ServingSet } from '../serving/serving-set.js';
import type { HistorySeries } from './metric-history.js';
import { METRIC_NAMES } from './metric-history.js';
import {
  byLabel,
  hasMetric,
  histogram,
  quantile,
  series,
  toMilliseconds,
  total,
  type Buckets,
} from './metric-readings.js';
import type { RiskiestView } from './riskiest-customers.js';

/** Which command's side-port the page is on: the panels differ (`serve` has no stream, `join` no scoring). */
export type DashboardRole = 'run' | 'serve' | 'join';

/** Percentiles in milliseconds; null before the first observation. */
export interface Percentiles {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly count: number;
}

/** The stream worker's panel: what /metrics says of it, since the process started. */
export interface StreamPanel {
  readonly consumed: number;
  readonly predicted: number;
  readonly shadow_predicted: number;
  readonly dead_lettered: number;
  readonly dead_letters_by_reason: readonly { readonly reason: string; readonly count: number }[];
  readonly lag: readonly { readonly topic: string; readonly partition: number; readonly lag: number }[];
  readonly lag_total: number;
  readonly assigned_partitions: number;
  readonly end_to_end_ms: Percentiles;
  readonly transactions: {
    readonly committed: number;
    readonly mean_records: number | null;
    readonly p99_ms: number | null;
  };
}

/** GET /dashboard/view: everything the page draws, from the process's own state; a panel is null when it has no data. */
export interface DashboardView {
  readonly service: string;
  readonly role: DashboardRole;
  readonly generated_at: string;
  readonly uptime_seconds: number;
  readonly readiness: ProbeResult;
  readonly serving: {
    readonly revision: number;
    readonly champion: string;
    readonly threshold: number;
    readonly versions: readonly string[];
  };
  /** churn_predictions_total of every source (stream, HTTP) at the champion's threshold */
  readonly predictions: {
    readonly churn: number;
    readonly no_churn: number;
    readonly churn_rate: number | null;
  };
  readonly stream: StreamPanel | null;
  readonly http: { readonly requests: number; readonly duration_ms: Percentiles } | null;
  readonly history: HistorySeries;
  readonly riskiest: RiskiestView | null;
  /** the rollout in force and, with a stream, its comparison of variants and shadows */
  readonly experiments: ExperimentsView;
  readonly realized: RealizedView | null;
  readonly monitoring: MonitoringView | null;
}

export interface DashboardInputs {
  readonly service: string;
  readonly role: DashboardRole;
  readonly now: number;
  readonly startedAt: number;
  readonly readiness: ProbeResult;
  readonly set: ServingSet;
  readonly metrics: MetricsSnapshot;
  readonly history: HistorySeries;
  readonly riskiest: RiskiestView | null;
  readonly experiments: ExperimentsView;
  readonly realized: RealizedView | null;
  readonly monitoring: MonitoringView;
}

/** The dashboard's view (pure): every figure comes from the inputs, the metrics from the snapshot /metrics shows. */
export function dashboardView(inputs: DashboardInputs): DashboardView {
  const { metrics, set } = inputs;
  const champion = set.models.get(set.rollout.champion.version) as ServingModel;
  const churn = total(metrics, METRIC_NAMES.predictions, { outcome: 'churn' });
  const noChurn = total(metrics, METRIC_NAMES.predictions, { outcome: 'no_churn' });
  return {
    service: inputs.service,
    role: inputs.role,
    generated_at: new Date(inputs.now).toISOString(),
    uptime_seconds: Math.max(0, Math.round((inputs.now - inputs.startedAt) / 1000)),
    readiness: inputs.readiness,
    serving: {
      revision: set.revision,
      champion: set.rollout.champion.version,
      threshold: champion.model.meta.threshold,
      versions: [...set.models.keys()],
    },
    predictions: { churn, no_churn: noChurn, churn_rate: churn + noChurn === 0 ? null : churn / (churn + noChurn) },
    stream: hasMetric(metrics, METRIC_NAMES.consumed) ? streamPanel(metrics) : null,
    http: httpPanel(metrics),
    history: inputs.history,
    riskiest: inputs.riskiest,
    experiments: inputs.experiments,
    realized: inputs.realized,
    monitoring: inputs.monitoring.enabled ? inputs.monitoring : null,
  };
}

function streamPanel(metrics: MetricsSnapshot): StreamPanel {
  const lag = series(metrics, METRIC_NAMES.lag)
    .map(({ labels, value }) => ({ topic: labels['topic'] ?? '', partition: Number(labels['partition']), lag: value }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const records = histogram(metrics, METRIC_NAMES.transactionRecords);
  return {
    consumed: total(metrics, METRIC_NAMES.consumed),
    predicted: total(metrics, METRIC_NAMES.predicted),
    shadow_predicted: total(metrics, 'churn_stream_shadow_predictions_produced_total'),
    dead_lettered: total(metrics, METRIC_NAMES.deadLettered),
    dead_letters_by_reason: byLabel(metrics, METRIC_NAMES.deadLettered, 'reason').map(({ label, value }) => ({
      reason: label,
      count: value,
    })),
    lag,
    lag_total: lag.reduce((sum, p) => sum + p.lag, 0),
    assigned_partitions: total(metrics, 'churn_stream_assigned_partitions'),
    end_to_end_ms: percentiles(histogram(metrics, METRIC_NAMES.endToEnd)),
    transactions: {
      committed: records.count,
      mean_records: records.count === 0 ? null : records.sum / records.count,
      p99_ms: toMilliseconds(quantile(histogram(metrics, METRIC_NAMES.transactionSeconds, { result: 'commit' }), 0.99)),
    },
  };
}

function httpPanel(metrics: MetricsSnapshot): DashboardView['http'] {
  if (!hasMetric(metrics, METRIC_NAMES.httpDuration)) return null;
  return {
    requests: total(metrics, METRIC_NAMES.httpRequests),
    duration_ms: percentiles(histogram(metrics, METRIC_NAMES.httpDuration)),
  };
}

function percentiles(buckets: Buckets): Percentiles {
  return {
    p50: toMilliseconds(quantile(buckets, 0.5)),
    p90: toMilliseconds(quantile(buckets, 0.9)),
    p99: toMilliseconds(quantile(buckets, 0.99)),
    count: buckets.count,
  };
}
