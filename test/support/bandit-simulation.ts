import type { PredictionOutcome } from '../../src/serde/avro-records.js';

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A simulated version: how often its decisions are right. */
export interface SimulatedArm {
  readonly version: string;
  readonly variant: 'champion' | 'bandit';
  readonly correctRate: number;
}

/**
 * `count` 'joined' records as the outcome join writes them, each customer assigned to an arm with the bandit's
 * current weights (percent per arm; assignment_probability = the weight / 100), its decision right with the arm's
 * correct rate, churners and stayers half and half. Deterministic for a given `random`.
 */
export function simulatedOutcomes(
  arms: readonly SimulatedArm[],
  weights: readonly number[],
  count: number,
  random: () => number,
  firstCustomer = 0,
): PredictionOutcome[] {
  const out: PredictionOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const pick = random() * 100;
    let index = 0;
    let edge = weights[0] ?? 100;
    while (pick >= edge && index < arms.length - 1) edge += weights[++index] ?? 0;
    const arm = arms[index] as SimulatedArm;
    const correct = random() < arm.correctRate;
    const churned = random() < 0.5;
    const predicted = correct ? churned : !churned;
    out.push({
      kind: 'joined',
      customerid: `sim-${firstCustomer + i}`,
      event_id: `event-${firstCustomer + i}`,
      model_version: arm.version,
      variant: arm.variant,
      rollout_revision: 1,
      churn_probability: predicted ? 0.75 : 0.25,
      predicted_churn: predicted,
      assignment_probability: (weights[index] ?? 0) / 100,
      prediction_time: 1_000 * (firstCustomer + i),
      outcome_time: 1_000 * (firstCustomer + i) + 86_400_000,
      churned,
      offer: null,
      accepted: null,
      correct,
      joined_at: 0,
    });
  }
  return out;
}
