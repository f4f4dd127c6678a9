import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { PublishedPrediction } from '../experiments/experiment-report.js';
import { publishedPrediction } from '../experiments/published-predictions.js';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { churnPredictionSchema, customerEventSchema } from '../serde/schema-files.js';
import { customerEvent, type TelcoCustomer } from './telco-events.js';
import type { ScoredCustomer } from './demo-summary.js';
import { DemoTimeoutError } from './demo-timeout-error.js';

export interface DemoRunResult {
  produced: number;
  scored: ScoredCustomer[];
  duplicates: number;
  /** this run's live predictions as published, for the comparison (src/experiments/experiment-report.ts) */
  live: PublishedPrediction[];
  /** this run's shadow predictions (empty unless a shadow topic was read) */
  shadow: PublishedPrediction[];
  /** first event sent -> last prediction received */
  elapsedMs: number;
  produceMs: number;
}

export interface DemoProgress {
  produced(count: number): void;
  received(count: number): void;
}

/** Shadow predictions to wait for: `perChampionEvent` on `topic` for each event the champion served. */
export interface ExpectedShadows {
  topic: string;
  perChampionEvent: number;
}

/**
 * The demo's client side, as the company's systems would be: produces the customers as
 * CustomerEvents (Avro via the registry) and reads the predictions back with a
 * read_committed consumer, counting only this run's event ids. With `shadows`, it reads the shadow
 * topic too and waits until every event the champion served has its shadow predictions (they are
 * committed in the same transaction as the live one, but the two topics are fetched apart).
 */
export async function produceAndCollect(options: {
  kafka: Kafka;
  registry: SchemaRegistryClient;
  topics: Pick<Config['topics'], 'customers' | 'predictions'>;
  shadows?: ExpectedShadows | undefined;
  customers: readonly TelcoCustomer[];
  timeoutMs: number;
  logger: Logger;
  progress: DemoProgress;
}): Promise<DemoRunResult> {
  const { kafka, registry, topics, shadows, customers, progress } = options;
  const readTopics = shadows === undefined ? [topics.predictions] : [topics.predictions, shadows.topic];
  const runId = `demo-${randomUUID().slice(0, 8)}`;
  const encoder = await AvroEncoder.create<CustomerEvent>({
    registry,
    subject: `${topics.customers}-value`,
    schema: customerEventSchema(),
    autoRegister: true,
  });
  const decoder = new AvroDecoder<ChurnPrediction>({ registry, readerType: churnPredictionSchema().type });

  // Read predictions from the current end, so earlier runs' predictions are not counted.
  const admin = kafka.admin();
  await admin.connect();
  const startOffsets = await Promise.all(
    readTopics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
  );
  await admin.disconnect();

  const eventTimes = new Map<string, number>();
  const scored = new Map<string, ScoredCustomer>();
  const live: PublishedPrediction[] = [];
  const shadow = new Map<string, PublishedPrediction>();
  let championEvents = 0;
  let duplicates = 0;
  let lastReceived = 0;
  let finish: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const consumer = kafka.consumer({ groupId: `churn-scorer.${runId}`, readUncommitted: false, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: readTopics, fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const record of batch.messages) {
        const prediction = await decoder.decode(record.value);
        const eventTime = eventTimes.get(prediction.event_id);
        if (eventTime === undefined) continue; // not this run's
        if (batch.topic !== topics.predictions) {
          const key = `${prediction.event_id}\u0000${prediction.model_version}`;
          if (shadow.has(key)) duplicates++;
          else shadow.set(key, publishedPrediction(prediction, record.headers));
          continue;
        }
        if (scored.has(prediction.event_id)) {
          duplicates++;
          continue;
        }
        scored.set(prediction.event_id, {
          customerid: prediction.customerid,
          probability: prediction.churn_probability,
          churn: prediction.churn,
          latencyMs: now - eventTime,
          variant: prediction.variant,
          version: prediction.model_version,
          reasons: prediction.reasons,
        });
        live.push(publishedPrediction(prediction, record.headers));
        if (prediction.variant === 'champion') championEvents++;
        lastReceived = now;
      }
      progress.received(scored.size);
      const shadowsIn = shadows === undefined || shadow.size >= championEvents * shadows.perChampionEvent;
      if (scored.size === customers.length && shadowsIn) finish();
    },
  });
  for (const { topic, offsets } of startOffsets) {
    for (const o of offsets) consumer.seek({ topic, partition: o.partition, offset: o.high });
  }

  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER });
  await producer.connect();
  const started = Date.now();
  try {
    const CHUNK = 500;
    for (let i = 0; i < customers.length; i += CHUNK) {
      const messages: Message[] = [];
      for (const customer of customers.slice(i, i + CHUNK)) {
        const eventId = `${runId}-${eventTimes.size}`;
        const eventTime = Date.now();
        eventTimes.set(eventId, eventTime);
        messages.push({
          key: customer.customerid,
          value: encoder.encode(customerEvent(customer, eventId, eventTime)),
          timestamp: String(eventTime),
        });
      }
      await producer.send({ topic: topics.customers, messages, acks: -1 });
      progress.produced(eventTimes.size);
    }
  } finally {
    await producer.disconnect();
  }
  const produceMs = Date.now() - started;

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, options.timeoutMs);
  });
  const outcome = await Promise.race([allIn.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  await consumer.disconnect();
  if (outcome === 'timeout') {
    const missingShadows =
      shadows === undefined
        ? ''
        : `, ${shadow.size} of ${championEvents * shadows.perChampionEvent} shadow predictions`;
    throw new DemoTimeoutError(
      `timed out after ${options.timeoutMs / 1000} s: ${scored.size} of ${customers.length} predictions received${missingShadows}`,
    );
  }
  return {
    produced: customers.length,
    scored: [...scored.values()],
    duplicates,
    live,
    shadow: [...shadow.values()],
    elapsedMs: lastReceived - started,
    produceMs,
  };
}
