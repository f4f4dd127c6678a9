import { Kafka, Partitioners, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { stackEndpoints } from './stack.js';
import { waitUntil } from './wait.js';

/** A kafkajs client for the test side (producing events, reading results); quiet logs. */
export function testKafka(clientId: string, brokers: readonly string[] = stackEndpoints().brokers): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    // Generous: the chaos tests restart the broker under these clients.
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 30 },
  });
}

export async function connectedAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** Creates the topics (idempotent), waiting for their leaders. */
export async function createTopics(admin: Admin, topics: readonly string[], partitions: number): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    waitForLeaders: true,
  });
}

export async function deleteTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 }).catch(() => undefined);
}

/** An idempotent (not transactional) producer, as an ordinary upstream service would use. */
export async function eventProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    retry: { retries: 1_000, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  await producer.connect();
  return producer;
}

/** Sends the messages in chunks (acks=all); returns how many were sent. */
export async function sendAll(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  chunk = 500,
): Promise<number> {
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({ topic, messages: messages.slice(i, i + chunk), acks: -1 });
  }
  return messages.length;
}

export interface GroupLag {
  total: number;
  /** partition -> end offset minus committed offset (end minus start when nothing is committed) */
  byPartition: Map<number, number>;
}

/** The consumer group's lag on a topic, from committed offsets and the partitions' end offsets. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<GroupLag> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map<number, bigint>();
  for (const p of committed[0]?.partitions ?? []) done.set(p.partition, BigInt(p.offset));
  const byPartition = new Map<number, number>();
  let total = 0;
  for (const end of ends) {
    const committedOffset = done.get(end.partition) ?? -1n;
    const lag = Number(BigInt(end.high) - (committedOffset < 0n ? BigInt(end.low) : committedOffset));
    byPartition.set(end.partition, lag);
    total += lag;
  }
  return { total, byPartition };
}

export function describeLag(lag: GroupLag): string {
  return [...lag.byPartition].map(([p, l]) => `p${p}=${l}`).join(' ');
}

/** Waits until the group has committed up to the end of every partition of the topic. */
export async function waitForNoLag(admin: Admin, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  await waitUntil(async () => (await groupLag(admin, groupId, topic)).total === 0, {
    timeoutMs,
    describe: async () =>
      `group ${groupId} lag on ${topic} not 0: ${describeLag(await groupLag(admin, groupId, topic))}`,
  });
}

/** The partition kafkajs' default partitioner gives a message on a topic of `count` partitions. */
function keyPartitioner(topic: string, count: number): (message: Message) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return (message) => partitioner({ topic, partitionMetadata, message });
}

/** A producer sending at a bounded rate in the background, so workers can be disturbed mid-stream. */
export interface PacedSend {
  readonly done: Promise<void>;
  sent(): number;
}

/**
 * With `partitions` set, each request carries the records of one partition only (placed by key, as
 * kafkajs' default partitioner does). A kafkajs send to several leaders retries a failed request while
 * the others may still be in flight; when a leader dies that breaks the idempotent sequence
 * (OUT_OF_ORDER_SEQUENCE_NUMBER) or re-sends records, so tests that kill brokers send this way.
 */
export function sendPaced(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  options: { perSecond: number; chunk?: number; partitions?: number },
): PacedSend {
  const chunk = options.chunk ?? 250;
  const partitionOf = options.partitions === undefined ? undefined : keyPartitioner(topic, options.partitions);
  let sent = 0;
  const done = (async () => {
    const started = Date.now();
    for (let i = 0; i < messages.length; i += chunk) {
      const part = messages.slice(i, i + chunk);
      if (partitionOf === undefined) {
        await producer.send({ topic, messages: part, acks: -1 });
      } else {
        const byPartition = new Map<number, Message[]>();
        for (const m of part) {
          const partition = partitionOf(m);
          const list = byPartition.get(partition);
          if (list === undefined) byPartition.set(partition, [m]);
          else list.push(m);
        }
        for (const [partition, records] of byPartition) {
          await producer.send({ topic, messages: records.map((m) => ({ ...m, partition })), acks: -1 });
        }
      }
      sent += part.length;
      const due = started + (sent / options.perSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return { done, sent: () => sent };
}
