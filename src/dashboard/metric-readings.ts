import type { MetricsSnapshot } from '../observability/cluster-metrics.js';

/*
 * Reading figures out of a metrics snapshot (prom-client's getMetricsAsJSON, or the primary's aggregation of
 * `serve --workers N`), pure. The dashboard takes every number from the same snapshot /metrics exposes, so what
 * the page shows and what Prometheus scrapes cannot disagree by construction.
 */

export type LabelFilter = Readonly<Record<string, string>>;

type Sample = MetricsSnapshot[number]['values'][number];

function matches(sample: Sample, filter: LabelFilter | undefined): boolean {
  if (filter === undefined) return true;
  const labels = sample.labels as Record<string, string | number | undefined>;
  for (const key in filter) if (String(labels[key]) !== filter[key]) return false;
  return true;
}

/** The samples of one metric by name; an empty list when the process has no such metric. */
function samplesOf(snapshot: MetricsSnapshot, name: string): readonly Sample[] {
  for (const metric of snapshot) if (metric.name === name) return metric.values;
  return [];
}

export function hasMetric(snapshot: MetricsSnapshot, name: string): boolean {
  return snapshot.some((metric) => metric.name === name);
}

/** The sum of a counter's (or gauge's) series that match `filter`; 0 when there are none. */
export function total(snapshot: MetricsSnapshot, name: string, filter?: LabelFilter): number {
  let sum = 0;
  for (const sample of samplesOf(snapshot, name)) if (matches(sample, filter)) sum += sample.value;
  return sum;
}

/** A counter's series summed per value of `label` (series without it are left out), largest first, ties by label. */
export function byLabel(
  snapshot: MetricsSnapshot,
  name: string,
  label: string,
  filter?: LabelFilter,
): { readonly label: string; readonly value: number }[] {
  const sums = new Map<string, number>();
  for (const sample of samplesOf(snapshot, name)) {
    const value = (sample.labels as Record<string, string | number | undefined>)[label];
    if (value === undefined || !matches(sample, filter)) continue;
    sums.set(String(value), (sums.get(String(value)) ?? 0) + sample.value);
  }
  return [...sums].map(([key, value]) => ({ label: key, value })).sort((a, b) => b.value - a.value);
}

/** A gauge's series with their labels, as they are. */
export function series(
  snapshot: MetricsSnapshot,
  name: string,
): { readonly labels: Readonly<Record<string, string>>; readonly value: number }[] {
  return samplesOf(snapshot, name).map((sample) => ({
    labels: Object.fromEntries(Object.entries(sample.labels).map(([k, v]) => [k, String(v)])),
    value: sample.value,
  }));
}

/** A histogram's cumulative buckets (upper bounds ascending, the last +Inf), summed over the matching series. */
export interface Buckets {
  readonly upperBounds: readonly number[];
  /** cumulative counts, one per upper bound */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export const NO_BUCKETS: Buckets = Object.freeze({ upperBounds: [], counts: [], sum: 0, count: 0 });

export function histogram(snapshot: MetricsSnapshot, name: string, filter?: LabelFilter): Buckets {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const sample of samplesOf(snapshot, name)) {
    if (!matches(sample, filter)) continue;
    const metricName = (sample as { metricName?: string }).metricName;
    if (metricName === `${name}_bucket`) {
      const le = (sample.labels as { le?: string | number }).le;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
    } else if (metricName === `${name}_sum`) sum += sample.value;
    else if (metricName === `${name}_count`) count += sample.value;
  }
  const upperBounds = [...byBound.keys()].sort((a, b) => a - b);
  return { upperBounds, counts: upperBounds.map((b) => byBound.get(b) as number), sum, count };
}

/** What happened between two readings of the same histogram (later minus earlier), bucket by bucket. */
export function bucketsSince(later: Buckets, earlier: Buckets): Buckets {
  if (earlier.count === 0 || earlier.upperBounds.length !== later.upperBounds.length) return later;
  return {
    upperBounds: later.upperBounds,
    counts: later.counts.map((c, i) => Math.max(0, c - (earlier.counts[i] as number))),
    sum: later.sum - earlier.sum,
    count: Math.max(0, later.count - earlier.count),
  };
}

/**
 * The q-quantile of a histogram as Prometheus' histogram_quantile computes it: linear interpolation inside the
 * bucket the rank falls in, the lowest bucket starting at 0, and the highest finite bound when the rank falls in
 * +Inf. null without observations.
 */
export function quantile(buckets: Buckets, q: number): number | null {
  const { upperBounds, counts } = buckets;
  const observed = counts.at(-1) ?? 0;
  if (observed === 0) return null;
  const rank = q * observed;
  for (let i = 0; i < upperBounds.length; i++) {
    const cumulative = counts[i] as number;
    if (cumulative < rank) continue;
    const upper = upperBounds[i] as number;
    if (upper === Number.POSITIVE_INFINITY) return i === 0 ? null : (upperBounds[i - 1] as number);
    const lower = i === 0 ? 0 : (upperBounds[i - 1] as number);
    const below = i === 0 ? 0 : (counts[i - 1] as number);
    const inBucket = cumulative - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return upperBounds.length > 1 ? (upperBounds.at(-2) as number) : null;
}

/** Seconds to milliseconds with one decimal, as the page shows them; null stays null. */
export function toMilliseconds(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 1e4) / 10;
}
