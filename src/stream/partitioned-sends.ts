import kafkajs, {
  type Admin,
  type Kafka,
  type Message,
  type ProducerBatch,
  type RecordMetadata,
  type Transaction,
} from 'kafkajs';
import type { TransactionalClient, TransactionalProducer } from './partition-leases.js';

// kafkajs is CommonJS and Node cannot see this export by name.
const { Partitioners } = kafkajs;

/** How often the partition counts of the output topics are read again (partitions can be added at run time). */
const COUNTS_MAX_AGE_MS = 60_000;

/** The partition counts of topics, read with the admin client and kept for a minute. */
export class TopicPartitionCounts {
  private readonly known = new Map<string, { count: number; readAt: number }>();

  constructor(
    private readonly admin: Pick<Admin, 'fetchTopicMetadata'>,
    private readonly now: () => number = Date.now,
  ) {}

  async count(topic: string): Promise<number> {
    const cached = this.known.get(topic);
    if (cached !== undefined && this.now() - cached.readAt < COUNTS_MAX_AGE_MS) return cached.count;
    try {
      const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
      const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (count === 0) throw new Error(`no partitions in the metadata of ${topic}`);
      this.known.set(topic, { count, readAt: this.now() });
      return count;
    } catch (err) {
      // A broker that is down must not stop the stream: the count read a minute ago is still good.
      if (cached !== undefined) return cached.count;
      throw new Error(`cannot read the partition count of ${topic}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** One partition's share of a batch, with the partition set on every message. */
export interface PartitionSend {
  topic: string;
  partition: number;
  messages: Message[];
}

/**
 * Splits a batch by partition, placing each message as kafkajs' default partitioner would (murmur2 of the key,
 * Java-compatible; round robin without a key; an explicit partition is kept). Order within a partition is kept.
 */
export function splitByPartition(
  topicMessages: readonly { topic: string; messages: readonly Message[] }[],
  counts: ReadonlyMap<string, number>,
  partitioner: ReturnType<typeof Partitioners.DefaultPartitioner>,
): PartitionSend[] {
  const sends: PartitionSend[] = [];
  for (const { topic, messages } of topicMessages) {
    const count = counts.get(topic);
    if (count === undefined) throw new Error(`no partition count for ${topic}`);
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }));
    const byPartition = new Map<number, Message[]>();
    for (const message of messages) {
      const partition = partitioner({ topic, partitionMetadata, message });
      const placed = { ...message, partition };
      const list = byPartition.get(partition);
      if (list === undefined) byPartition.set(partition, [placed]);
      else list.push(placed);
    }
    for (const [partition, placed] of byPartition) sends.push({ topic, partition, messages: placed });
  }
  return sends;
}

/**
 * A transactional client over kafkajs whose transactions send every partition's records in a request of
 * their own.
 *
 * Why: kafkajs sends a batch for several partitions as one request per leader, in parallel. When a leader
 * dies, its request fails while the others are still waiting for their acknowledgement (acks=all waits
 * until the dead broker is out of the in-sync replicas), and kafkajs retries the whole batch at once: the
 * waiting partitions' records go out a second time with new sequence numbers, the broker takes them as new
 * records, and the transaction commits them twice. A send of one partition reaches one broker per attempt,
 * so its retry repeats only the request that failed, with the same sequence numbers, which the broker
 * recognises. The partitions are still sent concurrently.
 */
export function onePartitionPerSend(
  kafka: Pick<Kafka, 'producer'>,
  counts: Pick<TopicPartitionCounts, 'count'>,
): TransactionalClient {
  const partitioner = Partitioners.DefaultPartitioner();
  const sendBatch = async (txn: Pick<Transaction, 'sendBatch'>, batch: ProducerBatch): Promise<RecordMetadata[]> => {
    const topicMessages = batch.topicMessages ?? [];
    const known = new Map<string, number>();
    for (const { topic } of topicMessages) known.set(topic, await counts.count(topic));
    const sends = splitByPartition(topicMessages, known, partitioner);
    const results = await Promise.all(
      sends.map(({ topic, messages }) => txn.sendBatch({ ...batch, topicMessages: [{ topic, messages }] })),
    );
    return results.flat();
  };
  return {
    producer(config): TransactionalProducer {
      const producer = kafka.producer(config);
      return {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        async transaction() {
          const txn = await producer.transaction();
          return {
            sendBatch: (batch: ProducerBatch) => sendBatch(txn, batch),
            sendOffsets: (offsets) => txn.sendOffsets(offsets),
            commit: () => txn.commit(),
            abort: () => txn.abort(),
          };
        },
      };
    },
  };
}
