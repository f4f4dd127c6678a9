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

/** ChurnPrediction as it was before rollouts (no variant, no rollout_revision): what older consumers still read with. */
type ChurnPredictionV1 = Omit<ChurnPrediction, 'variant' | 'rollout_revision'>;

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

describe('ChurnPrediction evolves BACKWARD-compatibly on the real schema registry', () => {
  const registry = new HttpSchemaRegistryClient({
    url: stackEndpoints().registryUrl,
    username: process.env['SCHEMA_REGISTRY_USERNAME'] || undefined,
    password: process.env['SCHEMA_REGISTRY_PASSWORD'] || undefined,
  });
  const previous = loadSchemaFile('churn-prediction.v1.avsc', FIXTURES);
  const current = churnPredictionSchema();

  it('the registry takes the new version under BACKWARD, and old and new readers read both versions', async () => {
    const subject = valueSubject(`it-evolution-predictions-${randomUUID().slice(0, 8)}`);
    const oldWriter = AvroEncoder.withSchemaId<ChurnPredictionV1>(
      subject,
      await registerWithCompatibility(registry, subject, previous.text, 'BACKWARD'),
      previous.type,
    );

    // The rule is in force on this subject: a new field without a default is refused...
    const withoutDefault = JSON.parse(current.text) as { fields: { name: string; default?: unknown }[] };
    for (const field of withoutDefault.fields) if (field.name === 'variant') delete field.default;
    await expect(registry.register(subject, JSON.stringify(withoutDefault))).rejects.toMatchObject({
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
    expect(newWriter.schemaId).not.toBe(oldWriter.schemaId);
    expect(await registry.lookup(subject, current.text)).toBe(newWriter.schemaId);

    // New reader, old record: the new fields take their defaults.
    const newReader = new AvroDecoder<ChurnPrediction>({ registry, readerType: current.type });
    await expect(newReader.decode(oldWriter.encode(v1Prediction))).resolves.toEqual({
      ...v1Prediction,
      variant: 'champion',
      rollout_revision: 0,
    });

    // Old reader, new record: a consumer that never upgraded still reads every field it knows.
    const canary: ChurnPrediction = { ...v1Prediction, model_version: '1.1.0', variant: 'canary', rollout_revision: 7 };
    const oldReader = new AvroDecoder<ChurnPredictionV1>({ registry, readerType: previous.type });
    await expect(oldReader.decode(newWriter.encode(canary))).resolves.toEqual({
      ...v1Prediction,
      model_version: '1.1.0',
    });
    // and the new reader reads the new record whole
    await expect(newReader.decode(newWriter.encode(canary))).resolves.toEqual(canary);
  });

  it('the previous schema kept as a fixture is the one before rollouts: the two new fields are the whole difference', () => {
    const names = (text: string) => (parseSchema(text).type as unknown as { fields: { name: string }[] }).fields;
    const before = names(previous.text).map((f) => f.name);
    const after = names(current.text).map((f) => f.name);
    expect(after).toEqual([...before, 'variant', 'rollout_revision']);
  });
});
