import { customerBucket } from './customer-bucket.js';
import type { Rollout, VariantAssignment } from './rollout.js';

/**
 * The model that serves a customer (pure): the challenger whose buckets hold the customer's bucket, else the
 * champion. The bucket depends only on the id and the rollout's salt, so every worker, partition and HTTP
 * path gives a customer the same variant. Runs per record: one hash, no allocation (the answers are the
 * rollout's own frozen objects).
 */
export function assignVariant(rollout: Rollout, customerId: string): VariantAssignment {
  const bucket = customerBucket(customerId, rollout.seed);
  const { challengers } = rollout;
  for (let i = 0; i < challengers.length; i++) {
    const challenger = challengers[i] as Rollout['challengers'][number];
    if (bucket >= challenger.first && bucket < challenger.end) return challenger.assignment;
  }
  return rollout.champion;
}
