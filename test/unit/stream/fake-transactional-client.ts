import type { Message, ProducerBatch, ProducerConfig, RecordMetadata, TopicMessages } from 'kafkajs';
import type { TransactionalClient, TransactionalProducer } from '../../../src/stream/partition-leases.js';

/** One transaction as the fake producer saw it. */
export interface SeenTransaction {
  transactionalId: string;
  /** topic -> messages; empty when the fake was told to forget message bodies */
  messages: Map<string, Message[]>;
  /** topic -> number of messages sent */
  counts: Map<string, number>;
  /** topic -> the largest value (bytes) sent */
  largestValue: Map<string, number>;
  /** every sendOffsets, as `${topic}[${partition}]@${offset}` */
  offsetCommits: string[];
  /** the offsets of `offsetCommits` alone */
  offsets: string[];
  /** group ids the offsets were sent for */
  groups: string[];
  result: 'open' | 'committed' | 'aborted';
}

/** A step of the transactional-producer port that a test can make fail. */
export type ProducerStep = 'connect' | 'disconnect' | 'transaction' | 'sendBatch' | 'sendOffsets' | 'commit' | 'abort';

/** One producer the client handed out (a partition lease opens one). */
export interface SeenProducer {
  transactionalId: string;
  transactionTimeout: number | undefined;
  connected: boolean;
  disconnected: boolean;
}

/**
 * In-process stand-in for the transactional-producer port of PartitionLeases (TransactionalClient): records
 * every producer and what each of its transactions sent, and fails a step the way a broker would when told to.
 */
export class FakeTransactionalClient implements TransactionalClient {
  readonly producers: SeenProducer[] = [];
  readonly transactions: SeenTransaction[] = [];
  /** false: keep only counts (memory tests must not hold on to what the pipeline produced) */
  keepMessages = true;
  /** a step set here fails with its error, every time, until deleted */
  readonly failing = new Map<ProducerStep, Error>();
  /** a step set here waits for its promise first (a broker that is slow to answer) */
  readonly holding = new Map<ProducerStep, Promise<void>>();

  /** @param calls every call, in order, as `${transactionalId} ${step}` (e.g. "scorer-customers-0 abort"); may be shared with other fakes */
  constructor(readonly calls: string[] = []) {}

  /** When set, every sendBatch rejects with this error (a broker refusing the batch). */
  set refuseWith(error: Error | undefined) {
    if (error === undefined) this.failing.delete('sendBatch');
    else this.failing.set('sendBatch', error);
  }

  producer(config: ProducerConfig): TransactionalProducer {
    const seen: SeenProducer = {
      transactionalId: config.transactionalId ?? '',
      transactionTimeout: config.transactionTimeout,
      connected: false,
      disconnected: false,
    };
    this.producers.push(seen);
    return {
      connect: () =>
        this.step(seen.transactionalId, 'connect', () => {
          seen.connected = true;
        }),
      disconnect: () =>
        this.step(seen.transactionalId, 'disconnect', () => {
          seen.disconnected = true;
        }),
      transaction: () => this.step(seen.transactionalId, 'transaction', () => this.begin(seen.transactionalId)),
    };
  }

  /** Transactions that committed, in order. */
  committed(): SeenTransaction[] {
    return this.transactions.filter((t) => t.result === 'committed');
  }

  /** Messages committed to `topic`, over all transactions, in order. */
  committedTo(topic: string): Message[] {
    return this.committed().flatMap((t) => t.messages.get(topic) ?? []);
  }

  private begin(transactionalId: string) {
    const seen: SeenTransaction = {
      transactionalId,
      messages: new Map(),
      counts: new Map(),
      largestValue: new Map(),
      offsetCommits: [],
      offsets: [],
      groups: [],
      result: 'open',
    };
    this.transactions.push(seen);
    return {
      sendBatch: (batch: ProducerBatch): Promise<RecordMetadata[]> =>
        this.step(transactionalId, 'sendBatch', () => {
          this.record(seen, batch.topicMessages ?? []);
          return [];
        }),
      sendOffsets: (offsets: {
        consumerGroupId: string;
        topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
      }) =>
        this.step(transactionalId, 'sendOffsets', () => {
          seen.groups.push(offsets.consumerGroupId);
          for (const t of offsets.topics) {
            for (const p of t.partitions) {
              seen.offsets.push(p.offset);
              seen.offsetCommits.push(`${t.topic}[${p.partition}]@${p.offset}`);
            }
          }
        }),
      commit: () =>
        this.step(transactionalId, 'commit', () => {
          seen.result = 'committed';
        }),
      abort: () =>
        this.step(transactionalId, 'abort', () => {
          seen.result = 'aborted';
        }),
    };
  }

  private record(seen: SeenTransaction, topicMessages: readonly TopicMessages[]): void {
    for (const { topic, messages } of topicMessages) {
      seen.counts.set(topic, (seen.counts.get(topic) ?? 0) + messages.length);
      for (const m of messages) {
        const size = m.value === null ? 0 : Buffer.byteLength(m.value);
        if (size > (seen.largestValue.get(topic) ?? 0)) seen.largestValue.set(topic, size);
      }
      if (this.keepMessages) seen.messages.set(topic, [...(seen.messages.get(topic) ?? []), ...messages]);
    }
  }

  private async step<T>(transactionalId: string, step: ProducerStep, effect: () => T): Promise<T> {
    this.calls.push(`${transactionalId} ${step}`);
    await this.holding.get(step);
    const failure = this.failing.get(step);
    if (failure !== undefined) throw failure;
    return effect();
  }
}

/** The shape kafkajs gives broker errors: KafkaJSProtocolError { type, code, retriable }, here under a wrapper. */
export function brokerError(type: string, code: number): Error {
  const protocol = Object.assign(new Error(type.toLowerCase().replaceAll('_', ' ')), { type, code, retriable: false });
  return new Error(`KafkaJSNonRetriableError: ${protocol.message}`, { cause: protocol });
}
