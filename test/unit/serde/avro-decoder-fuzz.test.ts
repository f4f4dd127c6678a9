import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECODE_REASONS } from '../../../src/serde/decode-error.js';
import { customerEventJson, customerEventWith, writeWith } from './avro-bytes.js';
import { extendedWriter, mutate, mutation } from './avro-fuzz-arbitraries.js';
import { DecodeSandbox, type SandboxOutcome } from './decode-sandbox.js';
import { sampleCustomerEvent } from './sample-events.js';

/**
 * Property-based fuzzing of AvroDecoder with hostile bytes. Decoding runs in a worker thread
 * (DecodeSandbox) with a deadline, so an input that hangs the decoder fails the property
 * instead of hanging the test run. Every input must end as a value or a DecodeError, within
 * BUDGET_MS for one decode call.
 */
const BUDGET_MS = 50;
/** When the sandbox gives a decode up as stuck. */
const DEADLINE_MS = 3_000;

const CURRENT_ID = 800;
const WITH_TAGS_ID = 801;
const WITH_TAGS = customerEventWith({ name: 'tags', type: { type: 'array', items: 'string' }, default: [] });

function checkOutcome(outcome: SandboxOutcome): void {
  if (outcome.kind === 'hung') throw new Error(`decode did not return within ${DEADLINE_MS} ms`);
  if (outcome.kind === 'crash') throw new Error(`decode threw something other than a DecodeError: ${outcome.message}`);
  if (outcome.kind === 'decode-error') expect(DECODE_REASONS).toContain(outcome.reason);
  expect(outcome.elapsedMs, `one decode call took ${outcome.elapsedMs.toFixed(1)} ms`).toBeLessThan(BUDGET_MS);
}

describe('AvroDecoder fuzzing (fast-check, decoding in a worker thread with a deadline)', () => {
  let sandbox: DecodeSandbox;
  let nextSchemaId = 10_000;

  beforeAll(async () => {
    sandbox = new DecodeSandbox();
    await sandbox.put(CURRENT_ID, JSON.stringify(customerEventJson()));
    await sandbox.put(WITH_TAGS_ID, JSON.stringify(WITH_TAGS));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('ends every mutated valid record (bit flips, truncations, insertions, negative varints and blocks) as a value or a DecodeError', async () => {
    const counts = { decoded: 0, 'decode-error': 0 };
    const record = fc.oneof(
      fc.nat({ max: 10_000 }).map((i) => writeWith(customerEventJson(), CURRENT_ID, sampleCustomerEvent(i))),
      fc
        .tuple(fc.nat({ max: 10_000 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }))
        .map(([i, tags]) => writeWith(WITH_TAGS, WITH_TAGS_ID, { ...sampleCustomerEvent(i), tags })),
    );
    await fc.assert(
      fc.asyncProperty(record, fc.array(mutation, { minLength: 1, maxLength: 4 }), async (bytes, mutations) => {
        const outcome = await sandbox.decode(mutate(bytes, mutations), BUDGET_MS, DEADLINE_MS);
        checkOutcome(outcome);
        counts[outcome.kind as keyof typeof counts]++;
      }),
      { numRuns: 1_000, endOnFailure: true },
    );
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(counts['decode-error']).toBeGreaterThan(100);
    expect(counts.decoded).toBeGreaterThan(0);
  }, 60_000);

  it('ends every record of a generated BACKWARD-compatible writer schema (arrays, maps, unions, nested records), intact and mutated', async () => {
    let intactDecoded = 0;
    await fc.assert(
      fc.asyncProperty(
        extendedWriter,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (writer, mutations) => {
          const schemaId = nextSchemaId++;
          await sandbox.put(schemaId, JSON.stringify(writer.schema));
          const intact = writeWith(writer.schema, schemaId, writer.value);

          // Unchanged, the record is the customer the extra fields were added to.
          const outcome = await sandbox.decode(intact, BUDGET_MS, DEADLINE_MS);
          checkOutcome(outcome);
          expect(outcome).toMatchObject({ kind: 'decoded', customerid: writer.value['customerid'] });
          intactDecoded++;

          checkOutcome(await sandbox.decode(mutate(intact, mutations), BUDGET_MS, DEADLINE_MS));
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
    expect(intactDecoded).toBe(300);
  }, 60_000);
});
