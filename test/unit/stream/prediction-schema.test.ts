import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChurnPrediction } from '../../../src/serde/avro-records.js';
import { churnPredictionSchema, loadSchemaFile } from '../../../src/serde/schema-files.js';
import { REPO_ROOT } from '../../support/paths.js';

interface Field {
  name: string;
  type: unknown;
  default?: unknown;
}

const previous = loadSchemaFile('churn-prediction.v1.avsc', join(REPO_ROOT, 'test', 'fixtures', 'schemas'));
const current = churnPredictionSchema();
const fieldsOf = (text: string) => (JSON.parse(text) as { fields: Field[] }).fields;

const prediction: ChurnPrediction = {
  customerid: 'C1',
  event_id: 'e1',
  churn_probability: 0.25,
  churn: false,
  threshold: 0.5,
  model_name: 'churn',
  model_version: '1.1.0',
  replay: true,
  scored_at: 1_795_000_000_000,
  source_topic: 'customers.replay',
  source_partition: 0,
  source_offset: 3,
  warnings: [],
  variant: 'shadow',
  rollout_revision: 11,
};

describe('the ChurnPrediction schema against the version before rollouts (Avro resolution, no registry)', () => {
  it('keeps every earlier field as it was and gives every new field a default', () => {
    const before = fieldsOf(previous.text);
    const after = new Map(fieldsOf(current.text).map((f) => [f.name, f]));
    for (const field of before) expect(after.get(field.name)?.type).toEqual(field.type);
    const added = [...after.values()].filter((f) => !before.some((b) => b.name === f.name));
    expect(added.map((f) => [f.name, f.default])).toEqual([
      ['variant', 'champion'],
      ['rollout_revision', 0],
    ]);
  });

  it('an old reader reads a new record; a new reader reads an old one with the defaults', () => {
    const { variant: _variant, rollout_revision: _revision, ...old } = prediction;
    const newBytes = current.type.toBuffer(prediction);
    expect(previous.type.fromBuffer(newBytes, previous.type.createResolver(current.type))).toEqual(old);
    const oldBytes = previous.type.toBuffer(old);
    expect(current.type.fromBuffer(oldBytes, current.type.createResolver(previous.type))).toEqual({
      ...old,
      variant: 'champion',
      rollout_revision: 0,
    });
  });
});
