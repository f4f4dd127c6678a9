import {
  DEFAULT_SAMPLE_CAPACITY,
  exactSampleCapacity,
  ShadowComparison,
  type ShadowComparisonSummary,
} from '../rollout/shadow-comparison.js';
import { VariantStats, type VariantStatsSummary } from '../rollout/variant-stats.js';

/** Which of a compare copy's two predictions: the serving champion's, or the candidate version's. */
export type CompareRole = 'champion' | 'candidate';

/** What the comparison reads of one prediction of a compare copy. */
export interface ComparedPrediction {
  /** where the copy is in the replay topic: the prediction's source_partition and source_offset */
  readonly partition: number;
  readonly offset: number;
  readonly role: CompareRole;
  readonly customerid: string;
  readonly modelVersion: string;
  readonly score: number;
  readonly churn: boolean;
  readonly threshold: number;
}

/** A compare copy the worker dead-lettered instead of scoring (it then has no predictions). */
export interface ComparedDeadLetter {
  readonly partition: number;
  readonly offset: number;
  readonly reason: string;
}

export interface CompareProgress {
  /** copies written (undefined until the copy is done) */
  readonly expected: number | undefined;
  /** copies with both predictions */
  readonly paired: number;
  readonly deadLettered: number;
  /** copies with only the champion's prediction so far, and only the candidate's */
  readonly championOnly: number;
  readonly candidateOnly: number;
  /** records for a copy that already had its prediction of that role, or was dead-lettered (none: exactly once) */
  readonly duplicates: number;
}

/** One model's side of the comparison (its VariantStats' figures), and the versions that played it. */
export interface ComparedSide extends Pick<VariantStatsSummary, 'meanScore' | 'churned' | 'churnRate' | 'histogram'> {
  /** version -> events it scored (the champion can change between the worker's transactions) */
  readonly versions: Readonly<Record<string, number>>;
  /** the threshold the churn rate and the agreement are taken at: the first pair's */
  readonly threshold: number | null;
}

/** Events whose decision the candidate changes, one way; customers: distinct keys among them. */
export interface DecisionChange {
  readonly events: number;
  readonly customers: number;
}

/** The pairs compared: ShadowComparison's figures, the candidate in the shadow's place. */
export interface ReplayComparison extends Omit<
  ShadowComparisonSummary,
  'count' | 'championHistogram' | 'shadowHistogram'
> {
  /** copies with both predictions: every figure below is over these */
  readonly events: number;
  readonly champion: ComparedSide;
  readonly candidate: ComparedSide;
  /** the champion says no churn, the candidate churn */
  readonly toChurn: DecisionChange;
  /** the champion says churn, the candidate no churn */
  readonly toNoChurn: DecisionChange;
  /** dead-lettered copies by reason */
  readonly deadLettered: Readonly<Record<string, number>>;
  readonly duplicates: number;
  /** true when some pair came at other thresholds than the first (a champion of another threshold took over) */
  readonly thresholdsMixed: boolean;
}

/**
 * Gathers the predictions of one `replay --compare` run (pure; the shell feeds it what it reads): pairs the
 * champion's and the candidate's prediction of each copy by the copy's partition and offset in the replay topic,
 * counts each pair into the comparison accumulators as it completes (so memory holds only the unpaired halves,
 * the seen positions and the customers that change decision), and says when every copy written is accounted for:
 * paired, or dead-lettered.
 */
export class CompareTally {
  readonly #sampleCapacity: number;
  #expected: number | undefined;
  readonly #halves = new Map<string, ComparedPrediction>();
  readonly #settled = new Set<string>();
  #paired = 0;
  #duplicates = 0;
  #championOnly = 0;
  #candidateOnly = 0;
  readonly #deadLettered = new Map<string, number>();
  #deadLetterCount = 0;
  readonly #versions: Record<CompareRole, Map<string, number>> = { champion: new Map(), candidate: new Map() };
  #thresholds: { champion: number; candidate: number } | undefined;
  #thresholdsMixed = false;
  #championStats: VariantStats | undefined;
  #candidateStats: VariantStats | undefined;
  #comparison: ShadowComparison | undefined;
  readonly #toChurn = { events: 0, customers: new Set<string>() };
  readonly #toNoChurn = { events: 0, customers: new Set<string>() };

  /**
   * @param maxEvents how many copies there can be (the range's record count): the riskiest-quarter overlap is
   *   exact up to that many (bounded by ShadowComparison's largest sample)
   */
  constructor(maxEvents: number) {
    this.#sampleCapacity = exactSampleCapacity(Math.max(maxEvents, DEFAULT_SAMPLE_CAPACITY));
  }

  /** How many copies were written: until it is set, the tally is never complete. */
  expect(copies: number): void {
    this.#expected = copies;
  }

  addPrediction(prediction: ComparedPrediction): void {
    const key = positionKey(prediction);
    if (this.#settled.has(key)) {
      this.#duplicates += 1;
      return;
    }
    const half = this.#halves.get(key);
    if (half === undefined) {
      this.#halves.set(key, prediction);
      if (prediction.role === 'champion') this.#championOnly += 1;
      else this.#candidateOnly += 1;
      return;
    }
    if (half.role === prediction.role) {
      this.#duplicates += 1;
      return;
    }
    this.#halves.delete(key);
    if (half.role === 'champion') this.#championOnly -= 1;
    else this.#candidateOnly -= 1;
    this.#settled.add(key);
    const [champion, candidate] = half.role === 'champion' ? [half, prediction] : [prediction, half];
    this.#count(champion, candidate);
  }

  addDeadLetter(letter: ComparedDeadLetter): void {
    const key = positionKey(letter);
    if (this.#settled.has(key) || this.#halves.has(key)) {
      this.#duplicates += 1;
      return;
    }
    this.#settled.add(key);
    this.#deadLetterCount += 1;
    this.#deadLettered.set(letter.reason, (this.#deadLettered.get(letter.reason) ?? 0) + 1);
  }

  /** Every copy written is paired or dead-lettered. */
  isComplete(): boolean {
    return this.#expected !== undefined && this.#paired + this.#deadLetterCount >= this.#expected;
  }

  progress(): CompareProgress {
    return {
      expected: this.#expected,
      paired: this.#paired,
      deadLettered: this.#deadLetterCount,
      championOnly: this.#championOnly,
      candidateOnly: this.#candidateOnly,
      duplicates: this.#duplicates,
    };
  }

  /** Dead-lettered copies of `reason` so far. */
  deadLettered(reason: string): number {
    return this.#deadLettered.get(reason) ?? 0;
  }

  summary(): ReplayComparison {
    const comparison = this.#comparison?.summary();
    const thresholds = this.#thresholds;
    return {
      events: this.#paired,
      champion: side(this.#versions.champion, thresholds?.champion ?? null, this.#championStats),
      candidate: side(this.#versions.candidate, thresholds?.candidate ?? null, this.#candidateStats),
      agreement: comparison?.agreement ?? null,
      meanAbsDelta: comparison?.meanAbsDelta ?? null,
      psi: comparison?.psi ?? null,
      riskiestQuartileJaccard: comparison?.riskiestQuartileJaccard ?? null,
      riskiestQuartileEvents: comparison?.riskiestQuartileEvents ?? 0,
      riskiestQuartileExact: comparison?.riskiestQuartileExact ?? true,
      toChurn: { events: this.#toChurn.events, customers: this.#toChurn.customers.size },
      toNoChurn: { events: this.#toNoChurn.events, customers: this.#toNoChurn.customers.size },
      deadLettered: Object.fromEntries(this.#deadLettered),
      duplicates: this.#duplicates,
      thresholdsMixed: this.#thresholdsMixed,
    };
  }

  #count(champion: ComparedPrediction, candidate: ComparedPrediction): void {
    if (this.#thresholds === undefined) {
      this.#thresholds = { champion: champion.threshold, candidate: candidate.threshold };
      this.#championStats = new VariantStats({ threshold: champion.threshold });
      this.#candidateStats = new VariantStats({ threshold: candidate.threshold });
      this.#comparison = new ShadowComparison({
        championThreshold: champion.threshold,
        shadowThreshold: candidate.threshold,
        sampleCapacity: this.#sampleCapacity,
      });
    } else if (champion.threshold !== this.#thresholds.champion || candidate.threshold !== this.#thresholds.candidate) {
      this.#thresholdsMixed = true;
    }
    // Scores outside [0, 1] throw here (RangeError) before anything is counted: a worker bug, not data.
    this.#comparison?.add(champion.score, candidate.score);
    this.#championStats?.add(champion.score);
    this.#candidateStats?.add(candidate.score);
    this.#paired += 1;
    bump(this.#versions.champion, champion.modelVersion);
    bump(this.#versions.candidate, candidate.modelVersion);
    // The decisions as the worker published them (each at its own model's threshold).
    if (!champion.churn && candidate.churn) {
      this.#toChurn.events += 1;
      this.#toChurn.customers.add(champion.customerid);
    } else if (champion.churn && !candidate.churn) {
      this.#toNoChurn.events += 1;
      this.#toNoChurn.customers.add(champion.customerid);
    }
  }
}

function positionKey(at: { partition: number; offset: number }): string {
  return `${at.partition}/${at.offset}`;
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function side(versions: Map<string, number>, threshold: number | null, stats: VariantStats | undefined): ComparedSide {
  const summary = stats?.summary();
  return {
    versions: Object.fromEntries(versions),
    threshold,
    meanScore: summary?.meanScore ?? null,
    churned: summary?.churned ?? 0,
    churnRate: summary?.churnRate ?? null,
    histogram: summary?.histogram ?? [],
  };
}
