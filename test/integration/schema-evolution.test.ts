import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema, loadSchemaFile, parseSchema } from '../../src/serde/schema-files.js';
import { registerWithCompatibility } from '../../src/serde/schema-registration.js';
import { valueSubject } from '../../src/serde/schema-registry.js';
import { REPO_ROOT } from '../support/paths.js';
import { stackEndpoints } from '../support/stack.js';

/** ChurnPrediction before rollouts (no variant, no rollout_revision): what the oldest consumers still read with. */
type ChurnPredictionV1 = Omit<ChurnPredictionV3, 'variant' | 'rollout_revision' | 'reasons'>;
/** ChurnPrediction before reasons. */
type ChurnPredictionV2 = Omit<ChurnPredictionV3, 'reasons'>;
/** ChurnPrediction before the outcome join (no event_time, no assignment_probability). */
type ChurnPredictionV3 = Omit<ChurnPrediction, 'event_time' | 'assignment_probability'>;

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'schemas');

const v1Prediction: ChurnPredictionV1 = {
  customerid: '7590-VHVEG',
  event_id: 'evt-old',
  churn_probability: 0.6363584152715288,
  churn: true,
  threshold: 0.5,
  model_name: 'churn',
  model_version: '1.0.0',
  replay: false,
  scored_at: 1_795_000_000_123,
  source_topic: 'customers',
  source_partition: 2,
  source_offset: 12_345,
  warnings: [],
};
const v2Prediction: ChurnPredictionV2 = { ...v1Prediction, event_id: 'evt-v2', variant: 'ab', rollout_revision: 3 };
const v3Prediction: ChurnPredictionV3 = {
  ...v1Prediction,
  event_id: 'evt-v3',
  variant: 'champion',
  rollout_revision: 4,
  reasons: [{ feature: 'tenure', value: '1', contribution: -0.0692 }],
};
const newPrediction: ChurnPrediction = {
  ...v1Prediction,
  event_id: 'evt-new',
  event_time: 1_794_999_999_000,
  assignment_probability: 0.1,
  model_version: '1.1.0',
  variant: 'canary',
  rollout_revision: 7,
  reasons: [
    { feature: 'tenure', value: '1', contribution: -0.0692 },
    { feature: 'contract=month-to-month', value: 'month-to-month', contribution: 0.6897 },
    { feature: 'totalcharges', value: '29.85', contribution: 0.0108 },
  ],
};

/** The schema's JSON text without the default of `field` (a change BACKWARD must refuse). */
function withoutDefault(text: string, field: string): string {
  const json = JSON.parse(text) as { fields: { name: string; default?: unknown }[] };
  for (const f of json.fields) if (f.name === field) delete f.default;
  return JSON.stringify(json);
}

describe('ChurnPrediction evolves BACKWARD-compatibly on the real schema registry', () => {
  const registry = new HttpSchemaRegistryClient({
    url: stackEndpoints().registryUrl,
    username: process.env['SCHEMA_REGISTRY_USERNAME'] || undefined,
    password: process.env['SCHEMA_REGISTRY_PASSWORD'] || undefined,
  });
  const v1 = loadSchemaFile('churn-prediction.v1.avsc', FIXTURES);
  const v2 = loadSchemaFile('churn-prediction.v2.avsc', FIXTURES);
  const v3 = loadSchemaFile('churn-prediction.v3.avsc', FIXTURES);
  const current = churnPredictionSchema();

  it('the registry takes v1 -> v2 -> v3 -> the current schema under BACKWARD; every reader reads every version', async () => {
    const subject = valueSubject(`it-evolution-predictions-${randomUUID().slice(0, 8)}`);
    const v1Writer = AvroEncoder.withSchemaId<ChurnPredictionV1>(
      subject,
      await registerWithCompatibility(registry, subject, v1.text, 'BACKWARD'),
      v1.type,
    );

    // The rule is in force on this subject: a new field without a default is refused...
    await expect(registry.register(subject, withoutDefault(v2.text, 'variant'))).rejects.toMatchObject({
      status: 409,
      incompatible: true,
    });
    const v2Writer = await AvroEncoder.create<ChurnPredictionV2>({ registry, subject, schema: v2, autoRegister: true });
    // ...the reasons without their default too...
    await expect(registry.register(subject, withoutDefault(v3.text, 'reasons'))).rejects.toMatchObject({
      status: 409,
      incompatible: true,
    });
    const v3Writer = await AvroEncoder.create<ChurnPredictionV3>({ registry, subject, schema: v3, autoRegister: true });
    // ...and the outcome join's event_time without its default.
    await expect(registry.register(subject, withoutDefault(current.text, 'event_time'))).rejects.toMatchObject({
      status: 409,
      incompatible: true,
    });
    // ...and the schema the worker writes with is accepted as the subject's next version.
    const newWriter = await AvroEncoder.create<ChurnPrediction>({
      registry,
      subject,
      schema: current,
      autoRegister: true,
    });
    expect(new Set([v1Writer.schemaId, v2Writer.schemaId, v3Writer.schemaId, newWriter.schemaId]).size).toBe(4);
    expect(await registry.lookup(subject, current.text)).toBe(newWriter.schemaId);
    expect(await registry.lookup(subject, v2.text)).toBe(v2Writer.schemaId);

    const v1Bytes = v1Writer.encode(v1Prediction);
    const v2Bytes = v2Writer.encode(v2Prediction);
    const v3Bytes = v3Writer.encode(v3Prediction);
    const newBytes = newWriter.encode(newPrediction);
    const { event_time: _eventTime, assignment_probability: _probability, ...newAsV3 } = newPrediction;
    const { reasons: _reasons, ...newAsV2 } = newAsV3;
    const { variant: _variant, rollout_revision: _revision, ...newAsV1 } = newAsV2;

    // New reader, old records: the fields they lack take their defaults (no reasons, event time 0, probability 1).
    const joinDefaults = { event_time: 0, assignment_probability: 1 };
    const newReader = new AvroDecoder<ChurnPrediction>({ registry, readerType: current.type });
    await expect(newReader.decode(v1Bytes)).resolves.toEqual({
      ...v1Prediction,
      variant: 'champion',
      rollout_revision: 0,
      reasons: [],
      ...joinDefaults,
    });
    await expect(newReader.decode(v2Bytes)).resolves.toEqual({ ...v2Prediction, reasons: [], ...joinDefaults });
    await expect(newReader.decode(v3Bytes)).resolves.toEqual({ ...v3Prediction, ...joinDefaults });
    await expect(newReader.decode(newBytes)).resolves.toEqual(newPrediction);

    // The reader before the outcome join reads the new record without its two new fields.
    const v3Reader = new AvroDecoder<ChurnPredictionV3>({ registry, readerType: v3.type });
    await expect(v3Reader.decode(newBytes)).resolves.toEqual(newAsV3);

    // Old readers, new record: a consumer that never upgraded still reads every field it knows.
    const v2Reader = new AvroDecoder<ChurnPredictionV2>({ registry, readerType: v2.type });
    await expect(v2Reader.decode(newBytes)).resolves.toEqual(newAsV2);
    await expect(v2Reader.decode(v1Bytes)).resolves.toEqual({
      ...v1Prediction,
      variant: 'champion',
      rollout_revision: 0,
    });
    const v1Reader = new AvroDecoder<ChurnPredictionV1>({ registry, readerType: v1.type });
    await expect(v1Reader.decode(newBytes)).resolves.toEqual(newAsV1);
    await expect(v1Reader.decode(v2Bytes)).resolves.toEqual({ ...v1Prediction, event_id: 'evt-v2' });
  });

  it('the fixtures are the versions before rollouts, reasons and the outcome join: the new fields are the whole difference', () => {
    const names = (text: string) =>
      (parseSchema(text).type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name);
    expect(names(v2.text)).toEqual([...names(v1.text), 'variant', 'rollout_revision']);
    expect(names(v3.text)).toEqual([...names(v2.text), 'reasons']);
    expect(names(current.text)).toEqual([...names(v3.text), 'event_time', 'assignment_probability']);
  });
});
