import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModelArtifact } from '../../../src/model/load-artifact.js';
import { createChurnModel } from '../../../src/model/scorer.js';
import { buildModelPackage, type ModelPackage } from '../../../src/model-registry/model-package.js';
import { ROLLOUT_RECORD_FORMAT } from '../../../src/model-registry/rollout-record.js';
import type { RolloutDocument } from '../../../src/rollout/rollout-document.js';
import { servingModel, type ServingModel } from '../../../src/serving/serving-set.js';
import { REPO_ROOT } from '../../support/paths.js';

/** When the test records say they were published. */
const PUBLISHED_AT = '2025-01-01T00:00:00Z';

/** What a follower starts from and what the models topic may hold: the committed versions (models/churn). */
export interface CommittedModels {
  /** 1.0.0 as MODEL_DIR gives it to a worker, ready to serve (lenient categories, as `run` defaults to) */
  readonly local: ServingModel;
  /** the local model's model.json text */
  readonly localText: string;
  /** the package `model publish` builds of a committed version (1.0.0 or 1.1.0) */
  readonly pkg: (version: string) => ModelPackage;
}

export async function committedModels(): Promise<CommittedModels> {
  const dir = (version: string) => join(REPO_ROOT, 'models', 'churn', version);
  const packages = new Map<string, ModelPackage>();
  for (const version of ['1.0.0', '1.1.0']) {
    const [modelJson, parityJsonl] = await Promise.all([
      readFile(join(dir(version), 'model.json'), 'utf8'),
      readFile(join(dir(version), 'parity.jsonl'), 'utf8'),
    ]);
    packages.set(version, buildModelPackage({ modelJson, parityJsonl, dir: dir(version) }, PUBLISHED_AT));
  }
  return {
    local: servingModel(createChurnModel(await loadModelArtifact(dir('1.0.0'))), false),
    localText: await readFile(join(dir('1.0.0'), 'model.json'), 'utf8'),
    pkg: (version) => {
      const found = packages.get(version);
      if (found === undefined) throw new Error(`no package ${version}`);
      return found;
    },
  };
}

/** The value of a rollout-topic record that puts `rollout` in force as `revision` (no history). */
export function rolloutRecordText(revision: number, rollout: RolloutDocument): string {
  return JSON.stringify({ format: ROLLOUT_RECORD_FORMAT, revision, published_at: PUBLISHED_AT, rollout, history: [] });
}
