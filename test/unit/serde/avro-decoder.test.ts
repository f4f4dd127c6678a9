import avro from 'avsc';
import { beforeEach, describe, expect, it } from 'vitest';
import { AvroDecoder } from '../../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../../src/serde/avro-encoder.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../../src/serde/cached-schema-registry.js';
import { DecodeError } from '../../../src/serde/decode-error.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { frame } from '../../../src/serde/wire-format.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';
import { sampleCustomerEvent } from './sample-events.js';

const reader = customerEventSchema();
const SUBJECT = 'customers-value';

interface Field {
  name: string;
  type: unknown;
  default?: unknown;
  doc?: string;
}
type RecordSchema = { type: 'record'; name: string; namespace?: string; fields: Field[] };

function customerEventJson(): RecordSchema {
  return JSON.parse(reader.text) as RecordSchema;
}

/** Encodes `value` with an arbitrary writer schema, framed with `schemaId`. */
function writeWith(schema: RecordSchema, schemaId: number, value: Record<string, unknown>): Buffer {
  return frame(schemaId, avro.Type.forSchema(schema as avro.Schema).toBuffer(value));
}

async function decodeError(decoder: AvroDecoder<CustomerEvent>, bytes: Buffer | null): Promise<DecodeError> {
  const error: unknown = await decoder.decode(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecodeError);
  return error as DecodeError;
}

describe('AvroDecoder over the registry port', () => {
  let registry: FakeSchemaRegistry;
  let decoder: AvroDecoder<CustomerEvent>;
  let encoder: AvroEncoder<CustomerEvent>;

  beforeEach(async () => {
    registry = new FakeSchemaRegistry();
    const cached = new CachedSchemaRegistryClient(registry);
    decoder = new AvroDecoder<CustomerEvent>({ registry: cached, readerType: reader.type });
    encoder = await AvroEncoder.create<CustomerEvent>({
      registry: cached,
      subject: SUBJECT,
      schema: reader,
      autoRegister: true,
    });
  });

  it('round-trips CustomerEvents through encode and decode', async () => {
    for (let i = 0; i < 50; i++) {
      const event = sampleCustomerEvent(i);
      await expect(decoder.decode(encoder.encode(event))).resolves.toEqual(event);
    }
  });

  it('keeps full double precision, non-ASCII text and negative timestamps', async () => {
    const event = {
      ...sampleCustomerEvent(1),
      customerid: 'Zoë-客户-🙂',
      event_time: -1,
      monthlycharges: 0.1 + 0.2,
      totalcharges: Number.MAX_VALUE,
    };
    await expect(decoder.decode(encoder.encode(event))).resolves.toEqual(event);
  });

  it('fetches each writer schema once: later records make no registry call', async () => {
    const bytes = encoder.encode(sampleCustomerEvent(3));
    const before = registry.calls.getSchemaById;
    for (let i = 0; i < 1_000; i++) await decoder.decode(bytes);
    expect(registry.calls.getSchemaById - before).toBe(1);
    expect(decoder.decodeIfResolved(bytes)).toEqual(sampleCustomerEvent(3));
  });

  it('shares one registry lookup among concurrent decodes of a new writer id', async () => {
    const fresh = new AvroDecoder<CustomerEvent>({ registry, readerType: reader.type });
    let open!: () => void;
    registry.gate = new Promise((resolve) => (open = resolve));
    const bytes = encoder.encode(sampleCustomerEvent(4));
    const before = registry.calls.getSchemaById;
    expect(fresh.decodeIfResolved(bytes)).toBeUndefined();
    const results = Array.from({ length: 20 }, () => fresh.decode(bytes));
    open();
    for (const value of await Promise.all(results)) expect(value).toEqual(sampleCustomerEvent(4));
    expect(registry.calls.getSchemaById - before).toBe(1);
  });

  describe('decode errors (records to dead-letter)', () => {
    it('empty: null value and zero bytes', async () => {
      expect((await decodeError(decoder, null)).reason).toBe('empty');
      expect((await decodeError(decoder, Buffer.alloc(0))).reason).toBe('empty');
    });

    it('unknown-magic-byte: bytes that are not a Confluent frame', async () => {
      const bytes = Buffer.from(JSON.stringify(sampleCustomerEvent(1)));
      const error = await decodeError(decoder, bytes);
      expect(error.reason).toBe('unknown-magic-byte');
      expect(error.byteLength).toBe(bytes.length);
    });

    it('truncated: a header cut short', async () => {
      expect((await decodeError(decoder, Buffer.from([0, 0, 0]))).reason).toBe('truncated');
    });

    it('truncated: an Avro body that ends early, at every possible cut', async () => {
      const full = encoder.encode(sampleCustomerEvent(5));
      for (let length = 5; length < full.length; length++) {
        const error = await decodeError(decoder, full.subarray(0, length));
        expect(error.reason, `cut at ${length} of ${full.length} bytes`).toBe('truncated');
        expect(error.schemaId).toBe(encoder.schemaId);
        expect(error.message).toContain(`schema id ${encoder.schemaId}, ${length} bytes`);
      }
    });

    it('trailing-bytes: a valid record followed by more bytes', async () => {
      const bytes = Buffer.concat([encoder.encode(sampleCustomerEvent(6)), Buffer.from([1, 2, 3])]);
      const error = await decodeError(decoder, bytes);
      expect(error.reason).toBe('trailing-bytes');
      expect(error.message).toContain('3 bytes left');
    });

    it('unknown-schema-id: an id the registry does not have (404)', async () => {
      const error = await decodeError(decoder, frame(999_999, Buffer.from([0])));
      expect(error.reason).toBe('unknown-schema-id');
      expect(error.schemaId).toBe(999_999);
      expect(error.cause).toBeInstanceOf(SchemaRegistryError);
    });

    it('schema-mismatch: the writer schema is a different record', async () => {
      const other: RecordSchema = {
        type: 'record',
        name: 'Invoice',
        namespace: 'billing',
        fields: [{ name: 'amount', type: 'double' }],
      };
      registry.put(500, JSON.stringify(other));
      const error = await decodeError(decoder, writeWith(other, 500, { amount: 12.5 }));
      expect(error.reason).toBe('schema-mismatch');
      expect(error.message).toContain('billing.Invoice');
      expect(error.message).toContain('churn.CustomerEvent');
    });

    it('schema-mismatch: the writer lacks a field our reader needs and has no default for', async () => {
      const withoutTenure = customerEventJson();
      withoutTenure.fields = withoutTenure.fields.filter((f) => f.name !== 'tenure');
      registry.put(501, JSON.stringify(withoutTenure));
      const { tenure: _dropped, ...value } = sampleCustomerEvent(7);
      const error = await decodeError(decoder, writeWith(withoutTenure, 501, value));
      expect(error.reason).toBe('schema-mismatch');
      expect(error.message).toContain('tenure');
    });

    it('schema-mismatch: a feature retyped (tenure as string)', async () => {
      const retyped = customerEventJson();
      retyped.fields = retyped.fields.map((f) => (f.name === 'tenure' ? { ...f, type: 'string' } : f));
      registry.put(502, JSON.stringify(retyped));
      const error = await decodeError(decoder, writeWith(retyped, 502, { ...sampleCustomerEvent(8), tenure: '12' }));
      expect(error.reason).toBe('schema-mismatch');
    });

    it('schema-mismatch: the registry holds a schema that is not Avro (e.g. JSON Schema)', async () => {
      registry.put(503, '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}');
      expect((await decodeError(decoder, frame(503, Buffer.from([0])))).reason).toBe('schema-mismatch');
    });

    it('invalid-avro: bytes that cannot be Avro for the writer schema (union index out of range)', async () => {
      const evolved = customerEventJson();
      evolved.fields.push({ name: 'loyalty_tier', type: ['null', 'string'], default: null });
      registry.put(504, JSON.stringify(evolved));
      const good = writeWith(evolved, 504, { ...sampleCustomerEvent(9), loyalty_tier: null });
      // The union branch index is the last varint of the record: 0 (null) is byte 0x00; 0x0e is index 7.
      const bad = Buffer.from(good);
      expect(bad[bad.length - 1]).toBe(0);
      bad[bad.length - 1] = 0x0e;
      const error = await decodeError(decoder, bad);
      expect(error.reason).toBe('invalid-avro');
      expect(error.message).toContain('schema id 504');
    });

    it('every error names its reason, schema id and byte length in the message', async () => {
      const bytes = Buffer.concat([encoder.encode(sampleCustomerEvent(10)), Buffer.from([9])]);
      const error = await decodeError(decoder, bytes);
      expect(error.message).toMatch(
        new RegExp(`^trailing-bytes: .*\\(schema id ${encoder.schemaId}, ${bytes.length} bytes\\)$`),
      );
    });
  });

  describe('schema evolution', () => {
    it('reads a writer with an extra optional field, ignoring that field', async () => {
      const evolved = customerEventJson();
      evolved.fields.push({ name: 'loyalty_tier', type: ['null', 'string'], default: null });
      registry.put(600, JSON.stringify(evolved));
      const event = sampleCustomerEvent(11);
      const decoded = await decoder.decode(writeWith(evolved, 600, { ...event, loyalty_tier: 'gold' }));
      expect(decoded).toEqual(event);
      expect(decoded).not.toHaveProperty('loyalty_tier');
    });

    it('reads a writer whose fields come in another order', async () => {
      const reordered = customerEventJson();
      reordered.fields.reverse();
      registry.put(601, JSON.stringify(reordered));
      const event = sampleCustomerEvent(12);
      await expect(decoder.decode(writeWith(reordered, 601, { ...event }))).resolves.toEqual(event);
    });

    it('fills a reader field with its default when an older writer lacks it', async () => {
      // our future reader adds an optional field; today's writer bytes must still decode
      const newerReader = customerEventJson();
      newerReader.fields.push({ name: 'segment', type: 'string', default: 'unknown' });
      const newerDecoder = new AvroDecoder<CustomerEvent & { segment: string }>({
        registry: new CachedSchemaRegistryClient(registry),
        readerType: avro.Type.forSchema(newerReader as avro.Schema),
      });
      const event = sampleCustomerEvent(13);
      await expect(newerDecoder.decode(encoder.encode(event))).resolves.toEqual({ ...event, segment: 'unknown' });
    });
  });

  describe('registry outage', () => {
    it.each(['connection-refused', 'http-503'] as const)(
      '%s surfaces as a retriable SchemaRegistryError, not a DecodeError, and is not cached',
      async (outage) => {
        const other = new AvroDecoder<CustomerEvent>({
          registry: new CachedSchemaRegistryClient(registry),
          readerType: reader.type,
        });
        const bytes = encoder.encode(sampleCustomerEvent(14));
        registry.outage = outage;
        const error: unknown = await other.decode(bytes).catch((e: unknown) => e);
        expect(error).not.toBeInstanceOf(DecodeError);
        expect(error).toBeInstanceOf(SchemaRegistryError);
        expect((error as SchemaRegistryError).retriable).toBe(true);
        expect((error as SchemaRegistryError).schemaId).toBe(encoder.schemaId);

        registry.outage = undefined;
        await expect(other.decode(bytes)).resolves.toEqual(sampleCustomerEvent(14));
      },
    );

    it('does not affect writer schemas already resolved', async () => {
      const bytes = encoder.encode(sampleCustomerEvent(15));
      await decoder.decode(bytes);
      registry.outage = 'connection-refused';
      await expect(decoder.decode(bytes)).resolves.toEqual(sampleCustomerEvent(15));
    });
  });
});
