import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/index.js';
import { ScorerError } from '../errors/scorer-error.js';
import type { VerifiedModel } from '../model-registry/model-package.js';
import type { PublishedModel } from '../model-registry/published-models.js';
import { readPublishedModels } from '../model-registry/registry-topics.js';

/** `replay --compare` cannot run or complete: the version is not published or is refused, the worker failed it. */
export class ReplayCompareError extends ScorerError {
  static override readonly code = 'CHURN_ERR_REPLAY_COMPARE';
  override readonly name = 'ReplayCompareError';
}

/**
 * The compare version as the models topic holds it now (pure; `models` as readPublishedModels gives them, the
 * latest record of each version, verified as every worker verifies it). Throws a ReplayCompareError saying what
 * to do when the version is not published (or was withdrawn) or is refused, so nothing is copied for a
 * comparison no worker would make.
 */
export function publishedCompareModel(
  models: readonly PublishedModel[],
  version: string,
  topic: string,
): VerifiedModel {
  const published = models.find((m) => m.version === version);
  if (published === undefined) {
    const known = models.filter((m) => m.verification.ok).map((m) => m.version);
    throw new ReplayCompareError(
      `model ${version} is not published on topic ${topic} ` +
        `(published: ${known.length === 0 ? 'none' : known.sort().join(', ')}); ` +
        `publish it first: churn-scorer model publish models/churn/${version}`,
    );
  }
  const { verification } = published;
  if (!verification.ok) {
    throw new ReplayCompareError(
      `model ${version} on topic ${topic} is refused (${verification.reason}: ${verification.message}); ` +
        'workers will not score with it; publish a good package again',
    );
  }
  return verification;
}

/** Reads the models topic to its end and checks the compare version on it (publishedCompareModel). */
export async function checkCompareModel(
  kafka: Kafka,
  admin: Admin,
  config: Pick<Config, 'topics'>,
  version: string,
): Promise<VerifiedModel> {
  const models = await readPublishedModels(kafka, admin, config);
  return publishedCompareModel(models, version, config.topics.models);
}
