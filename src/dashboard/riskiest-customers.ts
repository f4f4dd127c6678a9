import type { CommittedPrediction, CommittedPredictionsRecorder } from '../experiments/scored-observation.js';
import type { FeatureContribution } from '../model/explain.js';
import type { Variant } from '../rollout/rollout.js';

/** The share of customers the marketing service e-mails a discount: the riskiest quarter. */
export const RISKIEST_SHARE = 0.25;
/** Bins of the latest-score histogram, equal on [0, 1] (as the experiment comparison's). */
export const SCORE_BINS = 10;

/** One customer's latest committed prediction. */
export interface LatestPrediction {
  readonly customerid: string;
  readonly probability: number;
  readonly version: string;
  readonly variant: Variant;
  readonly reasons: readonly FeatureContribution[];
  /** epoch milliseconds of the commit that published it */
  readonly committedAt: number;
}

/** The tracker's own entry, updated in place: a customer heard from again costs no allocation. */
type Entry = { -readonly [K in keyof LatestPrediction]: LatestPrediction[K] };

/** What the dashboard's riskiest-customers panel shows. */
export interface RiskiestView {
  /** distinct customers whose latest prediction is held */
  readonly tracked: number;
  /** at most this many are held; past it, the customers held the longest are dropped first */
  readonly capacity: number;
  /** customers in the riskiest quarter of those tracked (ceil(tracked / 4)) */
  readonly riskiest: number;
  /** the lowest probability inside the riskiest quarter; null when none are tracked */
  readonly cutoff: number | null;
  /** the riskiest first, at most `limit` of them */
  readonly customers: readonly LatestPrediction[];
  /** latest probabilities per bin of SCORE_BINS equal bins on [0, 1] */
  readonly histogram: readonly number[];
}

export interface RiskiestCustomersOptions {
  readonly capacity: number;
  /** epoch milliseconds; tests pass a clock */
  readonly now?: () => number;
}

/**
 * The latest committed prediction of each customer this process has scored, for the dashboard's "riskiest 25%"
 * (what the marketing service will e-mail). Bounded: at most `capacity` customers, the one held the longest
 * dropped first, so memory stays flat however many customers stream by. Fed only with
 * committed predictions (the data path calls recordCommitted after each commit), like the experiment comparison.
 */
export class RiskiestCustomers implements CommittedPredictionsRecorder {
  readonly #latest = new Map<string, Entry>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: RiskiestCustomersOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${options.capacity}`);
    this.#capacity = options.capacity;
    this.#now = options.now ?? Date.now;
  }

  // Runs for every committed prediction: one Map lookup, and an allocation only for a customer not yet held.
  recordCommitted(_set: unknown, observations: readonly CommittedPrediction[]): void {
    const committedAt = this.#now();
    const latest = this.#latest;
    for (let i = 0; i < observations.length; i++) {
      const { customerid, score, version, variant, reasons } = observations[i] as CommittedPrediction;
      const held = latest.get(customerid);
      if (held !== undefined) {
        held.probability = score;
        held.version = version;
        held.variant = variant;
        held.reasons = reasons;
        held.committedAt = committedAt;
      } else {
        latest.set(customerid, { customerid, probability: score, version, variant, reasons, committedAt });
      }
    }
    // Past capacity, the customers held the longest go first (a Map iterates in insertion order); one that is
    // still active comes back with its next prediction.
    for (const oldest of latest.keys()) {
      if (latest.size <= this.#capacity) break;
      latest.delete(oldest);
    }
  }

  view(limit: number): RiskiestView {
    const all: LatestPrediction[] = [...this.#latest.values()].sort(riskiestFirst);
    const riskiest = Math.ceil(all.length * RISKIEST_SHARE);
    const histogram = new Array<number>(SCORE_BINS).fill(0);
    for (const { probability } of all) {
      const bin = Math.min(SCORE_BINS - 1, Math.floor(probability * SCORE_BINS));
      histogram[bin] = (histogram[bin] as number) + 1;
    }
    return {
      tracked: all.length,
      capacity: this.#capacity,
      riskiest,
      cutoff: riskiest === 0 ? null : (all[riskiest - 1] as LatestPrediction).probability,
      customers: all.slice(0, Math.min(limit, riskiest)),
      histogram,
    };
  }
}

/** Highest probability first; ties by customer id, so the table does not shuffle between two polls. */
function riskiestFirst(a: LatestPrediction, b: LatestPrediction): number {
  return b.probability - a.probability || (a.customerid < b.customerid ? -1 : a.customerid > b.customerid ? 1 : 0);
}
