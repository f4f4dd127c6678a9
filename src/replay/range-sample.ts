import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { throwawayConsumer } from '../kafka/throwaway-consumer.js';
import type { RangeSample } from './replay-estimate.js';
import type { PartitionRange } from './replay-range.js';

export interface SampleLimits {
  /** stop after this many records */
  readonly maxRecords: number;
  /** or after this long reading */
  readonly maxReadMs: number;
}

/** Enough records for a read rate past the first fetches, read in a few seconds at most. */
export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { maxRecords: 5_000, maxReadMs: 3_000 };

/**
 * Reads (never copies) the start of the range as the copy reads it — a throwaway consumer group of the same
 * settings, read_committed, from each partition's start — and measures how long joining and reading took, and
 * how many records the --customer filter keeps. Nothing is written and no offset is committed.
 */
export async function sampleRange(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  options: { customers: readonly string[]; limits?: SampleLimits; logger: Logger },
): Promise<RangeSample> {
  const limits = options.limits ?? DEFAULT_SAMPLE_LIMITS;
  const pending = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (pending.size === 0) return { records: 0, matched: 0, joinMs: 0, readMs: 0, wholeRange: true };

  const wanted = new Set(options.customers);
  const started = Date.now();
  let joinedAt: number | undefined;
  let lastReadAt: number | undefined;
  let records = 0;
  let matched = 0;
  const { consumer, done, finish } = throwawayConsumer(kafka, {
    groupPrefix: 'churn-scorer.replay-sample',
    maxWaitTimeInMs: 200,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // A range whose end never becomes readable (an upstream transaction left open) must not hang a dry run.
    const timer = setTimeout(finish, limits.maxReadMs + STALL_MS);
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const range = pending.get(batch.partition);
        if (range === undefined || records >= limits.maxRecords) return Promise.resolve();
        let cut = false;
        for (const record of batch.messages) {
          const offset = BigInt(record.offset);
          if (offset < range.start) continue;
          if (offset >= range.end) break;
          if (records >= limits.maxRecords) {
            cut = true;
            break;
          }
          records += 1;
          if (wanted.size === 0 || wanted.has(record.key?.toString('utf8') ?? '')) matched += 1;
        }
        lastReadAt = Date.now();
        if (!cut && BigInt(batch.lastOffset()) >= range.end - 1n) pending.delete(batch.partition);
        const readFor = lastReadAt - (joinedAt ?? started);
        if (pending.size === 0 || records >= limits.maxRecords || readFor >= limits.maxReadMs) finish();
        return Promise.resolve();
      },
    });
    for (const range of pending.values()) {
      consumer.seek({ topic, partition: range.partition, offset: range.start.toString() });
    }
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect().catch((err: unknown) => {
      options.logger.warn({ err }, 'replay sample consumer disconnect failed');
    });
  }
  const joined = joinedAt ?? started;
  return {
    records,
    matched,
    joinMs: joined - started,
    // From the join, so the first fetch's round trip is in the rate as it is in the copy.
    readMs: Math.max(0, (lastReadAt ?? joined) - joined),
    wholeRange: pending.size === 0,
  };
}

const STALL_MS = 60_000;
