import { describe, expect, it } from 'vitest';
import {
  aggregateSnapshots,
  cumulativeMetrics,
  labelWorkerGauges,
  type MetricsSnapshot,
} from '../../../src/observability/cluster-metrics.js';
import { httpMetrics } from '../../../src/observability/http-metrics.js';
import { createMetricsRegistry } from '../../../src/observability/metrics-registry.js';
import { predictionMetrics } from '../../../src/observability/prediction-metrics.js';

/** One worker's registry after answering `requests` predictions of `seconds` each, serving model `version`. */
async function workerSnapshot(worker: string, requests: number, seconds: number, version: string) {
  const registry = createMetricsRegistry();
  const http = httpMetrics(registry);
  const labels = { route: '/predict', method: 'POST', status: '200' };
  for (let i = 0; i < requests; i++) {
    http.requests.inc(labels);
    http.duration.observe(labels, seconds);
  }
  predictionMetrics(registry).modelInfo.set({ name: 'churn', version }, 1);
  return labelWorkerGauges(await registry.getMetricsAsJSON(), worker);
}

/** The value of the series whose exposition line starts with `prefix`. */
function valueOf(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${prefix} `));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

describe('the whole server view of serve --workers N (aggregated in the primary)', () => {
  it('sums counters and histograms, keeps a series per worker for our gauges, and aggregates process metrics as prom-client does', async () => {
    const text = await aggregateSnapshots([
      await workerSnapshot('1', 3, 0.002, '1.0.0'),
      await workerSnapshot('2', 5, 0.02, '1.1.0'),
    ]).metrics();

    expect(valueOf(text, 'http_requests_total{route="/predict",method="POST",status="200"}')).toBe(8);
    const bucket = (le: string) =>
      valueOf(text, `http_request_duration_seconds_bucket{le="${le}",route="/predict",method="POST",status="200"}`);
    expect([bucket('0.0025'), bucket('0.025'), bucket('+Inf')]).toEqual([3, 8, 8]);
    expect(valueOf(text, 'http_request_duration_seconds_count{route="/predict",method="POST",status="200"}')).toBe(8);

    // a gauge is one process's state: one series per worker, never a sum
    expect(valueOf(text, 'churn_model_info{name="churn",version="1.0.0",worker="1"}')).toBe(1);
    expect(valueOf(text, 'churn_model_info{name="churn",version="1.1.0",worker="2"}')).toBe(1);
    expect(text).not.toMatch(/churn_model_info\{[^}]*\} 2/);

    // prom-client's process metrics: memory summed over the workers, the start time left out, no worker label
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/process_start_time_seconds \d/);
    expect(text).not.toMatch(/^(process|nodejs)_[a-z_]+\{[^}]*worker=/m);
  });

  it("keeps an exited worker's counters and histograms, not its gauges, so the totals never fall", async () => {
    const gone = await workerSnapshot('1', 4, 0.001, '1.0.0');
    const retired: MetricsSnapshot = await aggregateSnapshots([cumulativeMetrics(gone)]).getMetricsAsJSON();
    expect(retired.map((m) => String(m.type))).not.toContain('gauge');

    const text = await aggregateSnapshots([retired, await workerSnapshot('1', 1, 0.001, '1.0.0')]).metrics();
    expect(valueOf(text, 'http_requests_total{route="/predict",method="POST",status="200"}')).toBe(5);
    expect(valueOf(text, 'churn_model_info{name="churn",version="1.0.0",worker="1"}')).toBe(1);
  });
});
