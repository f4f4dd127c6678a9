import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin } from 'kafkajs';
import type { Config } from '../config/config-schema.js';
import { TopicReadTimeoutError } from '../kafka/read-to-end.js';
import { retryUntilTopicSettles } from '../kafka/topic-leaders.js';
import { ensureTopics } from '../kafka/topics.js';
import type { ProbeResult } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics-registry.js';
import { rolloutMetrics, type RolloutMetrics } from '../observability/rollout-metrics.js';
import type { ServingModel, ServingSet, ServingSetSource } from '../serving/serving-set.js';
import { MODEL_REFUSAL_REASONS } from './model-package.js';
import { modelTopicSpecs, type RegistryTopicsConfig } from './registry-topic-specs.js';
import {
  applyModelRecord,
  applyRolloutRecord,
  initialRolloutState,
  ROLLOUT_REFUSAL_REASONS,
  type FollowedRecord,
  type RolloutEvent,
  type RolloutState,
  type RolloutStep,
} from './rollout-state.js';

/** A record as the follower's consumer hands it over. */
export interface FollowedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A fetched batch of one partition of a followed topic. */
export interface FollowedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly FollowedMessage[];
  /** the batch's last offset, counting the transaction markers and aborted records the consumer leaves out */
  readonly lastOffset: string;
}

/** How far a consumer has read a partition, markers included: the follower's catch-up reads it. */
export interface ReadPosition {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
}

/**
 * The follower's consumer: a member of a consumer group of its own that reads committed records only
 * (read_committed), starts at the earliest record (the group has no offsets), commits nothing, and hands over one
 * batch at a time. A batch is done when its handler resolves.
 */
export interface RolloutConsumer {
  connect(): Promise<void>;
  subscribe(topic: string): Promise<void>;
  /** Starts fetching and returns. */
  run(eachBatch: (batch: FollowedBatch) => Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
  /** Tells of a crash the client does not recover from by itself. Absent: such a crash goes unnoticed. */
  onCrash?(listener: (error: Error) => void): void;
  /**
   * Tells how far each fetched batch went, also for batches of transaction markers only, which never reach the
   * batch handler (`rollout set` writes transactionally, so a topic's last offset is a marker). Absent: only the
   * batches handed over count, and a topic ending in a marker is never read "to its end" at start.
   */
  onProgress?(listener: (position: ReadPosition) => void): void;
}

/** The admin calls of the follower: the topics (ensureTopics) and their end offsets at start. */
export type RolloutAdmin = Pick<
  Admin,
  'connect' | 'disconnect' | 'listTopics' | 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'
>;

/** Where the follower's Kafka clients come from; src/app hands the service's own. */
export interface RolloutClients {
  getAdmin(): RolloutAdmin;
  getConsumer(groupId: string): RolloutConsumer;
}

/** The slice of the configuration the follower reads (the full Config satisfies it). */
export interface RolloutFollowerConfig {
  stream: Pick<Config['stream'], 'groupId'>;
  topics: RegistryTopicsConfig;
  model: Pick<Config['model'], 'strictCategories'>;
}

export interface RolloutFollowerOptions {
  config: RolloutFollowerConfig;
  clients: RolloutClients;
  /** the local model (MODEL_DIR): the champion of revision 0, and a version every rollout may name */
  local: ServingModel;
  /** sha256 of the local model.json text, when known: a published package of the same text keeps it loaded */
  localSha256?: string;
  logger: Logger;
  metrics: Registry;
  /** first wait before restarting a crashed consumer; doubles up to 30 s */
  restartBackoffMs?: number;
}

const MAX_RESTART_BACKOFF_MS = 30_000;

type Phase = 'idle' | 'catching-up' | 'following' | 'stopped';

/**
 * Follows the models topic and the rollout topic (every `run` worker, `serve --follow-rollout`): reads both from
 * the beginning in a consumer group of its own (a unique id, no offset commits, so every follower reads every
 * record), folds their records into a RolloutState (./rollout-state.ts, pure) and serves the set in force.
 * `current()` is what the data path captures when it opens a transaction, so a new rollout takes effect between
 * transactions. Ready once both topics are read up to the end offsets they had at start.
 */
export class RolloutFollower implements ServingSetSource {
  private state: RolloutState;
  private phase: Phase = 'idle';
  private readonly log: Logger;
  private readonly metrics: RolloutMetrics;
  private readonly groupId: string;
  /** per topic and partition: the offset the next record must have to be new (records before it were applied) */
  private readonly nextOffsets = new Map<string, bigint>();
  /** per topic and partition: the end offset at start, until reached */
  private readonly behind = new Map<string, bigint>();
  /** rollout records read before the models topic was read to its end: applied once it is, in their order */
  private heldRollouts: { record: FollowedRecord; offset: string }[] = [];
  private caughtUp: (() => void) | undefined;
  private consumer: RolloutConsumer | undefined;
  private crashed: Error | undefined;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RolloutFollowerOptions) {
    const { config, local, logger } = options;
    this.log = logger.child({ component: 'rollout' });
    this.metrics = rolloutMetrics(options.metrics);
    for (const reason of MODEL_REFUSAL_REASONS) this.metrics.modelRefused.labels({ reason }).inc(0);
    for (const reason of ROLLOUT_REFUSAL_REASONS) this.metrics.rolloutRefused.labels({ reason }).inc(0);
    this.groupId = `${config.stream.groupId}.rollout.${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.state = initialRolloutState(local, {
      strictCategories: config.model.strictCategories,
      ...(options.localSha256 === undefined ? {} : { localSha256: options.localSha256 }),
    });
    this.showInForce(this.state.inForce);
  }

  /** The serving set in force: the local model (revision 0) until a rollout applies. */
  current(): ServingSet {
    return this.state.inForce;
  }

  /** Everything the follower knows (verified, refused and pending versions, the latest record). */
  snapshot(): RolloutState {
    return this.state;
  }

  /**
   * Makes sure both topics exist (creating them when config.topics.create), then reads them from the beginning
   * and resolves once both are read up to their end offsets as of now (at once when empty). Rejects with a
   * TopicReadTimeoutError when that takes longer than `budgetMs`, and with MissingTopicsError when a topic is
   * missing and may not be created.
   */
  async start(budgetMs: number): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`rollout follower already ${this.phase}`);
    this.phase = 'catching-up';
    try {
      await this.catchUp(budgetMs);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async catchUp(budgetMs: number): Promise<void> {
    const deadline = Date.now() + budgetMs;
    const { topics } = this.options.config;
    const admin = this.options.clients.getAdmin();
    await admin.connect();
    try {
      const { created } = await ensureTopics(admin, modelTopicSpecs(this.options.config), { create: topics.create });
      if (created.length > 0) this.log.info({ created }, 'created missing topics');
      for (const topic of [topics.models, topics.rollout]) {
        const offsets = await retryUntilTopicSettles(() => admin.fetchTopicOffsets(topic), {
          timeoutMs: Math.max(0, deadline - Date.now()),
        });
        for (const { partition, high, low } of offsets) {
          if (BigInt(high) > BigInt(low)) this.behind.set(partitionKey(topic, partition), BigInt(high));
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }

    const read = new Promise<void>((resolve) => {
      this.caughtUp = resolve;
    });
    await this.startConsumer();
    this.checkCaughtUp();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(
        () => {
          resolve('timeout');
        },
        Math.max(0, deadline - Date.now()),
      );
    });
    const outcome = await Promise.race([read, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const stillBehind = [...this.behind].map(([key, end]) => `${key} (end offset ${end})`).join(', ');
      throw new TopicReadTimeoutError(
        `the rollout follower did not read ${topics.models} and ${topics.rollout} up to their end offsets ` +
          `within ${budgetMs} ms (still behind: ${stillBehind}); is the broker answering fetches?`,
      );
    }
  }

  /** Not ready while reading the topics up to their end, and while the consumer is restarted after a crash. */
  readiness(): ProbeResult {
    const { models, rollout } = this.options.config.topics;
    switch (this.phase) {
      case 'idle':
      case 'catching-up':
        return { ok: false, reasons: [`rollout follower reading ${models} and ${rollout} up to their end offsets`] };
      case 'stopped':
        return { ok: false, reasons: ['rollout follower stopped'] };
      case 'following':
        return this.crashed === undefined
          ? { ok: true, reasons: [] }
          : { ok: false, reasons: [`rollout follower restarting after a consumer crash: ${this.crashed.message}`] };
    }
  }

  /** Stops reading; the set in force stays what current() returns. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect().catch((err: unknown) => {
      this.log.warn({ err }, 'error while disconnecting the rollout follower');
    });
  }

  private async startConsumer(): Promise<void> {
    const { topics } = this.options.config;
    const consumer = this.options.clients.getConsumer(this.groupId);
    this.consumer = consumer;
    consumer.onCrash?.((error) => {
      this.restartAfterCrash(error);
    });
    consumer.onProgress?.((position) => {
      this.progressed(position);
    });
    await consumer.connect();
    await consumer.subscribe(topics.models);
    await consumer.subscribe(topics.rollout);
    await consumer.run((batch) => {
      this.handleBatch(batch);
      return Promise.resolve();
    });
    this.log.info({ groupId: this.groupId, topics: [topics.models, topics.rollout] }, 'following the rollout topics');
  }

  /**
   * A crash the client does not recover from (brokers away past its retries): the consumer starts again after a
   * backoff and reads from the beginning; the records already applied are skipped by offset.
   */
  private restartAfterCrash(error: Error): void {
    if (this.phase === 'stopped') return;
    this.crashed = error;
    const inMs = Math.min(MAX_RESTART_BACKOFF_MS, (this.options.restartBackoffMs ?? 1_000) * 2 ** this.restarts);
    this.restarts++;
    this.log.error({ err: error, restartInMs: inMs }, 'rollout follower consumer crashed; restarting it');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        if (this.phase === 'stopped') return;
        await this.consumer?.disconnect().catch(() => undefined);
        try {
          await this.startConsumer();
          this.crashed = undefined;
          this.restarts = 0;
        } catch (err) {
          this.restartAfterCrash(err instanceof Error ? err : new Error(String(err)));
        }
      })();
    }, inMs);
  }

  private handleBatch(batch: FollowedBatch): void {
    if (this.phase === 'stopped') return;
    const { models, rollout } = this.options.config.topics;
    const key = partitionKey(batch.topic, batch.partition);
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < (this.nextOffsets.get(key) ?? 0n)) continue;
      const record: FollowedRecord = { key: message.key?.toString('utf8') ?? null, value: message.value };
      if (batch.topic === models) this.apply(applyModelRecord(this.state, record), batch.topic, message.offset);
      else if (batch.topic === rollout) this.onRolloutRecord(record, message.offset);
      this.nextOffsets.set(key, offset + 1n);
    }
    this.progressed(batch);
  }

  /** The catch-up at start: a partition is read once a batch reached the end offset it had then. */
  private progressed({ topic, partition, lastOffset }: ReadPosition): void {
    if (this.phase === 'stopped') return;
    const key = partitionKey(topic, partition);
    const end = this.behind.get(key);
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) this.behind.delete(key);
    this.checkCaughtUp();
  }

  private onRolloutRecord(record: FollowedRecord, offset: string): void {
    // While the models topic is still being read, a rollout naming a version whose good package is further down
    // would be refused for the version's earlier, refused one (or wait needlessly): hold it until then.
    if (this.modelsBehind()) this.heldRollouts.push({ record, offset });
    else this.apply(applyRolloutRecord(this.state, record), this.options.config.topics.rollout, offset);
  }

  private modelsBehind(): boolean {
    const prefix = `${this.options.config.topics.models}:`;
    return [...this.behind.keys()].some((key) => key.startsWith(prefix));
  }

  private checkCaughtUp(): void {
    if (!this.modelsBehind() && this.heldRollouts.length > 0) {
      const held = this.heldRollouts;
      this.heldRollouts = [];
      for (const { record, offset } of held) {
        this.apply(applyRolloutRecord(this.state, record), this.options.config.topics.rollout, offset);
      }
    }
    if (this.phase !== 'catching-up' || this.behind.size > 0) return;
    this.phase = 'following';
    const { inForce } = this.state;
    this.log.info(
      {
        revision: inForce.revision,
        versions: [...this.state.verified.keys()],
        refused: [...this.state.refused.keys()],
      },
      'rollout topics read up to their end offsets',
    );
    this.caughtUp?.();
  }

  private apply(step: RolloutStep, topic: string, offset: string): void {
    this.state = step.state;
    for (const event of step.events) this.report(event, { topic, offset });
  }

  /** One log line per event, at the level an operator needs; refusals also counted. */
  private report(event: RolloutEvent, at: { topic: string; offset: string }): void {
    switch (event.kind) {
      case 'model-verified':
        this.log.info(
          { version: event.version, sha256: event.sha256, replaced: event.replaced, ...at },
          'model verified',
        );
        return;
      case 'model-unchanged':
        this.log.debug({ version: event.version, sha256: event.sha256, ...at }, 'model package read again, unchanged');
        return;
      case 'model-refused':
        this.metrics.modelRefused.labels({ reason: event.reason }).inc();
        this.log.warn(
          { version: event.version, reason: event.reason, detail: event.message, stillInUse: event.stillInUse, ...at },
          'model refused',
        );
        return;
      case 'model-withdrawn':
        this.log[event.stillInUse ? 'warn' : 'info'](
          { version: event.version, stillInUse: event.stillInUse, ...at },
          event.stillInUse
            ? 'model withdrawn; the rollout in force keeps serving it until a rollout stops naming it'
            : 'model withdrawn',
        );
        return;
      case 'rollout-applied':
        this.showInForce(event.set);
        this.log.info({ ...describeRollout(event.set), ...at }, 'rollout in force');
        return;
      case 'rollout-unchanged':
        this.log.debug({ revision: event.revision, ...at }, 'rollout read again, unchanged');
        return;
      case 'rollout-waiting':
        this.log.warn(
          { revision: event.revision, waitingFor: event.waitingFor, ...at },
          'rollout waiting for model versions not published yet',
        );
        return;
      case 'rollout-refused':
        this.metrics.rolloutRefused.labels({ reason: event.reason }).inc();
        this.log.warn(
          {
            revision: event.revision,
            reason: event.reason,
            detail: event.message,
            inForce: this.state.inForce.revision,
            ...at,
          },
          'rollout refused',
        );
        return;
      case 'rollout-withdrawn':
        this.log.warn({ ...at }, 'rollout withdrawn: the local model serves everyone');
        return;
    }
  }

  private showInForce(set: ServingSet): void {
    const { revision, share } = this.metrics;
    revision.set(set.revision);
    share.reset();
    const { rollout } = set;
    const challengerBuckets = rollout.challengers.reduce((sum, c) => sum + Math.round(c.weight * 100), 0);
    share.labels({ version: rollout.champion.version, variant: 'champion' }).set((10_000 - challengerBuckets) / 100);
    for (const c of rollout.challengers) share.labels({ version: c.version, variant: c.kind }).set(c.weight);
    for (const version of rollout.shadows) share.labels({ version, variant: 'shadow' }).set(0);
  }
}

/** What the 'rollout in force' line says. */
export function describeRollout(set: ServingSet): Record<string, unknown> {
  const { rollout } = set;
  return {
    revision: set.revision,
    champion: rollout.champion.version,
    challengers: rollout.challengers.map((c) => `${c.version} ${c.kind} ${c.weight}%`),
    shadows: rollout.shadows,
  };
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
