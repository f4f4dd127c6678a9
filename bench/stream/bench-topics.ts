/** A fresh, uniquely named topic set per measurement, so no run ever reads another run's records. */
import type { Admin } from 'kafkajs';

export interface TopicSet {
  prefix: string;
  customers: string;
  predictions: string;
  deadLetter: string;
  replay: string;
  /**
   * The worker's other topics: its own, so that no rollout or model published on the shared default topics (by
   * a test, a demo) adds shadow scoring to a measurement.
   */
  shadow: string;
  models: string;
  rollout: string;
  drift: string;
  /** the outcome join's topics, isolated too (the benchmarks run the worker with OUTCOME_JOIN=false) */
  outcomes: string;
  joined: string;
  joinChangelog: string;
  group: string;
  partitions: number;
}

export function topicSet(runId: string, label: string, partitions: number): TopicSet {
  const prefix = `bench.${runId.replace(/[^a-zA-Z0-9]/g, '').slice(-12)}.${label}`;
  return {
    prefix,
    customers: `${prefix}.customers`,
    predictions: `${prefix}.predictions`,
    deadLetter: `${prefix}.customers.dlq`,
    replay: `${prefix}.customers.replay`,
    shadow: `${prefix}.predictions.shadow`,
    models: `${prefix}.models`,
    rollout: `${prefix}.models.rollout`,
    drift: `${prefix}.monitoring.drift`,
    outcomes: `${prefix}.customers.outcomes`,
    joined: `${prefix}.predictions.outcomes`,
    joinChangelog: `${prefix}.predictions.outcomes.changelog`,
    group: `${prefix}.group`,
    partitions,
  };
}

/**
 * Creates every topic of the set before a worker starts, as an operator would (the worker finds them and creates
 * nothing): the models and rollout topics compacted with one partition, as the worker would make them.
 */
export async function createTopics(admin: Admin, set: TopicSet): Promise<void> {
  const plain = [set.customers, set.predictions, set.deadLetter, set.replay, set.shadow, set.drift, set.outcomes];
  const compacted = [set.models, set.rollout];
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      ...plain.map((topic) => ({ topic, numPartitions: set.partitions, replicationFactor: 1 })),
      ...compacted.map((topic) => ({
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      })),
    ],
  });
}

const allTopics = (s: TopicSet) => [
  s.customers,
  s.predictions,
  s.deadLetter,
  s.replay,
  s.shadow,
  s.models,
  s.rollout,
  s.drift,
  s.outcomes,
  s.joined,
  s.joinChangelog,
];

/** Deletes the run's topics so repeated benchmarks do not fill the broker's disk. */
export async function deleteTopics(admin: Admin, sets: readonly TopicSet[]): Promise<void> {
  const topics = [...new Set(sets.flatMap(allTopics))];
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 }).catch(() => undefined);
}
