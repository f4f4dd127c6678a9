/**
 * @confluentinc/kafka-javascript (librdkafka) behind the stream worker's Kafka client port (`KafkaClientSupplier`,
 * src/stream/kafka-client-supplier.ts), so bench/clients/confluent-worker.ts runs the same service as `run`
 * (src/app/scorer-app.ts) over it. Only the bench loads it, from bench/clients/node_modules
 * (`bash scripts/bench/kafka-clients.sh` builds it), so the service and its typecheck never depend on it: the few
 * calls used are typed here, as the client's KafkaJS-compatible layer (1.10) implements them.
 *
 * Bridged here:
 * - `sendOffsets`: librdkafka takes the consumer (KIP-447: the broker fences by group generation too) where kafkajs
 *   takes the group id, so each transaction sends the group metadata of the consumer this supplier made for that group.
 * - the start position (fromBeginning) and auto-commit are consumer settings here, not subscribe/run options.
 * - `createTopics` refuses kafkajs' waitForLeaders option (the worker waits for leaders itself); `fetchTopicMetadata`
 *   answers a list where kafkajs answers `{ topics }`.
 *
 * What the worker does without (optional in the port): consumer instrumentation events (`consumer.on` throws "not
 * implemented"), so readiness only says the consumers run, liveness sees no owned partitions and a consumer crash
 * does not end the process (this client restarts its consumer itself); `describeConfigs`, so max.message.bytes
 * of the output topics is not checked at start-up; the start-up broker probe, so the admin's connect is the first
 * contact.
 */
import { createRequire } from 'node:module';
import type { ITopicConfig, ITopicMetadata, ProducerBatch, TopicOffsets } from 'kafkajs';
import type { KafkaClientSupplier, StreamAdmin, StreamConsumer } from '../../src/stream/kafka-client-supplier.js';
import type { TransactionalClient } from '../../src/stream/partition-leases.js';
import type { BatchPayload } from '../../src/stream/pipeline.js';

interface CkTransaction {
  sendBatch(batch: ProducerBatch): Promise<unknown>;
  sendOffsets(args: { consumer: CkConsumer; topics: TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CkProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<CkTransaction>;
}
interface CkConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(args: { topics: string[] }): Promise<void>;
  run(args: {
    eachBatchAutoResolve: boolean;
    partitionsConsumedConcurrently: number;
    eachBatch: (payload: BatchPayload) => Promise<void>;
  }): Promise<void>;
}
type CkAdmin = Pick<StreamAdmin, 'connect' | 'disconnect' | 'listTopics' | 'fetchOffsets' | 'fetchTopicOffsets'> & {
  createTopics(options: { topics: ITopicConfig[]; timeout?: number }): Promise<boolean>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<ITopicMetadata[]>;
};
interface CkKafka {
  producer(config: Record<string, unknown>): CkProducer;
  consumer(config: Record<string, unknown>): CkConsumer;
  admin(config?: Record<string, unknown>): CkAdmin;
}
interface CkModule {
  librdkafkaVersion: string;
  KafkaJS: {
    Kafka: new (config: Record<string, unknown>) => CkKafka;
    logLevel: Record<'ERROR' | 'WARN' | 'INFO', number>;
  };
}

export function loadConfluentClient(): CkModule {
  const require = createRequire(import.meta.url);
  try {
    return require('@confluentinc/kafka-javascript') as CkModule;
  } catch (err) {
    throw new Error(
      `@confluentinc/kafka-javascript is not installed in bench/clients (run: bash scripts/bench/kafka-clients.sh): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export interface ConfluentSettings {
  brokers: readonly string[];
  clientId: string;
  /**
   * max.partition.fetch.bytes of every consumer, in place of the worker's per-partition fetch size: librdkafka's
   * memory is bounded by its prefetch queue (queuedMaxKbytes) instead, and the bench's measurements used 1 MiB.
   */
  fetchMaxBytesPerPartition: number;
  /** records handed to one eachBatch call (librdkafka's client-side batching; the client's default is 32) */
  maxBatchSize: number;
  lingerMs: number;
  /** librdkafka's prefetch queue (queued.max.messages.kbytes; its default, 64 MiB, is most of its RSS) */
  queuedMaxKbytes: number;
}

export function confluentClientSupplier(module: CkModule, settings: ConfluentSettings): KafkaClientSupplier {
  const { Kafka, logLevel } = module.KafkaJS;
  const kafka = new Kafka({
    kafkaJS: { brokers: [...settings.brokers], clientId: settings.clientId, logLevel: logLevel.WARN },
  });
  /** the consumer of each group, whose metadata the group's transactions send with their offsets */
  const consumers = new Map<string, CkConsumer>();
  const consumerOf = (groupId: string): CkConsumer => {
    const consumer = consumers.get(groupId);
    if (consumer === undefined)
      throw new Error(`no consumer of group ${groupId} was made by this supplier: cannot send its offsets`);
    return consumer;
  };

  const getConsumer = (consumerSettings: { groupId: string; sessionTimeoutMs: number }): StreamConsumer => {
    const consumer = kafka.consumer({
      kafkaJS: {
        groupId: consumerSettings.groupId,
        fromBeginning: true,
        autoCommit: false,
        readUncommitted: false,
        allowAutoTopicCreation: false,
        sessionTimeout: consumerSettings.sessionTimeoutMs,
        maxBytesPerPartition: settings.fetchMaxBytesPerPartition,
        maxWaitTimeInMs: 100,
      },
      'js.consumer.max.batch.size': settings.maxBatchSize,
      'queued.max.messages.kbytes': settings.queuedMaxKbytes,
    });
    consumers.set(consumerSettings.groupId, consumer);
    return {
      connect: () => consumer.connect(),
      subscribe: (topic) => consumer.subscribe({ topics: [topic] }),
      run: ({ partitionsConsumedConcurrently, eachBatch }) =>
        consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently, eachBatch }),
      disconnect: () => consumer.disconnect(),
    };
  };

  const transactionalClient: TransactionalClient = {
    producer(config) {
      const producer = kafka.producer({
        kafkaJS: {
          transactionalId: config.transactionalId,
          // librdkafka refuses a setting given as undefined
          ...(config.transactionTimeout === undefined ? {} : { transactionTimeout: config.transactionTimeout }),
          idempotent: true,
          maxInFlightRequests: 5,
        },
        'linger.ms': settings.lingerMs,
      });
      return {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        async transaction() {
          const txn = await producer.transaction();
          return {
            sendBatch: async (batch) => {
              await txn.sendBatch(batch);
              return [];
            },
            sendOffsets: ({ consumerGroupId, topics }) =>
              txn.sendOffsets({ consumer: consumerOf(consumerGroupId), topics }),
            commit: () => txn.commit(),
            abort: () => txn.abort(),
          };
        },
      };
    },
  };

  return {
    description: {
      client: '@confluentinc/kafka-javascript',
      librdkafka: module.librdkafkaVersion,
      brokers: settings.brokers,
      clientId: settings.clientId,
    },
    getAdmin: () => admin(kafka.admin()),
    getConsumer,
    getTransactionalClient: () => transactionalClient,
  };
}

function admin(ck: CkAdmin): StreamAdmin {
  return {
    connect: () => ck.connect(),
    disconnect: () => ck.disconnect(),
    listTopics: () => ck.listTopics(),
    createTopics: ({ topics, timeout }) => ck.createTopics(timeout === undefined ? { topics } : { topics, timeout }),
    fetchTopicMetadata: async (options) => ({ topics: await ck.fetchTopicMetadata(options) }),
    fetchOffsets: (options) => ck.fetchOffsets(options),
    fetchTopicOffsets: (topic) => ck.fetchTopicOffsets(topic),
  };
}
