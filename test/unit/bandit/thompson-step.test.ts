import { describe, expect, it } from 'vitest';
import { armWeights, banditDocumentFromFlags, type BanditRolloutDocument } from '../../../src/bandit/bandit-rollout.js';
import { rewardOf } from '../../../src/bandit/bandit-reward.js';
import { POSTERIOR_DRAWS, probabilityBest, thompsonStep } from '../../../src/bandit/thompson-step.js';
import { parseRollout } from '../../../src/rollout/rollout.js';
import type { PredictionOutcome } from '../../../src/serde/avro-records.js';
import { seededUniform, simulatedOutcomes, type SimulatedArm } from '../../support/bandit-simulation.js';

const start = (flags: { reward?: string; floor?: string; ceiling?: string } = {}) =>
  banditDocumentFromFlags(
    { bandit: '1.0.0,1.1.0', shadow: [], ...flags },
    { '0': '0', '1': '0' },
  ) as BanditRolloutDocument;

function joined(overrides: Partial<PredictionOutcome>): PredictionOutcome {
  return {
    kind: 'joined',
    customerid: 'c-1',
    event_id: 'e-1',
    model_version: '1.1.0',
    variant: 'bandit',
    rollout_revision: 1,
    churn_probability: 0.8,
    predicted_churn: true,
    assignment_probability: 0.5,
    prediction_time: 0,
    outcome_time: 1,
    churned: true,
    offer: null,
    accepted: null,
    correct: true,
    joined_at: 2,
    ...overrides,
  };
}

describe('rewards of a joined outcome', () => {
  it('correct-decision: the decision equals the outcome', () => {
    expect(rewardOf('correct-decision', joined({ predicted_churn: true, churned: true }))).toBe(1);
    expect(rewardOf('correct-decision', joined({ predicted_churn: false, churned: false }))).toBe(1);
    expect(rewardOf('correct-decision', joined({ predicted_churn: true, churned: false }))).toBe(0);
    expect(rewardOf('correct-decision', joined({ predicted_churn: false, churned: true }))).toBe(0);
  });

  it('caught-churner: a churner called churn (1) or missed (0); a customer who stayed carries none', () => {
    expect(rewardOf('caught-churner', joined({ predicted_churn: true, churned: true }))).toBe(1);
    expect(rewardOf('caught-churner', joined({ predicted_churn: false, churned: true }))).toBe(0);
    expect(rewardOf('caught-churner', joined({ predicted_churn: true, churned: false }))).toBeUndefined();
    expect(rewardOf('caught-churner', joined({ predicted_churn: false, churned: false }))).toBeUndefined();
  });
});

describe('thompsonStep', () => {
  it('adds the rewards of joined records of served arms only, moves read_to and the step', () => {
    const outcomes = [
      joined({ model_version: '1.1.0', predicted_churn: true, churned: true }),
      joined({ model_version: '1.1.0', predicted_churn: true, churned: false }),
      joined({ model_version: '1.0.0', variant: 'champion', predicted_churn: false, churned: false }),
      // none of these count: a shadow served nobody, an unmatched outcome or expired prediction has no pair,
      // a version that is no arm
      joined({ model_version: '1.1.0', variant: 'shadow' }),
      joined({ kind: 'unmatched-outcome', model_version: null, variant: null, predicted_churn: null }),
      joined({ kind: 'expired-prediction', churned: null }),
      joined({ model_version: '2.0.0' }),
    ];
    const step = thompsonStep(start(), outcomes, { '0': '5', '1': '2' });
    expect(step.read).toBe(7);
    expect(step.rewarded).toBe(3);
    expect(step.document.bandit.posteriors).toEqual([
      { version: '1.0.0', successes: 1, failures: 0 },
      { version: '1.1.0', successes: 1, failures: 1 },
    ]);
    expect(step.document.bandit.read_to).toEqual({ '0': '5', '1': '2' });
    expect(step.step).toBe(1);
    expect(step.document.bandit.step).toBe(1);
    // the next document is a valid rollout: the champion is the first arm, the other arm a bandit challenger
    const rollout = parseRollout(step.document);
    expect(rollout.champion.version).toBe('1.0.0');
    expect(rollout.challengers.map((c) => [c.version, c.kind, c.assignment.variant])).toEqual([
      ['1.1.0', 'bandit', 'bandit'],
    ]);
    expect(armWeights(step.document)).toEqual(step.arms.map((a) => a.weight));
  });

  it('caught-churner counts churners only', () => {
    const outcomes = [
      joined({ predicted_churn: true, churned: true }),
      joined({ predicted_churn: false, churned: true }),
      joined({ predicted_churn: true, churned: false }),
    ];
    const step = thompsonStep(start({ reward: 'caught-churner' }), outcomes, {});
    expect(step.document.bandit.posteriors[1]).toEqual({ version: '1.1.0', successes: 1, failures: 1 });
  });

  it('is repeatable: the same document and records give the same P(best) and weights (seeded by the step)', () => {
    const outcomes = simulatedOutcomes(ARMS_BETTER_B, [50, 50], 40, seededUniform(3));
    const a = thompsonStep(start(), outcomes, {});
    const b = thompsonStep(start(), outcomes, {});
    expect(a.arms).toEqual(b.arms);
    expect(a.arms.reduce((s, arm) => s + arm.probabilityBest, 0)).toBeCloseTo(1, 12);
  });

  it('keeps the weights when no reward was counted (only read_to and the step move)', () => {
    const first = thompsonStep(start(), simulatedOutcomes(ARMS_BETTER_B, [50, 50], 30, seededUniform(5)), {
      '0': '30',
    });
    const idle = thompsonStep(first.document, [joined({ variant: 'shadow' })], { '0': '31' });
    expect(idle.reweighted).toBe(false);
    expect(armWeights(idle.document)).toEqual(armWeights(first.document));
    expect(idle.document.bandit.posteriors).toEqual(first.document.bandit.posteriors);
    expect(idle.document.bandit.read_to).toEqual({ '0': '31' });
  });

  it('P(best) by Monte Carlo: two equal posteriors about half each; a clearly better arm near 1', () => {
    const even = probabilityBest(
      [
        { version: 'a', successes: 20, failures: 20 },
        { version: 'b', successes: 20, failures: 20 },
      ],
      1,
      POSTERIOR_DRAWS,
    );
    expect(Math.abs((even[0] as number) - 0.5)).toBeLessThan(0.02);
    const clear = probabilityBest(
      [
        { version: 'a', successes: 60, failures: 40 },
        { version: 'b', successes: 90, failures: 10 },
      ],
      1,
      POSTERIOR_DRAWS,
    );
    expect(clear[1]).toBeGreaterThan(0.999);
  });
});

const ARMS_BETTER_B: SimulatedArm[] = [
  { version: '1.0.0', variant: 'champion', correctRate: 0.65 },
  { version: '1.1.0', variant: 'bandit', correctRate: 0.75 },
];
const ARMS_EQUAL: SimulatedArm[] = [
  { version: '1.0.0', variant: 'champion', correctRate: 0.7 },
  { version: '1.1.0', variant: 'bandit', correctRate: 0.7 },
];
/** outcomes joined between two steps in the simulations */
const PER_STEP = 50;

/** B's weight after each step of a seeded run: every batch assigned by the weights in force. */
function simulate(arms: readonly SimulatedArm[], seed: number, steps: number): number[] {
  const random = seededUniform(seed);
  let document = start();
  const trace: number[] = [];
  for (let s = 0; s < steps; s++) {
    const outcomes = simulatedOutcomes(arms, armWeights(document), PER_STEP, random, s * PER_STEP);
    document = thompsonStep(document, outcomes, { '0': String((s + 1) * PER_STEP) }).document;
    trace.push(armWeights(document)[1] as number);
  }
  return trace;
}

describe('simulated campaigns (seeded, repeatable; floor 10%, ceiling 90%, 50 outcomes per step)', () => {
  it('B right 75% of the time, A 65%: B is above 80% from 1,000 outcomes on, in each of 10 seeded runs', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const trace = simulate(ARMS_BETTER_B, seed, 30);
      // steps 20 to 30: after 1,000 to 1,500 outcomes
      const afterThousand = trace.slice(1_000 / PER_STEP - 1);
      expect(Math.min(...afterThousand), `seed ${seed}: ${trace.join(' ')}`).toBeGreaterThan(80);
    }
  }, 120_000);

  it('equal arms: always within [10%, 90%]; B averages 50% +- 8 over 30 runs, and ends ahead in 9 to 21 of them', () => {
    const traces = Array.from({ length: 30 }, (_, i) => simulate(ARMS_EQUAL, 100 + i, 30));
    const all = traces.flat();
    expect(Math.min(...all)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...all)).toBeLessThanOrEqual(90);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(Math.abs(mean - 50), `mean weight of B ${mean}`).toBeLessThan(8);
    const endsAhead = traces.filter((t) => (t.at(-1) as number) > 50).length;
    expect(endsAhead).toBeGreaterThanOrEqual(9);
    expect(endsAhead).toBeLessThanOrEqual(21);
  }, 180_000);
});
