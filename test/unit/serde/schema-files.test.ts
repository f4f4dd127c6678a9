import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  SCHEMAS_DIR,
  SchemaFileError,
  churnPredictionSchema,
  customerEventSchema,
  customerOutcomeSchema,
  predictionOutcomeSchema,
  loadSchemaFile,
  parseSchema,
} from '../../../src/serde/schema-files.js';

// The model's 19 inputs as the shared interface lists them (numerical + categorical).
const MODEL_FEATURES = [
  'tenure',
  'monthlycharges',
  'totalcharges',
  'gender',
  'seniorcitizen',
  'partner',
  'dependents',
  'phoneservice',
  'multiplelines',
  'internetservice',
  'onlinesecurity',
  'onlinebackup',
  'deviceprotection',
  'techsupport',
  'streamingtv',
  'streamingmovies',
  'contract',
  'paperlessbilling',
  'paymentmethod',
];

interface FieldSchema {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}

function fields(schemaText: string): FieldSchema[] {
  return (JSON.parse(schemaText) as { fields: FieldSchema[] }).fields;
}

describe('schemas/*.avsc', () => {
  it('are found from the module location, whatever the working directory', () => {
    expect(SCHEMAS_DIR).toBe(fileURLToPath(new URL('../../../schemas', import.meta.url)));
    const cwd = process.cwd();
    try {
      process.chdir('/');
      expect(customerEventSchema().fullName).toBe('churn.CustomerEvent');
    } finally {
      process.chdir(cwd);
    }
  });

  it('CustomerEvent: ids, event time, then exactly the 19 model features with their Avro types', () => {
    const schema = customerEventSchema();
    const list = fields(schema.text);
    expect(list.slice(0, 3).map((f) => [f.name, f.type])).toEqual([
      ['customerid', 'string'],
      ['event_id', 'string'],
      ['event_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ]);
    const features = list.slice(3);
    expect(features.map((f) => f.name).sort()).toEqual([...MODEL_FEATURES].sort());
    const typeOf = Object.fromEntries(features.map((f) => [f.name, f.type]));
    expect(typeOf).toMatchObject({
      seniorcitizen: 'int',
      tenure: 'int',
      monthlycharges: 'double',
      totalcharges: 'double',
    });
    for (const name of MODEL_FEATURES.filter(
      (n) => !['seniorcitizen', 'tenure', 'monthlycharges', 'totalcharges'].includes(n),
    )) {
      expect(typeOf[name], name).toBe('string');
    }
  });

  it('ChurnPrediction: the fields the stream publishes', () => {
    const list = fields(churnPredictionSchema().text);
    expect(list.map((f) => [f.name, f.type])).toEqual([
      ['customerid', 'string'],
      ['event_id', 'string'],
      ['churn_probability', 'double'],
      ['churn', 'boolean'],
      ['threshold', 'double'],
      ['model_name', 'string'],
      ['model_version', 'string'],
      ['replay', 'boolean'],
      ['scored_at', { type: 'long', logicalType: 'timestamp-millis' }],
      ['source_topic', 'string'],
      ['source_partition', 'int'],
      ['source_offset', 'long'],
      ['warnings', { type: 'array', items: 'string' }],
      ['variant', 'string'],
      ['rollout_revision', 'long'],
      [
        'reasons',
        {
          type: 'array',
          items: expect.objectContaining({
            type: 'record',
            name: 'ChurnReason',
            fields: [
              expect.objectContaining({ name: 'feature', type: 'string' }),
              expect.objectContaining({ name: 'value', type: 'string' }),
              expect.objectContaining({ name: 'contribution', type: 'double' }),
            ],
          }) as unknown,
        },
      ],
      ['event_time', { type: 'long', logicalType: 'timestamp-millis' }],
      ['assignment_probability', 'double'],
    ]);
  });

  it('document every field', () => {
    for (const schema of [
      customerEventSchema(),
      churnPredictionSchema(),
      customerOutcomeSchema(),
      predictionOutcomeSchema(),
    ]) {
      for (const field of fields(schema.text)) expect(field.doc, `${schema.fullName}.${field.name}`).toMatch(/\w{3,}/);
    }
    const reason = fields(churnPredictionSchema().text).find((f) => f.name === 'reasons')?.type as {
      items: { doc: string; fields: { name: string; doc?: string }[] };
    };
    expect(reason.items.doc).toMatch(/\w{3,}/);
    for (const field of reason.items.fields) expect(field.doc, `churn.ChurnReason.${field.name}`).toMatch(/\w{3,}/);
  });

  it('name the file and the problem when a schema cannot be loaded', () => {
    expect(() => loadSchemaFile('missing.avsc')).toThrow(SchemaFileError);
    expect(() => loadSchemaFile('missing.avsc')).toThrow(/missing\.avsc: cannot read schema JSON/);
    expect(() =>
      parseSchema('{"type":"record","name":"R","fields":[{"name":"x","type":"integer"}]}', 'inline.avsc'),
    ).toThrow(/inline\.avsc: not a valid Avro schema/);
  });

  it('sends the registry compact JSON that parses to the same schema', () => {
    const schema = customerEventSchema();
    expect(schema.text).not.toContain('\n');
    expect(avro.Type.forSchema(JSON.parse(schema.text) as avro.Schema).equals(schema.type)).toBe(true);
  });
});
