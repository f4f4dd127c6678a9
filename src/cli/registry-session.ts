import type { Config } from '../config/index.js';
import { ensureRegistryTopics } from '../model-registry/registry-topics.js';
import { withKafkaSession, type KafkaSession } from './kafka-session.js';

/** What a `model` or `rollout` command works with against the models and rollout topics. */
export type RegistrySession = KafkaSession;

/**
 * A Kafka session (./kafka-session.ts) for the models and rollout topics: with `ensureTopics` they are created first
 * when missing (topics.create), and a warning goes to stderr for one that exists without compaction.
 */
export async function withRegistry<T>(
  config: Config,
  options: { ensureTopics: boolean },
  work: (session: RegistrySession) => Promise<T>,
): Promise<T> {
  return withKafkaSession(config, async (session) => {
    if (options.ensureTopics) {
      const { notCompacted } = await ensureRegistryTopics(session.admin, config);
      for (const topic of notCompacted) {
        process.stderr.write(
          `warning: topic ${topic} is not compacted (cleanup.policy); its retention will delete published models ` +
            'and the rollout in force: set cleanup.policy=compact on it\n',
        );
      }
    }
    return work(session);
  });
}
