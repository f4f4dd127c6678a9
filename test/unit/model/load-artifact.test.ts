import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelArtifactError, loadModel } from '../../../src/model/index.js';
import { makeArtifact, writeArtifactDir } from './fixture-artifact.js';

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function dirWith(content: Record<string, unknown> | string): string {
  const dir = writeArtifactDir(content);
  created.push(dir);
  return dir;
}

function mutated(change: (artifact: Record<string, unknown>) => void): Record<string, unknown> {
  const artifact = makeArtifact();
  change(artifact);
  return artifact;
}

async function loadError(dir: string): Promise<ModelArtifactError> {
  const error = await loadModel(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelArtifactError);
  return error as ModelArtifactError;
}

describe('loadModel', () => {
  it('loads a valid artifact', async () => {
    const model = await loadModel(dirWith(makeArtifact()));
    expect(model.meta.version).toBe('0.0.0-test');
  });

  it('fails for a missing directory, naming model.json inside it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'churn-missing-'));
    created.push(base);
    const error = await loadError(join(base, 'nope'));
    expect(error.message).toContain(join(base, 'nope', 'model.json'));
    expect(error.message).toMatch(/does not exist/);
  });

  it('fails for a directory without model.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'churn-empty-'));
    created.push(dir);
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'model.json'));
    expect(error.message).toMatch(/model\.json: file not found/);
  });

  it('fails for bad JSON', async () => {
    const dir = dirWith('{"format": "churn-scorer.logistic-dv/1", ');
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, 'model.json'));
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('fails for NaN written by Python json.dump (not JSON)', async () => {
    const text = JSON.stringify(makeArtifact()).replace('"intercept":-0.25', '"intercept":NaN');
    expect(text).toContain('NaN');
    expect((await loadError(dirWith(text))).message).toMatch(/not valid JSON/);
  });

  const cases: Array<[string, Record<string, unknown> | string, string, RegExp]> = [
    ['a JSON array', '[1,2]', '', /expected a JSON object/],
    [
      'wrong format id',
      mutated((a) => (a['format'] = 'sklearn-pickle/1')),
      'format',
      /unsupported format "sklearn-pickle\/1"/,
    ],
    ['missing format', mutated((a) => delete a['format']), 'format', /unsupported format missing/],
    ['missing intercept', mutated((a) => delete a['intercept']), 'intercept', /required/i],
    ['intercept as string', mutated((a) => (a['intercept'] = '-0.1')), 'intercept', /number/i],
    [
      'infinite intercept (1e999)',
      JSON.stringify(makeArtifact()).replace('"intercept":-0.25', '"intercept":1e999'),
      'intercept',
      /number/i,
    ],
    ['missing features', mutated((a) => delete a['features']), 'features', /required/i],
    ['missing coefficients', mutated((a) => delete a['coefficients']), 'coefficients', /required/i],
    [
      'coefficient length mismatch',
      mutated((a) => (a['coefficients'] as number[]).pop()),
      'coefficients',
      /has \d+ entries but features has \d+/,
    ],
    ['string coefficient', mutated((a) => ((a['coefficients'] as unknown[])[3] = '0.5')), 'coefficients[3]', /number/i],
    [
      'null coefficient (NaN from Python as null)',
      mutated((a) => ((a['coefficients'] as unknown[])[0] = null)),
      'coefficients[0]',
      /number/i,
    ],
    ['threshold 1.5', mutated((a) => (a['threshold'] = 1.5)), 'threshold', /less than 1/i],
    ['threshold 0', mutated((a) => (a['threshold'] = 0)), 'threshold', /greater than 0/i],
    ['missing threshold', mutated((a) => delete a['threshold']), 'threshold', /required/i],
    ['missing version', mutated((a) => delete a['version']), 'version', /required/i],
    ['missing metrics', mutated((a) => delete a['metrics']), 'metrics', /required/i],
    [
      'metric as string',
      mutated((a) => ((a['metrics'] as Record<string, unknown>)['test_roc_auc'] = 'high')),
      'metrics.test_roc_auc',
      /number/i,
    ],
    [
      'preprocessing.numerical not a list',
      mutated((a) => ((a['preprocessing'] as Record<string, unknown>)['numerical'] = 'tenure')),
      'preprocessing.numerical',
      /array/i,
    ],
    [
      'duplicate feature',
      mutated((a) => ((a['features'] as string[])[1] = (a['features'] as string[])[0] as string)),
      'features[1]',
      /duplicate feature/,
    ],
    [
      'feature outside the contract',
      mutated((a) => ((a['features'] as string[])[0] = 'shoesize')),
      'features[0]',
      /"shoesize" does not match the customer contract/,
    ],
    [
      'numeric feature missing',
      mutated((a) => {
        const features = a['features'] as string[];
        features[features.indexOf('tenure')] = 'contract=weekly';
        (a['categories'] as Record<string, string[]>)['contract']?.push('weekly');
      }),
      'features',
      /no feature for customer field "tenure"/,
    ],
    [
      'categories missing a field',
      mutated((a) => delete (a['categories'] as Record<string, unknown>)['contract']),
      'categories.contract',
      /required/,
    ],
    [
      'categories disagree with features',
      mutated((a) => (a['categories'] as Record<string, string[]>)['contract']?.push('weekly')),
      'categories.contract',
      /one-hot features are/,
    ],
  ];

  it.each(cases)('rejects %s, naming the file and field %j', async (_name, content, field, reason) => {
    const dir = dirWith(content);
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, 'model.json'));
    if (field !== '') {
      expect(error.field).toBe(field);
      expect(error.message).toContain(`field ${field}:`);
    }
    expect(error.message).toMatch(reason);
  });
});
