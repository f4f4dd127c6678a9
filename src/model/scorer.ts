import { STRING_CATEGORICAL_FEATURES, type Customer, type StringCategoricalFeature } from '../contract/customer.js';
import type { ChurnModel, ModelMeta, UnknownCategory } from './churn-model.js';
import { createExplainer } from './explain.js';
import type { ModelArtifact } from './model-artifact.js';
import { sigmoid } from './sigmoid.js';
import { splitFeatureName } from './feature-names.js';

const NO_UNKNOWN: readonly UnknownCategory[] = Object.freeze([]);

/**
 * Builds a scorer from a validated artifact (see parseModelArtifact), reproducing
 * DictVectorizer + LogisticRegression: a string value v of field k selects the one-hot feature "k=v"
 * (an unseen v selects nothing, i.e. contributes 0, as DictVectorizer.transform does); a number x of
 * field k contributes coef["k"] * x. Lookups are precomputed so scoring is a handful of Map gets.
 */
export function createChurnModel(artifact: ModelArtifact): ChurnModel {
  const categoricalWeights = new Map<StringCategoricalFeature, Map<string, number>>();
  for (const field of STRING_CATEGORICAL_FEATURES) categoricalWeights.set(field, new Map());
  const numericWeights = new Map<string, number>();

  for (let i = 0; i < artifact.features.length; i++) {
    const name = artifact.features[i] as string;
    const coefficient = artifact.coefficients[i] as number;
    const split = splitFeatureName(name);
    if (split.value === undefined) {
      numericWeights.set(split.key, coefficient);
    } else {
      categoricalWeights.get(split.key as StringCategoricalFeature)?.set(split.value, coefficient);
    }
  }

  // Parallel arrays indexed like STRING_CATEGORICAL_FEATURES: the hot loop touches no Map of Maps.
  const fields: readonly StringCategoricalFeature[] = STRING_CATEGORICAL_FEATURES;
  const weights: readonly Map<string, number>[] = fields.map((f) => categoricalWeights.get(f) as Map<string, number>);
  const wSenior = numericWeights.get('seniorcitizen') ?? 0;
  const wTenure = numericWeights.get('tenure') ?? 0;
  const wMonthly = numericWeights.get('monthlycharges') ?? 0;
  const wTotal = numericWeights.get('totalcharges') ?? 0;
  const intercept = artifact.intercept;
  const threshold = artifact.threshold;
  const explainer = createExplainer(artifact);

  function score(customer: Customer): number {
    let z = intercept;
    for (let i = 0; i < fields.length; i++) {
      z += (weights[i] as Map<string, number>).get(customer[fields[i] as StringCategoricalFeature]) ?? 0;
    }
    z += wSenior * customer.seniorcitizen + wTenure * customer.tenure;
    z += wMonthly * customer.monthlycharges + wTotal * customer.totalcharges;
    return sigmoid(z);
  }

  function scoreInto(customers: readonly Customer[], out: Float64Array): Float64Array {
    if (out.length < customers.length) {
      throw new RangeError(`scoreInto: output has ${out.length} slots for ${customers.length} customers`);
    }
    for (let i = 0; i < customers.length; i++) out[i] = score(customers[i] as Customer);
    return out;
  }

  function unknownCategories(customer: Customer): readonly UnknownCategory[] {
    let found: UnknownCategory[] | undefined;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as StringCategoricalFeature;
      const value = customer[field];
      if (!(weights[i] as Map<string, number>).has(value)) (found ??= []).push({ field, value });
    }
    return found ?? NO_UNKNOWN;
  }

  return {
    meta: buildMeta(artifact),
    score,
    scoreInto,
    isChurn: (probability: number) => probability >= threshold,
    unknownCategories,
    explain: explainer.explain,
    reasons: explainer.reasons,
    scoreWithReasons: explainer.scoreWithReasons,
  };
}

function buildMeta(artifact: ModelArtifact): ModelMeta {
  const categories: Partial<Record<StringCategoricalFeature, readonly string[]>> = {};
  for (const field of STRING_CATEGORICAL_FEATURES) {
    const values = artifact.categories[field];
    if (values !== undefined) categories[field] = values.map(String);
  }
  return Object.freeze({
    format: artifact.format,
    name: artifact.name,
    version: artifact.version,
    created_at: artifact.created_at,
    estimator: artifact.estimator,
    threshold: artifact.threshold,
    intercept: artifact.intercept,
    n_features: artifact.features.length,
    features: artifact.features,
    metrics: artifact.metrics,
    training: artifact.training,
    data: artifact.data,
    preprocessing: artifact.preprocessing,
    categories,
    numeric_ranges: artifact.numeric_ranges,
    reference: artifact.reference,
  });
}
