import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { ModelMeta } from '../model/churn-model.js';
import type { CustomerEvent } from '../serde/avro-records.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { customerEventSchema } from '../serde/schema-files.js';
import { frame } from '../serde/wire-format.js';
import type { ServingSet } from '../serving/serving-set.js';
import type { DecideRecord } from './record-decision.js';

/**
 * Warm-up before the consumers join: a freshly started process would otherwise pay, on the first real records,
 * V8's tier-up of the decision path (decode, validate, score, reasons, encode run interpreted until they are hot)
 * and the registry round trip for the producers' writer schema; under load that is a backlog whose latency
 * outlives the start by seconds (BENCHMARKS.md, "Latency from a cold start"). So the path runs here on synthetic
 * customers, framed with the id our own CustomerEvent schema has under the input subject (the schema producers
 * most likely write with), and the result is thrown away: nothing is produced, nothing counted.
 */
export interface DecisionWarmUp {
  /** decisions made (0 when skipped) */
  records: number;
  ms: number;
  /** the writer schema id the decoder resolved ahead of the first record, if the subject had ours */
  schemaId: number | undefined;
}

/** Customers spread over every category and numeric range the model knows: each branch of the path is taken. */
export function warmUpCustomers(
  meta: Pick<ModelMeta, 'categories' | 'numeric_ranges'>,
  count: number,
): CustomerEvent[] {
  const pick = (field: keyof ModelMeta['categories'], i: number, fallback: string): string => {
    const values = meta.categories[field];
    return values === undefined || values.length === 0 ? fallback : (values[i % values.length] ?? fallback);
  };
  const within = (field: string, i: number, integer: boolean): number => {
    const range = meta.numeric_ranges?.[field];
    if (range === undefined) return 0;
    const x = range.min + ((i * 7919) % 101) * ((range.max - range.min) / 100);
    return integer ? Math.round(x) : Math.round(x * 100) / 100;
  };
  const customers: CustomerEvent[] = [];
  for (let i = 0; i < count; i++) {
    customers.push({
      customerid: `warm-up-${i}`,
      event_id: `warm-up-${i}`,
      event_time: 0,
      gender: pick('gender', i, 'female'),
      seniorcitizen: within('seniorcitizen', i, true),
      partner: pick('partner', i + 1, 'no'),
      dependents: pick('dependents', i + 2, 'no'),
      tenure: within('tenure', i, true),
      phoneservice: pick('phoneservice', i + 3, 'yes'),
      multiplelines: pick('multiplelines', i, 'no'),
      internetservice: pick('internetservice', i + 1, 'dsl'),
      onlinesecurity: pick('onlinesecurity', i + 2, 'no'),
      onlinebackup: pick('onlinebackup', i, 'no'),
      deviceprotection: pick('deviceprotection', i + 1, 'no'),
      techsupport: pick('techsupport', i + 2, 'no'),
      streamingtv: pick('streamingtv', i, 'no'),
      streamingmovies: pick('streamingmovies', i + 1, 'no'),
      contract: pick('contract', i + 2, 'month-to-month'),
      paperlessbilling: pick('paperlessbilling', i, 'yes'),
      paymentmethod: pick('paymentmethod', i + 3, 'electronic_check'),
      monthlycharges: within('monthlycharges', i, false),
      totalcharges: within('totalcharges', i + 5, false),
    });
  }
  return customers;
}

export async function warmUpDecisions(options: {
  decide: DecideRecord;
  serving: () => ServingSet;
  registry: SchemaRegistryClient;
  /** the input topic: its value subject is looked up for our schema's id */
  topic: string;
  records: number;
  log: Logger;
  now?: () => number;
}): Promise<DecisionWarmUp> {
  const now = options.now ?? Date.now;
  const started = now();
  if (options.records <= 0) return { records: 0, ms: 0, schemaId: undefined };
  const schema = customerEventSchema();
  let schemaId: number | undefined;
  try {
    schemaId = await options.registry.lookup(`${options.topic}-value`, schema.text);
  } catch (err) {
    // Producers may write with another schema (a later version, their own): the path is warmed all the same, with
    // a schema id the decoder resolves now; theirs is fetched on its first record.
    options.log.debug(
      { err, topic: options.topic },
      'warm-up: our CustomerEvent schema is not under the input subject',
    );
  }
  if (schemaId === undefined) return { records: 0, ms: now() - started, schemaId };
  const set = options.serving();
  const champion = set.models.get(set.rollout.champion.version);
  if (champion === undefined) return { records: 0, ms: now() - started, schemaId };
  const customers = warmUpCustomers(champion.model.meta, 64);
  const messages: KafkaMessage[] = customers.map((customer, i) => ({
    key: Buffer.from(customer.customerid),
    value: frame(schemaId, schema.type.toBuffer(customer)),
    offset: String(i),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }));
  let decided = 0;
  while (decided < options.records) {
    for (const message of messages) {
      const outcome = options.decide(message, options.topic, 0, set);
      if (outcome instanceof Promise) await outcome;
    }
    decided += messages.length;
  }
  return { records: decided, ms: now() - started, schemaId };
}
