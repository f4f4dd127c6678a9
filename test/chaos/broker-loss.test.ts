import type { Admin, Kafka, Message } from 'kafkajs';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENT_PRODUCER } from '../../src/kafka/client.js';
import { waitForTopicLeaders } from '../../src/kafka/topic-leaders.js';
import type { TransactionalProducer } from '../../src/stream/partition-leases.js';
import { onePartitionPerSend, TopicPartitionCounts } from '../../src/stream/partitioned-sends.js';
import { PredictionCollector, TopicCollector, describeAudit, startDeadLetterCollector } from '../support/collectors.js';
import {
  coordinatorOf,
  partitionLeader,
  underReplicated,
  useReplicatedCluster,
  waitForFullIsr,
  type ReplicatedCluster,
} from '../support/cluster.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { useProcessCleanup } from '../support/hooks.js';
import { connectedAdmin, deleteTopics, eventProducer, groupLag, sendPaced, testKafka } from '../support/kafka.js';
import { allTopics, topicEnv, uniqueNames, type StreamNames } from '../support/names.js';
import { deadLetterProblems, mixIn, poisonRecords, type PoisonRecord } from '../support/poison.js';
import { must } from '../support/must.js';
import { describeExit, startWorker, type WorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';

const { ConfigResourceTypes } = kafkajs;

const EVENTS = 20_000;
const PARTITIONS = 3;
const POISON_PER_KIND = 4;
/** fast enough that the worker is mid-backlog, with open transactions, when the node dies */
const PER_SECOND = 1_500;
const FAULT_AFTER_SENT = 6_000;
/** predictions the worker must commit while the node is still dead: the cluster goes on, so must the stream */
const PROGRESS_WHILE_DOWN = 3_000;
const INTERNAL_TOPICS = ['__consumer_offsets', '__transaction_state'];

/** One run's records (valid events with poison mixed in) on its own topics, and the worker's environment. */
interface Stream {
  names: StreamNames;
  env: Record<string, string>;
  expected: Set<string>;
  poison: PoisonRecord[];
  messages: Message[];
}

async function prepareStream(label: string, brokers: readonly string[]): Promise<Stream> {
  const names = uniqueNames(label);
  const encoder = await customerEventEncoder(names.customers);
  const events = telcoEvents(EVENTS);
  const poison = poisonRecords(encoder, must(events[0], 'a first event'), POISON_PER_KIND);
  return {
    names,
    // The worker creates its topics replicated like the cluster's internal ones: 3 copies, 2 in sync per write.
    env: {
      ...topicEnv(names),
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PARTITIONS: String(PARTITIONS),
      TOPIC_REPLICATION_FACTOR: '3',
      TOPIC_MIN_INSYNC_REPLICAS: '2',
      TRANSACTION_MAX_RECORDS: '200',
    },
    expected: new Set(events.map((e) => e.event_id)),
    poison,
    messages: mixIn(
      events.map((e) => eventMessage(encoder, e)),
      poison,
    ),
  };
}

/** How the worker created the topics: replicas per partition and min.insync.replicas per topic. */
async function replicationOf(
  admin: Admin,
  topics: readonly string[],
): Promise<{ replicas: number[]; minInsync: string[] }> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })),
  });
  return {
    replicas: metadata.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length)),
    minInsync: configs.resources.map(
      (r) => r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue ?? '?',
    ),
  };
}

/** What a fault gets to work with; it returns the worker that should be running at the end. */
interface FaultContext {
  cluster: ReplicatedCluster;
  admin: Admin;
  stream: Stream;
  worker: WorkerProcess;
  predictions: PredictionCollector;
  log: (step: string) => void;
}

describe('chaos: a broker of a replicated cluster dies (3 KRaft nodes, RF 3, min ISR 2)', () => {
  useProcessCleanup();
  const replicated = useReplicatedCluster();
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  const created: string[] = [];

  beforeAll(async () => {
    const cluster = replicated.cluster;
    if (cluster === undefined) return;
    process.stdout.write(`[chaos broker-loss] cluster ${cluster.brokers.join(',')} ready in ${cluster.startMs} ms\n`);
    kafka = testKafka('test-chaos-broker-loss', cluster.brokers);
    admin = await connectedAdmin(kafka);
  });

  afterAll(async () => {
    if (admin === undefined) return;
    await deleteTopics(admin, created);
    await admin.disconnect();
  });

  /**
   * Streams EVENTS valid events and the poison records through the worker while `fault` strikes (once FAULT_AFTER_SENT
   * records are sent and the worker is busy), then audits what a read_committed reader sees.
   */
  async function streamThrough(label: string, fault: (context: FaultContext) => Promise<WorkerProcess>): Promise<void> {
    const cluster = must(replicated.cluster, 'the replicated cluster');
    const k = must(kafka, 'a Kafka client of the cluster');
    const a = must(admin, 'an admin client of the cluster');
    const stream = await prepareStream(label, cluster.brokers);
    const { names } = stream;
    created.push(...allTopics(names));
    const started = Date.now();
    const steps: string[] = [];
    const log = (step: string) => steps.push(`${step} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    const first = startWorker({ label: `${names.suffix}-worker-1`, env: stream.env });
    await first.waitForReady(180_000);
    const replication = await replicationOf(a, allTopics(names));
    // Every topic the worker, its rollout follower and its outcome join made: the stream topics and the join's three
    // (outcomes, joined, changelog) of PARTITIONS, the model topics of one.
    expect(replication.replicas.length, 'partitions of the topics').toBeGreaterThanOrEqual(8 * PARTITIONS + 2);
    expect(new Set(replication.replicas), 'replicas of each partition of every topic').toEqual(new Set([3]));
    expect(replication.minInsync, 'min.insync.replicas of every topic').toEqual(allTopics(names).map(() => '2'));
    log('worker 1 ready');

    const predictions = await PredictionCollector.start(k, names.predictions);
    const deadLetters = await startDeadLetterCollector(k, names.deadLetter);
    const producer = await eventProducer(k);
    try {
      const sending = sendPaced(producer, names.customers, stream.messages, {
        perSecond: PER_SECOND,
        chunk: 300,
        partitions: PARTITIONS,
      });
      await waitUntil(() => sending.sent() >= FAULT_AFTER_SENT && predictions.records.length >= 1_000, {
        timeoutMs: 120_000,
        describe: () =>
          `${sending.sent()} sent, ${predictions.records.length} predictions: waiting for the worker to be mid-stream`,
      });
      log(`fault at ${sending.sent()} sent, ${predictions.records.length} predictions`);
      const worker = await fault({ cluster, admin: a, stream, worker: first, predictions, log });

      await sending.done;
      log(`all ${stream.messages.length} records sent`);
      const audit = await predictions.settle(
        a,
        stream.expected,
        { groupId: names.group, topic: names.customers },
        {
          predictionsMs: 240_000,
          lagMs: 60_000,
        },
      );
      await waitUntil(() => deadLetters.records.length >= stream.poison.length, {
        timeoutMs: 30_000,
        describe: () => `${deadLetters.records.length} of ${stream.poison.length} dead letters arrived`,
      });
      await deadLetters.drain(a);
      const lag = await groupLag(a, names.group, names.customers);
      log('settled');
      process.stdout.write(
        `[chaos broker-loss ${label}] ${steps.join('; ')}\n[chaos broker-loss ${label}] ${describeAudit(audit)}\n`,
      );

      expect(audit.missing, describeAudit(audit)).toEqual([]);
      expect(audit.duplicated, describeAudit(audit)).toEqual([]);
      expect(audit.unexpected, describeAudit(audit)).toEqual([]);
      expect(audit.records).toBe(EVENTS);
      expect(deadLetterProblems(stream.poison, deadLetters.records), 'dead letters').toEqual([]);
      expect(lag.total, 'input lag').toBe(0);
      expect(worker.running, `the worker must ride out the broker loss (${describeExit(worker.status)})`).toBe(true);
      // The restarted node caught up: the cluster is whole again for whatever comes next.
      await waitForFullIsr(a, [...allTopics(names), ...INTERNAL_TOPICS], 120_000);
    } finally {
      await producer.disconnect();
      await Promise.all([predictions.stop(), deadLetters.stop()]);
    }
  }

  /** While the node is dead the worker must go on committing, on the two survivors. */
  async function awaitProgressWhileDown(context: FaultContext, worker: WorkerProcess, before: number): Promise<void> {
    const { predictions, admin: a, stream } = context;
    await waitUntil(() => predictions.records.length >= before + PROGRESS_WHILE_DOWN || !worker.running, {
      timeoutMs: 150_000,
      describe: async () => {
        const lagging = await underReplicated(a, [stream.names.customers, stream.names.predictions]).catch(
          (e: unknown) => [String(e)],
        );
        return `${predictions.records.length - before} predictions since the kill (want ${PROGRESS_WHILE_DOWN}); under-replicated: ${lagging.join('; ')}`;
      },
    });
    expect(
      worker.running,
      `${worker.label} exited while a broker was down (${describeExit(worker.status)}):\n${worker.tail(30)}`,
    ).toBe(true);
    context.log(`${predictions.records.length - before} predictions while the node was down`);
  }

  it("the worker's transactional sends: a partition leader SIGKILLed mid-transaction doubles or loses no committed record", async (context) => {
    if (replicated.unavailable !== undefined) {
      context.skip(replicated.unavailable);
      return;
    }
    const cluster = must(replicated.cluster, 'the replicated cluster');
    const k = must(kafka, 'a Kafka client of the cluster');
    const a = must(admin, 'an admin client of the cluster');
    const { suffix } = uniqueNames('txn-sends');
    const topic = `test.${suffix}.out`;
    const transactionalId = `test.${suffix}.txn`;
    created.push(topic);
    await a.createTopics({
      topics: [
        {
          topic,
          numPartitions: PARTITIONS,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      // kafkajs' waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a cluster answers for a moment.
      waitForLeaders: false,
    });
    await waitForTopicLeaders(a, [topic], { timeoutMs: 30_000 });
    // The producers the worker's partition leases use (src/stream/worker.ts).
    const client = onePartitionPerSend(k, new TopicPartitionCounts(a));
    const open = async (): Promise<TransactionalProducer> => {
      const producer = client.producer({ ...IDEMPOTENT_PRODUCER, transactionalId });
      await producer.connect();
      return producer;
    };

    // Transactions of 200 records over all partitions, back to back, as a busy worker writes predictions. A failed
    // one is aborted and the producer replaced (fencing it), as a partition lease does.
    const committed = new Set<string>();
    let failed = 0;
    let next = 0;
    const stopWriting = new AbortController();
    const writing = (async () => {
      let producer = await open();
      while (!stopWriting.signal.aborted) {
        const ids = Array.from({ length: 200 }, () => `r-${next++}`);
        const txn = await producer.transaction();
        try {
          await txn.sendBatch({ topicMessages: [{ topic, messages: ids.map((id) => ({ key: id, value: id })) }] });
          await txn.commit();
          for (const id of ids) committed.add(id);
        } catch {
          failed++;
          await txn.abort().catch(() => undefined);
          await producer.disconnect().catch(() => undefined);
          producer = await open();
        }
      }
      await producer.disconnect();
    })();
    try {
      await waitUntil(() => committed.size >= 2_000, {
        timeoutMs: 60_000,
        describe: () => `${committed.size} records committed`,
      });
      // A leader of the topic that does not coordinate the transactions: the sends to it fail, the rest go on.
      const coordinator = await coordinatorOf(a, '__transaction_state', transactionalId);
      const leaders = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => partitionLeader(a, topic, p)));
      const victim = leaders.find((node) => node !== coordinator) ?? must(leaders[0], 'the leader of partition 0');
      const partition = leaders.indexOf(victim);
      await cluster.kill(victim);
      const atKill = committed.size;
      // Until the partition has a new leader (the node is fenced after broker.session.timeout.ms), then a little more.
      await waitUntil(async () => (await partitionLeader(a, topic, partition).catch(() => victim)) !== victim, {
        timeoutMs: 60_000,
        intervalMs: 500,
        describe: () => `${topic}[${partition}] still led by the dead node ${victim}`,
      });
      const atFailover = committed.size;
      await waitUntil(() => committed.size >= atFailover + 2_000, {
        timeoutMs: 60_000,
        describe: () => `${committed.size - atFailover} records committed since the failover`,
      });
      stopWriting.abort();
      await writing;
      await cluster.start(victim);
      process.stdout.write(
        `[chaos broker-loss txn-sends] node ${victim} (leader of ${topic}[${partition}]) killed at ${atKill} committed records, ` +
          `failover at ${atFailover}; ${committed.size} committed, ${failed} transactions failed and were aborted\n`,
      );
    } finally {
      stopWriting.abort();
      await writing.catch(() => undefined);
    }

    const reader = await TopicCollector.start(k, topic, (m) => m.value?.toString() ?? '');
    try {
      await reader.drain(a, 60_000);
      const seen = new Map<string, number>();
      for (const r of reader.records) seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
      const doubled = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      const lost = [...committed].filter((id) => !seen.has(id));
      const uncommitted = [...seen.keys()].filter((id) => !committed.has(id));
      const summary = `${committed.size} committed, ${reader.records.length} read: ${doubled.length} doubled (e.g. ${doubled.slice(0, 3).join(', ')}), ${lost.length} lost, ${uncommitted.length} from aborted transactions`;
      expect(doubled, summary).toEqual([]);
      expect(lost, summary).toEqual([]);
      expect(uncommitted, summary).toEqual([]);
    } finally {
      await reader.stop();
    }
    await waitForFullIsr(a, [topic, ...INTERNAL_TOPICS], 120_000);
  });

  it('the leader of a customers partition is SIGKILLed mid-stream and restarted later: every event once, poison in the DLQ', async (context) => {
    if (replicated.unavailable !== undefined) {
      context.skip(replicated.unavailable);
      return;
    }
    await streamThrough('leader-kill', async (fault) => {
      // Not the group's coordinator: the worker must keep consuming and committing, so that it is producing to the
      // node's partitions (each node leads one partition of each topic) when the node dies.
      const { names } = fault.stream;
      const coordinator = await coordinatorOf(fault.admin, '__consumer_offsets', names.group);
      const leaders = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, p) => partitionLeader(fault.admin, names.customers, p)),
      );
      const victim = leaders.find((node) => node !== coordinator) ?? must(leaders[0], 'the leader of partition 0');
      const before = fault.predictions.records.length;
      const killed = await fault.cluster.kill(victim);
      fault.log(
        `node ${victim} (leader of customers[${leaders.indexOf(victim)}], group coordinator ${coordinator}) SIGKILLed in ${killed.ms} ms`,
      );
      await awaitProgressWhileDown(fault, fault.worker, before);
      const restarted = await fault.cluster.start(victim);
      fault.log(`node ${victim} restarted in ${restarted.ms} ms`);
      return fault.worker;
    });
  });

  it('a worker and the leader of a customers partition are SIGKILLed together; a new worker takes over: every event once', async (context) => {
    if (replicated.unavailable !== undefined) {
      context.skip(replicated.unavailable);
      return;
    }
    await streamThrough('worker-and-leader-kill', async (fault) => {
      // Node 1 when it leads a partition: it is first in KAFKA_BROKERS, where a new client looks first.
      const leaders = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, p) => partitionLeader(fault.admin, fault.stream.names.customers, p)),
      );
      const victim = leaders.includes(1) ? 1 : must(leaders[1], 'the leader of partition 1');
      const before = fault.predictions.records.length;
      const [, killed] = await Promise.all([fault.worker.kill(), fault.cluster.kill(victim)]);
      fault.log(
        `worker 1 and node ${victim} (leader of customers[${leaders.indexOf(victim)}]) SIGKILLed in ${killed.ms} ms`,
      );
      // The replacement starts while the node is still dead: it must fence the dead worker's transactions
      // through coordinators that are moving to the survivors.
      const second = startWorker({ label: `${fault.stream.names.suffix}-worker-2`, env: fault.stream.env });
      await awaitProgressWhileDown(fault, second, before);
      const restarted = await fault.cluster.start(victim);
      fault.log(`node ${victim} restarted in ${restarted.ms} ms`);
      return second;
    });
  });
});
