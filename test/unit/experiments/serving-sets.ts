import { join } from 'node:path';
import { loadModel, type ChurnModel } from '../../../src/model/index.js';
import { parseRollout } from '../../../src/rollout/rollout.js';
import {
  buildServingSet,
  servingModel,
  type ServingModel,
  type ServingSet,
  type ServingSetSource,
} from '../../../src/serving/serving-set.js';
import { REPO_ROOT } from '../../support/paths.js';

const loaded = new Map<string, Promise<ChurnModel>>();

/** A committed model version (models/churn/<version>), loaded once per test file. */
export function committedModel(version: '1.0.0' | '1.1.0'): Promise<ChurnModel> {
  let model = loaded.get(version);
  if (model === undefined) {
    model = loadModel(join(REPO_ROOT, 'models', 'churn', version));
    loaded.set(version, model);
  }
  return model;
}

/** Both committed versions, ready to serve (lenient categories, as `run` defaults to). */
export async function committedVersions(): Promise<Map<string, ServingModel>> {
  return new Map([
    ['1.0.0', servingModel(await committedModel('1.0.0'), false)],
    ['1.1.0', servingModel(await committedModel('1.1.0'), false)],
  ]);
}

/** The serving set of a rollout document over the committed versions. */
export async function rolloutSet(revision: number, rollout: unknown): Promise<ServingSet> {
  return buildServingSet(revision, parseRollout(rollout), await committedVersions());
}

/** A source a test swaps by hand, as the rollout follower does. */
export class SwappableSource implements ServingSetSource {
  constructor(public set: ServingSet) {}

  current(): ServingSet {
    return this.set;
  }
}
