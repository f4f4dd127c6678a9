import type { Admin, ITopicConfig } from 'kafkajs';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
}

export class MissingTopicsError extends Error {
  override readonly name = 'MissingTopicsError';
  constructor(readonly missing: readonly string[]) {
    super(
      `topics missing: ${missing.join(', ')}; create them (npm run stack:up creates nothing for you) ` +
        'or set topics.create=true (env TOPICS_CREATE=true) to let the worker create them',
    );
  }
}

/**
 * Makes sure every topic exists. With create=false a missing topic is a start-up error,
 * because a worker that silently waits on a topic nobody created looks healthy but scores nothing.
 * Existing topics are left as they are (their partition count is the operator's choice).
 */
export async function ensureTopics(
  admin: Admin,
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
    configEntries: [{ name: 'retention.ms', value: String(spec.retentionMs) }],
  }));
  // Another worker may create the same topics at the same moment: createTopics answers
  // false (not an error) for those, and waitForLeaders makes the new ones usable at once.
  await admin.createTopics({ topics, waitForLeaders: true });
  return { created: missing.map((spec) => spec.name) };
}
