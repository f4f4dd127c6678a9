import {
  CUSTOMER_FEATURE_NAMES,
  STRING_CATEGORICAL_FEATURES,
  type Customer,
  type CustomerFeatureName,
  type NumericFeature,
} from '../contract/customer.js';
import { FEATURE_SEPARATOR } from './feature-names.js';
import type { ModelArtifact } from './model-artifact.js';

/** One feature's share of a customer's logit (log-odds of churn). */
export interface FeatureContribution {
  /** DictVectorizer's name: "contract=month-to-month" for the category present, "tenure" for a number. */
  readonly feature: string;
  /** The customer's value of the field: the (normalized) category, or the number. */
  readonly value: string | number;
  /** coefficient × one-hot value (1 for the category present) or × the number. */
  readonly contribution: number;
  /** Set on a category the model has no coefficient for: DictVectorizer gives it no column, so it adds 0. */
  readonly unseen?: true;
}

export interface Explanation {
  readonly intercept: number;
  /** The logit the scorer computes (same terms, same order): sigmoid(logit) is the churn probability. */
  readonly logit: number;
  /** One per customer field (19), largest |contribution| first; ties keep the contract's field order. */
  readonly contributions: readonly FeatureContribution[];
}

export interface CustomerExplainer {
  /** Exact decomposition of one validated customer's logit: intercept + Σ contributions = logit. */
  explain(customer: Customer): Explanation;
}

const NUMERIC_TERMS: readonly NumericFeature[] = ['seniorcitizen', 'tenure', 'monthlycharges', 'totalcharges'];

/**
 * Builds the explainer of a validated artifact (pure). For a logistic regression the explanation is exact, not an
 * approximation: the logit is the intercept plus each feature's coefficient times its value, so each term is that
 * feature's contribution in log-odds. The baseline is a customer with every number 0 and no category, as the
 * model's own algebra has it; numbers are not scaled, so `tenure` and the charges often carry large terms of
 * opposite signs. Only the category present in each categorical field is listed (the absent ones multiply 0).
 */
export function createExplainer(artifact: ModelArtifact): CustomerExplainer {
  const weights = new Map<string, number>();
  for (let i = 0; i < artifact.features.length; i++) {
    weights.set(artifact.features[i] as string, artifact.coefficients[i] as number);
  }
  // parseModelArtifact guarantees every numeric field a feature; an unvalidated artifact fails here, not later.
  const numericWeight = (field: NumericFeature): number => {
    const weight = weights.get(field);
    if (weight === undefined) throw new RangeError(`createExplainer: the artifact has no numeric feature "${field}"`);
    return weight;
  };
  const wSenior = numericWeight('seniorcitizen');
  const wTenure = numericWeight('tenure');
  const wMonthly = numericWeight('monthlycharges');
  const wTotal = numericWeight('totalcharges');
  const intercept = artifact.intercept;

  function explain(customer: Customer): Explanation {
    const byField = new Map<CustomerFeatureName, FeatureContribution>();
    // The logit is summed exactly as scorer.ts sums it (categoricals in contract order, then the numeric terms
    // in pairs), so sigmoid(logit) is bit for bit the score the model returns.
    let logit = intercept;
    for (const field of STRING_CATEGORICAL_FEATURES) {
      const value = customer[field];
      const feature = `${field}${FEATURE_SEPARATOR}${value}`;
      const weight = weights.get(feature);
      logit += weight ?? 0;
      byField.set(
        field,
        weight === undefined
          ? { feature, value, contribution: 0, unseen: true }
          : { feature, value, contribution: weight },
      );
    }
    const senior = wSenior * customer.seniorcitizen;
    const tenure = wTenure * customer.tenure;
    const monthly = wMonthly * customer.monthlycharges;
    const total = wTotal * customer.totalcharges;
    logit += senior + tenure;
    logit += monthly + total;
    const numericTerms = [senior, tenure, monthly, total];
    NUMERIC_TERMS.forEach((field, i) => {
      byField.set(field, { feature: field, value: customer[field], contribution: numericTerms[i] as number });
    });
    const contributions = CUSTOMER_FEATURE_NAMES.map((field) => byField.get(field) as FeatureContribution);
    // Array.prototype.sort is stable, so equal magnitudes keep the contract's field order.
    contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    return { intercept, logit, contributions };
  }

  return { explain };
}

/**
 * The n largest contributions by magnitude (pure): the reasons a customer's score is where it is, positive ones
 * pushing towards churn, negative ones away from it.
 */
export function topReasons(explanation: Explanation, n = 3): readonly FeatureContribution[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`topReasons: n must be an integer >= 0, got ${n}`);
  return explanation.contributions.slice(0, n);
}
