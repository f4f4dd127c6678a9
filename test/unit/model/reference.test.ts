import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { ModelArtifactError, loadModel, loadModelArtifact, parseModelArtifact } from '../../../src/model/index.js';
import { must } from '../../support/must.js';
import { makeArtifact, writeArtifactDir } from './fixture-artifact.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

/** A consistent reference for the hand-made fixture artifact: 4 customers. */
function withReference(): Json {
  const artifact = makeArtifact();
  const categories = artifact['categories'] as Record<string, string[]>;
  const categorical: Json = {};
  for (const field of (artifact['preprocessing'] as { categorical: string[] }).categorical) {
    const values = field === 'seniorcitizen' ? [0, 1] : (categories[field] as string[]);
    categorical[field] = { categories: values, counts: values.map((_, i) => (i === 0 ? 4 : 0)), unseen: 0 };
  }
  artifact['reference'] = {
    split: 'full_train',
    rows: 4,
    numeric: {
      tenure: { edges: [1, 10], counts: [1, 2, 1], min: 0, max: 72 },
      monthlycharges: { edges: [50], counts: [2, 2], min: 20, max: 100 },
      totalcharges: { edges: [100, 1000], counts: [1, 1, 2], min: 0, max: 5000 },
    },
    categorical,
    score: { bins: 10, counts: [1, 1, 0, 0, 0, 0, 0, 2, 0, 0] },
  };
  return artifact;
}

function reference(artifact: Json): Json {
  return artifact['reference'] as Json;
}

/** reference.<section>.<field> of an artifact, to change it in place. */
function part(artifact: Json, section: 'numeric' | 'categorical', field: string): Json {
  return must(
    (reference(artifact)[section] as Record<string, Json | undefined>)[field],
    `reference.${section}.${field}`,
  );
}

function parseError(artifact: Json): ModelArtifactError {
  try {
    parseModelArtifact(artifact, '/models/x/model.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ModelArtifactError);
    return error as ModelArtifactError;
  }
  throw new Error('expected the artifact to be refused');
}

describe('the reference section of model.json', () => {
  it('is optional: an artifact without it loads, and meta.reference is undefined', async () => {
    const dir = writeArtifactDir(makeArtifact());
    created.push(dir);
    expect((await loadModel(dir)).meta.reference).toBeUndefined();
  });

  it('loads when consistent, and the model carries it in meta', async () => {
    const artifact = withReference();
    const dir = writeArtifactDir(artifact);
    created.push(dir);
    expect((await loadModel(dir)).meta.reference).toEqual(artifact['reference']);
  });

  const cases: Array<[string, (a: Json) => void, string, RegExp]> = [
    ['a misspelt key', (a) => (reference(a)['scores'] = {}), 'reference.scores', /unexpected property/i],
    [
      'an extra key in a feature',
      (a) => (part(a, 'numeric', 'tenure')['p50'] = 12),
      'reference.numeric.tenure.p50',
      /unexpected property/i,
    ],
    [
      'a negative count',
      (a) => (part(a, 'numeric', 'tenure')['counts'] = [-1, 4, 1]),
      'reference.numeric.tenure.counts[0]',
      /0/,
    ],
    [
      'counts that do not add up to rows',
      (a) => (part(a, 'numeric', 'tenure')['counts'] = [1, 2, 2]),
      'reference.numeric.tenure.counts',
      /add up to 5 but reference.rows is 4/,
    ],
    [
      'edges not increasing',
      (a) => (part(a, 'numeric', 'tenure')['edges'] = [10, 10]),
      'reference.numeric.tenure.edges[1]',
      /greater than the edge before it/,
    ],
    [
      'one count too few for the edges',
      (a) => (part(a, 'numeric', 'monthlycharges')['edges'] = [30, 50]),
      'reference.numeric.monthlycharges.counts',
      /2 entries but 2 edges make 3 bins/,
    ],
    [
      'an edge outside the training range',
      (a) => (part(a, 'numeric', 'monthlycharges')['min'] = 60),
      'reference.numeric.monthlycharges',
      /within its training range/,
    ],
    [
      'a numeric field left out',
      (a) => delete (reference(a)['numeric'] as Json)['totalcharges'],
      'reference.numeric',
      /preprocessing.numerical/,
    ],
    [
      'categories other than the model knows',
      (a) => {
        const contract = part(a, 'categorical', 'contract');
        contract['categories'] = ['month-to-month', 'one_year', 'weekly'];
      },
      'reference.categorical.contract.categories',
      /categories.contract is/,
    ],
    [
      'an unseen count that breaks the total',
      (a) => (part(a, 'categorical', 'gender')['unseen'] = 1),
      'reference.categorical.gender.counts',
      /add up to 5/,
    ],
    [
      'seniorcitizen categories as strings',
      (a) => (part(a, 'categorical', 'seniorcitizen')['categories'] = ['0', '1']),
      'reference.categorical.seniorcitizen.categories[0]',
      /must be numbers/,
    ],
    [
      '15 score bins',
      (a) => (reference(a)['score'] = { bins: 15, counts: new Array<number>(15).fill(0) }),
      'reference.score.bins',
      /./,
    ],
    [
      'a score histogram of the wrong length',
      (a) => (reference(a)['score'] = { bins: 20, counts: [4] }),
      'reference.score.counts',
      /1 entries for 20 bins/,
    ],
  ];

  it.each(cases)('refuses %s, naming the field', (_name, change, field, message) => {
    const artifact = withReference();
    change(artifact);
    const error = parseError(artifact);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe.each(['1.0.0', '1.1.0'])('the committed reference of models/churn/%s', (version) => {
  it('describes the full-train split: its customers, every field, and the score over 10 bins', async () => {
    const artifact = await loadModelArtifact(join(MODELS_DIR, version));
    const ref = artifact.reference;
    expect(ref).toBeDefined();
    if (ref === undefined) return;
    expect(ref.split).toBe('full_train');
    expect(ref.rows).toBe(artifact.metrics['n_full_train']);
    expect(Object.keys(ref.numeric)).toEqual(['tenure', 'monthlycharges', 'totalcharges']);
    expect(ref.categorical['contract']?.categories).toEqual(artifact.categories['contract']);
    expect(ref.categorical['seniorcitizen']?.categories).toEqual([0, 1]);
    expect(ref.score.bins).toBe(10);
    // Deciles: every numeric bin holds roughly a tenth of the training customers.
    for (const [field, numeric] of Object.entries(ref.numeric)) {
      expect(numeric.counts, field).toHaveLength(10);
      for (const count of numeric.counts) expect(count / ref.rows, field).toBeGreaterThan(0.08);
      expect(numeric.min).toBe(artifact.numeric_ranges?.[field]?.min);
      expect(numeric.max).toBe(artifact.numeric_ranges?.[field]?.max);
    }
    // The notes' share of month-to-month contracts (about 55 %) and unseen categories empty in training.
    const contract = ref.categorical['contract'];
    expect((contract?.counts[0] ?? 0) / ref.rows).toBeCloseTo(0.55, 2);
    for (const categorical of Object.values(ref.categorical)) expect(categorical.unseen).toBe(0);
  });

  it('is shown in the model card', () => {
    const card = readFileSync(join(MODELS_DIR, version, 'README.md'), 'utf8');
    expect(card).toContain('## Reference distributions (full-train, 5634 customers)');
    expect(card).toMatch(
      /\| `contract` \| month-to-month 55\.\d% · one_year 2\d\.\d% · two_year 2\d\.\d% · \(unseen\) 0\.0% \|/,
    );
  });
});
