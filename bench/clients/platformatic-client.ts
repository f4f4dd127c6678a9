/**
 * @platformatic/kafka (pure JavaScript; its 2.x needs Node >= 22.22) behind the stream worker's Kafka client port
 * (`KafkaClientSupplier`, src/stream/kafka-client-supplier.ts), so bench/clients/platformatic-worker.ts runs the same
 * service as `run` (src/app/scorer-app.ts) over it. Only the bench loads it, from bench/clients/node_modules
 * (`bash scripts/bench/kafka-clients.sh`), so the service and its typecheck never depend on it: the few calls used
 * are typed here, as its 2.12 declarations (dist/clients/*) have them.
 *
 * Bridged here:
 * - The consumer. @platformatic/kafka hands a group member's records as one message stream (`consume()`, a
 *   Readable), not as kafkajs' per-partition `eachBatch`. PlatformaticStreamConsumer groups what the stream yields by
 *   topic-partition, in arrival order, into batches of at most `maxBatchSize` records, and runs at most
 *   `partitionsConsumedConcurrently` of them at once, never two of one partition. It pauses the stream while
 *   `maxQueued` records wait (and resumes below half), so memory stays bounded by that, the running batches and one
 *   fetch. A batch's lastOffset counts the transaction markers after its last record when every record the stream
 *   fetched of that partition is in the batch (the stream's fetch position minus one), as kafkajs' does.
 * - The assignment. A group join that takes a partition away (`consumer:group:join`, `consumer:group:leave`) drops its
 *   waiting records and turns isStale() true for its running batch, as kafkajs' does for a partition it no longer
 *   reads; isRunning() turns false once disconnect() starts. A failed batch (eachBatch threw) drops the partition's
 *   waiting records and its records are fetched again from the group's committed offset: kafkajs fetches again from
 *   the last resolved offset, which the pipeline only resolves after a commit, so it is the same place. The stream
 *   cannot seek (a seek races the fetch in flight, whose answer then overwrites the position), so a new stream
 *   replaces it (`mode: 'committed'`, made before the old one closes, so the member does not rejoin); records a
 *   stream fetches again of the other partitions are dropped by offset (each partition only ever moves forward).
 * - `sendOffsets`: the transaction commits offsets as a consumed message (`addConsumer` + `addOffset`, which commits
 *   message.offset + 1 with the group's generation and member id, KIP-447) where kafkajs takes the group id and the
 *   next offset, so each transaction sends a message-shaped offset with the metadata of the consumer this supplier
 *   made for that group. An empty transaction (the lease's fencing one, the start-up check) is cancelled in the client
 *   (`cancel()`), as kafkajs and librdkafka do: the library would send EndTxn, which the broker answers
 *   INVALID_TXN_STATE for a transaction that never began.
 * - Fencing: each producer asks InitProducerId with "no producer id" (-1, -1, KIP-360) as the Java client does. The
 *   library's default sends (0, 0), which the broker answers PRODUCER_FENCED as soon as the transactional id has a
 *   producer id: a new producer could never take a partition's transactional id over from a previous owner (a
 *   restarted worker, a rebalance), which is how the partition leases fence (src/stream/partition-leases.ts).
 * - `transactionTimeout` is the producer's `timeout`, which @platformatic/kafka also uses as the acks timeout of its
 *   produce requests. Retries back off from 20 ms (the library's 1 s would add a second to each CONCURRENT_TRANSACTIONS
 *   right after a commit). Output records are placed with the Java client's murmur2 (kafkajs' default partitioner; the
 *   library's own default differs for negative hashes), keyless ones round robin.
 * - Errors: the broker's error (`apiId`, `apiCode`) is copied onto a kafkajs-shaped `type` (kafkajs' name where it
 *   differs, e.g. NOT_COORDINATOR_FOR_GROUP) and numeric `code`, so the service tells fenced, too-large, rebalancing,
 *   unauthorized and not-yet-settled failures apart as over kafkajs.
 * - Admin: `createTopics` answers false for topics that exist (the library fails), `fetchOffsets` and
 *   `fetchTopicOffsets` list every partition from the metadata (the library wants them named), `describeConfigs` is
 *   kafkajs-shaped, so max.message.bytes of the output topics is checked at start-up.
 *
 * What the worker does without (optional in the port, or not offered by the library):
 * - consumer instrumentation events: the library has join/leave/heartbeat events but not kafkajs' (GROUP_JOIN with
 *   memberAssignment, CRASH with restart, STOP), so readiness only says the consumers run, liveness sees no owned
 *   partitions, the leases of partitions moved elsewhere are kept until their producer is fenced (the next owner's
 *   lease does that), and a consumer that keeps failing does not end the process: this adapter restarts its stream
 *   (backing off up to 5 s) for every failure, also the ones kafkajs treats as fatal (not authorized, a transaction
 *   refused as too large), which therefore retry forever instead of stopping the worker. Without those events the
 *   outcome join cannot run over this client (as over librdkafka's).
 * - `partitionAssigners` (kafkajs assigners): the group uses the library's round robin.
 * - the start-up broker probe (`awaitBrokers`): the admin's first call is the first contact.
 * - batches of transaction markers only (kafkajs reports them to instrumentation): the stream yields no message for
 *   them, so a partition whose last fetch held only markers keeps its committed offset before them until its next
 *   record.
 * - `heartbeat()` is a no-op: the library heartbeats on its own timer, and learns of a rebalance there.
 */
import kafkajs, {
  type Admin,
  type ConfigResourceTypes,
  type ConfigSource,
  type DescribeConfigResponse,
  type IHeaders,
  type ITopicConfig,
  type KafkaMessage,
  type ProducerBatch,
} from 'kafkajs';
import type { Logger } from 'pino';
import type {
  KafkaClientSupplier,
  StreamAdmin,
  StreamConsumer,
  StreamConsumerSettings,
} from '../../src/stream/kafka-client-supplier.js';
import type { TransactionalClient } from '../../src/stream/partition-leases.js';
import type { BatchPayload } from '../../src/stream/pipeline.js';

// ---- the library's calls this adapter makes, as its 2.12 declarations have them ----

/** a record as the consumer stream yields it (no deserializers: Buffers) */
interface PltMessage {
  key: Buffer | undefined;
  value: Buffer | undefined;
  headerEntries: [Buffer, Buffer | undefined][];
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
}
interface PltOutMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer | undefined>;
  partition?: number;
  timestamp?: bigint;
}
interface PltConsumerMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  coordinatorId: number;
}
/** what Transaction.addOffset reads of a consumed message: it commits offset + 1 */
interface PltOffsetMessage {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: { consumer: PltConsumerMetadata };
}
interface PltStream {
  readonly readableLength: number;
  /** next offset the stream fetches, per `${topic}:${partition}` */
  readonly offsetsToFetch: Map<string, bigint>;
  on(event: 'data', listener: (message: PltMessage) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  removeAllListeners(event: 'data' | 'error' | 'close'): unknown;
  pause(): unknown;
  resume(): unknown;
  close(): Promise<void>;
}
interface PltGroupAssignment {
  topic: string;
  partitions: number[];
}
interface PltConsumer {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string | null;
  readonly coordinatorId: number | null;
  readonly assignments: PltGroupAssignment[] | null;
  consume(options: Record<string, unknown>): Promise<PltStream>;
  joinGroup(options: Record<string, unknown>): Promise<string>;
  isActive(): boolean;
  close(force?: boolean): Promise<void>;
  on(event: 'consumer:group:join', listener: (payload: { assignments?: PltGroupAssignment[] }) => void): unknown;
  on(event: 'consumer:group:leave', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface PltTransaction {
  send(options: { messages: PltOutMessage[] }): Promise<unknown>;
  addConsumer(consumer: PltConsumer): Promise<void>;
  addOffset(message: PltOffsetMessage): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** ends the transaction in the client only */
  cancel(): Promise<void>;
}
interface PltProducer {
  beginTransaction(): Promise<PltTransaction>;
  close(force?: boolean): Promise<void>;
}
interface PltPartitionMetadata {
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}
interface PltMetadata {
  topics: Map<string, { partitions: PltPartitionMetadata[]; partitionsCount: number }>;
}
interface PltAdmin {
  listTopics(): Promise<string[]>;
  createTopics(options: {
    topics: string[];
    partitions: number;
    replicas: number;
    configs: { name: string; value: string | null }[];
  }): Promise<unknown>;
  metadata(options: { topics: string[]; forceUpdate?: boolean }): Promise<PltMetadata>;
  listConsumerGroupOffsets(options: {
    groups: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] }[];
  }): Promise<
    {
      groupId: string;
      topics: {
        name: string;
        partitions: { partitionIndex: number; committedOffset: bigint; metadata: string | null }[];
      }[];
    }[]
  >;
  listOffsets(options: {
    topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[];
    isolationLevel: number;
  }): Promise<{ name: string; partitions: { partitionIndex: number; offset: bigint }[] }[]>;
  describeConfigs(options: {
    resources: { resourceType: number; resourceName: string; configurationKeys?: string[] }[];
    includeSynonyms?: boolean;
  }): Promise<
    {
      /** the broker's numbers, which kafkajs' enums name */
      resourceType: ConfigResourceTypes;
      resourceName: string;
      configs: {
        name: string;
        value: string | null;
        readOnly: boolean;
        isSensitive: boolean;
        configSource: ConfigSource;
      }[];
    }[]
  >;
  close(): Promise<void>;
}
type RetryDelay = (client: unknown, operationId: string, attempt: number) => number;
type Partitioner = (message: unknown, key: Buffer | undefined) => number;
export interface PltModule {
  version: string;
  Admin: new (options: Record<string, unknown>) => PltAdmin;
  Consumer: new (options: Record<string, unknown>) => PltConsumer;
  Producer: new (options: Record<string, unknown>) => PltProducer;
  compatibilityPartitioner: Partitioner;
  FetchIsolationLevels: { READ_COMMITTED: number };
  ListOffsetTimestamps: { LATEST: bigint; EARLIEST: bigint };
  ConfigResourceTypes: { TOPIC: number };
}

/** @platformatic/kafka from bench/clients/node_modules (an ES module: imported, by a name tsc does not resolve). */
export async function loadPlatformaticClient(): Promise<PltModule> {
  const name: string = '@platformatic/kafka';
  try {
    return (await import(name)) as PltModule;
  } catch (err) {
    throw new Error(
      `@platformatic/kafka is not installed in bench/clients (run: bash scripts/bench/kafka-clients.sh): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export interface PlatformaticSettings {
  brokers: readonly string[];
  clientId: string;
  /** records handed to one eachBatch call at most */
  maxBatchSize: number;
  /** records waiting for a batch (all partitions of one consumer) above which the stream is paused */
  maxQueued: number;
  /** how long a fetch waits for records (kafkajs' maxWaitTimeInMs of the worker: 100) */
  fetchMaxWaitMs: number;
  /** how often the consumers heartbeat (the worker's kafkajs consumers: 1000) */
  heartbeatIntervalMs: number;
  /** where the consumers say what they do about failed batches and streams */
  logger: Pick<Logger, 'warn'>;
}

/** 20 ms, doubling, at most 5 s: CONCURRENT_TRANSACTIONS right after a commit clears within milliseconds. */
const producerRetryDelay: RetryDelay = (_client, _operation, attempt) => Math.min(5_000, 20 * 2 ** (attempt - 1));
const clientRetryDelay: RetryDelay = (_client, _operation, attempt) => Math.min(5_000, 100 * 2 ** (attempt - 1));
/** kafkajs' (Java's) rebalance timeout of the worker's consumers */
const REBALANCE_TIMEOUT_MS = 30_000;
/** how long run() tries to join (a topic created a moment ago may not be known to the broker yet) */
const RUN_START_BUDGET_MS = 30_000;

export function platformaticClientSupplier(module: PltModule, settings: PlatformaticSettings): KafkaClientSupplier {
  const base = { clientId: settings.clientId, bootstrapBrokers: [...settings.brokers] };
  /** the consumer of each group, whose metadata the group's transactions send with their offsets */
  const consumers = new Map<string, PltConsumer>();
  const consumerOf = (groupId: string): PltConsumer => {
    const consumer = consumers.get(groupId);
    if (consumer === undefined)
      throw new Error(`no consumer of group ${groupId} was made by this supplier: cannot send its offsets`);
    return consumer;
  };
  let roundRobin = 0;
  const partitioner: Partitioner = (message, key) =>
    key === undefined ? roundRobin++ & 0x7fffffff : module.compatibilityPartitioner(message, key);

  const transactionalClient: TransactionalClient = {
    producer(config) {
      if (config.transactionalId === undefined) throw new Error('a transactional producer needs a transactionalId');
      const producer = new module.Producer({
        ...base,
        transactionalId: config.transactionalId,
        idempotent: true,
        // "no producer id" (KIP-360), as the Java client sends it: the library's default (0, 0) names a producer id
        // the broker does not know, which it answers PRODUCER_FENCED once the transactional id has one, so a new
        // producer could never take a transactional id over (the leases' fencing).
        producerId: -1n,
        producerEpoch: -1,
        timeout: config.transactionTimeout ?? 60_000,
        retryDelay: producerRetryDelay,
        autocreateTopics: false,
        partitioner,
      });
      return {
        connect: () => Promise.resolve(),
        disconnect: () => producer.close(true),
        async transaction() {
          const txn = await kafkaShaped(() => producer.beginTransaction());
          /** anything sent to the broker in this transaction (otherwise it only exists in the client) */
          let begun = false;
          return {
            sendBatch: async (batch) => {
              const messages = outMessages(batch);
              if (messages.length === 0) return [];
              begun = true;
              await kafkaShaped(() => txn.send({ messages }));
              return [];
            },
            sendOffsets: async ({ consumerGroupId, topics }) => {
              const consumer = consumerOf(consumerGroupId);
              begun = true;
              await kafkaShaped(() => txn.addConsumer(consumer));
              const metadata = { consumer: consumerMetadata(consumer) };
              for (const { topic, partitions } of topics)
                for (const { partition, offset } of partitions)
                  // addOffset commits offset + 1: the offset of the last consumed record.
                  await kafkaShaped(() => txn.addOffset({ topic, partition, offset: BigInt(offset) - 1n, metadata }));
            },
            commit: () => kafkaShaped(() => (begun ? txn.commit() : txn.cancel())),
            abort: () => kafkaShaped(() => (begun ? txn.abort() : txn.cancel())),
          };
        },
      };
    },
  };

  const getConsumer = (consumerSettings: StreamConsumerSettings): StreamConsumer => {
    const consumer = new module.Consumer({
      ...base,
      groupId: consumerSettings.groupId,
      autocommit: false,
      isolationLevel: module.FetchIsolationLevels.READ_COMMITTED,
      sessionTimeout: consumerSettings.sessionTimeoutMs,
      rebalanceTimeout: Math.max(REBALANCE_TIMEOUT_MS, consumerSettings.sessionTimeoutMs),
      heartbeatInterval: Math.min(settings.heartbeatIntervalMs, consumerSettings.sessionTimeoutMs),
      maxWaitTime: settings.fetchMaxWaitMs,
      minBytes: 1,
      maxBytesPerPartition: consumerSettings.maxBytesPerPartition,
      // kafkajs' default maxBytes of a fetch
      maxBytes: 10 * 1024 * 1024,
      retryDelay: clientRetryDelay,
      autocreateTopics: false,
    });
    consumers.set(consumerSettings.groupId, consumer);
    return new PlatformaticStreamConsumer(consumer, settings);
  };

  return {
    description: {
      client: '@platformatic/kafka',
      version: module.version,
      node: process.version,
      brokers: settings.brokers,
      clientId: settings.clientId,
    },
    getAdmin: () => admin(module, new module.Admin({ ...base, retryDelay: clientRetryDelay })),
    getConsumer,
    getTransactionalClient: () => transactionalClient,
  };
}

function consumerMetadata(consumer: PltConsumer): PltConsumerMetadata {
  const { groupId, generationId, memberId, coordinatorId } = consumer;
  if (memberId === null || coordinatorId === null)
    throw new Error(`the consumer of group ${groupId} has not joined it: cannot send its offsets`);
  return { groupId, generationId, memberId, coordinatorId };
}

// ---- records between the two shapes ----

function bytes(value: Buffer | string | null | undefined): Buffer | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** kafkajs' batch as the library's messages: Buffers everywhere, one header entry per value of a repeated header. */
function outMessages(batch: ProducerBatch): PltOutMessage[] {
  const out: PltOutMessage[] = [];
  for (const { topic, messages } of batch.topicMessages ?? []) {
    for (const m of messages) {
      const headers = new Map<Buffer, Buffer | undefined>();
      for (const [name, value] of Object.entries(m.headers ?? {})) {
        if (value === undefined) continue;
        // a Map keyed by Buffer objects: each entry its own key, so a repeated header stays repeated
        if (Array.isArray(value)) for (const v of value) headers.set(Buffer.from(name), bytes(v));
        else headers.set(Buffer.from(name), bytes(value));
      }
      out.push({
        topic,
        key: bytes(m.key),
        value: bytes(m.value),
        headers,
        ...(m.partition === undefined ? {} : { partition: m.partition }),
        ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }),
      });
    }
  }
  return out;
}

/** The library's record as kafkajs hands it to eachBatch: offsets and timestamps as decimal strings. */
function kafkaMessage(m: PltMessage): KafkaMessage {
  const headers: IHeaders = {};
  for (const [k, v] of m.headerEntries) {
    const name = k.toString();
    const before = headers[name];
    if (before === undefined) headers[name] = v;
    else if (v !== undefined) headers[name] = Array.isArray(before) ? [...before, v] : [before, v];
  }
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: String(m.timestamp),
    attributes: 0,
    offset: String(m.offset),
    headers,
  };
}

// ---- errors ----

interface ProtocolErrorLike {
  apiId?: unknown;
  apiCode?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** A broker error in an error of the library: Kafka's name for it and its code. */
interface BrokerError {
  id: string;
  code: number | undefined;
}

/** The broker errors in an error of the library, depth first (its MultipleErrors nest them). */
function brokerErrors(err: unknown, found: BrokerError[] = [], depth = 0): BrokerError[] {
  if (err === null || typeof err !== 'object' || depth > 8) return found;
  const e = err as ProtocolErrorLike;
  if (typeof e.apiId === 'string')
    found.push({ id: e.apiId, code: typeof e.apiCode === 'number' ? e.apiCode : undefined });
  if (Array.isArray(e.errors)) for (const inner of e.errors) brokerErrors(inner, found, depth + 1);
  if (e.cause !== undefined) brokerErrors(e.cause, found, depth + 1);
  return found;
}

function apiIds(err: unknown): string[] {
  return brokerErrors(err).map((e) => e.id);
}

/** Kafka's names that kafkajs spells otherwise, among those the service tells apart (src/stream, src/kafka). */
const KAFKAJS_NAMES: Readonly<Record<string, string>> = {
  COORDINATOR_NOT_AVAILABLE: 'GROUP_COORDINATOR_NOT_AVAILABLE',
  NOT_COORDINATOR: 'NOT_COORDINATOR_FOR_GROUP',
  COORDINATOR_LOAD_IN_PROGRESS: 'GROUP_LOAD_IN_PROGRESS',
  NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER_FOR_PARTITION',
};

/**
 * An error of the library, wrapped so that the service reads its broker error as kafkajs' (src/kafka/kafkajs-errors.ts:
 * `type` with kafkajs' name, numeric `code`): fenced, too large, rebalancing, not authorized, not settled yet.
 */
export class PlatformaticKafkaError extends Error {
  override readonly name = 'PlatformaticKafkaError';
  /** the last broker error in it, by kafkajs' name, e.g. INVALID_PRODUCER_EPOCH */
  readonly type: string | undefined;
  readonly code: number | undefined;
  constructor(cause: unknown) {
    const last = brokerErrors(cause).at(-1);
    const type = last === undefined ? undefined : (KAFKAJS_NAMES[last.id] ?? last.id);
    const message = cause instanceof Error ? cause.message : String(cause);
    super(type === undefined ? message : `${type}: ${message}`, { cause });
    this.type = type;
    this.code = last?.code;
  }
}

async function kafkaShaped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new PlatformaticKafkaError(err);
  }
}

// ---- admin ----

// kafkajs is CommonJS and Node cannot see this export by name.
const { ConfigSource: ConfigSources } = kafkajs;

function admin(module: PltModule, plt: PltAdmin): StreamAdmin {
  const partitionsOf = async (topics: string[]): Promise<Map<string, number>> => {
    const metadata = await plt.metadata({ topics });
    return new Map(topics.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
  };
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const listed = async (topic: string, partitions: number, timestamp: bigint): Promise<Map<number, bigint>> => {
    const [answer] = await plt.listOffsets({
      topics: [{ name: topic, partitions: range(partitions).map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      isolationLevel: module.FetchIsolationLevels.READ_COMMITTED,
    });
    return new Map((answer?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };

  const describeConfigs: Admin['describeConfigs'] = ({ resources, includeSynonyms }) =>
    kafkaShaped(async (): Promise<DescribeConfigResponse> => {
      const described = await plt.describeConfigs({
        resources: resources.map((r) => ({
          resourceType: r.type,
          resourceName: r.name,
          ...(r.configNames === undefined ? {} : { configurationKeys: r.configNames }),
        })),
        includeSynonyms,
      });
      return {
        throttleTime: 0,
        resources: described.map((d) => ({
          errorCode: 0,
          errorMessage: '',
          resourceName: d.resourceName,
          resourceType: d.resourceType,
          configEntries: d.configs.map((c) => ({
            configName: c.name,
            configValue: c.value ?? '',
            isDefault: c.configSource === ConfigSources.DEFAULT_CONFIG,
            configSource: c.configSource,
            isSensitive: c.isSensitive,
            readOnly: c.readOnly,
            configSynonyms: [],
          })),
        })),
      };
    });

  return {
    connect: () => Promise.resolve(),
    disconnect: () => plt.close(),
    listTopics: () => kafkaShaped(() => plt.listTopics()),
    createTopics: ({ topics }: { topics: ITopicConfig[] }) =>
      kafkaShaped(async () => {
        const created = await Promise.all(
          topics.map(async (t) => {
            try {
              await plt.createTopics({
                topics: [t.topic],
                partitions: t.numPartitions ?? -1,
                replicas: t.replicationFactor ?? -1,
                configs: (t.configEntries ?? []).map(({ name, value }) => ({ name, value })),
              });
              return true;
            } catch (err) {
              // kafkajs answers false for a topic that exists (another worker may create it at the same moment)
              if (apiIds(err).includes('TOPIC_ALREADY_EXISTS')) return false;
              throw err;
            }
          }),
        );
        return created.every(Boolean);
      }),
    fetchTopicMetadata: (options) =>
      kafkaShaped(async () => {
        const topics = options?.topics ?? (await plt.listTopics());
        const metadata = await plt.metadata({ topics, forceUpdate: true });
        return {
          topics: topics.map((name) => ({
            name,
            partitions: (metadata.topics.get(name)?.partitions ?? []).map((p, partitionId) => ({
              partitionId,
              leader: p.leader,
              replicas: p.replicas,
              isr: p.isr,
              offlineReplicas: p.offlineReplicas,
              partitionErrorCode: 0,
            })),
          })),
        };
      }),
    fetchOffsets: ({ groupId, topics }) =>
      kafkaShaped(async () => {
        if (topics === undefined) throw new Error('fetchOffsets: name the topics');
        const counts = await partitionsOf(topics);
        const [group] = await plt.listConsumerGroupOffsets({
          groups: [
            { groupId, topics: topics.map((name) => ({ name, partitionIndexes: range(counts.get(name) ?? 0) })) },
          ],
        });
        return topics.map((topic) => ({
          topic,
          partitions: (group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => ({
            partition: p.partitionIndex,
            offset: String(p.committedOffset),
            metadata: p.metadata,
          })),
        }));
      }),
    fetchTopicOffsets: (topic) =>
      kafkaShaped(async () => {
        const partitions = (await partitionsOf([topic])).get(topic) ?? 0;
        const [high, low] = await Promise.all([
          listed(topic, partitions, module.ListOffsetTimestamps.LATEST),
          listed(topic, partitions, module.ListOffsetTimestamps.EARLIEST),
        ]);
        return range(partitions).map((partition) => {
          const end = String(high.get(partition) ?? -1n);
          return { partition, offset: end, high: end, low: String(low.get(partition) ?? -1n) };
        });
      }),
    describeConfigs,
  };
}

// ---- the consumer ----

/** One partition of a consumer: its records waiting for a batch and what this member has handed out. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  queue: KafkaMessage[];
  /** highest offset queued (or handed out) since the partition was last (re)started: records at or below are dropped */
  highest: bigint | undefined;
  /** the running batch of this partition */
  running: Promise<void> | undefined;
  /** bumped when the partition is revoked or its batch failed: a running batch of an older epoch is stale */
  epoch: number;
  /** its batch failed: records are dropped until a stream newer than `blockedAt` reads it from the committed offset */
  blockedAt: number | undefined;
}

/** A member of a consumer group over one message stream of @platformatic/kafka, handing out kafkajs-like batches. */
class PlatformaticStreamConsumer implements StreamConsumer {
  private readonly topics: string[] = [];
  private readonly partitions = new Map<string, PartitionState>();
  /** the partitions the group gave this member at its last join */
  private owned = new Set<string>();
  private stream: PltStream | undefined;
  /** bumped for every new stream */
  private streamGeneration = 0;
  private eachBatch: ((payload: BatchPayload) => Promise<void>) | undefined;
  private concurrency = 1;
  private active = 0;
  private queued = 0;
  private paused = false;
  private running = false;
  private dispatchScheduled = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting = false;
  /** a restart was asked for while one was under way */
  private restartAgain = false;
  /** failures (failed batches, dead streams) since the last batch that went through: the restart backoff */
  private failures = 0;
  /** the member must join its group again before the next stream (a rejoin of the library's failed) */
  private rejoin = false;

  constructor(
    private readonly consumer: PltConsumer,
    private readonly settings: PlatformaticSettings,
  ) {
    consumer.on('consumer:group:join', ({ assignments }) => {
      this.assigned(assignments ?? []);
    });
    consumer.on('consumer:group:leave', () => {
      this.assigned([]);
    });
    // A rejoin that fails after its retries is reported here (an 'error' nobody listens to would end the process).
    consumer.on('error', (err) => {
      this.warn({ err }, 'consumer failed to rejoin its group; joining again');
      this.rejoin = true;
      this.failures++;
      this.scheduleRestart();
    });
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  subscribe(topic: string): Promise<void> {
    if (!this.topics.includes(topic)) this.topics.push(topic);
    return Promise.resolve();
  }

  async run(options: {
    partitionsConsumedConcurrently: number;
    eachBatch: (payload: BatchPayload) => Promise<void>;
  }): Promise<void> {
    this.eachBatch = options.eachBatch;
    this.concurrency = Math.max(1, options.partitionsConsumedConcurrently);
    this.running = true;
    const deadline = Date.now() + RUN_START_BUDGET_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.openStream();
        return;
      } catch (err) {
        if (this.stopped() || Date.now() >= deadline) throw new PlatformaticKafkaError(err);
        // consume() joins a member that never joined only: a first join that failed half-way is done by hand
        this.rejoin = true;
        await new Promise((resolve) => setTimeout(resolve, clientRetryDelay(undefined, 'run', attempt)));
      }
    }
  }

  async disconnect(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined) {
      stream.removeAllListeners('data');
      stream.pause();
    }
    // The running batches see isRunning() false and stop before their next record.
    await Promise.allSettled(
      [...this.partitions.values()].flatMap((p) => (p.running === undefined ? [] : [p.running])),
    );
    for (const p of this.partitions.values()) this.drop(p);
    await stream?.close().catch(() => undefined);
    await this.consumer.close(true);
  }

  /** A new stream from the group's committed offsets; the old one is closed once the new one runs. */
  private async openStream(): Promise<void> {
    if (this.rejoin) {
      await this.consumer.joinGroup({});
      this.rejoin = false;
    }
    const stream = await this.consumer.consume({
      topics: [...this.topics],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    const old = this.stream;
    if (!this.running) {
      await stream.close().catch(() => undefined);
      return;
    }
    const generation = ++this.streamGeneration;
    this.stream = stream;
    this.paused = false;
    this.assigned(this.consumer.assignments ?? [], { freshStream: true });
    for (const p of this.partitions.values())
      if (p.blockedAt !== undefined && p.blockedAt < generation) p.blockedAt = undefined;
    stream.on('data', (message: PltMessage) => {
      if (this.stream === stream) this.take(message);
    });
    stream.on('error', (err: Error) => {
      if (this.stream !== stream) return;
      this.warn({ err }, 'message stream failed; opening a new one from the committed offsets');
      this.failures++;
      this.scheduleRestart();
    });
    stream.on('close', () => {
      if (this.stream === stream && this.running) this.scheduleRestart();
    });
    if (old !== undefined) {
      old.removeAllListeners('data');
      void old.close().catch(() => undefined);
    }
    if ([...this.partitions.values()].some((p) => p.blockedAt !== undefined)) this.scheduleRestart();
    this.scheduleDispatch();
  }

  private scheduleRestart(): void {
    if (!this.running || this.restartTimer !== undefined) return;
    const delay = this.failures === 0 ? 0 : Math.min(5_000, 100 * 2 ** (this.failures - 1));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delay);
  }

  private async restart(): Promise<void> {
    if (!this.running) return;
    if (this.restarting) {
      this.restartAgain = true;
      return;
    }
    this.restarting = true;
    this.restartAgain = false;
    try {
      await this.openStream();
    } catch (err) {
      this.failures++;
      this.warn({ err }, 'could not open a new message stream; trying again');
      this.restartAgain = true;
    } finally {
      this.restarting = false;
    }
    if (this.restartAgain) this.scheduleRestart();
  }

  /**
   * The assignment of the last join: partitions no longer owned are dropped and their running batch is stale. A
   * partition owned again that this stream read before gets a new stream: the library keeps its fetch position when
   * the group has no offset for it, and the records fetched while it was not ours were dropped.
   */
  private assigned(assignments: readonly PltGroupAssignment[], options = { freshStream: false }): void {
    const owned = new Set<string>();
    for (const { topic, partitions } of assignments) for (const p of partitions) owned.add(`${topic}:${p}`);
    let regained = false;
    for (const p of this.partitions.values()) {
      if (owned.has(p.key) && !this.owned.has(p.key)) regained = true;
      if (owned.has(p.key) || !this.owned.has(p.key)) continue;
      this.drop(p);
      p.epoch++;
    }
    this.owned = owned;
    if (regained && !options.freshStream) this.scheduleRestart();
    this.scheduleDispatch();
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`;
    let state = this.partitions.get(key);
    if (state === undefined) {
      state = {
        topic,
        partition,
        key,
        queue: [],
        highest: undefined,
        running: undefined,
        epoch: 0,
        blockedAt: undefined,
      };
      this.partitions.set(key, state);
    }
    return state;
  }

  /** A record from the current stream: queued for its partition, unless fetched again or not ours to process. */
  private take(message: PltMessage): void {
    const p = this.stateOf(message.topic, message.partition);
    if (!this.owned.has(p.key) || p.blockedAt !== undefined) return;
    if (p.highest !== undefined && message.offset <= p.highest) return;
    p.highest = message.offset;
    p.queue.push(kafkaMessage(message));
    this.queued++;
    if (!this.paused && this.queued >= this.settings.maxQueued) {
      this.paused = true;
      this.stream?.pause();
    }
    this.scheduleDispatch();
  }

  private drop(p: PartitionState): void {
    this.queued -= p.queue.length;
    p.queue = [];
    p.highest = undefined;
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // After the stream has pushed the whole fetch answer (it does so synchronously).
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Starts batches, the partitions that waited longest first, while there is room. */
  private dispatch(): void {
    if (!this.running || this.eachBatch === undefined) return;
    for (const p of [...this.partitions.values()]) {
      if (this.active >= this.concurrency) break;
      if (p.running !== undefined || p.queue.length === 0 || p.blockedAt !== undefined) continue;
      // to the back of the line
      this.partitions.delete(p.key);
      this.partitions.set(p.key, p);
      this.start(p, this.eachBatch);
    }
    if (this.paused && this.queued <= this.settings.maxQueued / 2) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  private start(p: PartitionState, eachBatch: (payload: BatchPayload) => Promise<void>): void {
    const whole = p.queue.length <= this.settings.maxBatchSize;
    const messages = whole ? p.queue : p.queue.slice(0, this.settings.maxBatchSize);
    p.queue = whole ? [] : p.queue.slice(this.settings.maxBatchSize);
    this.queued -= messages.length;
    const lastOffset = this.lastOffsetOf(p, messages, whole);
    const epoch = p.epoch;
    const payload: BatchPayload = {
      batch: { topic: p.topic, partition: p.partition, messages, lastOffset: () => lastOffset },
      // Bookkeeping only: the pipeline commits its offsets in its transactions, and a failed batch is fetched again
      // from the committed offset, which is where kafkajs would resume too (the pipeline resolves after commits).
      resolveOffset: () => undefined,
      heartbeat: () => Promise.resolve(),
      isRunning: () => this.running,
      isStale: () => p.epoch !== epoch,
    };
    this.active++;
    const run = (async () => {
      try {
        await eachBatch(payload);
        if (p.epoch === epoch) this.failures = 0;
      } catch (err) {
        // Revoked or stopping: what was not committed goes to the next owner (or the next start) anyway.
        if (p.epoch === epoch && this.running) this.failed(p, err);
      } finally {
        this.active--;
        p.running = undefined;
        this.scheduleDispatch();
      }
    })();
    p.running = run;
  }

  /**
   * The batch's last offset: its last record's, or, when the batch holds every record the stream fetched of the
   * partition, the stream's fetch position minus one, so that transaction markers after the last record are
   * committed past, as kafkajs' batch.lastOffset() does. The fetch position is only that when no fetched record
   * waits in the stream's own buffer (it is moved before the records of an answer are pushed).
   */
  private lastOffsetOf(p: PartitionState, messages: readonly KafkaMessage[], whole: boolean): string {
    const last = messages.at(-1)?.offset ?? '-1';
    const stream = this.stream;
    if (!whole || stream === undefined || stream.readableLength > 0) return last;
    const next = stream.offsetsToFetch.get(p.key);
    return next !== undefined && next - 1n > BigInt(last) ? String(next - 1n) : last;
  }

  /** A failed batch: the partition's records are read again from the committed offset by a new stream. */
  private failed(p: PartitionState, err: unknown): void {
    this.drop(p);
    p.epoch++;
    p.blockedAt = this.streamGeneration;
    this.failures++;
    this.warn(
      { err, topic: p.topic, partition: p.partition },
      'batch failed; reading it again from the committed offset',
    );
    this.scheduleRestart();
  }

  /** disconnect() has begun (read through a call: the compiler cannot see it change across an await) */
  private stopped(): boolean {
    return !this.running;
  }

  private warn(fields: Record<string, unknown>, message: string): void {
    this.settings.logger.warn({ ...fields, groupId: this.consumer.groupId, client: '@platformatic/kafka' }, message);
  }
}
