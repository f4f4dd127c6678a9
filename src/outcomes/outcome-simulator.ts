import type { Admin, Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ScorerError } from '../errors/scorer-error.js';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { readTopicsToEnd } from '../kafka/read-to-end.js';
import { ensureTopics, type TopicSpec } from '../kafka/topics.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { CustomerEvent, CustomerOutcome } from '../serde/avro-records.js';
import { DecodeError } from '../serde/decode-error.js';
import { registerWithCompatibility } from '../serde/schema-registration.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { customerEventSchema, customerOutcomeSchema } from '../serde/schema-files.js';
import { LatestCustomerEvents } from './latest-customer-events.js';
import {
  countOutcome,
  emptyTally,
  simulateOutcome,
  truthOf,
  type OutcomeRule,
  type OutcomeTally,
  type TruthModel,
} from './simulated-outcome.js';

/*
 * The shell of `bin/churn-scorer simulate outcomes` (and the demo's outcomes act): reads the customers topic to its
 * end, lets the pure rule (simulated-outcome.ts) decide each customer's outcome, and writes the outcomes.
 */

/** The customers topic is missing, or the outcomes topic is not co-partitioned with it. */
export class OutcomeSimulationError extends ScorerError {
  static override readonly code = 'CHURN_ERR_OUTCOME_SIMULATION';
  override readonly name = 'OutcomeSimulationError';
}

export type OutcomeTopicsConfig = Pick<
  Config['topics'],
  'customers' | 'outcomes' | 'create' | 'replicationFactor' | 'minInsyncReplicas' | 'retentionMs' | 'maxMessageBytes'
>;

export interface OutcomeSimulationRequest {
  readonly truth: TruthModel;
  readonly rule: OutcomeRule;
  /** only the first `limit` customers (latest-customer-events.ts says which are first) */
  readonly limit?: number | undefined;
  /** only these customer ids (the demo's customers); all when absent */
  readonly customers?: ReadonlySet<string> | undefined;
}

export interface OutcomeSimulationSummary {
  readonly customersTopic: string;
  readonly outcomesTopic: string;
  readonly partitions: number;
  /** the outcomes topic did not exist and was created with the customers topic's partition count */
  readonly createdTopic: boolean;
  /** records read from the customers topic, up to its end offsets at the start */
  readonly events: number;
  /** records that are not CustomerEvents (or tombstones): left out */
  readonly undecodable: number;
  /** distinct customers read (of the request's `customers` when given) */
  readonly customersRead: number;
  readonly tally: OutcomeTally;
  /** the outcomes written, in the order they were sent */
  readonly outcomes: readonly CustomerOutcome[];
}

export interface OutcomeSimulatorDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: SchemaRegistryClient;
  readonly topics: OutcomeTopicsConfig;
  readonly logger: Logger;
}

const SEND_CHUNK = 500;

export async function simulateOutcomes(
  deps: OutcomeSimulatorDeps,
  request: OutcomeSimulationRequest,
): Promise<OutcomeSimulationSummary> {
  const { kafka, admin, registry, topics, logger } = deps;
  const { partitions, createdTopic } = await prepareOutcomesTopic(admin, topics);

  const decoder = new AvroDecoder<CustomerEvent>({ registry, readerType: customerEventSchema().type });
  const latest = new LatestCustomerEvents();
  let events = 0;
  let undecodable = 0;
  await readTopicsToEnd(
    kafka,
    admin,
    [topics.customers],
    async (record) => {
      events++;
      let event: CustomerEvent;
      try {
        event = await decoder.decode(record.value);
      } catch (err) {
        // A bad record is the worker's dead letter; a registry that fails is not the record's fault.
        if (!(err instanceof DecodeError)) throw err;
        undecodable++;
        return;
      }
      if (request.customers !== undefined && !request.customers.has(event.customerid)) return;
      latest.add(event, { partition: record.partition, offset: BigInt(record.offset) });
    },
    { groupPrefix: 'churn-scorer.simulate-outcomes', maxWaitTimeInMs: 100, logger },
  );
  if (undecodable > 0) {
    logger.warn({ topic: topics.customers, undecodable }, 'records that are not CustomerEvents were left out');
  }

  const tally = emptyTally();
  const outcomes: CustomerOutcome[] = [];
  for (const { event } of latest.inOrder(request.limit)) {
    const truth = truthOf(event, request.truth);
    if (!truth.ok) {
      countOutcome(tally, 'unscorable');
      continue;
    }
    const simulated = simulateOutcome(event, truth.truth, request.rule);
    countOutcome(tally, simulated);
    if (simulated !== null) outcomes.push(simulated.outcome);
  }

  await send(kafka, registry, topics, outcomes);
  return {
    customersTopic: topics.customers,
    outcomesTopic: topics.outcomes,
    partitions,
    createdTopic,
    events,
    undecodable,
    customersRead: latest.size,
    tally,
    outcomes,
  };
}

/**
 * The outcomes topic with as many partitions as the customers topic (created when missing and topics.create), so
 * Kafka's default partitioner puts a customer's outcome in the partition number of its events: the join reads
 * them side by side.
 */
async function prepareOutcomesTopic(
  admin: Admin,
  topics: OutcomeTopicsConfig,
): Promise<{ partitions: number; createdTopic: boolean }> {
  const existing = new Set(await admin.listTopics());
  if (!existing.has(topics.customers)) {
    throw new OutcomeSimulationError(
      `topic ${topics.customers} does not exist: there are no customer events to simulate outcomes for; ` +
        'check TOPIC_CUSTOMERS (a running worker creates the topic)',
    );
  }
  const partitions = await partitionCount(admin, topics.customers);
  const spec: TopicSpec = {
    name: topics.outcomes,
    partitions,
    replicationFactor: topics.replicationFactor,
    minInsyncReplicas: topics.minInsyncReplicas,
    retentionMs: topics.retentionMs,
    maxMessageBytes: topics.maxMessageBytes,
  };
  const { created } = await ensureTopics(admin, [spec], { create: topics.create });
  if (created.length > 0) return { partitions, createdTopic: true };
  const outcomePartitions = await partitionCount(admin, topics.outcomes);
  if (outcomePartitions !== partitions) {
    throw new OutcomeSimulationError(
      `topic ${topics.outcomes} has ${outcomePartitions} partitions and ${topics.customers} has ${partitions}: ` +
        "a customer's outcome would land in another partition number than its events and the join would not " +
        `find its predictions; recreate ${topics.outcomes} with ${partitions} partitions (or point TOPIC_OUTCOMES ` +
        'at a topic that has them)',
    );
  }
  return { partitions, createdTopic: false };
}

async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 0;
}

async function send(
  kafka: Kafka,
  registry: SchemaRegistryClient,
  topics: OutcomeTopicsConfig,
  outcomes: readonly CustomerOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const subject = `${topics.outcomes}-value`;
  const schema = customerOutcomeSchema();
  // As the worker provisions its subjects: registered with BACKWARD compatibility, or only looked up.
  const encoder = topics.create
    ? AvroEncoder.withSchemaId<CustomerOutcome>(
        subject,
        await registerWithCompatibility(registry, subject, schema.text, 'BACKWARD'),
        schema.type,
      )
    : await AvroEncoder.create<CustomerOutcome>({ registry, subject, schema, autoRegister: false });
  // Idempotent: a retried send after a lost acknowledgement is not written twice. The record timestamp is the
  // time of writing: outcome event_times lie in the future (event time + delay), which brokers may refuse
  // (message.timestamp.after.max.ms).
  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER });
  await producer.connect();
  try {
    for (let i = 0; i < outcomes.length; i += SEND_CHUNK) {
      const messages: Message[] = outcomes.slice(i, i + SEND_CHUNK).map((outcome) => ({
        key: outcome.customerid,
        value: encoder.encode(outcome),
      }));
      await producer.send({ topic: topics.outcomes, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}
