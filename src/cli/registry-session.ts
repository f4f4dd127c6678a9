import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/index.js';
import { createKafka } from '../kafka/client.js';
import { awaitKafka } from '../kafka/startup-connect.js';
import { ensureRegistryTopics } from '../model-registry/registry-topics.js';
import { createStderrLogger, type Logger } from '../observability/logger.js';

/** What a `model` or `rollout` command works with against the models and rollout topics. */
export interface RegistrySession {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly logger: Logger;
}

/**
 * Connects to Kafka as `replay` does (start-up budget, one line when it does not answer), runs `work`, and
 * disconnects. With `ensureTopics` the models and rollout topics are created first when missing (topics.create),
 * and a warning goes to stderr for one that exists without compaction.
 */
export async function withRegistry<T>(
  config: Config,
  options: { ensureTopics: boolean },
  work: (session: RegistrySession) => Promise<T>,
): Promise<T> {
  const logger = createStderrLogger({
    name: config.service.name,
    level: config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
  });
  // kafkajs' own warnings (a coordinator loading, a fenced producer) would bury the command's one line; a
  // command says what went wrong itself. LOG_LEVEL=debug still shows them.
  const kafka = createKafka(
    config.kafka,
    logger.child({}, { level: config.log.level === 'info' ? 'error' : config.log.level }),
  );
  await awaitKafka(config.kafka, logger, config.service.startupTimeoutMs);
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (options.ensureTopics) {
      const { notCompacted } = await ensureRegistryTopics(admin, config);
      for (const topic of notCompacted) {
        process.stderr.write(
          `warning: topic ${topic} is not compacted (cleanup.policy); its retention will delete published models ` +
            'and the rollout in force: set cleanup.policy=compact on it\n',
        );
      }
    }
    return await work({ kafka, admin, logger });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
