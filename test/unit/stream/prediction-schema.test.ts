import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChurnPrediction } from '../../../src/serde/avro-records.js';
import { churnPredictionSchema, loadSchemaFile, type AvroSchemaFile } from '../../../src/serde/schema-files.js';
import { REPO_ROOT } from '../../support/paths.js';

interface Field {
  name: string;
  type: unknown;
  default?: unknown;
}

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'schemas');
/** Before rollouts (no variant, no rollout_revision). */
const v1 = loadSchemaFile('churn-prediction.v1.avsc', FIXTURES);
/** Before reasons (no reasons). */
const v2 = loadSchemaFile('churn-prediction.v2.avsc', FIXTURES);
/** Before the outcome join (no event_time, no assignment_probability). */
const v3 = loadSchemaFile('churn-prediction.v3.avsc', FIXTURES);
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
  variant: 'canary',
  rollout_revision: 11,
  reasons: [
    { feature: 'tenure', value: '41', contribution: -2.72 },
    { feature: 'totalcharges', value: '3320.75', contribution: 1.1 },
    { feature: 'contract=one_year', value: 'one_year', contribution: -0.15 },
  ],
  event_time: 1_794_999_000_000,
  assignment_probability: 0.1,
};
const JOIN_DEFAULTS = { event_time: 0, assignment_probability: 1 };

/** Reads `bytes` written with `writer` as `reader` does (Avro schema resolution, as a consumer with its own schema). */
function read(reader: AvroSchemaFile, writer: AvroSchemaFile, bytes: Buffer): unknown {
  return reader.type.fromBuffer(bytes, reader.type.createResolver(writer.type));
}

describe('the ChurnPrediction schema against its earlier versions (Avro resolution, no registry)', () => {
  it.each([
    [
      'v1 (before rollouts)',
      v1,
      [
        ['variant', 'champion'],
        ['rollout_revision', 0],
        ['reasons', []],
        ['event_time', 0],
        ['assignment_probability', 1],
      ],
    ],
    [
      'v2 (before reasons)',
      v2,
      [
        ['reasons', []],
        ['event_time', 0],
        ['assignment_probability', 1],
      ],
    ],
    [
      'v3 (before the outcome join)',
      v3,
      [
        ['event_time', 0],
        ['assignment_probability', 1],
      ],
    ],
  ] as const)('keeps every field of %s as it was and gives every new field a default', (_name, previous, added) => {
    const before = fieldsOf(previous.text);
    const after = new Map(fieldsOf(current.text).map((f) => [f.name, f]));
    for (const field of before) expect(after.get(field.name)?.type).toEqual(field.type);
    const news = [...after.values()].filter((f) => !before.some((b) => b.name === f.name));
    expect(news.map((f) => [f.name, f.default])).toEqual(added);
  });

  it('the reasons are an array of churn.ChurnReason {feature: string, value: string, contribution: double}', () => {
    const reasons = fieldsOf(current.text).find((f) => f.name === 'reasons');
    expect(reasons?.type).toMatchObject({
      type: 'array',
      items: {
        type: 'record',
        name: 'ChurnReason',
        fields: [
          { name: 'feature', type: 'string' },
          { name: 'value', type: 'string' },
          { name: 'contribution', type: 'double' },
        ],
      },
    });
  });

  it('old readers (v1, v2, v3) read a new record: every field they know, the newer ones skipped', () => {
    const bytes = current.type.toBuffer(prediction);
    const { event_time: _time, assignment_probability: _probability, ...asV3 } = prediction;
    const { variant: _variant, rollout_revision: _revision, reasons: _reasons, ...asV1 } = asV3;
    const { reasons: _alsoReasons, ...asV2 } = asV3;
    expect(read(v1, current, bytes)).toEqual(asV1);
    expect(read(v2, current, bytes)).toEqual(asV2);
    expect(read(v3, current, bytes)).toEqual(asV3);
  });

  it('the new reader reads old records (v1, v2, v3) with the defaults: no reasons, event time 0, probability 1', () => {
    const { event_time: _time, assignment_probability: _probability, ...asV3 } = prediction;
    const { variant: _variant, rollout_revision: _revision, reasons: _reasons, ...asV1 } = asV3;
    const { reasons: _alsoReasons, ...asV2 } = asV3;
    expect(read(current, v1, v1.type.toBuffer(asV1))).toEqual({
      ...asV1,
      variant: 'champion',
      rollout_revision: 0,
      reasons: [],
      ...JOIN_DEFAULTS,
    });
    expect(read(current, v2, v2.type.toBuffer(asV2))).toEqual({ ...asV2, reasons: [], ...JOIN_DEFAULTS });
    expect(read(current, v3, v3.type.toBuffer(asV3))).toEqual({ ...asV3, ...JOIN_DEFAULTS });
    expect(current.type.fromBuffer(current.type.toBuffer(prediction))).toEqual(prediction);
  });
});
