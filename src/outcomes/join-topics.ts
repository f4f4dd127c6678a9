import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { ScorerError } from '../errors/scorer-error.js';
import type { TopicSpec } from '../kafka/topics.js';
import { customerOutcomeSchema, predictionOutcomeSchema } from '../serde/schema-files.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';
import { provisionSubjects } from '../stream/schema-provisioning.js';

/** The partition counts of the topics the join reads side by side differ: partition p would not be one task. */
export class JoinPartitionsError extends ScorerError {
  static override readonly code = 'CHURN_ERR_JOIN_PARTITIONS';
  override readonly name = 'JoinPartitionsError';
}

/** The Kafka client handed to the service cannot run the join (co-partitioned assignment, consumer events). */
export class JoinClientError extends ScorerError {
  static override readonly code = 'CHURN_ERR_JOIN_CLIENT';
  override readonly name = 'JoinClientError';
}

export type JoinTopicsConfig = Pick<
  Config['topics'],
  | 'predictions'
  | 'shadow'
  | 'outcomes'
  | 'joined'
  | 'joinChangelog'
  | 'partitions'
  | 'replicationFactor'
  | 'minInsyncReplicas'
  | 'retentionMs'
  | 'maxMessageBytes'
>;

/**
 * The topics the join adds: the outcomes it reads, the joined records it writes, and the compacted changelog of its
 * state (partition p is task p's). `partitions`: the predictions topic's count when it exists (as Kafka Streams sizes
 * a changelog by its source topic), so that a customer's outcome lands in the partition number of its predictions
 * even where the stream's topics were made with another count than TOPIC_PARTITIONS.
 */
export function joinTopicSpecs(topics: JoinTopicsConfig, partitions: number = topics.partitions): TopicSpec[] {
  const { replicationFactor, minInsyncReplicas, retentionMs, maxMessageBytes } = topics;
  const base = { partitions, replicationFactor, minInsyncReplicas, retentionMs, maxMessageBytes };
  return [
    { name: topics.outcomes, ...base },
    { name: topics.joined, ...base },
    { name: topics.joinChangelog, ...base, cleanupPolicy: 'compact' },
  ];
}

/** The topics whose partition p make task p: they must have the same partition count. */
export function coPartitionedTopics(topics: JoinTopicsConfig): string[] {
  return [topics.predictions, topics.shadow, topics.outcomes, topics.joinChangelog];
}

/** The one clear error when the co-partitioned topics' counts differ (pure); undefined when they agree. */
export function coPartitioningProblem(counts: ReadonlyMap<string, number>): JoinPartitionsError | undefined {
  const distinct = new Set(counts.values());
  if (distinct.size <= 1) return undefined;
  const listed = [...counts].map(([topic, n]) => `${topic} has ${n}`).join(', ');
  return new JoinPartitionsError(
    `the outcome join reads partition p of several topics as one task, so they need the same partition count: ` +
      `${listed}; recreate the odd one out with the others' count (or set OUTCOME_JOIN=false)`,
  );
}

/**
 * Registers PredictionOutcome under the joined topic's subject and CustomerOutcome under the outcomes topic's
 * (BACKWARD), or with topics.create=false checks they are there.
 */
export async function provisionJoinSchemas(
  registry: SchemaRegistryConnection,
  topics: Pick<Config['topics'], 'outcomes' | 'joined' | 'create'>,
  log: Logger,
): Promise<void> {
  const wanted = [
    { subject: `${topics.outcomes}-value`, schema: customerOutcomeSchema() },
    { subject: `${topics.joined}-value`, schema: predictionOutcomeSchema() },
  ];
  await provisionSubjects(registry, wanted, topics.create, log);
}
