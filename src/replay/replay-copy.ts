import type { Admin, IHeaders, Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { throwawayConsumer } from '../kafka/throwaway-consumer.js';
import { resolveRanges, type PartitionOffsets, type PartitionRange, type ReplayBound } from './replay-range.js';

export interface ReplayRequest {
  sourceTopic: string;
  replayTopic: string;
  from: ReplayBound;
  to?: ReplayBound | undefined;
  /** only records whose key is one of these customer ids; all when empty */
  customers: readonly string[];
  /**
   * Headers added to every copy, after the original ones (which are kept; one of the same name is replaced),
   * e.g. `replay --compare`'s churn.compare.version and churn.compare.id.
   */
  headers?: Readonly<Record<string, string>> | undefined;
}

export interface ReplayProgress {
  scanned: number;
  copied: number;
  total: number;
}

export interface ReplaySummary {
  ranges: PartitionRange[];
  scanned: number;
  copied: number;
  skippedByFilter: number;
  durationMs: number;
}

/** Header on copied records naming the original record, so a replay prediction traces back to it. */
export const REPLAY_OF_HEADER = 'churn.replay.of';

const SEND_CHUNK = 500;

/**
 * Copies a bounded range of the source topic into the replay topic, verbatim (key, value
 * bytes and headers; the value keeps its schema id), partition by partition in order.
 * The worker's replay consumer then rescores the copies with replay=true. A throwaway
 * consumer group is used and never commits, so the live group's offsets are untouched.
 */
export async function copyToReplay(
  kafka: Kafka,
  admin: Admin,
  request: ReplayRequest,
  options: {
    logger: Logger;
    onProgress?: (progress: ReplayProgress) => void;
    /** the ranges planned already (planRanges), so what was estimated is what is copied; planned here otherwise */
    ranges?: readonly PartitionRange[];
  },
): Promise<ReplaySummary> {
  const started = Date.now();
  const ranges = options.ranges === undefined ? await planRanges(admin, request) : [...options.ranges];
  const pending = new Map<number, PartitionRange>();
  let total = 0;
  for (const range of ranges) {
    if (range.end > range.start) {
      pending.set(range.partition, range);
      total += Number(range.end - range.start);
    }
  }
  const wanted = new Set(request.customers);
  const progress: ReplayProgress = { scanned: 0, copied: 0, total };
  if (pending.size === 0) {
    return { ranges, scanned: 0, copied: 0, skippedByFilter: 0, durationMs: Date.now() - started };
  }

  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER });
  const { consumer, done, finish } = throwawayConsumer(kafka, {
    groupPrefix: 'churn-scorer.replay-copy',
    maxWaitTimeInMs: 200,
  });
  await producer.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [request.sourceTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const range = pending.get(batch.partition);
        if (range === undefined) return;
        const out: Message[] = [];
        for (const record of batch.messages) {
          const offset = BigInt(record.offset);
          if (offset < range.start) continue;
          if (offset >= range.end) break;
          progress.scanned++;
          const key = record.key?.toString('utf8') ?? '';
          if (wanted.size > 0 && !wanted.has(key)) continue;
          const headers: IHeaders = { ...record.headers, ...request.headers };
          headers[REPLAY_OF_HEADER] = `${request.sourceTopic}/${batch.partition}/${record.offset}`;
          out.push({ key: record.key, value: record.value, headers, timestamp: record.timestamp });
        }
        for (let i = 0; i < out.length; i += SEND_CHUNK) {
          await producer.send({ topic: request.replayTopic, messages: out.slice(i, i + SEND_CHUNK), acks: -1 });
          await payload.heartbeat();
        }
        progress.copied += out.length;
        options.onProgress?.(progress);
        payload.resolveOffset(batch.lastOffset());
        if (BigInt(batch.lastOffset()) >= range.end - 1n) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    for (const range of pending.values()) {
      consumer.seek({ topic: request.sourceTopic, partition: range.partition, offset: range.start.toString() });
    }
    await done;
  } finally {
    await consumer.disconnect().catch((err: unknown) => {
      options.logger.warn({ err }, 'replay consumer disconnect failed');
    });
    await producer.disconnect().catch((err: unknown) => {
      options.logger.warn({ err }, 'replay producer disconnect failed');
    });
  }
  return {
    ranges,
    scanned: progress.scanned,
    copied: progress.copied,
    skippedByFilter: progress.scanned - progress.copied,
    durationMs: Date.now() - started,
  };
}

/** The per-partition ranges `request` selects (the broker's time index resolves time bounds). */
export async function planRanges(
  admin: Admin,
  request: Pick<ReplayRequest, 'sourceTopic' | 'from' | 'to'>,
): Promise<PartitionRange[]> {
  const topic = request.sourceTopic;
  const offsets = await admin.fetchTopicOffsets(topic);
  const logs: PartitionOffsets[] = offsets.map((o) => ({
    partition: o.partition,
    low: BigInt(o.low),
    high: BigInt(o.high),
  }));
  const byTime = async (bound: ReplayBound | undefined) => {
    if (bound?.kind !== 'time') return undefined;
    const entries = await admin.fetchTopicOffsetsByTimestamp(topic, bound.ms);
    return new Map(entries.map((e) => [e.partition, BigInt(e.offset)]));
  };
  const [fromTimes, toTimes] = await Promise.all([byTime(request.from), byTime(request.to)]);
  return resolveRanges(logs, request.from, request.to, fromTimes, toTimes).sort((a, b) => a.partition - b.partition);
}
