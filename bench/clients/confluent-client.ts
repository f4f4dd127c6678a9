/**
 * @confluentinc/kafka-javascript (librdkafka) behind the ports of the worker's data path: `TransactionalClient` and
 * `CommittedOffsets` (src/stream/partition-leases.ts) and `BatchPayload` (src/stream/pipeline.ts). Only the bench
 * loads it, from bench/clients/node_modules (`bash scripts/bench/kafka-clients.sh` builds it), so the service and
 * its typecheck never depend on it: the few calls used are typed here.
 *
 * One semantic difference is bridged: librdkafka's `sendOffsets` takes the consumer (KIP-447: the broker fences by
 * group generation too) where kafkajs takes the group id, so each transaction sends the consumer's group metadata.
 */
import { createRequire } from 'node:module';
import type { ProducerConfig } from 'kafkajs';
import type { BatchPayload } from '../../src/stream/pipeline.js';
import type { CommittedOffsets, TransactionalClient, TransactionalProducer } from '../../src/stream/partition-leases.js';

interface CkTransaction {
  sendBatch(batch: Parameters<Awaited<ReturnType<TransactionalProducer['transaction']>>['sendBatch']>[0]): Promise<unknown>;
  sendOffsets(args: { consumer: CkConsumer; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CkProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<CkTransaction>;
}
export interface CkConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(args: { topics: string[] }): Promise<void>;
  run(args: { eachBatchAutoResolve: boolean; partitionsConsumedConcurrently: number; eachBatch: (payload: BatchPayload) => Promise<void> }): Promise<void>;
}
interface CkAdmin extends CommittedOffsets {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}
interface CkKafka {
  producer(config: Record<string, unknown>): CkProducer;
  consumer(config: Record<string, unknown>): CkConsumer;
  admin(config?: Record<string, unknown>): CkAdmin;
}
interface CkModule {
  librdkafkaVersion: string;
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => CkKafka; logLevel: Record<'ERROR' | 'WARN' | 'INFO', number> };
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
  groupId: string;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  /** records handed to one eachBatch call (librdkafka's client-side batching; the client's default is 32) */
  maxBatchSize: number;
  lingerMs: number;
  /** librdkafka's prefetch queue (queued.max.messages.kbytes; its default, 64 MiB, is most of its RSS) */
  queuedMaxKbytes: number;
}

export interface ConfluentPorts {
  /** producers for PartitionLeases; their transactions send offsets with `consumer`'s group metadata */
  leaseClient: TransactionalClient;
  admin: CkAdmin;
  consumer: CkConsumer;
}

export function confluentPorts(module: CkModule, settings: ConfluentSettings): ConfluentPorts {
  const { Kafka, logLevel } = module.KafkaJS;
  const kafka = new Kafka({ kafkaJS: { brokers: [...settings.brokers], clientId: settings.clientId, logLevel: logLevel.WARN } });
  const consumer = kafka.consumer({
    kafkaJS: {
      groupId: settings.groupId,
      fromBeginning: true,
      autoCommit: false,
      readUncommitted: false,
      sessionTimeout: settings.sessionTimeoutMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxWaitTimeInMs: 100,
    },
    'js.consumer.max.batch.size': settings.maxBatchSize,
    'queued.max.messages.kbytes': settings.queuedMaxKbytes,
  });
  const leaseClient: TransactionalClient = {
    producer(config: ProducerConfig): TransactionalProducer {
      const producer = kafka.producer({
        kafkaJS: {
          transactionalId: config.transactionalId,
          transactionTimeout: config.transactionTimeout,
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
            sendOffsets: ({ topics }) => txn.sendOffsets({ consumer, topics }),
            commit: () => txn.commit(),
            abort: () => txn.abort(),
          };
        },
      };
    },
  };
  return { leaseClient, admin: kafka.admin(), consumer };
}
