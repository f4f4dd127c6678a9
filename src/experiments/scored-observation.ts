import type { Variant } from '../rollout/rollout.js';
import type { ServingSet } from '../serving/serving-set.js';

/** One live prediction as the experiment comparison sees it, once its transaction is committed. */
export interface ScoredObservation {
  readonly variant: Variant;
  readonly version: string;
  readonly score: number;
  /**
   * the scores of the serving set's shadows on the same event, in `set.shadows` order (empty when none); NaN
   * where that shadow could not score the event (the data path then wrote no shadow prediction for it, so the
   * pair is left out of the comparison, as it is absent from the shadow topic)
   */
  readonly shadowScores: readonly number[];
}

/**
 * Where the data path reports what a committed transaction predicted, and with which serving set: the
 * comparison of variants and shadows (GET /experiments, its gauges) counts only what is committed.
 */
export interface ExperimentRecorder {
  recordCommitted(set: ServingSet, observations: readonly ScoredObservation[]): void;
}
