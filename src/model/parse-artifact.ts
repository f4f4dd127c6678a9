import { Value } from '@sinclair/typebox/value';
import {
  NUMERIC_FEATURES,
  STRING_CATEGORICAL_FEATURES,
  isNumericFeature,
  isStringCategoricalFeature,
} from '../contract/customer.js';
import { checkReference } from './check-reference.js';
import { splitFeatureName } from './feature-names.js';
import { MODEL_FORMAT, ModelArtifactSchema, type ModelArtifact } from './model-artifact.js';
import { ModelArtifactError } from './model-artifact-error.js';

/** "/coefficients/3" -> "coefficients[3]", "/preprocessing/numerical" -> "preprocessing.numerical". */
export function jsonPointerToField(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return String(value);
  // JSON.stringify returns undefined (whatever its declared type) for a function or a symbol.
  const text = typeof value === 'function' || typeof value === 'symbol' ? String(value) : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/**
 * Validates parsed model.json content (pure). Beyond the JSON shape it checks that the model fits the
 * customer contract: every feature maps to a contract field, every contract field has features, the
 * coefficients line up with the features, the declared categories match the one-hot features, and the
 * optional reference distributions are consistent (check-reference.ts).
 * `file` is only used to name the artifact in errors.
 */
export function parseModelArtifact(json: unknown, file: string): ModelArtifact {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelArtifactError(file, undefined, `expected a JSON object, got ${describe(json)}`);
  }
  const format = (json as Record<string, unknown>)['format'];
  if (format !== MODEL_FORMAT) {
    throw new ModelArtifactError(file, 'format', `unsupported format ${describe(format)}; expected "${MODEL_FORMAT}"`);
  }
  const first = Value.Errors(ModelArtifactSchema, json).First();
  if (first !== undefined) {
    throw new ModelArtifactError(
      file,
      jsonPointerToField(first.path),
      `${first.message} (got ${describe(first.value)})`,
    );
  }
  const artifact = json as ModelArtifact;
  checkFeatures(artifact, file);
  checkCategories(artifact, file);
  checkReference(artifact, file);
  return artifact;
}

function checkFeatures(artifact: ModelArtifact, file: string): void {
  const { features, coefficients } = artifact;
  if (features.length !== coefficients.length) {
    throw new ModelArtifactError(
      file,
      'coefficients',
      `has ${coefficients.length} entries but features has ${features.length}; they must line up one to one`,
    );
  }
  const seen = new Set<string>();
  const covered = new Set<string>();
  for (let i = 0; i < features.length; i++) {
    const name = features[i] as string;
    if (seen.has(name)) throw new ModelArtifactError(file, `features[${i}]`, `duplicate feature "${name}"`);
    seen.add(name);
    const { key, value } = splitFeatureName(name);
    if (value === undefined ? !isNumericFeature(key) : !isStringCategoricalFeature(key)) {
      const expected = value === undefined ? NUMERIC_FEATURES : STRING_CATEGORICAL_FEATURES;
      throw new ModelArtifactError(
        file,
        `features[${i}]`,
        `"${name}" does not match the customer contract (${value === undefined ? 'numeric' : 'one-hot'} features must be of ${expected.join(', ')})`,
      );
    }
    covered.add(key);
  }
  for (const field of [...NUMERIC_FEATURES, ...STRING_CATEGORICAL_FEATURES]) {
    if (!covered.has(field)) {
      throw new ModelArtifactError(
        file,
        'features',
        `no feature for customer field "${field}"; the model does not fit the contract`,
      );
    }
  }
}

function checkCategories(artifact: ModelArtifact, file: string): void {
  const fromFeatures = new Map<string, Set<string>>();
  for (const name of artifact.features) {
    const { key, value } = splitFeatureName(name);
    if (value === undefined) continue;
    let values = fromFeatures.get(key);
    if (values === undefined) fromFeatures.set(key, (values = new Set()));
    values.add(value);
  }
  for (const field of STRING_CATEGORICAL_FEATURES) {
    const declared = artifact.categories[field];
    if (declared === undefined) throw new ModelArtifactError(file, `categories.${field}`, 'is required');
    const index = declared.findIndex((v) => typeof v !== 'string');
    if (index >= 0) {
      throw new ModelArtifactError(
        file,
        `categories.${field}[${index}]`,
        `expected a string, got ${describe(declared[index])}`,
      );
    }
    const features = fromFeatures.get(field) ?? new Set<string>();
    const same = declared.length === features.size && declared.every((v) => features.has(v as string));
    if (!same) {
      throw new ModelArtifactError(
        file,
        `categories.${field}`,
        `lists ${describe(declared)} but the one-hot features are ${describe([...features])}`,
      );
    }
  }
}
