import type { MetricsSnapshot } from '../observability/cluster-metrics.js';
import {
  bucketsSince,
  histogram,
  NO_BUCKETS,
  quantile,
  toMilliseconds,
  total,
  type Buckets,
} from './metric-readings.js';

/** The figures the dashboard's charts follow, read from one metrics snapshot. */
export interface MetricSample {
  /** epoch milliseconds */
  readonly at: number;
  readonly consumed: number;
  readonly predicted: number;
  readonly deadLettered: number;
  readonly httpRequests: number;
  readonly lag: number;
  readonly endToEnd: Buckets;
  readonly httpDuration: Buckets;
}

export const METRIC_NAMES = {
  consumed: 'churn_stream_records_consumed_total',
  predicted: 'churn_stream_predictions_produced_total',
  deadLettered: 'churn_stream_dead_letters_total',
  lag: 'churn_stream_consumer_lag',
  endToEnd: 'churn_stream_end_to_end_seconds',
  transactionRecords: 'churn_stream_transaction_records',
  transactionSeconds: 'churn_stream_transaction_seconds',
  predictions: 'churn_predictions_total',
  httpRequests: 'http_requests_total',
  httpDuration: 'http_request_duration_seconds',
} as const;

export function sampleOf(snapshot: MetricsSnapshot, at: number): MetricSample {
  return {
    at,
    consumed: total(snapshot, METRIC_NAMES.consumed),
    predicted: total(snapshot, METRIC_NAMES.predicted),
    deadLettered: total(snapshot, METRIC_NAMES.deadLettered),
    httpRequests: total(snapshot, METRIC_NAMES.httpRequests),
    lag: total(snapshot, METRIC_NAMES.lag),
    endToEnd: histogram(snapshot, METRIC_NAMES.endToEnd),
    httpDuration: histogram(snapshot, METRIC_NAMES.httpDuration),
  };
}

/**
 * The charts' data, column-wise as uPlot takes it: `t` in epoch seconds, then one array per series with null where
 * a point has no value (the first sample has no rate; a window without observations has no percentile).
 */
export interface HistorySeries {
  readonly t: number[];
  readonly consumed_per_s: (number | null)[];
  readonly predicted_per_s: (number | null)[];
  readonly dead_letters_per_s: (number | null)[];
  readonly http_per_s: (number | null)[];
  readonly lag: number[];
  /** end-to-end latency percentiles, milliseconds, of the records committed within the last `windowSamples` */
  readonly end_to_end_p50_ms: (number | null)[];
  readonly end_to_end_p99_ms: (number | null)[];
  readonly http_p99_ms: (number | null)[];
}

export interface MetricHistoryOptions {
  /** samples kept (the oldest are dropped) */
  readonly capacity: number;
  /** the samples a percentile point spans: latency over the last few seconds, not since the start */
  readonly windowSamples: number;
}

/**
 * The last `capacity` samples, in a ring (pure; the side-port's sampler pushes one a second), so a page opened at
 * 3 a.m. shows the last minutes at once instead of starting from an empty chart.
 */
export class MetricHistory {
  readonly #samples: (MetricSample | undefined)[];
  #next = 0;
  #size = 0;

  constructor(private readonly options: MetricHistoryOptions) {
    this.#samples = new Array<MetricSample | undefined>(options.capacity);
  }

  push(sample: MetricSample): void {
    this.#samples[this.#next] = sample;
    this.#next = (this.#next + 1) % this.options.capacity;
    this.#size = Math.min(this.#size + 1, this.options.capacity);
  }

  /** oldest first */
  samples(): MetricSample[] {
    const out: MetricSample[] = [];
    const start = (this.#next - this.#size + this.options.capacity) % this.options.capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#samples[(start + i) % this.options.capacity] as MetricSample);
    return out;
  }

  series(): HistorySeries {
    const samples = this.samples();
    const out: HistorySeries = {
      t: [],
      consumed_per_s: [],
      predicted_per_s: [],
      dead_letters_per_s: [],
      http_per_s: [],
      lag: [],
      end_to_end_p50_ms: [],
      end_to_end_p99_ms: [],
      http_p99_ms: [],
    };
    const window = this.options.windowSamples;
    samples.forEach((sample, i) => {
      const previous = samples[i - 1];
      const seconds = previous === undefined ? 0 : (sample.at - previous.at) / 1000;
      const rate = (now: number, before: number | undefined): number | null =>
        previous === undefined || before === undefined || seconds <= 0 ? null : Math.max(0, now - before) / seconds;
      out.t.push(sample.at / 1000);
      out.consumed_per_s.push(rate(sample.consumed, previous?.consumed));
      out.predicted_per_s.push(rate(sample.predicted, previous?.predicted));
      out.dead_letters_per_s.push(rate(sample.deadLettered, previous?.deadLettered));
      out.http_per_s.push(rate(sample.httpRequests, previous?.httpRequests));
      out.lag.push(sample.lag);
      const since = samples[Math.max(0, i - window)];
      const endToEnd = since === sample ? NO_BUCKETS : bucketsSince(sample.endToEnd, since?.endToEnd ?? NO_BUCKETS);
      const http = since === sample ? NO_BUCKETS : bucketsSince(sample.httpDuration, since?.httpDuration ?? NO_BUCKETS);
      out.end_to_end_p50_ms.push(toMilliseconds(quantile(endToEnd, 0.5)));
      out.end_to_end_p99_ms.push(toMilliseconds(quantile(endToEnd, 0.99)));
      out.http_p99_ms.push(toMilliseconds(quantile(http, 0.99)));
    });
    return out;
  }
}
