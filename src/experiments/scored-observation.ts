import type { FeatureContribution } from '../model/explain.js';
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

/** A committed live prediction as the dashboard's riskiest customers see it: whose it is, and why. */
export interface CommittedPrediction extends ScoredObservation {
  readonly customerid: string;
  /** the top reasons the prediction carries (empty when model.reasons is off) */
  readonly reasons: readonly FeatureContribution[];
}

/**
 * Where the data path reports what a committed transaction predicted, and with which serving set: the
 * comparison of variants and shadows (GET /experiments, its gauges) and the dashboard's riskiest customers count
 * only what is committed.
 */
export interface CommittedPredictionsRecorder {
  recordCommitted(set: ServingSet, observations: readonly CommittedPrediction[]): void;
}

/** Tells every recorder, in order; one that throws does not keep the others from hearing of the commit. */
export function recordingAll(recorders: readonly CommittedPredictionsRecorder[]): CommittedPredictionsRecorder {
  return {
    recordCommitted(set, observations) {
      let failure: Error | undefined;
      for (const recorder of recorders) {
        try {
          recorder.recordCommitted(set, observations);
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error('a recorder threw a non-Error value', { cause: err });
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}
