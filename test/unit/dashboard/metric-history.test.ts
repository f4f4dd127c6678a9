import { describe, expect, it } from 'vitest';
import { MetricHistory, type MetricSample } from '../../../src/dashboard/metric-history.js';
import { NO_BUCKETS } from '../../../src/dashboard/metric-readings.js';

function sample(at: number, consumed: number, latencyCounts: readonly number[] = [0, 0, 0]): MetricSample {
  return {
    at,
    consumed,
    predicted: consumed,
    deadLettered: 0,
    httpRequests: 0,
    lag: 100 - consumed,
    endToEnd: { upperBounds: [0.01, 0.1, Infinity], counts: latencyCounts, sum: 0, count: latencyCounts.at(-1) ?? 0 },
    httpDuration: NO_BUCKETS,
  };
}

describe('the dashboard history', () => {
  it('turns counters into per-second rates between samples, the first point without one', () => {
    const history = new MetricHistory({ capacity: 10, windowSamples: 2 });
    history.push(sample(1_000, 0));
    history.push(sample(2_000, 50));
    history.push(sample(4_000, 250));
    const series = history.series();
    expect(series.t).toEqual([1, 2, 4]);
    expect(series.consumed_per_s).toEqual([null, 50, 100]);
    expect(series.lag).toEqual([100, 50, -150]);
  });

  it('keeps the last `capacity` samples, oldest first', () => {
    const history = new MetricHistory({ capacity: 3, windowSamples: 1 });
    for (let i = 0; i < 7; i++) history.push(sample(i * 1_000, i * 10));
    expect(history.samples().map((s) => s.at)).toEqual([4_000, 5_000, 6_000]);
    expect(history.series().consumed_per_s).toEqual([null, 10, 10]);
  });

  it('gives latency percentiles over the last window only, not since the start', () => {
    const history = new MetricHistory({ capacity: 10, windowSamples: 1 });
    // first 100 records all fast, the next 100 all slow
    history.push(sample(0, 0, [0, 0, 0]));
    history.push(sample(1_000, 100, [100, 100, 100]));
    history.push(sample(2_000, 200, [100, 100, 200]));
    const { end_to_end_p99_ms: p99 } = history.series();
    expect(p99[0]).toBeNull();
    expect(p99[1]).toBeCloseTo(9.9, 6);
    // the slow window: above the highest finite bound, so that bound (100 ms)
    expect(p99[2]).toBe(100);
  });
});
