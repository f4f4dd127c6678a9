/**
 * Builds the retention campaign from the predictions topic with kafkajs: the riskiest 25% of customers by churn
 * probability, each customer counted once with its latest prediction. See docs/consuming.md for what every field
 * and header means and why the rules below are these.
 *
 * Reads the whole topic as it is now (its end offsets when the run starts), read_committed, through the schema
 * registry (@kafkajs/confluent-schema-registry), then prints the campaign as JSON lines, riskiest first, and a
 * summary on stderr.
 *
 * - latest prediction of a customer: the one with the greatest event_time (when the customer's state was observed);
 *   on a tie, the later one on the topic (a customer's predictions all lie in one partition).
 * - replay=true predictions (history rescored on demand) are left out unless --include-replays.
 * - order: churn_probability descending, then customerid (code-point order); the campaign is the first
 *   ceil(customers x share) of that order.
 *
 *   node --import tsx docs/examples/consumer/campaign-list.ts > campaign.jsonl
 *
 * Connection: --brokers / KAFKA_BROKERS, --registry-url / SCHEMA_REGISTRY_URL (basic auth from
 * SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD), --topic / TOPIC_PREDICTIONS (default predictions).
 * Reader schema: schemas/churn-prediction.avsc (--schema FILE). Depends on kafkajs and
 * @kafkajs/confluent-schema-registry only (nothing of churn-scorer's src/).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import registryModule, { type DecodeOptions } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';

// Both packages are CommonJS: Node does not see their exports by name, so they are taken from the default export.
const { Kafka, logLevel } = kafkajs;
const { SchemaRegistry, SchemaType } = registryModule;

const SCHEMA_FILE = new URL('../../../schemas/churn-prediction.avsc', import.meta.url);

/** An Avro reader schema as the registry client takes it. */
type ReaderSchema = NonNullable<NonNullable<DecodeOptions['AVRO']>['readerSchema']>;

const { values: flags } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092' },
    'registry-url': { type: 'string', default: process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081' },
    topic: { type: 'string', default: process.env['TOPIC_PREDICTIONS'] ?? 'predictions' },
    schema: { type: 'string' },
    share: { type: 'string', default: '0.25' },
    'include-replays': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '120' },
  },
});

/** The fields of churn.ChurnPrediction this program reads (schemas/churn-prediction.avsc has them all). */
interface ChurnPrediction {
  customerid: string;
  event_id: string;
  churn_probability: number;
  churn: boolean;
  model_version: string;
  variant: string;
  replay: boolean;
  /** timestamp-millis, decoded as a number of milliseconds */
  event_time: number;
  reasons: { feature: string; value: string; contribution: number }[];
}

interface Seen {
  prediction: ChurnPrediction;
  partition: number;
  offset: bigint;
}

/** Whether a is a later prediction of the customer than b: by event_time, then by offset. */
function later(a: Seen, b: Seen): boolean {
  if (a.prediction.event_time !== b.prediction.event_time) return a.prediction.event_time > b.prediction.event_time;
  return a.offset > b.offset;
}

/** The latest prediction of each customer; how many predictions were read and how many replays left out. */
async function readPredictions(): Promise<{ latest: Map<string, Seen>; read: number; skipped: number }> {
  const username = process.env['SCHEMA_REGISTRY_USERNAME'];
  const registry = new SchemaRegistry({
    host: flags['registry-url'],
    ...(username === undefined ? {} : { auth: { username, password: process.env['SCHEMA_REGISTRY_PASSWORD'] ?? '' } }),
  });
  // Decoding resolves the writer schema (by the id in the record) into this one: fields added later are skipped,
  // fields missing from older records get their defaults.
  const readerSchema = JSON.parse(readFileSync(flags.schema ?? SCHEMA_FILE, 'utf8')) as ReaderSchema;
  const decodeOptions: DecodeOptions = { [SchemaType.AVRO]: { readerSchema } };
  const kafka = new Kafka({ clientId: 'campaign-list', brokers: flags.brokers.split(','), logLevel: logLevel.WARN });

  // Where to stop: each partition's end now. read_committed stops short of an open transaction until it is
  // committed or aborted; aborted records and transaction markers are skipped but still move the position.
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(flags.topic)) ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }
  const position = new Map<number, bigint>([...ends.keys()].map((p) => [p, 0n]));
  const atEnd = () => [...ends].every(([p, end]) => (position.get(p) ?? 0n) >= end);
  const advance = (partition: number, next: bigint) => {
    if (next > (position.get(partition) ?? 0n)) position.set(partition, next);
  };

  const latest = new Map<string, Seen>();
  let read = 0;
  let skipped = 0;
  // A group of its own, never committed: every run reads the whole topic. readUncommitted false is read_committed.
  const consumer = kafka.consumer({
    groupId: `campaign-list-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
  });
  let reachedEnd: () => void = () => undefined;
  let failed: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    reachedEnd = resolve;
    failed = reject;
  });
  // Fired after every batch, also for a batch of transaction markers only, which eachBatch never sees.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    advance(payload.partition, BigInt(payload.lastOffset) + 1n);
    if (atEnd()) reachedEnd();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    failed(payload.error);
  });
  const timer = setTimeout(
    () => {
      const behind = [...ends]
        .filter(([p, end]) => (position.get(p) ?? 0n) < end)
        .map(([p, end]) => `${p}: ${position.get(p) ?? 0n}/${end}`);
      failed(new Error(`not at the end of ${flags.topic} after ${flags.timeout} s (${behind.join(', ')})`));
    },
    Number(flags.timeout) * 1000,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [flags.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (message.value === null) continue;
          const prediction = (await registry.decode(message.value, decodeOptions)) as ChurnPrediction;
          read += 1;
          if (prediction.replay && !flags['include-replays']) {
            skipped += 1;
            continue;
          }
          const seen: Seen = { prediction, partition: batch.partition, offset: BigInt(message.offset) };
          const known = latest.get(prediction.customerid);
          if (known === undefined || later(seen, known)) latest.set(prediction.customerid, seen);
        }
      },
    });
    if (atEnd()) reachedEnd(); // an empty topic
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return { latest, read, skipped };
}

async function main(): Promise<void> {
  const share = Number(flags.share);
  const { latest, read, skipped } = await readPredictions();
  const ranked = [...latest.values()].sort((a, b) => {
    const byRisk = b.prediction.churn_probability - a.prediction.churn_probability;
    if (byRisk !== 0) return byRisk;
    // code-point order, as Python's sorted() does (localeCompare would follow the locale)
    return a.prediction.customerid < b.prediction.customerid
      ? -1
      : a.prediction.customerid > b.prediction.customerid
        ? 1
        : 0;
  });
  const size = Math.ceil(ranked.length * share);
  const lines: string[] = [];
  ranked.slice(0, size).forEach(({ prediction: p, partition, offset }, i) => {
    lines.push(
      JSON.stringify({
        rank: i + 1,
        customerid: p.customerid,
        churn_probability: p.churn_probability,
        churn: p.churn,
        model_version: p.model_version,
        variant: p.variant,
        event_id: p.event_id,
        event_time: p.event_time,
        partition,
        offset: Number(offset),
        reasons: p.reasons,
      }),
    );
  });
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  const last = ranked[size - 1];
  const cutoff = last === undefined ? '' : `, churn_probability >= ${last.prediction.churn_probability.toFixed(4)}`;
  process.stderr.write(
    `read ${read} predictions of ${latest.size} customers (${skipped} replays left out); ` +
      `campaign: the riskiest ${Math.round(share * 100)}%, ${size} customers${cutoff}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`campaign-list: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
