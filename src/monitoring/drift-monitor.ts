import type { Customer } from '../contract/customer.js';
import type { ModelReference } from '../model/model-artifact.js';
import { driftBaseline, type DriftBaseline } from './drift-baseline.js';
import { DriftCounts } from './drift-counts.js';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  checkDriftThresholds,
  summarizeDrift,
  type DriftThresholds,
  type DriftWindowSummary,
} from './drift-summary.js';

export interface DriftMonitorOptions {
  /** a window closes when it holds this many records */
  readonly maxRecords: number;
  /** ... or when it has been open this long (ms of the caller's clock), whichever comes first */
  readonly maxMillis: number;
  readonly thresholds?: DriftThresholds;
}

/**
 * Drift of one model version's input and scores against its training data, over tumbling windows of at most
 * `maxRecords` records or `maxMillis` ms (pure: the caller passes its clock to every call, so a test drives
 * time). A call returns the window it closed, if any (at most one: a window that outlived maxMillis holds fewer
 * than maxRecords records, and the record that finds it so opens the next one). A window with no records is never
 * reported: an idle period has no drift figures, it just starts the next window.
 * Keep one monitor per model version: each compares with its own artifact's reference.
 */
export class DriftMonitor {
  readonly baseline: DriftBaseline;
  readonly maxRecords: number;
  readonly maxMillis: number;
  readonly thresholds: DriftThresholds;
  readonly #counts: DriftCounts;
  #windowStart: number;

  constructor(reference: ModelReference, options: DriftMonitorOptions, now: number) {
    const { maxRecords, maxMillis, thresholds = DEFAULT_DRIFT_THRESHOLDS } = options;
    if (!(Number.isInteger(maxRecords) && maxRecords >= 1)) {
      throw new RangeError(`maxRecords must be an integer >= 1, got ${maxRecords}`);
    }
    if (!(maxMillis > 0)) throw new RangeError(`maxMillis must be > 0, got ${maxMillis}`);
    checkDriftThresholds(thresholds);
    this.baseline = driftBaseline(reference);
    this.maxRecords = maxRecords;
    this.maxMillis = maxMillis;
    this.thresholds = thresholds;
    this.#counts = new DriftCounts(this.baseline);
    this.#windowStart = now;
  }

  /** A validated customer and its score. */
  addScored(customer: Customer, score: number, now: number): DriftWindowSummary | undefined {
    const expired = this.tick(now);
    this.#counts.addScored(customer, score);
    return expired ?? this.#closeIfFull(now);
  }

  /** A decoded record that failed validation (not scored): counts towards the missing and unseen rates. */
  addRejected(input: unknown, now: number): DriftWindowSummary | undefined {
    const expired = this.tick(now);
    this.#counts.addRejected(input);
    return expired ?? this.#closeIfFull(now);
  }

  /**
   * Closes the window if its time is up (call it from a timer too, so a quiet stream still closes windows). The
   * closed window ends at start + maxMillis; the next one starts now.
   */
  tick(now: number): DriftWindowSummary | undefined {
    if (now - this.#windowStart < this.maxMillis) return undefined;
    if (this.#counts.records === 0) {
      this.#windowStart = now;
      return undefined;
    }
    return this.#close(this.#windowStart + this.maxMillis, now);
  }

  /** The open window so far (for a status page); it stays open. */
  current(now: number): DriftWindowSummary {
    return summarizeDrift(this.#counts, { start: this.#windowStart, end: now }, this.thresholds);
  }

  #closeIfFull(now: number): DriftWindowSummary | undefined {
    return this.#counts.records < this.maxRecords ? undefined : this.#close(now, now);
  }

  #close(end: number, nextStart: number): DriftWindowSummary {
    const summary = summarizeDrift(this.#counts, { start: this.#windowStart, end }, this.thresholds);
    this.#counts.clear();
    this.#windowStart = nextStart;
    return summary;
  }
}
