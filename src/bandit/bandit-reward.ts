import type { BanditReward } from '../rollout/rollout-document.js';
import type { PredictionOutcome } from '../serde/avro-records.js';

/** A reward of one joined outcome: 1 (success), 0 (failure), or none (the outcome says nothing for this reward). */
export type RewardValue = 0 | 1 | undefined;

/**
 * The reward a joined outcome gives its prediction (pure):
 * - `correct-decision`: 1 when the prediction's decision (churn_probability >= its model's threshold, the record's
 *   `predicted_churn`) equals the outcome (`churned`), else 0;
 * - `caught-churner`: for a customer who churned, 1 when the prediction said churn and 0 when it did not; a
 *   customer who stayed carries no reward (a retention campaign is judged on the churners it reaches).
 * None for a record without the decision or the outcome.
 */
export function rewardOf(reward: BanditReward, outcome: PredictionOutcome): RewardValue {
  const { predicted_churn: predicted, churned } = outcome;
  if (predicted === null || churned === null) return undefined;
  switch (reward) {
    case 'correct-decision':
      return predicted === churned ? 1 : 0;
    case 'caught-churner':
      if (!churned) return undefined;
      return predicted ? 1 : 0;
  }
}

/**
 * Whether a record of the joined topic counts for a bandit over `arms` (pure): a 'joined' record (not an unmatched
 * outcome or an expired prediction) of a served variant (a shadow serves nobody: its decisions reached no
 * customer) whose model version is an arm.
 */
export function countsForArms(outcome: PredictionOutcome, arms: readonly string[]): boolean {
  return (
    outcome.kind === 'joined' &&
    outcome.variant !== null &&
    outcome.variant !== 'shadow' &&
    outcome.model_version !== null &&
    arms.includes(outcome.model_version)
  );
}
