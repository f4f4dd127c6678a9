import type { PredictionOutcome } from '../../../src/serde/avro-records.js';

/** A 'joined' PredictionOutcome as the join writes it: decision at `threshold`, correct = decision === outcome. */
export function joinedRecord(fields: {
  version: string;
  variant: string;
  p: number;
  churned: boolean;
  threshold?: number;
  assignmentProbability?: number | null;
  joinedAt?: number;
  customerid?: string;
}): PredictionOutcome {
  const predicted = fields.p >= (fields.threshold ?? 0.5);
  return {
    kind: 'joined',
    customerid: fields.customerid ?? 'C-1',
    event_id: 'E-1',
    model_version: fields.version,
    variant: fields.variant,
    rollout_revision: 1,
    churn_probability: fields.p,
    predicted_churn: predicted,
    assignment_probability: fields.assignmentProbability === undefined ? 1 : fields.assignmentProbability,
    prediction_time: 1_000,
    outcome_time: 2_000,
    churned: fields.churned,
    offer: null,
    accepted: null,
    correct: predicted === fields.churned,
    joined_at: fields.joinedAt ?? 3_000,
  };
}

export function expiredRecord(version: string, variant: string): PredictionOutcome {
  return {
    ...joinedRecord({ version, variant, p: 0.5, churned: false }),
    kind: 'expired-prediction',
    outcome_time: null,
    churned: null,
    correct: null,
  };
}

export function unmatchedRecord(customerid = 'C-2'): PredictionOutcome {
  return {
    kind: 'unmatched-outcome',
    customerid,
    event_id: null,
    model_version: null,
    variant: null,
    rollout_revision: null,
    churn_probability: null,
    predicted_churn: null,
    assignment_probability: null,
    prediction_time: null,
    outcome_time: 2_000,
    churned: true,
    offer: null,
    accepted: null,
    correct: null,
    joined_at: 3_000,
  };
}

/** AUC the slow, obvious way: every (churner, non-churner) pair, ties 1/2. Null without both classes. */
export function pairwiseAuc(scored: readonly { p: number; churned: boolean }[]): number | null {
  const positives = scored.filter((s) => s.churned);
  const negatives = scored.filter((s) => !s.churned);
  if (positives.length === 0 || negatives.length === 0) return null;
  let wins = 0;
  for (const pos of positives) {
    for (const neg of negatives) wins += pos.p > neg.p ? 1 : pos.p === neg.p ? 0.5 : 0;
  }
  return wins / (positives.length * negatives.length);
}
