import type { MetricsSnapshot } from '../observability/cluster-metrics.js';
import { MetricHistory, sampleOf, type HistorySeries } from './metric-history.js';

export interface MetricSamplerOptions {
  /** the snapshot /metrics shows (this process's registry, or the whole `serve --workers N` server's) */
  readonly read: () => Promise<MetricsSnapshot>;
  readonly intervalMs: number;
  /** samples kept: the charts' span is capacity × intervalMs */
  readonly capacity: number;
  /** the samples a latency percentile point spans */
  readonly windowSamples: number;
  /**
   * Sample only while someone looks (a view asked for within `idleAfterMs`); otherwise from the start. `serve
   * --workers N` sets it: each sample there is a round of messages through every worker.
   */
  readonly idleAfterMs?: number;
  readonly now?: () => number;
  /** told when a sample cannot be read (the next tick tries again) */
  readonly onError: (err: unknown) => void;
}

/**
 * Samples the metrics into the dashboard's history on a timer (the imperative shell around MetricHistory). The
 * timer is unref'd: it never keeps a process alive that is otherwise done.
 */
export class MetricSampler {
  readonly #history: MetricHistory;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastViewed = Number.NEGATIVE_INFINITY;
  #reading = false;

  constructor(private readonly options: MetricSamplerOptions) {
    this.#history = new MetricHistory({ capacity: options.capacity, windowSamples: options.windowSamples });
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** the history so far; a view counts as someone looking */
  series(): HistorySeries {
    this.#lastViewed = this.#now();
    return this.#history.series();
  }

  /** Takes one sample (a tick still reading is not overlapped). */
  async tick(): Promise<void> {
    const { idleAfterMs } = this.options;
    if (this.#reading || (idleAfterMs !== undefined && this.#now() - this.#lastViewed > idleAfterMs)) return;
    this.#reading = true;
    try {
      const snapshot = await this.options.read();
      this.#history.push(sampleOf(snapshot, this.#now()));
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.#reading = false;
    }
  }
}
