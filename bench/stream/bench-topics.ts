/** A fresh, uniquely named topic set per measurement, so no run ever reads another run's records. */
import type { Admin } from 'kafkajs';

export interface TopicSet {
  prefix: string;
  customers: string;
  predictions: string;
  deadLetter: string;
  replay: string;
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
    group: `${prefix}.group`,
    partitions,
  };
}

export async function createTopics(admin: Admin, set: TopicSet): Promise<void> {
  const names = [set.customers, set.predictions, set.deadLetter, set.replay];
  await admin.createTopics({
    waitForLeaders: true,
    topics: names.map((topic) => ({ topic, numPartitions: set.partitions, replicationFactor: 1 })),
  });
}

/** Deletes the run's topics so repeated benchmarks do not fill the broker's disk. */
export async function deleteTopics(admin: Admin, sets: readonly TopicSet[]): Promise<void> {
  const topics = sets.flatMap((s) => [s.customers, s.predictions, s.deadLetter, s.replay]);
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 }).catch(() => undefined);
}
