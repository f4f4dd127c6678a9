import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  bucketsSince,
  byLabel,
  histogram,
  quantile,
  total,
  type Buckets,
} from '../../../src/dashboard/metric-readings.js';

async function snapshotOf(fill: (registry: Registry) => void) {
  const registry = new Registry();
  fill(registry);
  return registry.getMetricsAsJSON();
}

describe('metric readings (what the dashboard reads out of /metrics)', () => {
  it('sums a counter over its series, or over the series a filter picks', async () => {
    const snapshot = await snapshotOf((registers) => {
      const c = new Counter({
        name: 'dead_total',
        help: 'h',
        labelNames: ['source', 'reason'],
        registers: [registers],
      });
      c.inc({ source: 'live', reason: 'decode-failed' }, 3);
      c.inc({ source: 'live', reason: 'invalid-customer' }, 5);
      c.inc({ source: 'replay', reason: 'decode-failed' }, 2);
    });
    expect(total(snapshot, 'dead_total')).toBe(10);
    expect(total(snapshot, 'dead_total', { source: 'live' })).toBe(8);
    expect(total(snapshot, 'absent_total')).toBe(0);
    expect(byLabel(snapshot, 'dead_total', 'reason')).toEqual([
      { label: 'decode-failed', value: 5 },
      { label: 'invalid-customer', value: 5 },
    ]);
  });

  it("computes quantiles as Prometheus' histogram_quantile does (linear inside the bucket, +Inf capped)", async () => {
    const snapshot = await snapshotOf((registers) => {
      const h = new Histogram({
        name: 'lat',
        help: 'h',
        labelNames: ['source'],
        buckets: [0.1, 0.2, 0.4],
        registers: [registers],
      });
      // 10 in (0, 0.1], 30 in (0.1, 0.2], 50 in (0.2, 0.4], 10 above
      for (let i = 0; i < 10; i++) h.observe({ source: 'live' }, 0.05);
      for (let i = 0; i < 30; i++) h.observe({ source: 'live' }, 0.15);
      for (let i = 0; i < 50; i++) h.observe({ source: 'replay' }, 0.3);
      for (let i = 0; i < 10; i++) h.observe({ source: 'replay' }, 9);
    });
    const all = histogram(snapshot, 'lat');
    expect(all.count).toBe(100);
    expect(all.counts).toEqual([10, 40, 90, 100]);
    // rank 50 falls in (0.2, 0.4] holding 40..90: 0.2 + 0.2 * (50 - 40) / 50
    expect(quantile(all, 0.5)).toBeCloseTo(0.24, 12);
    // rank 5 in the first bucket: 0 + 0.1 * 5 / 10
    expect(quantile(all, 0.05)).toBeCloseTo(0.05, 12);
    // rank 99 in +Inf: the highest finite bound
    expect(quantile(all, 0.99)).toBe(0.4);
    expect(histogram(snapshot, 'lat', { source: 'live' }).count).toBe(40);
    expect(quantile(histogram(snapshot, 'absent'), 0.5)).toBeNull();
  });

  it('takes what happened between two readings bucket by bucket', () => {
    const earlier: Buckets = { upperBounds: [1, Infinity], counts: [4, 5], sum: 3, count: 5 };
    const later: Buckets = { upperBounds: [1, Infinity], counts: [10, 15], sum: 20, count: 15 };
    expect(bucketsSince(later, earlier)).toEqual({ upperBounds: [1, Infinity], counts: [6, 10], sum: 17, count: 10 });
    expect(quantile(bucketsSince(later, earlier), 0.5)).toBeCloseTo(5 / 6, 12);
  });
});
