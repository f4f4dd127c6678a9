import { describe, expect, it } from 'vitest';
import { ActJoins } from '../../../src/demo/outcomes-act.js';
import type { PredictionOutcome } from '../../../src/serde/avro-records.js';

function record(
  fields: Partial<PredictionOutcome> & Pick<PredictionOutcome, 'kind' | 'customerid'>,
): PredictionOutcome {
  return {
    event_id: null,
    model_version: null,
    variant: null,
    rollout_revision: null,
    churn_probability: null,
    predicted_churn: null,
    assignment_probability: null,
    prediction_time: null,
    outcome_time: null,
    churned: null,
    offer: null,
    accepted: null,
    correct: null,
    joined_at: 0,
    ...fields,
  };
}

const joined = (customerid: string, outcomeTime: number, version: string, p: number, churned: boolean) =>
  record({
    kind: 'joined',
    customerid,
    outcome_time: outcomeTime,
    model_version: version,
    variant: 'champion',
    churn_probability: p,
    predicted_churn: p >= 0.5,
    churned,
    correct: p >= 0.5 === churned,
  });

describe("ActJoins: the joined topic's answers to the act's outcomes", () => {
  it("counts only this act's outcomes (customer and outcome time), joined or unmatched, until each is answered", () => {
    const joins = new ActJoins(
      new Map([
        ['A', 1_000],
        ['B', 2_000],
        ['C', 3_000],
      ]),
    );
    joins.add(joined('A', 999, '1.0.0', 0.9, true)); // an earlier run's outcome of A
    joins.add(joined('Z', 1_000, '1.0.0', 0.9, true)); // not a customer of the act
    joins.add(record({ kind: 'expired-prediction', customerid: 'A', outcome_time: null }));
    expect(joins.resolvedOutcomes).toBe(0);

    joins.add(joined('A', 1_000, '1.0.0', 0.9, true));
    joins.add(joined('A', 1_000, '1.1.0', 0.8, true));
    joins.add(joined('B', 2_000, '1.0.0', 0.2, false));
    expect(joins.resolvedOutcomes).toBe(2);
    expect(joins.complete).toBe(false);
    joins.add(record({ kind: 'unmatched-outcome', customerid: 'C', outcome_time: 3_000, churned: true }));
    expect(joins.complete).toBe(true);
    expect(joins.unmatched).toBe(1);
    expect(joins.joined).toHaveLength(3);

    const performance = joins.performance();
    expect(performance.map((p) => [p.version, p.variant, p.n])).toEqual([
      ['1.0.0', 'champion', 2],
      ['1.1.0', 'champion', 1],
    ]);
    // 1.0.0: the churner (0.9) above the stayer (0.2)
    expect(performance[0]?.auc).toBe(1);
  });
});
