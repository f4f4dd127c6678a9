import { murmur3x86_32 } from './murmur3.js';

/** Weights are percents of the buckets: 0.01 % is one bucket. */
export const BUCKETS_PER_PERCENT = 100;

/** Customers are spread over 10,000 buckets. */
export const BUCKET_COUNT = 100 * BUCKETS_PER_PERCENT;

/**
 * The bucket of a customer, in [0, BUCKET_COUNT) (pure): MurmurHash3 x86_32 of the id's UTF-8 bytes, seeded
 * with the rollout's salt, scaled to the buckets. The id is taken as given (no trimming, no case folding),
 * so every path that scores a customer must hand over the same string.
 */
export function customerBucket(customerId: string, seed: number): number {
  // Scaling (not `% BUCKET_COUNT`) keeps every bucket within one hash value of 2^32 / 10,000; the product stays
  // below 2^46, exact in a double.
  return Math.floor((murmur3x86_32(customerId, seed) * BUCKET_COUNT) / 2 ** 32);
}

/** The hash seed of a salt: computed once per rollout, so a record's hash never concatenates strings. */
export function seedOfSalt(salt: string): number {
  return murmur3x86_32(salt, 0);
}
