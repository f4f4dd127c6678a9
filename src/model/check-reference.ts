import { CUSTOMER_FEATURE_NAMES, isNumericFeature, isStringCategoricalFeature } from '../contract/customer.js';
import type { CategoricalReference, ModelArtifact, ModelReference, NumericReference } from './model-artifact.js';
import { ModelArtifactError } from './model-artifact-error.js';

/**
 * What the schema cannot say about the `reference` section (pure): it covers every contract field once, the
 * numeric ones as preprocessing.numerical lists them and the categorical ones as preprocessing.categorical does;
 * the bins line up with their counts; every feature's counts and the score's add up to `rows`; a string
 * categorical lists exactly the artifact's categories. A drift baseline that fails one of these would give
 * PSIs that mean nothing, so the model does not load.
 */
export function checkReference(artifact: ModelArtifact, file: string): void {
  const reference = artifact.reference;
  if (reference === undefined) return;
  checkCoverage(artifact, reference, file);
  for (const [field, numeric] of Object.entries(reference.numeric)) {
    checkNumeric(field, numeric, reference.rows, file);
  }
  for (const [field, categorical] of Object.entries(reference.categorical)) {
    checkCategorical(artifact, field, categorical, reference.rows, file);
  }
  const { bins, counts } = reference.score;
  if (counts.length !== bins) {
    throw new ModelArtifactError(file, 'reference.score.counts', `has ${counts.length} entries for ${bins} bins`);
  }
  checkTotal(counts, 0, reference.rows, 'reference.score.counts', file);
}

function checkCoverage(artifact: ModelArtifact, reference: ModelReference, file: string): void {
  const sameSet = (listed: readonly string[], keys: readonly string[]): boolean =>
    listed.length === keys.length && listed.every((name) => keys.includes(name));
  const numeric = Object.keys(reference.numeric);
  const categorical = Object.keys(reference.categorical);
  if (!sameSet(artifact.preprocessing.numerical, numeric)) {
    throw new ModelArtifactError(
      file,
      'reference.numeric',
      `covers ${JSON.stringify(numeric)} but preprocessing.numerical is ${JSON.stringify(artifact.preprocessing.numerical)}`,
    );
  }
  if (!sameSet(artifact.preprocessing.categorical, categorical)) {
    throw new ModelArtifactError(
      file,
      'reference.categorical',
      `covers ${JSON.stringify(categorical)} but preprocessing.categorical is ${JSON.stringify(artifact.preprocessing.categorical)}`,
    );
  }
  for (const field of numeric) {
    if (!isNumericFeature(field)) {
      throw new ModelArtifactError(
        file,
        `reference.numeric.${field}`,
        'is not a numeric field of the customer contract',
      );
    }
  }
  const all = [...numeric, ...categorical];
  const unknown = all.find((name) => !(CUSTOMER_FEATURE_NAMES as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new ModelArtifactError(file, 'reference', `"${unknown}" is not a field of the customer contract`);
  }
  for (const field of CUSTOMER_FEATURE_NAMES) {
    const times = all.filter((name) => name === field).length;
    if (times !== 1) {
      throw new ModelArtifactError(
        file,
        'reference',
        `covers customer field "${field}" ${times} times; every field needs exactly one distribution`,
      );
    }
  }
}

function checkNumeric(field: string, numeric: NumericReference, rows: number, file: string): void {
  const at = `reference.numeric.${field}`;
  const { edges, counts, min, max } = numeric;
  for (let i = 1; i < edges.length; i++) {
    if (!((edges[i - 1] as number) < (edges[i] as number))) {
      throw new ModelArtifactError(
        file,
        `${at}.edges[${i}]`,
        `must be greater than the edge before it (${edges[i - 1]})`,
      );
    }
  }
  if (counts.length !== edges.length + 1) {
    throw new ModelArtifactError(
      file,
      `${at}.counts`,
      `has ${counts.length} entries but ${edges.length} edges make ${edges.length + 1} bins`,
    );
  }
  if (!(min <= (edges[0] as number) && (edges[edges.length - 1] as number) <= max)) {
    throw new ModelArtifactError(file, at, `its edges must lie within its training range [${min}, ${max}]`);
  }
  checkTotal(counts, 0, rows, `${at}.counts`, file);
}

function checkCategorical(
  artifact: ModelArtifact,
  field: string,
  categorical: CategoricalReference,
  rows: number,
  file: string,
): void {
  const at = `reference.categorical.${field}`;
  const { categories, counts, unseen } = categorical;
  if (new Set(categories).size !== categories.length) {
    throw new ModelArtifactError(file, `${at}.categories`, 'lists a category twice');
  }
  if (counts.length !== categories.length) {
    throw new ModelArtifactError(
      file,
      `${at}.counts`,
      `has ${counts.length} entries for ${categories.length} categories`,
    );
  }
  if (isStringCategoricalFeature(field)) {
    const declared = artifact.categories[field] ?? [];
    const same = declared.length === categories.length && categories.every((c) => declared.includes(c));
    if (!same) {
      throw new ModelArtifactError(
        file,
        `${at}.categories`,
        `lists ${JSON.stringify(categories)} but categories.${field} is ${JSON.stringify(declared)}`,
      );
    }
  } else {
    const index = categories.findIndex((c) => typeof c !== 'number');
    if (index >= 0) {
      throw new ModelArtifactError(
        file,
        `${at}.categories[${index}]`,
        `"${field}" is a number in the customer contract, so its categories must be numbers`,
      );
    }
  }
  checkTotal(counts, unseen, rows, `${at}.counts`, file);
}

function checkTotal(counts: readonly number[], extra: number, rows: number, at: string, file: string): void {
  const total = counts.reduce((sum, c) => sum + c, extra);
  if (total !== rows) {
    throw new ModelArtifactError(file, at, `add up to ${total} but reference.rows is ${rows}`);
  }
}
