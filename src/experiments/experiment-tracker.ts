import type { Rollout } from '../rollout/rollout.js';
import { ShadowComparison } from '../rollout/shadow-comparison.js';
import { VariantStats } from '../rollout/variant-stats.js';
import type { ServingSet, ServingSetSource } from '../serving/serving-set.js';
import {
  COMPARISON_BINS,
  compareShadows,
  compareVariants,
  rolloutView,
  shadowView,
  variantView,
  type ComparisonView,
  type RolloutView,
} from './comparison-view.js';
import type { CommittedPredictionsRecorder, ScoredObservation } from './scored-observation.js';

/** The comparison of one rollout revision: its rollout, since when it is tracked, what its variants scored. */
export interface ExperimentRevisionView extends ComparisonView {
  readonly revision: number;
  readonly rollout: RolloutView;
  /** ISO time this process first saw the revision (in force, or in a committed transaction) */
  readonly since: string;
}

/** What GET /experiments answers: the revision in force and the one before it. */
export interface ExperimentsView extends ExperimentRevisionView {
  /** the revision before (so a report right after a change still shows the finished experiment); null if none */
  readonly previous: ExperimentRevisionView | null;
  /** why the comparison may be empty (the side-port alone, without the stream); null when the stream feeds it */
  readonly note: string | null;
}

/** Where the side-port and the gauges read the comparison. */
export interface ExperimentsSource {
  summary(): ExperimentsView;
}

export interface ExperimentTrackerOptions {
  /** the serving set in force, so the view names the current rollout before its first commit */
  readonly serving: ServingSetSource;
  /** events up to which a shadow's riskiest-quarter overlap is exact (src/rollout/shadow-comparison.ts) */
  readonly sampleCapacity?: number;
  /** epoch milliseconds; tests pass a clock */
  readonly now?: () => number;
}

/**
 * The live comparison of variants and shadows (issue 11, item 6), per rollout revision: a VariantStats per
 * (variant, version) and a ShadowComparison per shadow version, fed only with what the stream has committed
 * (the data path calls recordCommitted after each commit, with the serving set the transaction used), so an
 * aborted transaction never counts. HTTP /predict answers are not counted: the experiment is what the stream
 * published, which `experiment report` recomputes from the topics.
 *
 * It keeps the revision in force and the one before: a transaction opened before a swap may commit after it
 * and still counts for its own revision; anything older is dropped.
 */
export class ExperimentTracker implements CommittedPredictionsRecorder, ExperimentsSource {
  readonly #serving: ServingSetSource;
  readonly #sampleCapacity: number | undefined;
  readonly #now: () => number;
  #current: RevisionExperiment | undefined;
  #previous: RevisionExperiment | undefined;
  // The summary sorts each shadow's sample for its overlap: computed once per change, not per scrape or gauge.
  #view: ExperimentsView | undefined;

  constructor(options: ExperimentTrackerOptions) {
    this.#serving = options.serving;
    this.#sampleCapacity = options.sampleCapacity;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts the predictions of one committed transaction, made with `set`. Throws (counting nothing of the
   * transaction) when an observation does not fit the set: a version it does not hold, a score outside [0, 1],
   * shadow scores on a challenger's event or not one per shadow on the champion's. The data path builds them
   * from the same set, so that is a bug upstream.
   */
  recordCommitted(set: ServingSet, observations: readonly ScoredObservation[]): void {
    if (observations.length === 0) return;
    checkObservations(set, observations);
    const experiment = this.#experimentOf(set);
    if (experiment === undefined) return;
    for (const observation of observations) experiment.add(set, observation);
    this.#view = undefined;
  }

  summary(): ExperimentsView {
    this.#experimentOf(this.#serving.current());
    const current = this.#current as RevisionExperiment;
    this.#view ??= { ...current.view(), previous: this.#previous?.view() ?? null, note: null };
    return this.#view;
  }

  /** The experiment of the set's revision: a newer revision becomes the current one; an older one is dropped. */
  #experimentOf(set: ServingSet): RevisionExperiment | undefined {
    const current = this.#current;
    if (current === undefined || set.revision > current.revision) {
      this.#previous = current;
      this.#current = new RevisionExperiment(set.revision, set.rollout, this.#now(), this.#sampleCapacity);
      this.#view = undefined;
      return this.#current;
    }
    if (set.revision === current.revision) return current;
    if (set.revision === this.#previous?.revision) return this.#previous;
    return undefined;
  }
}

class RevisionExperiment {
  readonly #variants = new Map<string, { variant: string; version: string; stats: VariantStats }>();
  readonly #shadows = new Map<string, { championVersion: string; comparison: ShadowComparison }>();

  constructor(
    readonly revision: number,
    readonly rollout: Rollout,
    readonly since: number,
    private readonly sampleCapacity: number | undefined,
  ) {}

  add(set: ServingSet, { variant, version, score, shadowScores }: ScoredObservation): void {
    const key = `${variant}\u0000${version}`;
    let entry = this.#variants.get(key);
    if (entry === undefined) {
      entry = {
        variant,
        version,
        stats: new VariantStats({ threshold: thresholdOf(set, version), bins: COMPARISON_BINS }),
      };
      this.#variants.set(key, entry);
    }
    entry.stats.add(score);
    // A shadow scores every event; it compares with the champion on the champion's events.
    if (variant !== 'champion') return;
    shadowScores.forEach((shadowScore, i) => {
      // NaN: that shadow could not score this event and published nothing for it; experiment report finds no pair.
      if (Number.isNaN(shadowScore)) return;
      const shadow = set.shadows[i] as ServingSet['shadows'][number];
      let comparison = this.#shadows.get(shadow.version);
      if (comparison === undefined) {
        comparison = {
          championVersion: version,
          comparison: new ShadowComparison({
            championThreshold: thresholdOf(set, version),
            shadowThreshold: shadow.serving.model.meta.threshold,
            bins: COMPARISON_BINS,
            ...(this.sampleCapacity === undefined ? {} : { sampleCapacity: this.sampleCapacity }),
          }),
        };
        this.#shadows.set(shadow.version, comparison);
      }
      comparison.comparison.add(score, shadowScore);
    });
  }

  view(): ExperimentRevisionView {
    return {
      revision: this.revision,
      rollout: rolloutView(this.rollout),
      since: new Date(this.since).toISOString(),
      variants: [...this.#variants.values()]
        .map(({ variant, version, stats }) => variantView(variant, version, stats))
        .sort(compareVariants),
      shadows: [...this.#shadows]
        .map(([version, { championVersion, comparison }]) => shadowView(version, championVersion, comparison))
        .sort(compareShadows),
    };
  }
}

function thresholdOf(set: ServingSet, version: string): number {
  return (set.models.get(version) as NonNullable<ReturnType<ServingSet['models']['get']>>).model.meta.threshold;
}

function checkObservations(set: ServingSet, observations: readonly ScoredObservation[]): void {
  observations.forEach(({ version, score, shadowScores }, i) => {
    const problem = !set.models.has(version)
      ? `version ${version} is not in the serving set`
      : !isProbability(score)
        ? `score ${score} is not a probability`
        : shadowScores.length !== set.shadows.length
          ? `${shadowScores.length} shadow scores for ${set.shadows.length} shadows`
          : shadowScores.some((s) => !Number.isNaN(s) && !isProbability(s))
            ? `a shadow score is not a probability: ${shadowScores.join(', ')}`
            : undefined;
    if (problem !== undefined) {
      throw new RangeError(
        `committed observation ${i} of ${observations.length} does not fit rollout revision ${set.revision}: ${problem}`,
      );
    }
  });
}

function isProbability(score: number): boolean {
  return score >= 0 && score <= 1;
}
