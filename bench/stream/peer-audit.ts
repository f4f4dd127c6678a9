/**
 * What the 'peers' section reads from a contender's predictions topic, as a downstream read_committed consumer:
 * a counter of visible predictions (the throughput timeline, the same for both contenders, cheap enough not to
 * steal their CPU: no decoding), and afterwards the audit: one prediction per event, and each probability (and
 * its reasons) against what churn-scorer's TypeScript model gives the same event.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { createValidationRules, validateCustomer, type ValidationRules } from '../../src/contract/customer.js';
import { customerEvent, loadTelcoCustomers, type TelcoCustomer } from '../../src/demo/telco-events.js';
import { loadModel } from '../../src/model/index.js';
import type { ChurnModel } from '../../src/model/churn-model.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema } from '../../src/serde/schema-files.js';
import { sleep } from '../lib/children.js';
import { REPO_ROOT } from '../lib/results.js';
import type { EventSource } from './events.js';

/** Counts the predictions a read_committed consumer sees; joined to its group before it resolves. */
export class VisibleCounter {
  count = 0;
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string, group: string): Promise<VisibleCounter> {
    const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 20 });
    const counter = new VisibleCounter(consumer);
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => {
        resolve();
      }),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch }) => {
        counter.count += batch.messages.length;
        return Promise.resolve();
      },
    });
    await joined;
    return counter;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export interface AuditResult {
  events: number;
  predictions: number;
  duplicates: number;
  missing: number;
  /** predictions of no event of this run */
  foreign: number;
  /** largest |probability - the TypeScript model's probability of the same event| */
  max_abs_diff_vs_typescript: number;
  /** predictions whose reasons (feature, value text, contribution) differ from the TypeScript model's */
  reasons_mismatches: number;
  /** the first mismatch, to look at */
  first_mismatch?: string;
}

/** churn-scorer's own scoring of the events an EventSource made (its customers cycle in seq order). */
export class ExpectedScores {
  private constructor(
    private readonly model: ChurnModel,
    private readonly rules: ValidationRules,
    private readonly customers: readonly TelcoCustomer[],
  ) {}

  static async load(): Promise<ExpectedScores> {
    const model = await loadModel(`${REPO_ROOT}/models/churn/1.0.0`);
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    return new ExpectedScores(model, rules, loadTelcoCustomers());
  }

  of(seq: number) {
    const customer = this.customers[seq % this.customers.length] as TelcoCustomer;
    const valid = validateCustomer(customerEvent(customer, 'x', 0), this.rules);
    if (!valid.ok) throw new Error(`bench peers: event ${seq} is no valid customer: ${JSON.stringify(valid.errors)}`);
    return { probability: this.model.score(valid.customer), reasons: this.model.reasons(valid.customer, 3) };
  }
}

/** Reads every prediction of `topic` (read_committed) until `events` arrived or timeoutMs passed. */
export async function auditPredictions(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  source: EventSource,
  expected: ExpectedScores,
  events: number,
  timeoutMs: number,
): Promise<AuditResult> {
  const decoder = new AvroDecoder<ChurnPrediction>({
    registry: new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: registryUrl })),
    readerType: churnPredictionSchema().type,
  });
  const seen = new Uint8Array(events);
  const result: AuditResult = {
    events,
    predictions: 0,
    duplicates: 0,
    missing: events,
    foreign: 0,
    max_abs_diff_vs_typescript: 0,
    reasons_mismatches: 0,
  };
  const consumer = kafka.consumer({
    groupId: `${topic}.audit.${randomUUID().slice(0, 8)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const record of batch.messages) {
          const p = decoder.decodeIfResolved(record.value) ?? (await decoder.decode(record.value));
          const seq = source.seqOf(p.event_id);
          if (seq === undefined || seq >= events) {
            result.foreign++;
            continue;
          }
          if (seen[seq] === 1) {
            result.duplicates++;
            continue;
          }
          seen[seq] = 1;
          result.predictions++;
          const want = expected.of(seq);
          const diff = Math.abs(p.churn_probability - want.probability);
          if (diff > result.max_abs_diff_vs_typescript) result.max_abs_diff_vs_typescript = diff;
          const same =
            p.reasons.length === want.reasons.length &&
            p.reasons.every((r, i) => {
              const w = want.reasons[i];
              return (
                w !== undefined &&
                r.feature === w.feature &&
                r.value === String(w.value) &&
                r.contribution === w.contribution
              );
            });
          if (!same) {
            result.reasons_mismatches++;
            result.first_mismatch ??= `event ${seq}: got ${JSON.stringify(p.reasons)}, want ${JSON.stringify(want.reasons)}`;
          }
        }
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && result.predictions < events) await sleep(100);
    await sleep(500); // a duplicate, if any, arrives too
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  result.missing = events - result.predictions;
  return result;
}
