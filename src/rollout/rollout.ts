import { challengerBucketRanges, type BucketRange } from './challenger-buckets.js';
import { BUCKETS_PER_PERCENT, seedOfSalt } from './customer-bucket.js';
import { rolloutProblems, type ChallengerKind, type RolloutDocument } from './rollout-document.js';
import { RolloutError } from './rollout-error.js';

export type Variant = 'champion' | ChallengerKind;

/** Which model serves a customer, and as what. */
export interface VariantAssignment {
  readonly version: string;
  readonly variant: Variant;
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
  return Object.freeze({
    salt,
    seed: seedOfSalt(salt),
    champion: Object.freeze({ version: document.champion, variant: 'champion' as const }),
    challengers: Object.freeze(
      challengers.map(({ version, kind, weight }, index) =>
        Object.freeze({
          version,
          kind,
          weight,
          ...(ranges[index] as BucketRange),
          assignment: Object.freeze({ version, variant: kind }),
        }),
      ),
    ),
    shadows: Object.freeze([...(document.shadows ?? [])]),
  });
}
