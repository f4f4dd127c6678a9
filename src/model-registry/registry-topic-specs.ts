import type { Config } from '../config/index.js';
import type { TopicSpec } from '../kafka/topics.js';

/** The part of the configuration the model-registry topics are made from. */
export type RegistryTopicsConfig = Pick<
  Config['topics'],
  'models' | 'rollout' | 'create' | 'replicationFactor' | 'minInsyncReplicas' | 'retentionMs' | 'maxMessageBytes'
>;

/**
 * The models topic and the rollout topic (pure): compacted, so each key keeps its latest record for good
 * (a published version and the rollout in force never expire), and one partition each, so a reader sees
 * every change in the order it was published. Replication and the message limit are the other topics'.
 */
export function modelTopicSpecs(config: { topics: RegistryTopicsConfig }): TopicSpec[] {
  const { models, rollout, replicationFactor, minInsyncReplicas, retentionMs, maxMessageBytes } = config.topics;
  return [models, rollout].map((name) => ({
    name,
    partitions: 1,
    replicationFactor,
    minInsyncReplicas,
    retentionMs,
    maxMessageBytes,
    cleanupPolicy: 'compact' as const,
  }));
}
