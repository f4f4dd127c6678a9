import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { ModelArtifactError } from '../../../src/model/index.js';
import {
  buildModelPackage,
  MAX_PARITY_EXAMPLES,
  MODEL_PACKAGE_FORMAT,
  verifyModelPackage,
  type ModelPackage,
  type RefusedModel,
} from '../../../src/model-registry/model-package.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');
const PUBLISHED_AT = '2026-11-30T12:00:00.000Z';

function modelFiles(version: string): { modelJson: string; parityJsonl: string } {
  const dir = join(MODELS_DIR, version);
  return {
    modelJson: readFileSync(join(dir, 'model.json'), 'utf8'),
    parityJsonl: readFileSync(join(dir, 'parity.jsonl'), 'utf8'),
  };
}

const package100 = buildModelPackage(modelFiles('1.1.0'), PUBLISHED_AT);

const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function refusal(key: string | null, value: Buffer | null): RefusedModel {
  const result = verifyModelPackage(key, value);
  if (result.ok) throw new Error(`expected a refusal, got version ${result.version} verified`);
  return result;
}

/** model.json with its first coefficient moved by `delta`, as text (the rest of the text unchanged). */
function tamperedCoefficient(modelJson: string, delta: number): string {
  const artifact = JSON.parse(modelJson) as { coefficients: number[] };
  const first = artifact.coefficients[0] as number;
  const tampered = modelJson.replace(JSON.stringify(first), JSON.stringify(first + delta));
  expect(tampered).not.toBe(modelJson);
  return tampered;
}

describe('building a model package', () => {
  it('carries model.json verbatim with its sha256 and the first 100 parity lines', () => {
    const { modelJson, parityJsonl } = modelFiles('1.1.0');
    expect(package100).toMatchObject({
      format: MODEL_PACKAGE_FORMAT,
      name: 'churn',
      version: '1.1.0',
      model_json: modelJson,
      sha256: sha256(modelJson),
      published_at: PUBLISHED_AT,
    });
    expect(package100.parity).toHaveLength(100);
    const firstLine = JSON.parse(parityJsonl.split('\n')[0] as string) as Record<string, unknown>;
    expect(package100.parity[0]).toEqual({
      customerid: firstLine['customerid'],
      features: firstLine['features'],
      churn_probability: firstLine['churn_probability'],
    });
    expect(buildModelPackage(modelFiles('1.0.0'), PUBLISHED_AT, 7).parity).toHaveLength(7);
  });

  it('names the file and line that cannot be read', () => {
    const { modelJson } = modelFiles('1.0.0');
    expect(() => buildModelPackage({ modelJson: '{"name": ', parityJsonl: '' }, PUBLISHED_AT)).toThrow(
      /model\.json: not valid JSON/,
    );
    expect(() =>
      buildModelPackage({ modelJson, parityJsonl: '\n{"customerid": "a"}\n', dir: '/m/1.0.0' }, PUBLISHED_AT),
    ).toThrow(/\/m\/1\.0\.0\/parity\.jsonl: field line 2\.features: must be an object/);
    expect(() => buildModelPackage({ modelJson, parityJsonl: 'oops' }, PUBLISHED_AT)).toThrow(ModelArtifactError);
    expect(() => buildModelPackage({ modelJson, parityJsonl: '\n\n' }, PUBLISHED_AT)).toThrow(/no parity examples/);
  });
});

describe('verifying a model package', () => {
  it.each(['1.0.0', '1.1.0'])('verifies the committed model %s, round trip through its record bytes', (version) => {
    const pkg = buildModelPackage(modelFiles(version), PUBLISHED_AT);
    const result = verifyModelPackage(version, bytes(pkg));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.version).toBe(version);
    expect(result.sha256).toBe(pkg.sha256);
    expect(result.model.meta.version).toBe(version);
    // The verified model scores the examples it was verified with.
    const example = pkg.parity[5] as ModelPackage['parity'][number];
    expect(Math.abs(result.model.score(example.features as never) - example.churn_probability)).toBeLessThan(1e-9);
  });

  it('refuses a value that is not JSON, and a tombstone', () => {
    expect(refusal('1.1.0', Buffer.from('{"format": "churn-scorer/model-pa'))).toMatchObject({
      reason: 'not-json',
      version: '1.1.0',
    });
    expect(refusal('1.1.0', null)).toMatchObject({ reason: 'not-json', message: /tombstone/ });
  });

  it('refuses what is not a model package of this format, naming the field', () => {
    expect(refusal('1.1.0', bytes([1, 2]))).toMatchObject({ reason: 'format', message: /must be a JSON object/ });
    expect(refusal('1.1.0', bytes({ ...package100, format: 'churn-scorer/model-package@2' }))).toMatchObject({
      reason: 'format',
      message: /field format is "churn-scorer\/model-package@2"/,
    });
    expect(refusal('1.1.0', bytes({ ...package100, sha256: 'ABC' }))).toMatchObject({
      reason: 'format',
      message: /field sha256 must be 64 lower-case hex digits/,
    });
    const badExample = { ...package100, parity: [package100.parity[0], { customerid: 'x', features: {} }] };
    expect(refusal('1.1.0', bytes(badExample))).toMatchObject({
      reason: 'format',
      message: /field parity\[1\]\.churn_probability must be a probability/,
    });
  });

  it(`refuses more than ${MAX_PARITY_EXAMPLES} parity examples before scoring any`, () => {
    const many = buildModelPackage(modelFiles('1.1.0'), PUBLISHED_AT, MAX_PARITY_EXAMPLES + 1);
    expect(many.parity).toHaveLength(MAX_PARITY_EXAMPLES + 1);
    expect(refusal('1.1.0', bytes(many))).toMatchObject({ reason: 'format', message: /1001 examples; at most 1000/ });
    const most = buildModelPackage(modelFiles('1.1.0'), PUBLISHED_AT, MAX_PARITY_EXAMPLES);
    expect(verifyModelPackage('1.1.0', bytes(most)).ok).toBe(true);
  });

  it('refuses a record whose key is not the version it carries', () => {
    expect(refusal('1.0.0', bytes(package100))).toMatchObject({
      reason: 'key-mismatch',
      version: '1.1.0',
      message: 'the record key is "1.0.0" but the package is version "1.1.0"',
    });
    expect(refusal(null, bytes(package100))).toMatchObject({ reason: 'key-mismatch', message: /key is missing/ });
  });

  it('refuses model_json with one flipped byte as a checksum failure', () => {
    const text = package100.model_json;
    const at = text.indexOf('"intercept"') + 20;
    const flipped = `${text.slice(0, at)}${String.fromCharCode(text.charCodeAt(at) ^ 1)}${text.slice(at + 1)}`;
    const result = refusal('1.1.0', bytes({ ...package100, model_json: flipped }));
    expect(result.reason).toBe('checksum');
    expect(result.message).toContain(`the package says ${package100.sha256}`);
  });

  it('refuses a model_json that is no valid artifact, or of another version', () => {
    const notArtifact = JSON.stringify({ format: 'churn-scorer.logistic-dv/1', name: 'churn', version: '1.1.0' });
    expect(
      refusal('1.1.0', bytes({ ...package100, model_json: notArtifact, sha256: sha256(notArtifact) })),
    ).toMatchObject({ reason: 'artifact', message: /model_json: field / });
    const other = package100.model_json.replace('"version": "1.1.0"', '"version": "9.9.9"');
    expect(other).not.toBe(package100.model_json);
    expect(refusal('1.1.0', bytes({ ...package100, model_json: other, sha256: sha256(other) }))).toMatchObject({
      reason: 'artifact',
      message: 'model_json is version "9.9.9" but the package is version "1.1.0"',
    });
  });

  it('refuses a tampered coefficient with a recomputed checksum as a parity failure, saying by how much', () => {
    const tampered = tamperedCoefficient(package100.model_json, 0.01);
    const result = refusal('1.1.0', bytes({ ...package100, model_json: tampered, sha256: sha256(tampered) }));
    expect(result.reason).toBe('parity');
    expect(result.message).toMatch(
      /^parity\[\d+\] \(customerid [\w-]+\) scores 0\.\d+ but the package says 0\.\d+ \(\|Δ\| \d\.\d\de-\d+ > 1e-9\)$/,
    );
  });

  it('refuses a change below what a person would notice but above the tolerance', () => {
    const tampered = tamperedCoefficient(package100.model_json, 1e-6);
    expect(refusal('1.1.0', bytes({ ...package100, model_json: tampered, sha256: sha256(tampered) })).reason).toBe(
      'parity',
    );
  });

  it('refuses a parity example whose features are no valid customer, and a package with no examples', () => {
    const first = package100.parity[0] as ModelPackage['parity'][number];
    const broken = { ...first, features: { ...first.features, tenure: -3 } };
    expect(refusal('1.1.0', bytes({ ...package100, parity: [broken] }))).toMatchObject({
      reason: 'parity',
      message: new RegExp(
        `^parity\\[0\\] \\(customerid ${first.customerid}\\) features are not a valid customer: tenure`,
      ),
    });
    expect(refusal('1.1.0', bytes({ ...package100, parity: [] }))).toMatchObject({
      reason: 'parity',
      message: /carries no parity examples/,
    });
  });

  it('accepts a parity example with a category the model does not know (scored as all-zero, as in the stream)', () => {
    const first = package100.parity[0] as ModelPackage['parity'][number];
    const verified = verifyModelPackage('1.1.0', bytes(package100));
    if (!verified.ok) throw new Error(verified.message);
    const unknown = { ...first.features, paymentmethod: 'crypto' };
    const expected = verified.model.score(unknown as never);
    const pkg = { ...package100, parity: [{ ...first, features: unknown, churn_probability: expected }] };
    expect(verifyModelPackage('1.1.0', bytes(pkg)).ok).toBe(true);
  });
});
