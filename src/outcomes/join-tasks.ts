import type { Logger } from 'pino';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import type { JoinMetrics } from '../observability/join-metrics.js';
import type { KafkaClientSupplier, StreamAdmin } from '../stream/kafka-client-supplier.js';
import type { TransactionalClient, TransactionalProducer } from '../stream/partition-leases.js';
import { restoreChangelog } from './changelog-restore.js';
import { decodeChangelogRecord, JoinChangelogError } from './join-changelog.js';
import { JoinState } from './join-state.js';

/**
 * Join task p: the right to process partition p of the join's input topics, with its state.
 *
 * Like the stream's PartitionLeases (src/stream/partition-leases.ts), one transactional producer per task with a
 * stable id, `${joinGroup}-${p}`: whoever takes task p calls InitProducerId with it, which ends the previous owner's
 * open transaction and fences its later commits (kafkajs' TxnOffsetCommit carries no group generation, KIP-447).
 * Only then are the committed offsets of the three inputs' partition p final, and the end of changelog partition p
 * too: the state is restored from the changelog up to that end before any record of p is processed.
 */
export interface JoinTask {
  readonly partition: number;
  readonly producer: TransactionalProducer;
  readonly transactionalId: string;
  readonly state: JoinState;
  /** per input topic, the next offset to process (what the last committed transaction said); -1n: none yet */
  readonly next: Map<string, bigint>;
  /**
   * per input topic, how far the task has read: `next`, or further past batches of transaction markers only. The
   * outcome gate compares it with the inputs' ends.
   */
  readonly position: Map<string, bigint>;
  /** serialises the task's batches: partition p of each input is fetched on its own, but they share the state */
  lock: Promise<void>;
}

export interface JoinTasksOptions {
  clients: Pick<KafkaClientSupplier, 'getConsumer'>;
  producers: TransactionalClient;
  admin: Pick<StreamAdmin, 'fetchOffsets' | 'fetchTopicOffsets'>;
  /** the join's consumer group (`${stream.groupId}.outcomes`): its committed offsets, its transactional ids */
  groupId: string;
  inputTopics: readonly string[];
  changelogTopic: string;
  windowMs: number;
  /** outcomes.maxPendingPerPartition: the most pending predictions a task keeps (JoinState) */
  maxPending: number;
  sessionTimeoutMs: number;
  transactionTimeoutMs: number;
  metrics: JoinMetrics;
  logger: Logger;
  now?: () => number;
}

export class JoinTasks {
  private readonly tasks = new Map<number, Promise<JoinTask>>();
  /** states of tasks given up after a failure, kept in case the committed offsets show nobody moved them since */
  private readonly parked = new Map<number, { state: JoinState; next: Map<string, bigint> }>();
  private readonly restoringNow = new Set<number>();
  private readonly ready = new Map<number, JoinTask>();

  constructor(private readonly options: JoinTasksOptions) {}

  transactionalId(partition: number): string {
    return `${this.options.groupId}-${partition}`;
  }

  acquire(partition: number): Promise<JoinTask> {
    let pending = this.tasks.get(partition);
    if (pending === undefined) {
      const opening = this.open(partition);
      pending = opening;
      this.tasks.set(partition, opening);
      opening.catch(() => {
        if (this.tasks.get(partition) === opening) this.tasks.delete(partition);
      });
    }
    return pending;
  }

  /** Gives the task up after a failure (maybe fenced): its state is parked for a later acquire to check. */
  async release(partition: number): Promise<void> {
    await this.close(partition, true);
  }

  /** Drops every task not in `keep` (a rebalance took them): producer closed, state dropped. */
  async retainOnly(keep: readonly number[]): Promise<void> {
    const wanted = new Set(keep);
    for (const p of [...this.parked.keys()]) if (!wanted.has(p)) this.parked.delete(p);
    await Promise.all([...this.tasks.keys()].filter((p) => !wanted.has(p)).map((p) => this.close(p, false)));
  }

  async releaseAll(): Promise<void> {
    this.parked.clear();
    await Promise.all([...this.tasks.keys()].map((p) => this.close(p, false)));
  }

  /** Tasks whose state is being restored now. */
  restoring(): number[] {
    return [...this.restoringNow].sort((a, b) => a - b);
  }

  isReady(partition: number): boolean {
    return this.ready.has(partition);
  }

  /** The task of `partition` once taken (fenced, restored); undefined before and after. */
  readyTask(partition: number): JoinTask | undefined {
    return this.ready.get(partition);
  }

  /** Predictions pending in the tasks this worker owns (committed). */
  pendingPredictions(): number {
    let total = 0;
    for (const task of this.ready.values()) total += task.state.pendingCount;
    return total;
  }

  private async close(partition: number, park: boolean): Promise<void> {
    const pending = this.tasks.get(partition);
    if (pending === undefined) return;
    this.tasks.delete(partition);
    const task = this.ready.get(partition);
    this.ready.delete(partition);
    if (park && task !== undefined) this.parked.set(partition, { state: task.state, next: new Map(task.next) });
    try {
      await (await pending).producer.disconnect();
    } catch (err) {
      this.options.logger.warn({ err, partition }, 'error while closing a join task producer');
    }
  }

  private async open(partition: number): Promise<JoinTask> {
    const { options } = this;
    const now = options.now ?? Date.now;
    const transactionalId = this.transactionalId(partition);
    const producer = options.producers.producer({
      ...IDEMPOTENT_PRODUCER,
      transactionalId,
      transactionTimeout: options.transactionTimeoutMs,
    });
    const started = now();
    try {
      await producer.connect();
      // InitProducerId runs on the first transaction: run it now, empty, to fence the previous owner.
      const fence = await producer.transaction();
      await fence.abort();
      const next = await this.committedOffsets(partition);
      const parked = this.parked.get(partition);
      this.parked.delete(partition);
      let state: JoinState;
      if (parked !== undefined && !parked.state.staging && sameOffsets(parked.next, next)) {
        // Nobody committed task p since our last commit: our state is the changelog's. (One that a batch still had
        // changes open on when the task was given up is not trusted: the changelog is.)
        state = parked.state;
      } else {
        state = await this.restore(partition);
        options.metrics.restoreSeconds.observe((now() - started) / 1000);
      }
      const position = new Map([...next].map(([topic, offset]) => [topic, offset < 0n ? 0n : offset]));
      const task: JoinTask = { partition, producer, transactionalId, state, next, position, lock: Promise.resolve() };
      if (this.tasks.has(partition)) this.ready.set(partition, task);
      options.logger.info(
        {
          transactionalId,
          partition,
          offsets: Object.fromEntries([...next].map(([t, o]) => [t, o.toString()])),
          pending: state.pendingCount,
          streamTime: state.streamTime,
        },
        'join task taken (previous owner fenced, state restored)',
      );
      return task;
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      // Its own line (it names the partition and says how to reset): a retry would read the same records.
      if (err instanceof JoinChangelogError) throw err;
      throw new Error(`cannot take join task ${partition} (${transactionalId}): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async restore(partition: number): Promise<JoinState> {
    const { options } = this;
    const state = new JoinState(options.windowMs, options.maxPending);
    this.restoringNow.add(partition);
    try {
      const source = { topic: options.changelogTopic, partition, groupId: options.groupId };
      const { records } = await restoreChangelog({
        clients: options.clients,
        admin: options.admin,
        topic: options.changelogTopic,
        partitions: [partition],
        groupPrefix: `${options.groupId}.restore`,
        sessionTimeoutMs: options.sessionTimeoutMs,
        onRecord: (record) => {
          state.applyChangelog(decodeChangelogRecord(record.key, record.value, source));
        },
      });
      state.restored();
      options.logger.info(
        { partition, changelog: options.changelogTopic, records, pending: state.pendingCount },
        'join task state restored from its changelog',
      );
      return state;
    } finally {
      this.restoringNow.delete(partition);
    }
  }

  private async committedOffsets(partition: number): Promise<Map<string, bigint>> {
    const { options } = this;
    const entries = await options.admin.fetchOffsets({ groupId: options.groupId, topics: [...options.inputTopics] });
    const next = new Map<string, bigint>();
    for (const topic of options.inputTopics) {
      const found = entries.find((e) => e.topic === topic)?.partitions.find((p) => p.partition === partition);
      next.set(topic, found === undefined ? -1n : BigInt(found.offset));
    }
    return next;
  }
}

function sameOffsets(a: ReadonlyMap<string, bigint>, b: ReadonlyMap<string, bigint>): boolean {
  return a.size === b.size && [...a].every(([topic, offset]) => b.get(topic) === offset);
}
