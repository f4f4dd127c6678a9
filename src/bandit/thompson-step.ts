import beta from '@stdlib/random-base-beta';
import type { ArmPosterior, BanditDocument } from '../rollout/rollout-document.js';
import type { PredictionOutcome } from '../serde/avro-records.js';
import { countsForArms, rewardOf } from './bandit-reward.js';
import { armWeights, withArmWeights, type BanditRolloutDocument } from './bandit-rollout.js';
import { boundedWeights } from './bandit-weights.js';

/** Monte Carlo draws per P(best) estimate: its standard error is at most 0.5 percentage points. */
export const POSTERIOR_DRAWS = 10_000;

/** One arm after a step. */
export interface ArmStep {
  readonly version: string;
  /** the posterior after the step: Beta(1 + successes, 1 + failures) */
  readonly successes: number;
  readonly failures: number;
  /** the rewards this step added */
  readonly addedSuccesses: number;
  readonly addedFailures: number;
  /** the posterior probability that this arm has the highest reward rate (Monte Carlo) */
  readonly probabilityBest: number;
  /** percent of the customers after the step */
  readonly weight: number;
}

/** What a step did, and the document it leads to. */
export interface BanditStep {
  /** the document with the next step: new posteriors, weights, read_to, step + 1 */
  readonly document: BanditRolloutDocument;
  readonly step: number;
  readonly arms: readonly ArmStep[];
  /** records read in this step */
  readonly read: number;
  /** records that gave an arm a reward */
  readonly rewarded: number;
  /** false when no reward was counted: the weights stay as they were (only read_to and step move) */
  readonly reweighted: boolean;
}

/**
 * One Thompson-sampling step (pure): the rewards of `outcomes` (the joined topic's records from the document's
 * read_to up to `readTo`) added to the arms' Beta posteriors; each arm's P(best) estimated from POSTERIOR_DRAWS
 * joint draws of the posteriors, seeded with the new step number (the same document and records always give the
 * same weights, on any worker); the weights set to P(best) clipped to [floor, ceiling] and renormalized to 100 in
 * 0.01 steps (boundedWeights). With no reward counted, the weights stay: a new seed alone would move customers
 * for no new evidence.
 */
export function thompsonStep(
  document: BanditRolloutDocument,
  outcomes: readonly PredictionOutcome[],
  readTo: Readonly<Record<string, string>>,
  options: { draws?: number } = {},
): BanditStep {
  const { bandit } = document;
  const added = bandit.arms.map(() => ({ successes: 0, failures: 0 }));
  let rewarded = 0;
  for (const outcome of outcomes) {
    if (!countsForArms(outcome, bandit.arms)) continue;
    const value = rewardOf(bandit.reward, outcome);
    if (value === undefined) continue;
    const arm = added[bandit.arms.indexOf(outcome.model_version as string)];
    if (arm === undefined) continue;
    if (value === 1) arm.successes++;
    else arm.failures++;
    rewarded++;
  }
  const posteriors: ArmPosterior[] = bandit.arms.map((version, i) => {
    const before = bandit.posteriors[i] as ArmPosterior;
    const more = added[i] as { successes: number; failures: number };
    return { version, successes: before.successes + more.successes, failures: before.failures + more.failures };
  });
  const step = bandit.step + 1;
  const best = probabilityBest(posteriors, step, options.draws ?? POSTERIOR_DRAWS);
  const weights = rewarded > 0 ? boundedWeights(best, bandit.floor, bandit.ceiling) : armWeights(document);
  const next: BanditDocument = { ...bandit, posteriors, read_to: { ...readTo }, step };
  return {
    document: withArmWeights(document, next, weights),
    step,
    arms: posteriors.map((p, i) => ({
      ...p,
      addedSuccesses: added[i]?.successes ?? 0,
      addedFailures: added[i]?.failures ?? 0,
      probabilityBest: best[i] as number,
      weight: weights[i] as number,
    })),
    read: outcomes.length,
    rewarded,
    reweighted: rewarded > 0,
  };
}

/**
 * Each arm's probability of having the highest reward rate under its Beta(1 + successes, 1 + failures) posterior,
 * estimated from `draws` joint draws (pure and repeatable: @stdlib/random-base-beta seeded with `seed`, a
 * positive integer; each draw samples the arms in their order; a tie goes to the earlier arm).
 */
export function probabilityBest(posteriors: readonly ArmPosterior[], seed: number, draws: number): number[] {
  const sample = beta.factory({ seed });
  const wins = posteriors.map(() => 0);
  for (let d = 0; d < draws; d++) {
    let bestArm = 0;
    let bestValue = -1;
    for (let i = 0; i < posteriors.length; i++) {
      const { successes, failures } = posteriors[i] as ArmPosterior;
      const value = sample(1 + successes, 1 + failures);
      if (value > bestValue) {
        bestValue = value;
        bestArm = i;
      }
    }
    wins[bestArm] = (wins[bestArm] as number) + 1;
  }
  return wins.map((w) => w / draws);
}
