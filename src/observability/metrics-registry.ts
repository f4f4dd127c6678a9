import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Collect prom-client's process metrics (CPU, memory, event loop lag, GC). On by default. */
  processMetrics?: boolean;
}

/**
 * A fresh registry per process (never prom-client's global one) so the HTTP side-port, the stream worker and
 * tests each register into the object they were handed, and two servers in one test process do not collide.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/*
 * The helpers below are idempotent per registry: the HTTP server and the stream worker may both ask for the
 * prediction counter of the same registry and must get the same instrument (prom-client throws on a second
 * registration of a name).
 */

export function counterIn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing;
  return new Counter<L>({ ...config, registers: [registry] });
}

export function gaugeIn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
): Gauge<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Gauge) return existing;
  return new Gauge<L>({ ...config, registers: [registry] });
}

export function histogramIn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[]; buckets: number[] },
): Histogram<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Histogram) return existing;
  return new Histogram<L>({ ...config, registers: [registry] });
}

/**
 * A gauge whose series are set afresh from `series` at each scrape (a collect callback, so nothing runs per
 * event): one per labelled figure that is defined (not null), none for the others.
 */
export function scrapedGaugeIn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
  series: () => readonly (readonly [Record<L, string>, number | null])[],
): void {
  if (registry.getSingleMetric(config.name) !== undefined) return;
  new Gauge<L>({
    ...config,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of series()) if (value !== null) this.set(labels, value);
    },
  });
}
