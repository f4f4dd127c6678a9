import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { ScorerError } from '../errors/scorer-error.js';
import { waitForTopicLeaders } from './topic-leaders.js';

// kafkajs is CommonJS and Node cannot see this export by name.
const { ConfigResourceTypes } = kafkajs;

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** min.insync.replicas; null leaves the broker's default */
  minInsyncReplicas: number | null;
  /** retention.ms; not set on a compacted topic, whose records are kept until a newer one of the same key */
  retentionMs: number;
  /** max.message.bytes: the largest record batch the broker accepts on the topic */
  maxMessageBytes: number;
  /** cleanup.policy; unset leaves the broker's default (delete) */
  cleanupPolicy?: 'delete' | 'compact';
}

/** Topics the worker needs do not exist, and it may not create them (topics.create=false). */
export class MissingTopicsError extends ScorerError {
  static override readonly code = 'CHURN_ERR_TOPICS_MISSING';
  override readonly name = 'MissingTopicsError';
  constructor(readonly missing: readonly string[]) {
    super(
      `topics missing: ${missing.join(', ')}; create them (npm run stack:up creates nothing for you) ` +
        'or set topics.create=true (env TOPICS_CREATE=true) to let the worker create them',
    );
  }
}

/** How long new topics may take to get partition leaders (kafkajs' createTopics default timeout is 5 s). */
const TOPIC_LEADERS_TIMEOUT_MS = 30_000;

/**
 * Makes sure every topic exists. With create=false a missing topic is a start-up error,
 * because a worker that silently waits on a topic nobody created looks healthy but scores nothing.
 * Existing topics are left as they are (their partition count is the operator's choice).
 */
export async function ensureTopics(
  admin: Pick<Admin, 'listTopics' | 'createTopics' | 'fetchTopicMetadata'>,
  specs: readonly TopicSpec[],
  options: { create: boolean },
): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length === 0) return { created: [] };
  if (!options.create) throw new MissingTopicsError(missing.map((spec) => spec.name));
  const topics: ITopicConfig[] = missing.map((spec) => ({
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: [
      ...(spec.cleanupPolicy === undefined ? [] : [{ name: 'cleanup.policy', value: spec.cleanupPolicy }]),
      ...(spec.cleanupPolicy === 'compact' ? [] : [{ name: 'retention.ms', value: String(spec.retentionMs) }]),
      { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
      ...(spec.minInsyncReplicas === null
        ? []
        : [{ name: 'min.insync.replicas', value: String(spec.minInsyncReplicas) }]),
    ],
  }));
  // Another worker may create the same topics at the same moment: createTopics answers
  // false (not an error) for those. The new ones are usable once they have leaders.
  await admin.createTopics({ topics, waitForLeaders: false });
  const names = missing.map((spec) => spec.name);
  await waitForTopicLeaders(admin, names, { timeoutMs: TOPIC_LEADERS_TIMEOUT_MS });
  return { created: names };
}

const MAX_MESSAGE_BYTES = 'max.message.bytes';

/** An output topic that accepts smaller record batches than the worker sends. */
export interface MessageLimitProblem {
  topic: string;
  maxMessageBytes: number;
}

/** The topics whose max.message.bytes is below `neededBytes` (pure). */
export function messageLimitProblems(limits: ReadonlyMap<string, number>, neededBytes: number): MessageLimitProblem[] {
  return [...limits]
    .filter(([, maxMessageBytes]) => maxMessageBytes < neededBytes)
    .map(([topic, maxMessageBytes]) => ({ topic, maxMessageBytes }));
}

export class MessageLimitError extends ScorerError {
  static override readonly code = 'CHURN_ERR_TOPIC_MESSAGE_LIMIT';
  override readonly name = 'MessageLimitError';
  constructor(
    readonly problems: readonly MessageLimitProblem[],
    readonly neededBytes: number,
  ) {
    super(
      `${problems.map((p) => `topic ${p.topic} has max.message.bytes=${p.maxMessageBytes}`).join(', ')}, below ` +
        `stream.transactionMaxBytes (${neededBytes}): the broker would refuse the worker's larger transactions. ` +
        `Raise the topic's max.message.bytes or set TRANSACTION_MAX_BYTES to at most ` +
        `${Math.min(...problems.map((p) => p.maxMessageBytes))}`,
    );
  }
}

/**
 * Reads max.message.bytes of the topics (as the broker applies it: the topic's own value or the broker's
 * message.max.bytes) and fails when one is below `neededBytes`. A topic created elsewhere with a smaller
 * limit is found here, at start-up, instead of by a transaction the broker refuses.
 */
export async function checkMessageLimits(
  admin: Pick<Admin, 'describeConfigs'>,
  topics: readonly string[],
  neededBytes: number,
): Promise<Map<string, number>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [MAX_MESSAGE_BYTES] })),
  });
  const limits = new Map<string, number>();
  for (const resource of described.resources) {
    const entry = resource.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES);
    const value = Number(entry?.configValue);
    if (Number.isInteger(value)) limits.set(resource.resourceName, value);
  }
  const problems = messageLimitProblems(limits, neededBytes);
  if (problems.length > 0) throw new MessageLimitError(problems, neededBytes);
  return limits;
}
