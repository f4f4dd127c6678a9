import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateCustomer } from '../../../src/contract/customer.js';
import type { ChurnModel } from '../../../src/model/index.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { servingModel, singleModelServingSet } from '../../../src/serving/serving-set.js';
import { warmUpCustomers, warmUpDecisions } from '../../../src/stream/decision-warm-up.js';
import { recordDecision, type RecordOutcome } from '../../../src/stream/record-decision.js';
import { transactionOutputBudget } from '../../../src/stream/output-size.js';
import { realModel } from '../http/http-test-support.js';
import { FakeSchemaRegistry } from '../serde/fake-schema-registry.js';
import { testCodec } from './pipeline-harness.js';

const log = pino({ level: 'silent' });
let model: ChurnModel;
beforeAll(async () => {
  model = await realModel();
});

describe('warmUpCustomers', () => {
  it('makes customers the model validates, covering every category it knows', () => {
    const customers = warmUpCustomers(model.meta, 64);
    const rules = servingModel(model, true).rules;
    for (const customer of customers) expect(validateCustomer(customer, rules)).toMatchObject({ ok: true });
    for (const [field, values] of Object.entries(model.meta.categories)) {
      const seen = new Set(customers.map((c) => c[field as keyof CustomerEvent]));
      expect([...seen].sort(), field).toEqual([...values].sort());
    }
  });
});

describe('warmUpDecisions', () => {
  function setup(registered: boolean) {
    const codec = testCodec();
    const registry = new FakeSchemaRegistry();
    if (registered) void registry.register('customers-value', customerEventSchema().text);
    const decide = recordDecision({
      decoder: codec.decoder,
      encoder: codec.encoder,
      shadowEncoder: codec.shadowEncoder,
      scorerVersion: 'test',
      now: () => 0,
      replay: false,
      maxRecordBytes: 1_000_000,
      outputBudget: transactionOutputBudget(524_288),
      reasons: true,
    });
    const outcomes: RecordOutcome[] = [];
    const seen: KafkaMessage[] = [];
    const counting: typeof decide = (record, topic, partition, set) => {
      seen.push(record);
      const outcome = decide(record, topic, partition, set);
      if (outcome instanceof Promise) return outcome.then((o) => (outcomes.push(o), o));
      outcomes.push(outcome);
      return outcome;
    };
    const set = singleModelServingSet(servingModel(model, true));
    return { registry, decide: counting, outcomes, seen, set };
  }

  it('scores synthetic records framed with our schema id under the input subject, each one a prediction', async () => {
    const { registry, decide, outcomes, set } = setup(true);
    // The decoder resolves the writer id through the codec's own registry, where the customer schema is id 1.
    const warm = await warmUpDecisions({ decide, serving: () => set, registry, topic: 'customers', records: 200, log });
    expect(warm.schemaId).toBe(1);
    expect(warm.records).toBeGreaterThanOrEqual(200);
    expect(outcomes).toHaveLength(warm.records);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  });

  it('does nothing when told 0 records, or when the input subject does not have our schema', async () => {
    const off = setup(true);
    expect(
      await warmUpDecisions({ ...off, serving: () => off.set, topic: 'customers', records: 0, log }),
    ).toMatchObject({ records: 0 });
    expect(off.seen).toEqual([]);

    const elsewhere = setup(false);
    const warm = await warmUpDecisions({
      ...elsewhere,
      serving: () => elsewhere.set,
      topic: 'customers',
      records: 100,
      log,
    });
    expect(warm).toMatchObject({ records: 0, schemaId: undefined });
    expect(elsewhere.seen).toEqual([]);
  });
});
