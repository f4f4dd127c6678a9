import { createHash } from 'node:crypto';
import { validateCustomer } from '../contract/validate-customer.js';
import { createValidationRules } from '../contract/validation-rules.js';
import type { ChurnModel } from '../model/churn-model.js';
import { ModelArtifactError } from '../model/model-artifact-error.js';
import { parseModelArtifact } from '../model/parse-artifact.js';
import { createChurnModel } from '../model/scorer.js';
import { isJsonObject, shownJson } from './record-json.js';

/** The `format` of a model package record on the models topic (README.md in this folder). */
export const MODEL_PACKAGE_FORMAT = 'churn-scorer/model-package@1';

/** How far a parity example's score may be from the probability it carries (the scorer matches sklearn exactly). */
export const PARITY_TOLERANCE = 1e-9;

/** Parity examples `model publish` takes from the head of parity.jsonl. */
export const DEFAULT_PARITY_EXAMPLES = 100;

/** More parity examples than this and the package is refused unscored: verifying one must stay cheap. */
export const MAX_PARITY_EXAMPLES = 1000;

/** One line of parity.jsonl, as carried by a package: normalized features and sklearn's probability for them. */
export interface ParityExample {
  readonly customerid: string;
  readonly features: Readonly<Record<string, unknown>>;
  readonly churn_probability: number;
}

/** The value of a models-topic record (JSON, UTF-8); its key is `version`. */
export interface ModelPackage {
  readonly format: typeof MODEL_PACKAGE_FORMAT;
  readonly name: string;
  readonly version: string;
  /** hex SHA-256 of the UTF-8 bytes of `model_json` */
  readonly sha256: string;
  /** model.json exactly as trained, as text: the checksum covers these bytes, not a re-serialization */
  readonly model_json: string;
  readonly parity: readonly ParityExample[];
  /** ISO 8601 */
  readonly published_at: string;
}

export type ModelRefusalReason = 'not-json' | 'format' | 'key-mismatch' | 'checksum' | 'artifact' | 'parity';

/** Every refusal reason, in the order verification checks them (for metric labels known up front). */
export const MODEL_REFUSAL_REASONS: readonly ModelRefusalReason[] = [
  'not-json',
  'format',
  'key-mismatch',
  'checksum',
  'artifact',
  'parity',
];

export interface VerifiedModel {
  readonly ok: true;
  readonly version: string;
  readonly model: ChurnModel;
  readonly sha256: string;
}

export interface RefusedModel {
  readonly ok: false;
  /** the package's version when it could be read, else the record key */
  readonly version: string | undefined;
  readonly reason: ModelRefusalReason;
  /** which field or parity example failed, and by how much */
  readonly message: string;
}

/** Hex SHA-256 of the text's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The package of a model directory (pure): model.json's exact text with its checksum, and the first
 * `maxExamples` lines of parity.jsonl. Throws a ModelArtifactError naming the file (and line) that cannot be
 * read as such; whether the package is good is verifyModelPackage's to say.
 */
export function buildModelPackage(
  files: { modelJson: string; parityJsonl: string; dir?: string },
  publishedAt: string,
  maxExamples: number = DEFAULT_PARITY_EXAMPLES,
): ModelPackage {
  const dir = files.dir === undefined ? '' : `${files.dir.replace(/\/+$/, '')}/`;
  const modelFile = `${dir}model.json`;
  let json: unknown;
  try {
    json = JSON.parse(files.modelJson);
  } catch (error) {
    throw new ModelArtifactError(modelFile, undefined, `not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const name = stringField(json, 'name', modelFile);
  const version = stringField(json, 'version', modelFile);
  return {
    format: MODEL_PACKAGE_FORMAT,
    name,
    version,
    sha256: sha256Hex(files.modelJson),
    model_json: files.modelJson,
    parity: parityExamples(files.parityJsonl, `${dir}parity.jsonl`, maxExamples),
    published_at: publishedAt,
  };
}

function stringField(json: unknown, field: string, file: string): string {
  const value = isJsonObject(json) ? json[field] : undefined;
  if (typeof value !== 'string' || value === '')
    throw new ModelArtifactError(file, field, 'must be a non-empty string');
  return value;
}

function parityExamples(text: string, file: string, maxExamples: number): ParityExample[] {
  const examples: ParityExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && examples.length < maxExamples; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new ModelArtifactError(file, where, `not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const problem = parityExampleProblem(parsed);
    if (problem !== undefined) throw new ModelArtifactError(file, `${where}${problem.field}`, problem.message);
    const { customerid, features, churn_probability } = parsed as ParityExample;
    examples.push({ customerid, features, churn_probability });
  }
  if (examples.length === 0) throw new ModelArtifactError(file, undefined, 'has no parity examples');
  return examples;
}

/** What is wrong with a parity example's shape: the field (".features", "" for the whole) and why. */
function parityExampleProblem(value: unknown): { field: string; message: string } | undefined {
  if (!isJsonObject(value))
    return { field: '', message: 'must be an object {customerid, features, churn_probability}' };
  if (typeof value['customerid'] !== 'string') return { field: '.customerid', message: 'must be a string' };
  if (!isJsonObject(value['features'])) return { field: '.features', message: 'must be an object of the 19 features' };
  const p = value['churn_probability'];
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    return { field: '.churn_probability', message: `must be a probability in [0, 1], got ${shownJson(p)}` };
  }
  return undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Verifies a models-topic record before any worker uses it (pure, bounded by MAX_PARITY_EXAMPLES scorings), in
 * this order: the value is JSON ('not-json'); it is a model package of this format ('format'); the key is its
 * version ('key-mismatch'); `sha256` is the checksum of `model_json` ('checksum'); `model_json` is a valid
 * artifact of that name and version ('artifact'); every parity example, validated with the model's own categories
 * (unknown ones allowed), scores within PARITY_TOLERANCE of its probability ('parity'). A null value (a tombstone,
 * which withdraws a version) is the caller's to handle first; here it is 'not-json'.
 */
export function verifyModelPackage(key: string | null, value: Buffer | null): VerifiedModel | RefusedModel {
  const fallbackVersion = key ?? undefined;
  if (value === null || value.length === 0) {
    return refused(fallbackVersion, 'not-json', 'the record has no value (a tombstone withdraws a version)');
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return refused(fallbackVersion, 'not-json', `the value is not JSON: ${(error as Error).message}`);
  }
  const shape = packageProblem(json);
  const version = isJsonObject(json) && typeof json['version'] === 'string' ? json['version'] : fallbackVersion;
  if (shape !== undefined) return refused(version, 'format', shape);
  const pkg = json as ModelPackage;
  if (key !== pkg.version) {
    return refused(
      pkg.version,
      'key-mismatch',
      `the record key ${key === null ? 'is missing' : `is "${key}"`} but the package is version "${pkg.version}"`,
    );
  }
  const actual = sha256Hex(pkg.model_json);
  if (actual !== pkg.sha256) {
    return refused(
      pkg.version,
      'checksum',
      `sha256 of model_json is ${actual} but the package says ${pkg.sha256}: model_json was altered`,
    );
  }
  const model = modelOf(pkg);
  if (typeof model === 'string') return refused(pkg.version, 'artifact', model);
  const parity = parityFailure(pkg.parity, model);
  if (parity !== undefined) return refused(pkg.version, 'parity', parity);
  return { ok: true, version: pkg.version, model, sha256: pkg.sha256 };
}

/** The first problem of the package's shape, naming its field; undefined when it is a model package. */
function packageProblem(json: unknown): string | undefined {
  if (!isJsonObject(json)) return `the value must be a JSON object, got ${shownJson(json)}`;
  if (json['format'] !== MODEL_PACKAGE_FORMAT) {
    return `field format is ${shownJson(json['format'])}; expected "${MODEL_PACKAGE_FORMAT}"`;
  }
  for (const field of ['name', 'version', 'model_json', 'published_at'] as const) {
    const v = json[field];
    if (typeof v !== 'string' || v === '') return `field ${field} must be a non-empty string, got ${shownJson(v)}`;
  }
  const sha256 = json['sha256'];
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    return `field sha256 must be 64 lower-case hex digits, got ${shownJson(sha256)}`;
  }
  if (Number.isNaN(Date.parse(json['published_at'] as string))) {
    return `field published_at must be an ISO 8601 time, got ${shownJson(json['published_at'])}`;
  }
  const parity = json['parity'];
  if (!Array.isArray(parity)) return `field parity must be a list of examples, got ${shownJson(parity)}`;
  if (parity.length > MAX_PARITY_EXAMPLES) {
    return `field parity has ${parity.length} examples; at most ${MAX_PARITY_EXAMPLES} are verified`;
  }
  for (const [i, example] of parity.entries()) {
    const problem = parityExampleProblem(example);
    if (problem !== undefined) return `field parity[${i}]${problem.field} ${problem.message}`;
  }
  return undefined;
}

/** The model of model_json, or why it is not one of this package's name and version. */
function modelOf(pkg: ModelPackage): ChurnModel | string {
  let json: unknown;
  try {
    json = JSON.parse(pkg.model_json);
  } catch (error) {
    return `model_json is not JSON: ${(error as Error).message}`;
  }
  let model: ChurnModel;
  try {
    model = createChurnModel(parseModelArtifact(json, 'model_json'));
  } catch (error) {
    if (error instanceof ModelArtifactError) return error.message;
    throw error;
  }
  if (model.meta.version !== pkg.version) {
    return `model_json is version "${model.meta.version}" but the package is version "${pkg.version}"`;
  }
  if (model.meta.name !== pkg.name) {
    return `model_json is model "${model.meta.name}" but the package names "${pkg.name}"`;
  }
  return model;
}

/** The first parity example the model does not reproduce, described; undefined when all match. */
function parityFailure(parity: readonly ParityExample[], model: ChurnModel): string | undefined {
  if (parity.length === 0) return 'the package carries no parity examples, so nothing shows the model scores right';
  const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
  for (const [i, example] of parity.entries()) {
    const where = `parity[${i}] (customerid ${example.customerid})`;
    const validated = validateCustomer(example.features, rules);
    if (!validated.ok) {
      return `${where} features are not a valid customer: ${validated.errors
        .map((e) => `${e.field} ${e.message}`)
        .join('; ')}`;
    }
    const score = model.score(validated.customer);
    const difference = Math.abs(score - example.churn_probability);
    // Written so that a NaN score fails too.
    if (!(difference <= PARITY_TOLERANCE)) {
      return (
        `${where} scores ${score} but the package says ${example.churn_probability} ` +
        `(|Δ| ${difference.toExponential(2)} > ${PARITY_TOLERANCE})`
      );
    }
  }
  return undefined;
}

function refused(version: string | undefined, reason: ModelRefusalReason, message: string): RefusedModel {
  return { ok: false, version, reason, message };
}
