import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createValidationRules } from '../../../src/contract/customer.js';
import { REPO_PATHS } from '../../../src/config/repo-paths.js';
import { customerEvent, loadTelcoCustomers } from '../../../src/demo/telco-events.js';
import { loadModel } from '../../../src/model/index.js';
import type { ChurnModel } from '../../../src/model/index.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import {
  churnedShare,
  countOutcome,
  customerDraws,
  customerUniforms,
  emptyTally,
  outcomeFrom,
  simulateOutcome,
  truthOf,
  type CustomerDraws,
  type OutcomeRule,
  type SimulatedOutcome,
  type Truth,
} from '../../../src/outcomes/simulated-outcome.js';

const RULE: OutcomeRule = {
  rule: 'probability',
  flipRate: 0,
  share: 1,
  delayMs: 7 * 86_400_000,
  seed: 1,
  offer: null,
  acceptRate: null,
};

const TRUTH_DIR = join(REPO_PATHS.churnModelsDir, '1.1.0');

interface ParityCase {
  customerid: string;
  raw: Record<string, string | number>;
  churn_probability: number;
}

const N = 5_000;
const ids = Array.from({ length: N }, (_, i) => `${String(i).padStart(4, '0')}-SIMUL`);
const EVENT_TIME = Date.UTC(2026, 10, 1);

/** Over N customers, a share estimated from Bernoulli(p) draws is within 5 standard errors of p. */
function expectShare(observed: number, p: number, n: number): void {
  const tolerance = 5 * Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(observed - p), `observed ${observed}, expected ${p} ± ${tolerance}`).toBeLessThanOrEqual(tolerance);
}

// Seeding a Mersenne Twister per customer is the costly part: the draws are made once per seed and shared.
const drawsBySeed = new Map<number, CustomerDraws[]>();
function drawsOf(seed: number): CustomerDraws[] {
  let draws = drawsBySeed.get(seed);
  if (draws === undefined) {
    draws = ids.map((id) => customerDraws(seed, id));
    drawsBySeed.set(seed, draws);
  }
  return draws;
}

function simulateAll(rule: OutcomeRule, truth: (i: number) => Truth): (SimulatedOutcome | null)[] {
  const draws = drawsOf(rule.seed);
  return ids.map((customerid, i) =>
    outcomeFrom({ customerid, event_time: EVENT_TIME + i }, truth(i), rule, draws[i] as CustomerDraws),
  );
}

function present(results: (SimulatedOutcome | null)[]): SimulatedOutcome[] {
  return results.filter((r): r is SimulatedOutcome => r !== null);
}

describe('customerUniforms: a seeded stream per customer', () => {
  it('gives the same draws for the same seed and customer, and other draws for another seed or customer', () => {
    const draw = (seed: number, id: string) => {
      const u = customerUniforms(seed, id);
      return [u(), u(), u(), u()];
    };
    expect(draw(1, '7590-VHVEG')).toEqual(draw(1, '7590-VHVEG'));
    expect(draw(2, '7590-VHVEG')).not.toEqual(draw(1, '7590-VHVEG'));
    expect(draw(1, '5575-GNVDE')).not.toEqual(draw(1, '7590-VHVEG'));
    // ids that differ only by trailing zero bytes, and the seed 0
    expect(draw(0, 'a\u0000')).not.toEqual(draw(0, 'a'));
  });

  it('is uniform on [0, 1)', () => {
    const values = drawsOf(1).flatMap((d) => [d.share, d.churn, d.flip, d.accept]);
    const n = values.length;
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expectShare(values.filter((v) => v < 0.1).length / n, 0.1, n);
  });

  it('refuses a seed outside 0..2^32-1', () => {
    expect(() => customerUniforms(-1, 'x')).toThrow(RangeError);
    expect(() => customerUniforms(2 ** 32, 'x')).toThrow(RangeError);
    expect(() => customerUniforms(1.5, 'x')).toThrow(RangeError);
  });
});

describe('simulateOutcome', () => {
  it('dates the outcome event time + delay and writes the customer id', () => {
    const result = simulateOutcome(
      { customerid: 'C1', event_time: EVENT_TIME },
      { probability: 0.5, decision: true },
      {
        ...RULE,
        delayMs: 3_600_000,
      },
    );
    expect(result?.outcome.customerid).toBe('C1');
    expect(result?.outcome.event_time).toBe(EVENT_TIME + 3_600_000);
    expect(result?.outcome.offer).toBeNull();
    expect(result?.outcome.accepted).toBeNull();
  });

  it('is repeatable: the same seed gives the same outcomes, another seed other ones', () => {
    const truth = (i: number): Truth => ({ probability: (i % 100) / 100, decision: i % 100 >= 50 });
    const first = simulateAll(RULE, truth);
    // afresh, each customer seeding its own generator again
    const again = ids.map((customerid, i) =>
      simulateOutcome({ customerid, event_time: EVENT_TIME + i }, truth(i), RULE),
    );
    expect(again).toEqual(first);
    const other = simulateAll({ ...RULE, seed: 2 }, truth);
    const differing = other.filter((r, i) => r?.outcome.churned !== first[i]?.outcome.churned).length;
    expect(differing).toBeGreaterThan(N / 10);
  });

  it("rule probability: churned ~ Bernoulli(the truth model's probability)", () => {
    for (const p of [0.05, 0.3, 0.8]) {
      const results = present(simulateAll(RULE, () => ({ probability: p, decision: p >= 0.5 })));
      expect(results).toHaveLength(N);
      expectShare(results.filter((r) => r.outcome.churned).length / N, p, N);
    }
    // a probability of 0 never churns, 1 always does
    expect(present(simulateAll(RULE, () => ({ probability: 0, decision: true }))).some((r) => r.outcome.churned)).toBe(
      false,
    );
    expect(
      present(simulateAll(RULE, () => ({ probability: 1, decision: false }))).every((r) => r.outcome.churned),
    ).toBe(true);
  });

  it("rule decision: churned is the truth model's decision", () => {
    const decision = (i: number) => i % 3 === 0;
    const results = simulateAll({ ...RULE, rule: 'decision' }, (i) => ({ probability: 0.5, decision: decision(i) }));
    expect(results.map((r) => r?.outcome.churned)).toEqual(ids.map((_, i) => decision(i)));
  });

  it('--flip inverts that share of the outcomes, and only those', () => {
    const decision = (i: number) => i % 2 === 0;
    for (const flipRate of [0.1, 0.25]) {
      const results = present(
        simulateAll({ ...RULE, rule: 'decision', flipRate }, (i) => ({ probability: 0.5, decision: decision(i) })),
      );
      const wrong = results.filter((r, i) => r.outcome.churned !== decision(i));
      expectShare(wrong.length / N, flipRate, N);
      expect(results.every((r) => r.outcome.churned === (r.flipped ? !r.truthChurned : r.truthChurned))).toBe(true);
    }
    // the draws are shared: what 0.1 flips, 0.25 flips too
    const at = (flipRate: number) =>
      present(simulateAll({ ...RULE, rule: 'decision', flipRate }, () => ({ probability: 0.5, decision: true })));
    const low = at(0.1);
    const high = at(0.25);
    expect(low.every((r, i) => !r.flipped || high[i]?.flipped === true)).toBe(true);
  });

  it('--share gives that share of the customers an outcome, a subset of the full run with the same outcomes', () => {
    const truth = (i: number): Truth => ({ probability: (i % 10) / 10, decision: i % 10 >= 5 });
    const all = simulateAll(RULE, truth);
    for (const share of [0, 0.2, 0.5]) {
      const some = simulateAll({ ...RULE, share }, truth);
      const got = some.filter((r) => r !== null).length;
      if (share === 0) expect(got).toBe(0);
      else expectShare(got / N, share, N);
      expect(some.every((r, i) => r === null || JSON.stringify(r) === JSON.stringify(all[i]))).toBe(true);
    }
  });

  it('--offer with --accept-rate: every outcome carries the offer, that share accepted it', () => {
    const rule = { ...RULE, offer: 'discount-20', acceptRate: 0.35 };
    const results = present(simulateAll(rule, () => ({ probability: 0.5, decision: true })));
    expect(results.every((r) => r.outcome.offer === 'discount-20')).toBe(true);
    expectShare(results.filter((r) => r.outcome.accepted === true).length / N, 0.35, N);
    const unknown = present(simulateAll({ ...rule, acceptRate: null }, () => ({ probability: 0.5, decision: true })));
    expect(unknown.every((r) => r.outcome.offer === 'discount-20' && r.outcome.accepted === null)).toBe(true);
  });
});

describe('tally', () => {
  it('counts outcomes, churned, flipped, accepted, the ones without an outcome and the unscorable', () => {
    const tally = emptyTally();
    const outcome = (churned: boolean, flipped: boolean, accepted: boolean | null): SimulatedOutcome => ({
      outcome: { customerid: 'x', event_time: 0, churned, offer: accepted === null ? null : 'o', accepted },
      truthChurned: flipped ? !churned : churned,
      flipped,
    });
    countOutcome(tally, outcome(true, false, true));
    countOutcome(tally, outcome(false, true, false));
    countOutcome(tally, outcome(true, true, null));
    countOutcome(tally, null);
    countOutcome(tally, 'unscorable');
    expect(tally).toEqual({ customers: 5, outcomes: 3, churned: 2, flipped: 2, accepted: 1, unscorable: 1 });
    expect(churnedShare(tally)).toBeCloseTo(2 / 3, 12);
    expect(churnedShare(emptyTally())).toBeNull();
  });
});

describe('truthOf: the truth model scores an event as the stream does', () => {
  let model: ChurnModel;
  beforeAll(async () => {
    model = await loadModel(TRUTH_DIR);
  });

  it("gives sklearn's probability for the parity customers (raw spellings) and the model's decision at its threshold", () => {
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const cases = readFileSync(join(TRUTH_DIR, 'parity.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ParityCase)
      .slice(0, 200);
    let decisions = 0;
    for (const [i, c] of cases.entries()) {
      const event = { ...c.raw, customerid: c.customerid, event_id: `e${i}`, event_time: EVENT_TIME } as CustomerEvent;
      const result = truthOf(event, { model, rules });
      if (!result.ok) throw new Error(`parity customer ${c.customerid} refused: ${JSON.stringify(result.errors)}`);
      expect(Math.abs(result.truth.probability - c.churn_probability)).toBeLessThan(1e-9);
      expect(result.truth.decision).toBe(c.churn_probability >= model.meta.threshold);
      if (result.truth.decision) decisions++;
    }
    expect(decisions).toBeGreaterThan(0);
    expect(decisions).toBeLessThan(cases.length);
  });

  it('refuses an event the contract refuses (the worker dead-letters it)', () => {
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const customer = loadTelcoCustomers()[0];
    if (customer === undefined) throw new Error('no Telco customers');
    const invalid = truthOf({ ...customerEvent(customer, 'bad', EVENT_TIME), tenure: -3 }, { model, rules });
    expect(invalid.ok).toBe(false);
    expect(truthOf(customerEvent(customer, 'good', EVENT_TIME), { model, rules }).ok).toBe(true);
  });
});
