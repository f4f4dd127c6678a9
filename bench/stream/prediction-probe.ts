/**
 * The downstream reader: a read_committed consumer on the predictions topic that decodes each prediction and
 * notes when it became visible, per event seq. Used for end-to-end latency (visible - event_time) and to check
 * that every event got exactly one prediction.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema } from '../../src/serde/schema-files.js';
import { sleep } from '../lib/children.js';
import type { EventSource } from './events.js';

export class PredictionProbe {
  /** ms when each seq's prediction was read; 0 = not yet */
  readonly seenAt: number[] = [];
  seen = 0;
  duplicates = 0;
  foreign = 0;
  /** predictions carrying at least one reason (model.reasons on) */
  withReasons = 0;

  private constructor(private readonly consumer: Consumer) {}

  /** The probe of a topic set's predictions, in a consumer group `${group}.${role}` of its own. */
  static forTopics(
    ctx: { kafka: Kafka; stack: { registryUrl: string } },
    topics: { predictions: string; group: string },
    source: EventSource,
    role = 'probe',
  ): Promise<PredictionProbe> {
    return PredictionProbe.start(
      ctx.kafka,
      ctx.stack.registryUrl,
      topics.predictions,
      `${topics.group}.${role}`,
      source,
    );
  }

  static async start(
    kafka: Kafka,
    registryUrl: string,
    topic: string,
    group: string,
    source: EventSource,
  ): Promise<PredictionProbe> {
    const decoder = new AvroDecoder<ChurnPrediction>({
      registry: new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: registryUrl })),
      readerType: churnPredictionSchema().type,
    });
    const consumer = kafka.consumer({
      groupId: group,
      readUncommitted: false,
      maxWaitTimeInMs: 20,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    const probe = new PredictionProbe(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const record of batch.messages) {
          const prediction = decoder.decodeIfResolved(record.value) ?? (await decoder.decode(record.value));
          const seq = source.seqOf(prediction.event_id);
          if (seq === undefined) {
            probe.foreign++;
            continue;
          }
          if ((probe.seenAt[seq] ?? 0) !== 0) {
            probe.duplicates++;
            continue;
          }
          probe.seenAt[seq] = now;
          probe.seen++;
          if (prediction.reasons.length > 0) probe.withReasons++;
        }
      },
    });
    return probe;
  }

  /** Waits until every seq in [from, to) has been seen, or timeoutMs passes; returns whether all arrived. */
  async waitFor(from: number, to: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let next = from;
    while (Date.now() < deadline) {
      while (next < to && (this.seenAt[next] ?? 0) !== 0) next++;
      if (next >= to) return true;
      await sleep(50);
    }
    return false;
  }

  /** End-to-end latencies (ms, event_time -> visible to read_committed) of seqs [from, to) that arrived. */
  latencies(source: EventSource, from: number, to: number): number[] {
    const out: number[] = [];
    for (let seq = from; seq < to; seq++) {
      const seen = this.seenAt[seq] ?? 0;
      const sent = source.sentAt[seq];
      if (seen !== 0 && sent !== undefined) out.push(seen - sent);
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
