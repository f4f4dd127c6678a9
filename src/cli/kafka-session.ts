import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/index.js';
import { createKafka } from '../kafka/client.js';
import { awaitKafka } from '../kafka/startup-connect.js';
import { createStderrLogger, type Logger } from '../observability/logger.js';

/** What a one-shot command (`model`, `rollout`, `simulate`) works with: a client, its connected admin, a logger. */
export interface KafkaSession {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly logger: Logger;
}

/**
 * Connects to Kafka as `replay` does (start-up budget, one line when it does not answer), runs `work` with the
 * session, and disconnects.
 */
export async function withKafkaSession<T>(config: Config, work: (session: KafkaSession) => Promise<T>): Promise<T> {
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
    return await work({ kafka, admin, logger });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
