import type { Admin, Consumer, PartitionAssigner } from 'kafkajs';
import type { CommittedOffsets, TransactionalClient } from './partition-leases.js';
import type { BatchPayload } from './pipeline.js';

/**
 * The Kafka clients the stream worker runs on, as a port (in the spirit of Kafka Streams' KafkaClientSupplier):
 * the worker asks for an admin, its consumers and its transactional producers and never builds a client itself,
 * so the composition root decides which client library serves them. ./kafkajs-client-supplier.ts is the default;
 * bench/clients/confluent-client.ts serves the same worker over librdkafka. Shapes are kafkajs' where kafkajs
 * already has one, narrowed to the calls the worker makes.
 */
export interface KafkaClientSupplier {
  /** What logs may say about the client and its connection (never credentials). */
  readonly description: Readonly<Record<string, unknown>>;
  /**
   * Resolves once a broker answers, or rejects after `budgetMs` (KafkaUnreachableError): start-up says at once
   * that Kafka is not there instead of failing later in some other call. A client without it is first contacted
   * by the admin's connect, with that client's own retries.
   */
  awaitBrokers?(budgetMs: number): Promise<void>;
  /** A new admin client, not connected yet; the worker connects it, and disconnects it when it stops. */
  getAdmin(): StreamAdmin;
  /** A new member of a consumer group, not connected yet (see StreamConsumer for what it must guarantee). */
  getConsumer(settings: StreamConsumerSettings): StreamConsumer;
  /**
   * The transactional producers of the partition leases and of the start-up transactions check. `admin` is the
   * worker's connected admin, for a client that must read topic metadata to produce (kafkajs: one partition per
   * request, ./partitioned-sends.ts).
   */
  getTransactionalClient(admin: StreamAdmin): TransactionalClient;
}

/**
 * The admin calls of the worker: topic provisioning (listTopics, createTopics, fetchTopicMetadata), the committed
 * offsets a partition lease continues from (fetchOffsets) and the lag (fetchTopicOffsets).
 */
export type StreamAdmin = CommittedOffsets &
  Pick<Admin, 'connect' | 'disconnect' | 'listTopics' | 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'> & {
    /**
     * Reads max.message.bytes of the output topics at start-up, so a topic that would refuse the worker's largest
     * transactions stops start-up with the fix. A client without it skips that check, saying so in the log.
     */
    describeConfigs?: Admin['describeConfigs'];
  };

/** What the worker asks of each of its consumers. */
export interface StreamConsumerSettings {
  groupId: string;
  sessionTimeoutMs: number;
  /** bytes fetched per partition at most: bounds the records in flight */
  maxBytesPerPartition: number;
  /**
   * How the group's partitions are dealt (kafkajs' assigners; the outcome join deals partition p of several topics
   * to one member). Absent: the client's default. A client that cannot honour it must not hand out consumer events
   * (`instrumentation`), by which the outcome join tells that it cannot run over it.
   */
  partitionAssigners?: PartitionAssigner[];
}

/** Processes one fetched batch of one partition and resolves the offsets it has processed. */
export type BatchHandler = (payload: BatchPayload) => Promise<void>;

/**
 * A consumer group member as exactly-once processing needs it: it reads committed records only
 * (read_committed), starts a partition the group has no offset for at its earliest record, creates no topics,
 * and neither commits offsets nor resolves batches by itself: the pipeline commits the offsets in its
 * transactions and resolves what it processed.
 */
export interface StreamConsumer {
  connect(): Promise<void>;
  /** Resolves once subscribed to the topic. */
  subscribe(topic: string): Promise<void>;
  /** Starts fetching, `partitionsConsumedConcurrently` partitions' batches at a time, and returns. */
  run(options: { partitionsConsumedConcurrently: number; eachBatch: BatchHandler }): Promise<void>;
  /** Stops fetching, lets the running batches finish and leaves the group. */
  disconnect(): Promise<void>;
  /**
   * kafkajs' instrumentation events (group join, crash, stop), from which ConsumerState reads the assignment,
   * readiness (joined, every owned partition's producer fenced-in) and a crash that ends the process. Absent
   * when the client has no such events (librdkafka's KafkaJS layer): readiness is then "running", liveness
   * sees no owned partitions, and a crash the client does not recover from is not noticed by the worker.
   */
  readonly instrumentation?: ConsumerInstrumentation;
}

/** The consumer whose events ConsumerState.attach listens to (it takes kafkajs' Consumer). */
export type ConsumerInstrumentation = Consumer;

/** The admin can read topic configurations (describeConfigs is optional in the port). */
export function canDescribeConfigs(admin: StreamAdmin): admin is StreamAdmin & Pick<Admin, 'describeConfigs'> {
  return admin.describeConfigs !== undefined;
}
