import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroEncoder, EncodeError } from '../../../src/serde/avro-encoder.js';
import type { ChurnPrediction } from '../../../src/serde/avro-records.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { churnPredictionSchema, customerEventSchema } from '../../../src/serde/schema-files.js';
import { parseFrame } from '../../../src/serde/wire-format.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';
import { sampleCustomerEvent } from './sample-events.js';

const prediction: ChurnPrediction = {
  customerid: '7590-VHVEG',
  event_id: 'evt-1',
  churn_probability: 0.6363584152715288,
  churn: true,
  threshold: 0.5,
  model_name: 'churn',
  model_version: '1.0.0',
  replay: false,
  scored_at: 1_795_000_000_123,
  source_topic: 'customers',
  source_partition: 2,
  source_offset: 2 ** 40,
  warnings: ['contract: unknown category "weekly"'],
  variant: 'canary',
  rollout_revision: 7,
  reasons: [
    { feature: 'contract=month-to-month', value: 'month-to-month', contribution: 0.71 },
    { feature: 'tenure', value: '1', contribution: -0.07 },
  ],
  event_time: 1_794_999_999_000,
  assignment_probability: 0.1,
};

describe('AvroEncoder', () => {
  it('registers the schema under the subject once and frames values with its id', async () => {
    const registry = new FakeSchemaRegistry();
    registry.put(40, '{"type":"string"}'); // ids already in use elsewhere in the registry
    const schema = churnPredictionSchema();
    const encoder = await AvroEncoder.create<ChurnPrediction>({
      registry,
      subject: 'predictions-value',
      schema,
      autoRegister: true,
    });
    expect(encoder.schemaId).toBe(41);
    expect(registry.latest('predictions-value')).toMatchObject({ id: 41, schema: schema.text });

    const frame = parseFrame(encoder.encode(prediction));
    expect(frame).toMatchObject({ schemaId: 41 });
    expect(schema.type.fromBuffer((frame as { payload: Buffer }).payload)).toEqual(prediction);
    expect(registry.calls.register).toBe(1);
  });

  it('with autoRegister off, looks the id up and fails when the schema is not registered', async () => {
    const registry = new FakeSchemaRegistry();
    const schema = churnPredictionSchema();
    await expect(
      AvroEncoder.create({ registry, subject: 'predictions-value', schema, autoRegister: false }),
    ).rejects.toMatchObject({ name: 'SchemaRegistryError', status: 404, subject: 'predictions-value' });

    const id = await registry.register('predictions-value', schema.text);
    const encoder = await AvroEncoder.create({ registry, subject: 'predictions-value', schema, autoRegister: false });
    expect(encoder.schemaId).toBe(id);
    expect(registry.calls.lookup).toBe(2);
  });

  it('surfaces a registry outage at start-up as a retriable SchemaRegistryError', async () => {
    const registry = new FakeSchemaRegistry();
    registry.outage = 'connection-refused';
    const error: unknown = await AvroEncoder.create({
      registry,
      subject: 'customers-value',
      schema: customerEventSchema(),
      autoRegister: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect((error as SchemaRegistryError).retriable).toBe(true);
  });

  it('fills optional fields with defaults (warnings defaults to [])', () => {
    const schema = churnPredictionSchema();
    const encoder = AvroEncoder.withSchemaId<Omit<ChurnPrediction, 'warnings'>>('predictions-value', 3, schema.type);
    const { warnings: _none, ...withoutWarnings } = prediction;
    const frame = parseFrame(encoder.encode(withoutWarnings)) as { payload: Buffer };
    expect(schema.type.fromBuffer(frame.payload)).toEqual({ ...withoutWarnings, warnings: [] });
  });

  it('rejects a value that does not match the schema, naming the bad fields', () => {
    const encoder = AvroEncoder.withSchemaId<unknown>('customers-value', 1, customerEventSchema().type);
    const bad = { ...sampleCustomerEvent(1), tenure: 1.5, gender: undefined };
    let error: unknown;
    try {
      encoder.encode(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).invalidPaths).toEqual(['gender', 'tenure']);
    expect((error as EncodeError).message).toBe('value does not match churn.CustomerEvent: invalid gender, tenure');
  });

  it('encodes values larger than its scratch buffer, and each result is an independent buffer', () => {
    const type = avro.Type.forSchema({ type: 'record', name: 'Blob', fields: [{ name: 'text', type: 'string' }] });
    const encoder = AvroEncoder.withSchemaId<{ text: string }>('blobs-value', 9, type);
    const big = { text: 'x'.repeat(100_000) };
    const first = encoder.encode(big);
    const second = encoder.encode({ text: 'small' });
    expect(type.fromBuffer((parseFrame(first) as { payload: Buffer }).payload)).toEqual(big);
    expect(type.fromBuffer((parseFrame(second) as { payload: Buffer }).payload)).toEqual({ text: 'small' });
    expect(first.length).toBe(5 + 3 + 100_000); // header + zig-zag varint length + bytes
  });
});
