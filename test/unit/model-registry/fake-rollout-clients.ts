import type { ITopicConfig } from 'kafkajs';
import type {
  FollowedBatch,
  FollowedMessage,
  ReadPosition,
  RolloutAdmin,
  RolloutClients,
  RolloutConsumer,
} from '../../../src/model-registry/rollout-follower.js';

/** A record, or a transaction marker (control: the consumer never hands it over). */
interface Entry extends FollowedMessage {
  readonly control: boolean;
}

interface FakeConsumer {
  readonly groupId: string;
  topics: string[];
  handler: ((batch: FollowedBatch) => Promise<void>) | undefined;
  positions: Map<string, number>;
  running: boolean;
  crash: ((error: Error) => void) | undefined;
  progress: ((position: ReadPosition) => void) | undefined;
}

/**
 * In-process stand-in for the follower's Kafka port: single-partition topics kept in memory, consumers that start
 * at the first record and hand over a batch per topic in `deliveryOrder` (each batch: what was appended since the
 * last), and a gate that holds every delivery until opened, so a test decides what a follower has read when.
 */
export class FakeRolloutClients implements RolloutClients {
  readonly calls: string[] = [];
  readonly created: ITopicConfig[] = [];
  readonly consumers: FakeConsumer[] = [];
  private readonly logs = new Map<string, Entry[]>();
  private open = true;
  private wake: () => void = () => undefined;

  private readonly deliveryOrder: readonly string[];
  private readonly reportsProgress: boolean;
  private readonly batchSize: number;

  constructor(
    topics: readonly string[],
    options: {
      /** which topic's records a consumer hands over first when both have some */
      deliveryOrder?: readonly string[];
      /** whether consumers report batches of markers only, as kafkajs' END_BATCH_PROCESS does (default true) */
      reportsProgress?: boolean;
      /** entries (records and markers) per batch at most */
      batchSize?: number;
    } = {},
  ) {
    for (const topic of topics) this.logs.set(topic, []);
    this.deliveryOrder = options.deliveryOrder ?? [];
    this.reportsProgress = options.reportsProgress ?? true;
    this.batchSize = options.batchSize ?? Number.MAX_SAFE_INTEGER;
  }

  append(topic: string, key: string | null, value: Buffer | string | null): void {
    const log = this.logs.get(topic);
    if (log === undefined) throw new Error(`no topic ${topic}`);
    log.push({
      offset: String(log.length),
      key: key === null ? null : Buffer.from(key),
      value: typeof value === 'string' ? Buffer.from(value) : value,
      control: false,
    });
    this.wake();
  }

  /** A transaction's commit marker: takes an offset, reaches no batch handler (read_committed, as kafkajs). */
  appendMarker(topic: string): void {
    const log = this.logs.get(topic);
    if (log === undefined) throw new Error(`no topic ${topic}`);
    log.push({ offset: String(log.length), key: null, value: null, control: true });
    this.wake();
  }

  /** Holds deliveries until open() (records appended meanwhile wait). */
  hold(): void {
    this.open = false;
  }

  release(): void {
    this.open = true;
    this.wake();
  }

  /** Makes the consumer crash as a client that gives up on it (brokers away past its retries). */
  crash(index: number, error: Error): void {
    const consumer = this.consumers[index];
    if (consumer?.crash === undefined) throw new Error(`consumer ${index} cannot crash`);
    consumer.running = false;
    consumer.crash(error);
  }

  getAdmin(): RolloutAdmin {
    const admin: RolloutAdmin = {
      connect: () => this.called('admin.connect'),
      disconnect: () => this.called('admin.disconnect'),
      listTopics: () => Promise.resolve([...this.logs.keys()]),
      createTopics: ({ topics }: { topics: ITopicConfig[] }) => {
        for (const topic of topics) {
          this.created.push(topic);
          this.logs.set(topic.topic, []);
        }
        return Promise.resolve(true);
      },
      fetchTopicMetadata: (options?: { topics: string[] }) =>
        Promise.resolve({
          topics: (options?.topics ?? [...this.logs.keys()]).map((name) => ({
            name,
            partitions: [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }],
          })),
        }),
      fetchTopicOffsets: (topic: string) => {
        const high = String(this.logs.get(topic)?.length ?? 0);
        return Promise.resolve([{ partition: 0, offset: high, high, low: '0' }]);
      },
    };
    return admin;
  }

  getConsumer(groupId: string): RolloutConsumer {
    const state: FakeConsumer = {
      groupId,
      topics: [],
      handler: undefined,
      positions: new Map(),
      running: false,
      crash: undefined,
      progress: undefined,
    };
    this.consumers.push(state);
    return {
      connect: () => this.called('consumer.connect'),
      subscribe: (topic) => {
        state.topics.push(topic);
        return this.called(`consumer.subscribe ${topic}`);
      },
      run: (eachBatch) => {
        state.handler = eachBatch;
        state.running = true;
        void this.pump(state);
        return this.called('consumer.run');
      },
      disconnect: () => {
        state.running = false;
        this.wake();
        return this.called('consumer.disconnect');
      },
      onCrash: (listener) => {
        state.crash = listener;
      },
      ...(this.reportsProgress
        ? {
            onProgress: (listener: (position: ReadPosition) => void) => {
              state.progress = listener;
            },
          }
        : {}),
    };
  }

  private called(call: string): Promise<void> {
    this.calls.push(call);
    return Promise.resolve();
  }

  private async pump(state: FakeConsumer): Promise<void> {
    while (state.running) {
      let delivered = false;
      if (this.open) {
        const topics = [...state.topics].sort((a, b) => this.rank(a) - this.rank(b));
        for (const topic of topics) {
          const log = this.logs.get(topic) ?? [];
          const from = state.positions.get(topic) ?? 0;
          if (from >= log.length || state.handler === undefined) continue;
          const entries = log.slice(from, from + this.batchSize);
          state.positions.set(topic, from + entries.length);
          const messages = entries.filter((e) => !e.control).map(({ offset, key, value }) => ({ offset, key, value }));
          const lastOffset = (entries.at(-1) as Entry).offset;
          const batch: FollowedBatch = { topic, partition: 0, messages, lastOffset };
          if (messages.length > 0) await state.handler(batch);
          state.progress?.({ topic, partition: 0, lastOffset });
          delivered = true;
          break;
        }
      }
      if (!delivered) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 20);
        });
      }
    }
  }

  private rank(topic: string): number {
    const index = this.deliveryOrder.indexOf(topic);
    return index < 0 ? this.deliveryOrder.length : index;
  }
}
