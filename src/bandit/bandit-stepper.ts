import type { Admin, Kafka } from 'kafkajs';
import { readTopicsToEnd } from '../kafka/read-to-end.js';
import { RolloutConflictError } from '../model-registry/registry-errors.js';
import type { RegistryTopicsConfig } from '../model-registry/registry-topic-specs.js';
import { changeRollout, type RolloutChange, type RolloutChangeResult } from '../model-registry/registry-topics.js';
import { banditStepRecord, type RolloutRecord } from '../model-registry/rollout-record.js';
import { banditMetrics, type BanditMetrics } from '../observability/bandit-metrics.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics-registry.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import type { PredictionOutcome } from '../serde/avro-records.js';
import { DecodeError } from '../serde/decode-error.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { predictionOutcomeSchema } from '../serde/schema-files.js';
import type { ServingSetSource } from '../serving/serving-set.js';
import { armWeights, hasBandit } from './bandit-rollout.js';
import { thompsonStep, type BanditStep } from './thompson-step.js';

/** Per partition of the joined topic (a decimal string), the next offset to read (a decimal string). */
export type ReadTo = Readonly<Record<string, string>>;

/** The joined topic's records from a bandit's read_to up to the end now. */
export interface JoinedRead {
  readonly outcomes: readonly PredictionOutcome[];
  /** every partition's end offset as read: the read_to of the step */
  readonly readTo: ReadTo;
  /** records that are not a PredictionOutcome (left out; each is warned about) */
  readonly undecodable: number;
}

/** The stepper's Kafka port: kafkaBanditClients below, or an in-process fake in the unit tests. */
export interface BanditClients {
  /** The joined topic read_committed from `from` (a partition left out: from its beginning) to its end now. */
  readJoined(from: ReadTo): Promise<JoinedRead>;
  /** The rollout's read-modify-write under the rollout admin transactional id (registry-topics.ts). */
  changeRollout(change: RolloutChange): Promise<RolloutChangeResult>;
  close(): Promise<void>;
}

export interface BanditStepperOptions {
  /** config.outcomes.banditIntervalMs */
  readonly intervalMs: number;
  /** the rollout follower: whether a bandit is in force, and at which revision */
  readonly serving: ServingSetSource;
  readonly clients: BanditClients;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly now?: () => Date;
}

/** What one tick did. */
export type BanditTick =
  | { readonly kind: 'no-bandit' }
  /** the joined topic has no record past read_to: nothing published */
  | { readonly kind: 'nothing-new'; readonly revision: number }
  | { readonly kind: 'stepped'; readonly revision: number; readonly step: BanditStep }
  /**
   * another worker stepped (or an operator changed the rollout) first: `moved-on` when the rollout read under the
   * admin transactional id is no longer the revision this step started from, `conflict` when another writer took
   * the id before this one committed. Nothing published; the next tick starts from the new revision.
   */
  | { readonly kind: 'skipped'; readonly revision: number; readonly reason: 'moved-on' | 'conflict' };

/**
 * The bandit's Kafka shell, one per `run` worker (with config.outcomes.join): every `intervalMs`, while the serving
 * set's rollout has a bandit, reads the joined topic from the bandit's read_to to the end, applies a Thompson step
 * (./thompson-step.ts) and publishes the next rollout with changeRollout. Posteriors, weights and read_to live in
 * the rollout record itself, written in one transaction, so any worker (or this one after a restart) continues
 * exactly where the last step stopped: a record is counted by the step whose read_to range holds it, once.
 * When two workers step at once, one publishes and the other finds the revision moved on (or is fenced) and skips.
 */
export class BanditStepper {
  private readonly log: Logger;
  private readonly metrics: BanditMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private shownWeights = '';

  constructor(private readonly options: BanditStepperOptions) {
    this.log = options.logger.child({ component: 'bandit' });
    this.metrics = banditMetrics(options.metrics);
  }

  /** Ticks every intervalMs (from the end of the previous tick, with up to 10% jitter so workers spread out). */
  start(): void {
    this.showWeights();
    this.schedule();
  }

  /** Stops ticking and waits for a tick under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.options.clients.close().catch((err: unknown) => {
      this.log.warn({ err }, 'error while closing the bandit clients');
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.options.intervalMs * (0.9 + 0.1 * Math.random());
    this.timer = setTimeout(() => {
      const tick = this.tick().catch((err: unknown) => {
        // The next tick starts from the same read_to: nothing was published, nothing is lost.
        this.log.warn({ err }, 'bandit step failed; trying again at the next interval');
      });
      this.running = tick;
      void tick.finally(() => {
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  /** One step, if a bandit is in force and the joined topic has records past its read_to. */
  async tick(): Promise<BanditTick> {
    this.showWeights();
    const set = this.options.serving.current();
    const bandit = set.rollout.bandit;
    if (bandit === undefined) return { kind: 'no-bandit' };
    const base = set.revision;
    const read = await this.options.clients.readJoined(bandit.read_to);
    if (sameOffsets(read.readTo, bandit.read_to)) return { kind: 'nothing-new', revision: base };
    let step: BanditStep | undefined;
    const change = (snapshot: Parameters<RolloutChange>[0]): RolloutRecord | undefined => {
      const current = snapshot.rollout.current;
      if (current === undefined || current.revision !== base || !hasBandit(current.rollout)) return undefined;
      step = thompsonStep(current.rollout, read.outcomes, read.readTo);
      return banditStepRecord(current, step.document, (this.options.now?.() ?? new Date()).toISOString());
    };
    let result: RolloutChangeResult;
    try {
      result = await this.options.clients.changeRollout(change);
    } catch (err) {
      if (!(err instanceof RolloutConflictError)) throw err;
      this.log.debug({ revision: base }, 'bandit step skipped: another writer took the rollout topic first');
      return { kind: 'skipped', revision: base, reason: 'conflict' };
    }
    const published = result.published;
    if (published === undefined || step === undefined) {
      this.log.debug(
        { revision: base, inForce: result.previous?.revision },
        'bandit step skipped: the rollout moved on since this step started',
      );
      return { kind: 'skipped', revision: base, reason: 'moved-on' };
    }
    this.metrics.steps.inc();
    this.setWeights(step.arms.map((a) => [a.version, a.weight] as const));
    this.log.info(
      {
        revision: published.revision,
        step: step.step,
        reward: step.document.bandit.reward,
        read: step.read,
        rewarded: step.rewarded,
        undecodable: read.undecodable,
        reweighted: step.reweighted,
        arms: step.arms.map((a) => ({
          version: a.version,
          successes: a.successes,
          failures: a.failures,
          added: [a.addedSuccesses, a.addedFailures],
          probabilityBest: a.probabilityBest,
          weight: a.weight,
        })),
        readTo: step.document.bandit.read_to,
      },
      'bandit step',
    );
    return { kind: 'stepped', revision: published.revision, step };
  }

  /** churn_bandit_weight follows the rollout in force, whoever stepped it. */
  private showWeights(): void {
    const rollout = this.options.serving.current().rollout;
    if (rollout.bandit === undefined) {
      this.setWeights([]);
      return;
    }
    const document = {
      champion: rollout.champion.version,
      challengers: rollout.challengers.map(({ version, kind, weight }) => ({ version, kind, weight })),
      bandit: rollout.bandit,
    };
    const weights = armWeights(document);
    this.setWeights(rollout.bandit.arms.map((version, i) => [version, weights[i] as number] as const));
  }

  private setWeights(weights: readonly (readonly [string, number])[]): void {
    const key = JSON.stringify(weights);
    if (key === this.shownWeights) return;
    this.shownWeights = key;
    this.metrics.weight.reset();
    for (const [version, weight] of weights) this.metrics.weight.labels({ version }).set(weight);
  }
}

/** Both name the same next offset for every partition (a partition left out is at 0). */
function sameOffsets(a: ReadTo, b: ReadTo): boolean {
  const partitions = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...partitions].every((p) => BigInt(a[p] ?? '0') === BigInt(b[p] ?? '0'));
}

/** What the Kafka clients of the stepper need of the configuration. */
export interface BanditKafkaConfig {
  readonly topics: RegistryTopicsConfig & { readonly joined: string };
}

/** How long one read of the joined topic may take, group join included. */
const JOINED_READ_TIMEOUT_MS = 60_000;

/**
 * The stepper's clients over kafkajs: the joined topic read with a throwaway read_committed consumer from read_to
 * (src/kafka/read-to-end.ts), decoded with the registry as every reader decodes (PredictionOutcome, the writer's
 * schema resolved by id); the rollout changed with changeRollout. One admin, connected at first use.
 */
export function kafkaBanditClients(options: {
  kafka: Kafka;
  config: BanditKafkaConfig;
  registry: SchemaRegistryClient;
  logger: Logger;
}): BanditClients {
  const { kafka, config, logger } = options;
  const topic = config.topics.joined;
  const decoder = new AvroDecoder<PredictionOutcome>({
    registry: options.registry,
    readerType: predictionOutcomeSchema().type,
  });
  let admin: Promise<Admin> | undefined;
  const connected = (): Promise<Admin> => {
    admin ??= (async () => {
      const client = kafka.admin();
      await client.connect();
      return client;
    })().catch((err: unknown) => {
      admin = undefined;
      throw err;
    });
    return admin;
  };
  return {
    async readJoined(from) {
      const client = await connected();
      if (!(await client.listTopics()).includes(topic)) return { outcomes: [], readTo: { ...from }, undecodable: 0 };
      const outcomes: PredictionOutcome[] = [];
      let undecodable = 0;
      const start = new Map(Object.entries(from).map(([partition, offset]) => [Number(partition), BigInt(offset)]));
      const ends = await readTopicsToEnd(
        kafka,
        client,
        [topic],
        async (record) => {
          try {
            outcomes.push(await decoder.decode(record.value));
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            undecodable++;
            logger.warn(
              { topic, partition: record.partition, offset: record.offset, reason: err.message },
              'joined record is not a PredictionOutcome; the bandit leaves it out',
            );
          }
        },
        {
          groupPrefix: 'churn-scorer.bandit-read',
          maxWaitTimeInMs: 100,
          timeoutMs: JOINED_READ_TIMEOUT_MS,
          logger,
          from: new Map([[topic, start]]),
        },
      );
      const readTo: Record<string, string> = { ...from };
      for (const [partition, end] of ends.get(topic) ?? []) readTo[String(partition)] = end.toString();
      return { outcomes, readTo, undecodable };
    },
    async changeRollout(change) {
      return changeRollout(kafka, await connected(), config, change);
    },
    async close() {
      const client = admin;
      admin = undefined;
      if (client !== undefined) await (await client).disconnect();
    },
  };
}
