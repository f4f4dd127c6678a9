import beta from '@stdlib/random-base-beta';
import { validateCustomer, type FieldError, type ValidationRules } from '../contract/customer.js';
import type { ChurnModel } from '../model/churn-model.js';
import { predictValidated } from '../model/predict-customer.js';
import type { CustomerEvent, CustomerOutcome } from '../serde/avro-records.js';

/*
 * The outcome simulator's rule (pure): which scored customers get an outcome, whether they churned, and the
 * CustomerOutcome record that says so. `bin/churn-scorer simulate outcomes` (outcome-simulator.ts) is its shell.
 */

/** How the ground truth decides `churned` from the truth model's score of the customer's latest event. */
export const TRUTH_RULES = ['probability', 'decision'] as const;
export type TruthRule = (typeof TRUTH_RULES)[number];

export interface OutcomeRule {
  /** 'probability': churned ~ Bernoulli(truth probability); 'decision': churned = the truth model's decision */
  readonly rule: TruthRule;
  /** the share of outcomes whose `churned` is inverted (label noise), in [0, 1] */
  readonly flipRate: number;
  /** the share of customers that get an outcome at all, in [0, 1] */
  readonly share: number;
  /** outcome event_time = the customer's latest event_time + delayMs */
  readonly delayMs: number;
  /** an unsigned 32-bit integer: the same seed gives every customer the same outcome */
  readonly seed: number;
  /** the campaign offer written on every outcome; null: no offer */
  readonly offer: string | null;
  /** with an offer: the chance the customer accepted it; null: not known (accepted is null) */
  readonly acceptRate: number | null;
}

/** The truth model's view of one customer. */
export interface Truth {
  readonly probability: number;
  /** probability >= the truth model's threshold */
  readonly decision: boolean;
}

/**
 * The truth model as the simulator uses it: validates the event as the stream does (unknown categories are
 * scored with a warning, not refused) and scores it.
 */
export interface TruthModel {
  readonly model: ChurnModel;
  readonly rules: ValidationRules;
}

/** The truth of an event, or why the truth model cannot score it (the worker would dead-letter it too). */
export function truthOf(
  event: CustomerEvent,
  truth: TruthModel,
): { ok: true; truth: Truth } | { ok: false; errors: readonly FieldError[] } {
  const validated = validateCustomer(event, truth.rules);
  if (!validated.ok) return validated;
  const prediction = predictValidated(validated.customer, validated.warnings, truth.model);
  if (!prediction.ok) return prediction;
  return { ok: true, truth: { probability: prediction.churn_probability, decision: prediction.churn } };
}

export interface SimulatedOutcome {
  readonly outcome: CustomerOutcome;
  /** what the ground truth said before label noise */
  readonly truthChurned: boolean;
  readonly flipped: boolean;
}

const UINT32_RANGE = 2 ** 32;

/**
 * A uniform stream in [0, 1) of its own per (seed, customer): a Mersenne Twister (MT19937, the generator under
 * @stdlib's samplers, here the one under the Beta sampler the bandit uses) seeded with the seed and the id's
 * UTF-8 bytes. A customer's outcome so depends on nothing but the seed and the customer: not on read order
 * across partitions, --limit, or which other customers are on the topic.
 */
export function customerUniforms(seed: number, customerid: string): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= UINT32_RANGE) {
    throw new RangeError(`seed must be an integer from 0 to ${UINT32_RANGE - 1}, got ${seed}`);
  }
  const bytes = Buffer.from(customerid, 'utf8');
  const words = new Uint32Array(2 + Math.ceil(bytes.length / 4));
  words[0] = seed;
  // The length tells ids apart whose bytes differ only by trailing zero bytes.
  words[1] = bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const w = 2 + (i >> 2);
    words[w] = ((words[w] ?? 0) | ((bytes[i] ?? 0) << ((i & 3) * 8))) >>> 0;
  }
  const uint32 = beta.factory({ seed: words }).PRNG;
  return () => uint32() / UINT32_RANGE;
}

/**
 * A customer's four draws, in this order whatever the rule: share, churn, flip, accept. Changing one setting so
 * leaves the other draws as they were: the outcomes with --share 0.5 are a subset of those with 1, and --flip 0.1
 * flips a subset of what --flip 0.2 flips.
 */
export interface CustomerDraws {
  readonly share: number;
  readonly churn: number;
  readonly flip: number;
  readonly accept: number;
}

export function customerDraws(seed: number, customerid: string): CustomerDraws {
  const uniform = customerUniforms(seed, customerid);
  const share = uniform();
  const churn = uniform();
  const flip = uniform();
  return { share, churn, flip, accept: uniform() };
}

/** One customer's outcome under the rule with its draws, or null when the customer is not in the rule's share. */
export function outcomeFrom(
  latest: Pick<CustomerEvent, 'customerid' | 'event_time'>,
  truth: Truth,
  rule: OutcomeRule,
  draws: CustomerDraws,
): SimulatedOutcome | null {
  if (!(draws.share < rule.share)) return null;
  const truthChurned = rule.rule === 'probability' ? draws.churn < truth.probability : truth.decision;
  const flipped = draws.flip < rule.flipRate;
  return {
    outcome: {
      customerid: latest.customerid,
      event_time: latest.event_time + rule.delayMs,
      churned: flipped ? !truthChurned : truthChurned,
      offer: rule.offer,
      accepted: rule.offer === null || rule.acceptRate === null ? null : draws.accept < rule.acceptRate,
    },
    truthChurned,
    flipped,
  };
}

/** One customer's outcome under the rule, with the customer's draws under the rule's seed. */
export function simulateOutcome(
  latest: Pick<CustomerEvent, 'customerid' | 'event_time'>,
  truth: Truth,
  rule: OutcomeRule,
): SimulatedOutcome | null {
  return outcomeFrom(latest, truth, rule, customerDraws(rule.seed, latest.customerid));
}

/** What a simulation did, for its summary line. */
export interface OutcomeTally {
  /** customers given to the rule (after --limit) */
  customers: number;
  outcomes: number;
  churned: number;
  flipped: number;
  /** outcomes with accepted === true */
  accepted: number;
  /** customers the truth model could not score (invalid events): no outcome */
  unscorable: number;
}

export function emptyTally(): OutcomeTally {
  return { customers: 0, outcomes: 0, churned: 0, flipped: 0, accepted: 0, unscorable: 0 };
}

/** Counts one customer's result into the tally (mutates it). */
export function countOutcome(tally: OutcomeTally, result: SimulatedOutcome | null | 'unscorable'): void {
  tally.customers++;
  if (result === 'unscorable') {
    tally.unscorable++;
    return;
  }
  if (result === null) return;
  tally.outcomes++;
  if (result.outcome.churned) tally.churned++;
  if (result.flipped) tally.flipped++;
  if (result.outcome.accepted === true) tally.accepted++;
}

/** churned / outcomes; null without outcomes. */
export function churnedShare(tally: OutcomeTally): number | null {
  return tally.outcomes === 0 ? null : tally.churned / tally.outcomes;
}
