import type { PredictionOutcome } from '../serde/avro-records.js';
import type { JoinedRecorder } from './joined-recorder.js';
import {
  compareVersionVariant,
  realizedFigures,
  scoredOutcomeOf,
  versionVariantKey,
  type RealizedPerformance,
  type ScoredOutcome,
} from './realized-performance.js';

/** One (model version, variant) live: its figures over the window and what the join wrote for it. */
export interface RealizedVersionView extends RealizedPerformance {
  /** 'joined' records since this process started (the window holds the last window_records of them) */
  readonly joined: number;
  /** 'expired-prediction' records since this process started */
  readonly expired: number;
}

/** The `realized` section of GET /experiments. */
export interface RealizedView {
  /** the window's size per (version, variant): config.outcomes.performanceWindowRecords */
  readonly window_records: number;
  /** 'unmatched-outcome' records (an outcome with no prediction in its window: no version to count it for) */
  readonly unmatched_outcomes: number;
  /** by version, then variant */
  readonly versions: readonly RealizedVersionView[];
}

/** Where the side-port and the gauges read the realized performance. */
export interface RealizedSource {
  view(): RealizedView;
}

export interface RealizedTrackerOptions {
  /** joined records per (version, variant) the figures are computed over: config.outcomes.performanceWindowRecords */
  readonly windowRecords: number;
}

/**
 * Realized performance per (model version, variant), live: fed by the outcome join after each committed
 * transaction (JoinedRecorder), so an aborted transaction never counts. Each (version, variant) keeps its last
 * `windowRecords` joined predictions in a ring buffer (a probability and two flags each: memory is fixed per
 * version), and counts its joins and expired predictions; unmatched outcomes are counted for the whole process.
 *
 * A worker sees the partitions it owns: with several workers, each shows its share; `experiment report` reads the
 * whole joined topic. The view is cached until the next commit, so the gauges and GET /experiments read it freely.
 */
export class RealizedTracker implements JoinedRecorder, RealizedSource {
  readonly #windowRecords: number;
  readonly #versions = new Map<string, VersionWindow>();
  #unmatched = 0;
  #view: RealizedView | undefined;

  constructor(options: RealizedTrackerOptions) {
    if (!Number.isSafeInteger(options.windowRecords) || options.windowRecords < 1) {
      throw new RangeError(`the realized-performance window must be a positive integer, got ${options.windowRecords}`);
    }
    this.#windowRecords = options.windowRecords;
  }

  recordCommitted(records: readonly PredictionOutcome[]): void {
    if (records.length === 0) return;
    for (const record of records) {
      if (record.kind === 'unmatched-outcome') {
        this.#unmatched++;
      } else if (record.kind === 'expired-prediction') {
        if (record.model_version !== null && record.variant !== null) {
          this.#windowOf(record.model_version, record.variant).expired++;
        }
      } else {
        const scored = scoredOutcomeOf(record);
        if (scored !== null) this.#windowOf(scored.version, scored.variant).add(scored);
      }
    }
    this.#view = undefined;
  }

  view(): RealizedView {
    this.#view ??= {
      window_records: this.#windowRecords,
      unmatched_outcomes: this.#unmatched,
      versions: [...this.#versions.values()]
        .map((w) => ({
          version: w.version,
          variant: w.variant,
          ...realizedFigures(w.outcomes()),
          joined: w.joined,
          expired: w.expired,
        }))
        .sort(compareVersionVariant),
    };
    return this.#view;
  }

  #windowOf(version: string, variant: string): VersionWindow {
    const key = versionVariantKey(version, variant);
    let window = this.#versions.get(key);
    if (window === undefined) {
      window = new VersionWindow(version, variant, this.#windowRecords);
      this.#versions.set(key, window);
    }
    return window;
  }
}

/** The last `capacity` joined predictions of one (version, variant), oldest overwritten first. */
class VersionWindow {
  joined = 0;
  expired = 0;
  readonly #probability: Float64Array;
  // bit 0: churned, bit 1: correct
  readonly #flags: Uint8Array;
  #next = 0;
  #size = 0;

  constructor(
    readonly version: string,
    readonly variant: string,
    private readonly capacity: number,
  ) {
    this.#probability = new Float64Array(capacity);
    this.#flags = new Uint8Array(capacity);
  }

  add(outcome: ScoredOutcome): void {
    this.joined++;
    this.#probability[this.#next] = outcome.churnProbability;
    this.#flags[this.#next] = (outcome.churned ? 1 : 0) | (outcome.correct ? 2 : 0);
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The window, oldest first (the order breaks ties of the riskiest-25% selection). */
  outcomes(): ScoredOutcome[] {
    const start = this.#size < this.capacity ? 0 : this.#next;
    return Array.from({ length: this.#size }, (_, i) => {
      const at = (start + i) % this.capacity;
      const flags = this.#flags[at] as number;
      return {
        churnProbability: this.#probability[at] as number,
        churned: (flags & 1) !== 0,
        correct: (flags & 2) !== 0,
      };
    });
  }
}
