import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroDecoder } from '../../../src/serde/avro-decoder.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { MAX_EMPTY_ITEMS, compileBoundedWalk } from '../../../src/serde/bounded-avro-walk.js';
import { CachedSchemaRegistryClient } from '../../../src/serde/cached-schema-registry.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { HEADER_LENGTH } from '../../../src/serde/wire-format.js';
import { customerEventWith, splice, varint, writeWith } from './avro-bytes.js';
import { DecodeSandbox, type SandboxOutcome } from './decode-sandbox.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';
import { sampleCustomerEvent } from './sample-events.js';

/** What one decode call may take; the hot path decodes a record in microseconds. */
const BUDGET_MS = 50;

// Writer versions a producer may register under BACKWARD (schemas/README.md): an extra field with a default.
const WITH_TAGS = customerEventWith({ name: 'tags', type: { type: 'array', items: 'string' }, default: [] });
const WITH_ATTRIBUTES = customerEventWith({ name: 'attributes', type: { type: 'map', values: 'long' }, default: {} });
const WITH_FLAGS = customerEventWith({ name: 'flags', type: { type: 'array', items: 'null' }, default: [] });
const TAGS_ID = 700;
const ATTRIBUTES_ID = 701;
const FLAGS_ID = 702;

/** A record written with WITH_TAGS whose `tags` array is empty: its last byte is the array's end marker 0. */
function withEmptyTags(i = 1): Buffer {
  const bytes = writeWith(WITH_TAGS, TAGS_ID, { ...sampleCustomerEvent(i), tags: [] });
  expect(bytes[bytes.length - 1]).toBe(0);
  return bytes;
}

function expectEnds(outcome: SandboxOutcome, what: string): void {
  expect(outcome.kind, `${what}: ${JSON.stringify(outcome)}`).not.toBe('hung');
  expect(outcome.kind, `${what}: ${JSON.stringify(outcome)}`).not.toBe('crash');
  expect(outcome.elapsedMs, `${what}: one decode call took ${outcome.elapsedMs} ms`).toBeLessThan(BUDGET_MS);
}

describe('AvroDecoder on hostile array and map blocks (run in a worker thread with a deadline)', () => {
  let sandbox: DecodeSandbox;

  beforeAll(async () => {
    sandbox = new DecodeSandbox();
    await sandbox.put(TAGS_ID, JSON.stringify(WITH_TAGS));
    await sandbox.put(ATTRIBUTES_ID, JSON.stringify(WITH_ATTRIBUTES));
    await sandbox.put(FLAGS_ID, JSON.stringify(WITH_FLAGS));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('dead-letters, instead of looping forever on, an array block whose negative byte size points back at itself', async () => {
    // Block count -1 (a count followed by the block's byte size), byte size -2: avsc skips the
    // field the reader lacks by adding -2 to its position, which lands on the count again.
    const good = withEmptyTags();
    const crafted = splice(good, good.length - 1, 1, Buffer.concat([varint(-1), varint(-2)]));
    const outcome = await sandbox.decode(crafted, BUDGET_MS);
    expectEnds(outcome, 'crafted record');
    expect(outcome).toMatchObject({ kind: 'decode-error', reason: 'invalid-avro' });
    expect((outcome as { message: string }).message).toMatch(/negative byte size/);
  });

  it('dead-letters a map block with a negative byte size', async () => {
    const good = writeWith(WITH_ATTRIBUTES, ATTRIBUTES_ID, { ...sampleCustomerEvent(2), attributes: {} });
    const crafted = splice(good, good.length - 1, 1, Buffer.concat([varint(-3), varint(-5)]));
    const outcome = await sandbox.decode(crafted, BUDGET_MS);
    expectEnds(outcome, 'map');
    expect(outcome).toMatchObject({ kind: 'decode-error', reason: 'invalid-avro' });
  });

  it('dead-letters a block count of 2^50 zero-byte items instead of counting to it', async () => {
    const good = writeWith(WITH_FLAGS, FLAGS_ID, { ...sampleCustomerEvent(3), flags: [] });
    const crafted = splice(good, good.length - 1, 1, Buffer.concat([varint(2 ** 50), varint(0)]));
    const outcome = await sandbox.decode(crafted, BUDGET_MS);
    expectEnds(outcome, 'huge count');
    expect(outcome).toMatchObject({ kind: 'decode-error', reason: 'invalid-avro' });
    expect((outcome as { message: string }).message).toMatch(/items is more than/);
  });

  it('dead-letters a huge block count of strings the record cannot hold', async () => {
    const good = withEmptyTags(4);
    const crafted = splice(good, good.length - 1, 1, Buffer.concat([varint(2 ** 40), varint(0)]));
    const outcome = await sandbox.decode(crafted, BUDGET_MS);
    expectEnds(outcome, 'huge string count');
    expect(outcome).toMatchObject({ kind: 'decode-error', reason: 'invalid-avro' });
  });

  it('ends every record with a negative block header put at any position, for arrays and maps', async () => {
    const records = [
      withEmptyTags(5),
      writeWith(WITH_TAGS, TAGS_ID, { ...sampleCustomerEvent(6), tags: ['a', 'bc'] }),
      writeWith(WITH_ATTRIBUTES, ATTRIBUTES_ID, { ...sampleCustomerEvent(7), attributes: { x: 1, y: -2 } }),
    ];
    const outcomes: SandboxOutcome[] = [];
    for (const good of records) {
      for (let at = HEADER_LENGTH; at < good.length; at++) {
        for (const size of [-1, -2, -3, -7, -good.length]) {
          const crafted = splice(good, at, 1, Buffer.concat([varint(-1), varint(size)]));
          const outcome = await sandbox.decode(crafted, BUDGET_MS);
          expectEnds(outcome, `count -1, size ${size} at byte ${at}`);
          outcomes.push(outcome);
        }
      }
    }
    expect(outcomes.filter((o) => o.kind === 'decode-error').length).toBeGreaterThan(outcomes.length / 2);
  });
});

describe('bounded walk of well-formed Avro', () => {
  const reader = customerEventSchema();

  it('accepts blocks written with a negative count and the byte size (as Java writers may send them)', async () => {
    const registry = new FakeSchemaRegistry();
    registry.put(TAGS_ID, JSON.stringify(WITH_TAGS));
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(registry),
      readerType: reader.type,
    });
    const event = sampleCustomerEvent(8);
    const good = withEmptyTags(8);
    // tags = ["ab", "c"] as one block: count -2, byte size 5 (1+2 and 1+1), the items, end marker 0.
    const items = Buffer.concat([varint(2), Buffer.from('ab'), varint(1), Buffer.from('c')]);
    const block = Buffer.concat([varint(-2), varint(items.length), items, varint(0)]);
    const bytes = splice(good, good.length - 1, 1, block);
    expect(avro.Type.forSchema(WITH_TAGS as avro.Schema).fromBuffer(bytes.subarray(HEADER_LENGTH))).toMatchObject({
      tags: ['ab', 'c'],
    });
    await expect(decoder.decode(bytes)).resolves.toEqual(event);

    // the same block with a byte size that does not match its items
    const lying = splice(
      good,
      good.length - 1,
      1,
      Buffer.concat([varint(-2), varint(items.length + 1), items, varint(0), varint(0)]),
    );
    await expect(decoder.decode(lying)).rejects.toMatchObject({
      reason: 'invalid-avro',
      message: expect.stringMatching(/declares 6 bytes but its 2 items take 5/) as unknown,
    });
  });

  it('walks every value avsc writes for a schema with arrays, maps, unions, enums, fixed and nested records', () => {
    const schema = {
      type: 'record',
      name: 'Everything',
      fields: [
        { name: 'a', type: { type: 'array', items: { type: 'map', values: ['null', 'double', 'string'] } } },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X', 'Y', 'Z'] } },
        { name: 'f', type: { type: 'fixed', name: 'F', size: 3 } },
        {
          name: 'r',
          type: {
            type: 'record',
            name: 'Inner',
            fields: [
              { name: 'b', type: 'bytes' },
              { name: 'n', type: ['null', 'Inner'] },
            ],
          },
        },
        { name: 'flags', type: { type: 'array', items: 'boolean' } },
        { name: 'l', type: 'long' },
        { name: 'x', type: 'float' },
      ],
    } as const;
    const type = avro.Type.forSchema(schema as unknown as avro.Schema);
    const walk = compileBoundedWalk(type);
    for (let i = 0; i < 200; i++) {
      const bytes = type.toBuffer(type.random());
      expect(walk(bytes, 0), `value ${i}`).toBe(bytes.length);
    }
  });

  it(`allows ${MAX_EMPTY_ITEMS} zero-byte items beyond one per byte, and no more`, () => {
    const walk = compileBoundedWalk(avro.Type.forSchema({ type: 'array', items: 'null' }));
    const within = Buffer.concat([varint(MAX_EMPTY_ITEMS), varint(0)]);
    expect(walk(within, 0)).toBe(within.length);
    const beyond = Buffer.concat([varint(MAX_EMPTY_ITEMS + within.length + 1), varint(0)]);
    expect(() => walk(beyond, 0)).toThrow(/items is more than/);
  });

  it('reports bytes that end early as truncated and a bad union index as invalid', async () => {
    const registry = new FakeSchemaRegistry();
    registry.put(TAGS_ID, JSON.stringify(WITH_TAGS));
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(registry),
      readerType: reader.type,
    });
    const full = writeWith(WITH_TAGS, TAGS_ID, { ...sampleCustomerEvent(9), tags: ['abc', 'de'] });
    for (let length = HEADER_LENGTH; length < full.length; length++) {
      await expect(decoder.decode(full.subarray(0, length)), `cut at ${length}`).rejects.toMatchObject({
        reason: 'truncated',
      });
    }
    const unionSchema = customerEventWith({
      name: 'note',
      type: ['null', { type: 'array', items: 'string' }],
      default: null,
    });
    registry.put(TAGS_ID + 50, JSON.stringify(unionSchema));
    const withNote = writeWith(unionSchema, TAGS_ID + 50, { ...sampleCustomerEvent(9), note: null });
    const badIndex = splice(withNote, withNote.length - 1, 1, varint(5));
    await expect(decoder.decode(badIndex)).rejects.toMatchObject({
      reason: 'invalid-avro',
      message: expect.stringMatching(/union branch index 5/) as unknown,
    });
  });
});
