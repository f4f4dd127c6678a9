import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { predictionDecoder } from './events.js';
import { waitForNoLag } from './kafka.js';
import { waitUntil } from './wait.js';

export interface CollectedRecord<T> {
  value: T;
  key: string | null;
  rawKey: Buffer | null;
  rawValue: Buffer | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  timestamp: string;
}

/**
 * Reads a whole topic with read_committed (as the marketing service would), from the
 * beginning, in its own throwaway consumer group, keeping every record it sees.
 */
export class TopicCollector<T> {
  readonly records: CollectedRecord<T>[] = [];
  readonly decodeErrors: string[] = [];
  /** partition -> next offset to read (past control records too) */
  private readonly positions = new Map<number, bigint>();

  private constructor(
    readonly topic: string,
    private readonly consumer: Consumer,
  ) {}

  static async start<T>(
    kafka: Kafka,
    topic: string,
    decode: (message: KafkaMessage) => Promise<T> | T,
    options: { readUncommitted?: boolean } = {},
  ): Promise<TopicCollector<T>> {
    const consumer = kafka.consumer({
      groupId: `test.collector.${topic}.${Math.random().toString(36).slice(2, 8)}`,
      // read_committed unless a test wants to see aborted records too (to show there were some)
      readUncommitted: options.readUncommitted ?? false,
      maxWaitTimeInMs: 200,
      sessionTimeout: 30_000,
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    const collector = new TopicCollector<T>(topic, consumer);
    // END_BATCH_PROCESS also fires for batches of only control records, which never reach eachBatch.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const next = BigInt(event.payload.lastOffset) + 1n;
      if (next > (collector.positions.get(event.payload.partition) ?? 0n)) {
        collector.positions.set(event.payload.partition, next);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          try {
            collector.records.push({
              value: await decode(message),
              key: message.key?.toString('utf8') ?? null,
              rawKey: message.key,
              rawValue: message.value,
              headers: headerStrings(message.headers),
              partition: batch.partition,
              offset: message.offset,
              timestamp: message.timestamp,
            });
          } catch (err) {
            collector.decodeErrors.push(`${topic}[${batch.partition}]@${message.offset}: ${(err as Error).message}`);
          }
        }
      },
    });
    return collector;
  }

  /**
   * Waits until this collector has read up to the current end of every partition. Call it
   * once the producers are done (input lag 0), to be sure late duplicates would have been seen.
   */
  async drain(admin: Admin, timeoutMs = 60_000): Promise<void> {
    const ends = await admin.fetchTopicOffsets(this.topic);
    const behind = () =>
      ends.filter((e) => BigInt(e.high) > BigInt(e.low) && (this.positions.get(e.partition) ?? 0n) < BigInt(e.high));
    await waitUntil(() => behind().length === 0, {
      timeoutMs,
      describe: () =>
        `collector of ${this.topic} still behind: ${behind()
          .map((e) => `p${e.partition} at ${this.positions.get(e.partition) ?? 0n} of ${e.high}`)
          .join(', ')}`,
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** The predictions topic seen by a read_committed reader, indexed by event_id. */
export class PredictionCollector {
  private constructor(readonly inner: TopicCollector<ChurnPrediction>) {}

  static async start(kafka: Kafka, topic: string): Promise<PredictionCollector> {
    const decoder = predictionDecoder();
    return new PredictionCollector(await TopicCollector.start(kafka, topic, (m) => decoder.decode(m.value)));
  }

  get records(): readonly CollectedRecord<ChurnPrediction>[] {
    return this.inner.records;
  }

  /** event_id -> the predictions received for it */
  byEventId(filter: (p: ChurnPrediction) => boolean = () => true): Map<string, CollectedRecord<ChurnPrediction>[]> {
    const out = new Map<string, CollectedRecord<ChurnPrediction>[]>();
    for (const record of this.inner.records) {
      if (!filter(record.value)) continue;
      const list = out.get(record.value.event_id);
      if (list === undefined) out.set(record.value.event_id, [record]);
      else list.push(record);
    }
    return out;
  }

  /** What a read_committed reader saw against what was sent: missing, duplicated and unexpected ids. */
  audit(expected: ReadonlySet<string>, filter?: (p: ChurnPrediction) => boolean): PredictionAudit {
    const seen = this.byEventId(filter);
    const missing = [...expected].filter((id) => !seen.has(id));
    const duplicated = [...seen]
      .filter(([, list]) => list.length > 1)
      .map(([id, list]) => ({ id, count: list.length }));
    const unexpected = [...seen.keys()].filter((id) => !expected.has(id));
    return {
      expected: expected.size,
      distinct: seen.size,
      records: [...seen.values()].reduce((n, list) => n + list.length, 0),
      missing,
      duplicated,
      unexpected,
      decodeErrors: this.inner.decodeErrors,
    };
  }

  async waitForAll(
    expected: ReadonlySet<string>,
    timeoutMs: number,
    filter?: (p: ChurnPrediction) => boolean,
  ): Promise<void> {
    await waitUntil(
      () => this.byEventId(filter).size >= expected.size && this.audit(expected, filter).missing.length === 0,
      {
        timeoutMs,
        intervalMs: 500,
        describe: () => describeAudit(this.audit(expected, filter)),
      },
    );
  }

  drain(admin: Admin, timeoutMs?: number): Promise<void> {
    return this.inner.drain(admin, timeoutMs);
  }

  /**
   * The end of a run: every expected event has its prediction, the worker group has committed all its input,
   * and the rest of the predictions topic is read (so a late duplicate would show); then the audit.
   */
  async settle(
    admin: Admin,
    expected: ReadonlySet<string>,
    input: { groupId: string; topic: string },
    timeouts: { predictionsMs: number; lagMs: number },
  ): Promise<PredictionAudit> {
    await this.waitForAll(expected, timeouts.predictionsMs);
    await waitForNoLag(admin, input.groupId, input.topic, timeouts.lagMs);
    await this.drain(admin);
    return this.audit(expected);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}

/** How many records a read_uncommitted reader sees on the topic: committed ones plus aborted transactions' output. */
export async function readUncommittedCount(kafka: Kafka, admin: Admin, topic: string): Promise<number> {
  const uncommitted = await TopicCollector.start(kafka, topic, () => null, { readUncommitted: true });
  try {
    await uncommitted.drain(admin);
    return uncommitted.records.length;
  } finally {
    await uncommitted.stop();
  }
}

export interface PredictionAudit {
  expected: number;
  distinct: number;
  records: number;
  missing: string[];
  duplicated: { id: string; count: number }[];
  unexpected: string[];
  decodeErrors: string[];
}

export function describeAudit(audit: PredictionAudit): string {
  const sample = (ids: readonly string[]) => (ids.length === 0 ? '' : ` e.g. ${ids.slice(0, 5).join(', ')}`);
  return (
    `expected ${audit.expected} event ids, saw ${audit.distinct} distinct in ${audit.records} predictions; ` +
    `missing ${audit.missing.length}${sample(audit.missing)}; ` +
    `duplicated ${audit.duplicated.length}${sample(audit.duplicated.map((d) => `${d.id} x${d.count}`))}; ` +
    `unexpected ${audit.unexpected.length}${sample(audit.unexpected)}; ` +
    `undecodable ${audit.decodeErrors.length}${sample(audit.decodeErrors)}`
  );
}

/** The dead-letter topic: raw key/value bytes and the churn.* headers. */
export function startDeadLetterCollector(kafka: Kafka, topic: string): Promise<TopicCollector<null>> {
  return TopicCollector.start(kafka, topic, () => null);
}
