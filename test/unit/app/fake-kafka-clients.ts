import type { ITopicConfig, ProducerConfig } from 'kafkajs';
import type {
  KafkaClientSupplier,
  StreamAdmin,
  StreamConsumer,
  StreamConsumerSettings,
} from '../../../src/stream/kafka-client-supplier.js';
import type { TransactionalClient, TransactionalProducer } from '../../../src/stream/partition-leases.js';

/**
 * In-process stand-in for the worker's Kafka client port: a one-broker cluster of single-partition topics that
 * records every client call in order (e.g. `admin.connect`, `consumer(churn-scorer).subscribe customers`), and can
 * hold a call until the test releases it. Its consumers have no instrumentation events, like librdkafka's
 * KafkaJS layer, and its admin cannot describe configs.
 */
export class FakeKafkaClients implements KafkaClientSupplier {
  readonly description = { client: 'in-process fake' };
  readonly calls: string[] = [];
  private readonly topics: Set<string>;
  private readonly holds = new Map<string, Promise<void>>();

  constructor(topics: readonly string[]) {
    this.topics = new Set(topics);
  }

  /** Makes the call wait, once made, until the returned function is called. */
  hold(call: string): () => void {
    let release: () => void = () => undefined;
    this.holds.set(
      call,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return release;
  }

  /** The calls made since the first `call`. */
  callsSince(call: string): string[] {
    const index = this.calls.indexOf(call);
    return index < 0 ? [] : this.calls.slice(index);
  }

  awaitBrokers(): Promise<void> {
    return this.record('awaitBrokers');
  }

  getAdmin(): StreamAdmin {
    return {
      connect: () => this.record('admin.connect'),
      disconnect: () => this.record('admin.disconnect'),
      listTopics: async () => {
        await this.record('admin.listTopics');
        return [...this.topics];
      },
      createTopics: async ({ topics }: { topics: ITopicConfig[] }) => {
        await this.record(`admin.createTopics ${topics.map((t) => t.topic).join(',')}`);
        for (const { topic } of topics) this.topics.add(topic);
        return true;
      },
      fetchTopicMetadata: async (options?: { topics: string[] }) => {
        const names = options?.topics ?? [...this.topics];
        await this.record(`admin.fetchTopicMetadata ${names.join(',')}`);
        return {
          topics: names.map((name) => ({
            name,
            partitions: [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }],
          })),
        };
      },
      fetchOffsets: async ({ groupId, topics }: { groupId: string; topics?: string[] }) => {
        await this.record(`admin.fetchOffsets ${groupId}`);
        return (topics ?? []).map((topic) => ({ topic, partitions: [] }));
      },
      fetchTopicOffsets: async (topic: string) => {
        await this.record(`admin.fetchTopicOffsets ${topic}`);
        return [{ partition: 0, offset: '0', high: '0', low: '0' }];
      },
    };
  }

  getConsumer(settings: StreamConsumerSettings): StreamConsumer {
    const name = `consumer(${settings.groupId})`;
    return {
      connect: () => this.record(`${name}.connect`),
      subscribe: (topic) => this.record(`${name}.subscribe ${topic}`),
      run: ({ partitionsConsumedConcurrently }) =>
        this.record(`${name}.run ${partitionsConsumedConcurrently} at a time`),
      disconnect: () => this.record(`${name}.disconnect`),
    };
  }

  getTransactionalClient(): TransactionalClient {
    return {
      producer: (config: ProducerConfig): TransactionalProducer => {
        const name = `producer(${config.transactionalId ?? 'none'})`;
        return {
          connect: () => this.record(`${name}.connect`),
          disconnect: () => this.record(`${name}.disconnect`),
          transaction: async () => {
            await this.record(`${name}.transaction`);
            return {
              sendBatch: async () => {
                await this.record(`${name}.sendBatch`);
                return [];
              },
              sendOffsets: () => this.record(`${name}.sendOffsets`),
              commit: () => this.record(`${name}.commit`),
              abort: () => this.record(`${name}.abort`),
            };
          },
        };
      },
    };
  }

  private async record(call: string): Promise<void> {
    this.calls.push(call);
    await this.holds.get(call);
  }
}
