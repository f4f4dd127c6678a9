import {
  NUMERIC_FEATURES,
  validateCustomer,
  type Customer,
  type FieldError,
  type ValidationRules,
} from '../contract/customer.js';
import type { ChurnModel } from './churn-model.js';
import type { Explanation } from './explain.js';

export type CustomerPrediction =
  | {
      ok: true;
      churn_probability: number;
      churn: boolean;
      warnings: readonly string[];
      /** the validated customer that was scored (the drift monitor counts it) */
      customer: Customer;
      /** the exact decomposition of the logit, when asked for (PredictOptions.explain) */
      explanation?: Explanation;
    }
  | { ok: false; errors: readonly FieldError[] };

export interface PredictOptions {
  /** Also explain the prediction (ChurnModel.explain): `/predict?explain=true`, `score --explain`. */
  explain?: boolean;
}

/**
 * Validate with the shared contract, then score: the one decision used by /predict, /predict/batch, the
 * `score` command and the stream. Pure (no I/O), so HTTP, CLI and Kafka only add transport.
 */
export function predictCustomer(
  input: unknown,
  rules: ValidationRules,
  model: ChurnModel,
  options: PredictOptions = {},
): CustomerPrediction {
  const validated = validateCustomer(input, rules);
  if (!validated.ok) return validated;
  const prediction = predictValidated(validated.customer, validated.warnings, model);
  if (options.explain !== true || !prediction.ok) return prediction;
  return { ...prediction, explanation: model.explain(validated.customer) };
}

/**
 * Scores a customer validateCustomer has accepted (pure). For callers that validate once and score with more
 * than one model (the stream's shadows and `replay --compare`). `probability`: the model's score of the customer
 * when the caller has it already (ChurnModel.scoreWithReasons).
 */
export function predictValidated(
  customer: Customer,
  warnings: readonly string[],
  model: ChurnModel,
  probability: number = model.score(customer),
): CustomerPrediction {
  // Valid but astronomically large numbers (e.g. tenure 1e308 with totalcharges 1e308) can overflow w.x to
  // Inf - Inf = NaN. That is the client's input, not our failure: answer 4xx naming the numbers involved.
  if (Number.isNaN(probability)) return { ok: false, errors: unscorableNumbers(customer, model) };
  return { ok: true, churn_probability: probability, churn: model.isChurn(probability), warnings, customer };
}

function unscorableNumbers(customer: Record<string, unknown>, model: ChurnModel): FieldError[] {
  const ranges = model.meta.numeric_ranges ?? {};
  const message = 'too large to score (the weighted sum overflows); expected a value near the training range';
  const named = NUMERIC_FEATURES.filter((field) => {
    const value = customer[field] as number;
    const max = ranges[field]?.max;
    return max === undefined ? value > 1e15 : value > max;
  }).map((field) => ({ field, message: `${message}${ranges[field] ? ` (max seen ${ranges[field].max})` : ''}` }));
  return named.length > 0 ? named : [{ field: '(body)', message }];
}
