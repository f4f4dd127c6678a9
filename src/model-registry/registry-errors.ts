import { ScorerError } from '../errors/scorer-error.js';

/** `model publish`: the package built from a model directory does not pass the checks every worker runs on it. */
export class ModelRefusedError extends ScorerError {
  static override readonly code = 'CHURN_ERR_MODEL_REFUSED';
  override readonly name = 'ModelRefusedError';

  constructor(
    readonly dir: string,
    readonly version: string | undefined,
    readonly reason: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `model ${version === undefined ? '' : `${version} `}in ${dir} refused (${reason}): ${detail}; nothing was published`,
      options,
    );
  }
}

/** `rollout set`: the rollout names versions the models topic does not hold, or holds but every worker refuses. */
export class ModelNotPublishedError extends ScorerError {
  static override readonly code = 'CHURN_ERR_MODEL_NOT_PUBLISHED';
  override readonly name = 'ModelNotPublishedError';

  constructor(
    readonly topic: string,
    readonly missing: readonly string[],
    readonly refused: readonly { version: string; reason: string }[],
  ) {
    const parts = [
      ...(missing.length === 0
        ? []
        : [
            `${missing.length === 1 ? 'model' : 'models'} ${missing.join(', ')} not published on topic ${topic} ` +
              '(publish first: churn-scorer model publish models/churn/<version>)',
          ]),
      ...refused.map(
        (r) => `model ${r.version} is on ${topic} but every worker refuses it (${r.reason}; see \`model list\`)`,
      ),
    ];
    super(`rollout not published: ${parts.join('; ')}`);
  }
}

/** `rollout promote` / `rollout rollback`: the change cannot be made to the rollout in force. */
export class RolloutChangeError extends ScorerError {
  static override readonly code = 'CHURN_ERR_ROLLOUT_CHANGE';
  override readonly name = 'RolloutChangeError';
}

/**
 * Another `rollout` command took the rollout topic's transactional id while this one was changing the rollout:
 * its change may have been computed from a rollout that is no longer the latest, so it was not published.
 */
export class RolloutConflictError extends ScorerError {
  static override readonly code = 'CHURN_ERR_ROLLOUT_CONFLICT';
  override readonly name = 'RolloutConflictError';
}

/** `model publish`: the version is published already with other content, and a published version never changes. */
export class ModelVersionTakenError extends ScorerError {
  static override readonly code = 'CHURN_ERR_MODEL_VERSION_TAKEN';
  override readonly name = 'ModelVersionTakenError';

  constructor(topic: string, version: string, publishedSha256: string, newSha256: string) {
    super(
      `model ${version} is published on ${topic} already with sha256 ${publishedSha256}, and this model.json has ` +
        `sha256 ${newSha256}; a published version never changes (workers may be serving it): ` +
        'give the new model a new version',
    );
  }
}
