import { challengerBucketRanges, type BucketRange } from './challenger-buckets.js';
import { BUCKETS_PER_PERCENT, seedOfSalt } from './customer-bucket.js';
import { rolloutProblems, type BanditDocument, type ChallengerKind, type RolloutDocument } from './rollout-document.js';
import { RolloutError } from './rollout-error.js';

export type Variant = 'champion' | ChallengerKind;

/** Which model serves a customer, and as what. */
export interface VariantAssignment {
  readonly version: string;
  readonly variant: Variant;
  /**
   * The share of all customers this assignment serves (a challenger's weight / 100; the champion's is what the
   * challengers leave): the logged policy's probability of this variant, which predictions carry for
   * inverse-propensity estimates.
   */
  readonly probability: number;
}

/** A challenger and the buckets it serves. */
export interface ServingChallenger extends BucketRange {
  readonly version: string;
  readonly kind: ChallengerKind;
  /** percent of the customers */
  readonly weight: number;
  /** what assignVariant returns for its customers: one frozen object, not one per call */
  readonly assignment: VariantAssignment;
}

/** A validated rollout, laid out on the buckets: what assignVariant reads for every record. */
export interface Rollout {
  readonly salt: string;
  /** the hash seed of `salt` */
  readonly seed: number;
  readonly champion: VariantAssignment;
  readonly challengers: readonly ServingChallenger[];
  /** versions scored on the side of every event; they never serve */
  readonly shadows: readonly string[];
  /** present when the serving versions are the arms of a bandit (src/bandit): its arms, posteriors, read_to, step */
  readonly bandit?: BanditDocument;
}

/** The salt of a document that names none. Changing it reshuffles every customer. */
export const DEFAULT_ROLLOUT_SALT = 'churn-scorer/rollout';

/**
 * Validates a rollout document (parsed JSON, pure) and lays its challengers out on the buckets
 * (challenger-buckets.ts). Throws a RolloutError naming every problem's field.
 */
export function parseRollout(input: unknown): Rollout {
  const problems = rolloutProblems(input);
  if (problems.length > 0) throw new RolloutError(problems);
  const document = input as RolloutDocument;
  const challengers = document.challengers ?? [];
  const ranges = challengerBucketRanges(challengers.map((c) => Math.round(c.weight * BUCKETS_PER_PERCENT)));
  const salt = document.salt ?? DEFAULT_ROLLOUT_SALT;
  const challengerBuckets = challengers.reduce((sum, c) => sum + Math.round(c.weight * BUCKETS_PER_PERCENT), 0);
  const championProbability = (100 * BUCKETS_PER_PERCENT - challengerBuckets) / (100 * BUCKETS_PER_PERCENT);
  return Object.freeze({
    salt,
    seed: seedOfSalt(salt),
    champion: Object.freeze({
      version: document.champion,
      variant: 'champion' as const,
      probability: championProbability,
    }),
    challengers: Object.freeze(
      challengers.map(({ version, kind, weight }, index) =>
        Object.freeze({
          version,
          kind,
          weight,
          ...(ranges[index] as BucketRange),
          assignment: Object.freeze({
            version,
            variant: kind,
            probability: Math.round(weight * BUCKETS_PER_PERCENT) / (100 * BUCKETS_PER_PERCENT),
          }),
        }),
      ),
    ),
    shadows: Object.freeze([...(document.shadows ?? [])]),
    ...(document.bandit === undefined ? {} : { bandit: frozenBandit(document.bandit) }),
  });
}

function frozenBandit(bandit: BanditDocument): BanditDocument {
  return Object.freeze({
    arms: Object.freeze([...bandit.arms]),
    reward: bandit.reward,
    floor: bandit.floor,
    ceiling: bandit.ceiling,
    posteriors: Object.freeze(
      bandit.posteriors.map(({ version, successes, failures }) => Object.freeze({ version, successes, failures })),
    ),
    read_to: Object.freeze({ ...bandit.read_to }),
    step: bandit.step,
  });
}
