import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config-schema.js';
import type { ChurnModel } from '../model/churn-model.js';
import { loadModel, MODEL_FILE_NAME } from '../model/index.js';
import { sha256Hex } from '../model-registry/model-package.js';
import { RolloutFollower, type RolloutClients } from '../model-registry/rollout-follower.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics-registry.js';
import { servingModel, type ServingModel } from '../serving/serving-set.js';
import { ensureTopics } from '../kafka/topics.js';
import { modelTopicSpecs } from '../model-registry/registry-topic-specs.js';
import type { KafkaClientSupplier } from '../stream/kafka-client-supplier.js';
import { streamTopicSpecs } from '../stream/worker.js';
import { joinTopicSpecs } from '../outcomes/join-topics.js';

/** The local model (MODEL_DIR / --model): revision 0's champion, and a version every rollout may name. */
export interface LocalModel {
  readonly serving: ServingModel;
  /** sha256 of its model.json text, when read from config.model.dir */
  readonly sha256?: string;
}

/**
 * The local model: `given` (tests, demo) or loaded from config.model.dir, with the checksum of its model.json text
 * so a published package of the same text is known to be the same model.
 */
export async function localModel(config: Config, given: ChurnModel | undefined, logger: Logger): Promise<LocalModel> {
  if (given !== undefined) {
    logger.info({ model: { name: given.meta.name, version: given.meta.version } }, 'model given');
    return { serving: servingModel(given, config.model.strictCategories) };
  }
  const { dir } = config.model;
  const model = await loadModel(dir);
  logger.info({ model: { name: model.meta.name, version: model.meta.version, dir } }, 'model loaded');
  const text = await readFile(join(dir, MODEL_FILE_NAME), 'utf8').catch(() => undefined);
  return {
    serving: servingModel(model, config.model.strictCategories),
    ...(text === undefined ? {} : { sha256: sha256Hex(text) }),
  };
}

/** A rollout follower (not started) serving `local` until a rollout is read. */
export function rolloutFollower(options: {
  config: Config;
  clients: RolloutClients;
  local: LocalModel;
  logger: Logger;
  metrics: Registry;
}): RolloutFollower {
  const { local } = options;
  return new RolloutFollower({
    config: options.config,
    clients: options.clients,
    local: local.serving,
    ...(local.sha256 === undefined ? {} : { localSha256: local.sha256 }),
    logger: options.logger,
    metrics: options.metrics,
  });
}

/**
 * Starts following: first waits for a broker when the client can tell (so an absent Kafka is one clear line, as
 * for the worker), then reads both topics up to their end, each step within service.startupTimeoutMs. When the
 * worker may not create topics, every missing topic, the worker's and the follower's, is named in one error first,
 * so the operator creates them all in one go.
 */
export async function startFollowing(
  follower: RolloutFollower,
  clients: Pick<KafkaClientSupplier, 'awaitBrokers' | 'getAdmin'>,
  config: Config,
): Promise<void> {
  const budgetMs = config.service.startupTimeoutMs;
  await clients.awaitBrokers?.(budgetMs);
  if (!config.topics.create) {
    const admin = clients.getAdmin();
    await admin.connect();
    try {
      const joinSpecs = config.outcomes.join ? joinTopicSpecs(config.topics) : [];
      await ensureTopics(admin, [...streamTopicSpecs(config), ...modelTopicSpecs(config), ...joinSpecs], {
        create: false,
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  await follower.start(budgetMs);
}
