import type { Admin, ProducerConfig, Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';

/**
 * The port a lease needs from a Kafka client: transactional producers and the group's committed
 * offsets. kafkajs' `Kafka` and `Admin` satisfy it as they are; an adapter over another client
 * (bench/clients) can too, and then runs the same data path.
 */
export interface TransactionalProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<Pick<Transaction, 'sendBatch' | 'sendOffsets' | 'commit' | 'abort'>>;
}
export interface TransactionalClient {
  producer(config: ProducerConfig): TransactionalProducer;
}
export type CommittedOffsets = Pick<Admin, 'fetchOffsets'>;

/**
 * The right to write one input partition's results: its transactional producer plus the
 * offset from which this worker must continue.
 *
 * Why one transactional producer per input partition (the scheme of Kafka Streams' first
 * exactly-once mode): kafkajs' TxnOffsetCommit carries no consumer-group generation
 * (KIP-447), so the broker cannot fence a zombie by group membership. A stable
 * transactional id per input partition can: whoever takes the partition calls
 * InitProducerId with that id, which bumps the epoch, aborts or completes the previous
 * owner's open transaction, and makes the previous owner's later commits fail.
 *
 * Why the committed offset is read here: only after InitProducerId returns is every earlier
 * transaction of this partition settled, so the offset read now is final. kafkajs may have
 * fetched its start position before that; records below `nextOffset` were already
 * committed by someone else and must be skipped.
 */
export interface PartitionLease {
  readonly producer: TransactionalProducer;
  readonly transactionalId: string;
  /** next offset to process; -1n when the group has no committed offset for the partition */
  nextOffset: bigint;
}

export class PartitionLeases {
  private readonly leases = new Map<string, Promise<PartitionLease>>();
  /** ids whose producer is connected and fenced-in (the open promise resolved) */
  private readonly ready = new Set<string>();

  constructor(
    private readonly kafka: TransactionalClient,
    private readonly admin: CommittedOffsets,
    private readonly options: {
      consumerGroupId: string;
      /** transactional ids are `${prefix}-${topic}-${partition}` */
      transactionalIdPrefix: string;
      transactionTimeoutMs: number;
      logger: Logger;
    },
  ) {}

  transactionalId(topic: string, partition: number): string {
    return `${this.options.transactionalIdPrefix}-${topic}-${partition}`;
  }

  acquire(topic: string, partition: number): Promise<PartitionLease> {
    const key = this.transactionalId(topic, partition);
    let pending = this.leases.get(key);
    if (pending === undefined) {
      const opening = this.open(key, topic, partition);
      pending = opening;
      this.leases.set(key, opening);
      // A failed open must not poison the slot: the next acquire tries again.
      opening.catch(() => {
        if (this.leases.get(key) === opening) this.leases.delete(key);
      });
    }
    return pending;
  }

  /** Gives up a partition we lost, or whose producer may have been fenced. */
  async release(topic: string, partition: number): Promise<void> {
    await this.close(this.transactionalId(topic, partition));
  }

  /** Releases every lease whose partition is not in `keep` (topic -> partitions). */
  async retainOnly(keep: ReadonlyMap<string, readonly number[]>): Promise<void> {
    const wanted = new Set<string>();
    for (const [topic, partitions] of keep) for (const p of partitions) wanted.add(this.transactionalId(topic, p));
    await Promise.all([...this.leases.keys()].filter((key) => !wanted.has(key)).map((key) => this.close(key)));
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.leases.keys()].map((key) => this.close(key)));
  }

  /** The partition's producer is connected and its previous owner fenced. */
  isReady(topic: string, partition: number): boolean {
    return this.ready.has(this.transactionalId(topic, partition));
  }

  private async close(key: string): Promise<void> {
    const pending = this.leases.get(key);
    if (pending === undefined) return;
    this.leases.delete(key);
    this.ready.delete(key);
    try {
      await (await pending).producer.disconnect();
    } catch (err) {
      this.options.logger.warn({ err, transactionalId: key }, 'error while closing a partition producer');
    } finally {
      // An open that was still running when we closed may have marked itself ready.
      if (!this.leases.has(key)) this.ready.delete(key);
    }
  }

  private async open(transactionalId: string, topic: string, partition: number): Promise<PartitionLease> {
    const producer = this.kafka.producer({
      ...IDEMPOTENT_PRODUCER,
      transactionalId,
      transactionTimeout: this.options.transactionTimeoutMs,
    });
    try {
      await producer.connect();
      // InitProducerId runs on the first transaction: run it now, empty, to fence the previous owner.
      const fence = await producer.transaction();
      await fence.abort();
      const nextOffset = await this.committedOffset(topic, partition);
      this.options.logger.info(
        { transactionalId, topic, partition, nextOffset: nextOffset.toString() },
        'partition lease taken (previous owner fenced)',
      );
      this.ready.add(transactionalId);
      return { producer, transactionalId, nextOffset };
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw new Error(`cannot take partition ${topic}[${partition}] (${transactionalId}): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.options.consumerGroupId, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    return found === undefined ? -1n : BigInt(found.offset);
  }
}
