import { join } from 'node:path';
import { loadModel, type ChurnModel } from '../../src/model/index.js';
import { parseRollout } from '../../src/rollout/rollout.js';
import {
  buildServingSet,
  servingModel,
  type ServingModel,
  type ServingSet,
  type ServingSetSource,
} from '../../src/serving/serving-set.js';
import { REPO_ROOT } from './paths.js';

const loaded = new Map<string, Promise<ChurnModel>>();

/**
 * A committed model version (models/churn/<version>), loaded once per test file. 1.1.0 is a genuinely different
 * model from 1.0.0: the challenger and shadow of the unit tests.
 */
export function committedModel(version: '1.0.0' | '1.1.0'): Promise<ChurnModel> {
  let model = loaded.get(version);
  if (model === undefined) {
    model = loadModel(join(REPO_ROOT, 'models', 'churn', version));
    loaded.set(version, model);
  }
  return model;
}

/** `base` under another version whose scoring throws (a broken model, as a bug would make one). */
export function throwingModel(base: ChurnModel, version: string, message: string): ChurnModel {
  return {
    meta: { ...base.meta, version },
    score: () => {
      throw new Error(message);
    },
    scoreInto: () => {
      throw new Error(message);
    },
    isChurn: (p) => base.isChurn(p),
    unknownCategories: (c) => base.unknownCategories(c),
    explain: () => {
      throw new Error(message);
    },
    reasons: () => {
      throw new Error(message);
    },
    scoreWithReasons: () => {
      throw new Error(message);
    },
  };
}

/**
 * A serving set of `rollout` (a rollout document) over `models`, each available under its own meta.version and
 * ready to serve with lenient categories (as `run` defaults to).
 */
export function servingSet(revision: number, rollout: unknown, models: readonly ChurnModel[]): ServingSet {
  const available = new Map<string, ServingModel>(models.map((m) => [m.meta.version, servingModel(m, false)]));
  return buildServingSet(revision, parseRollout(rollout), available);
}

/** The serving set of a rollout document over both committed versions. */
export async function rolloutSet(revision: number, rollout: unknown): Promise<ServingSet> {
  return servingSet(revision, rollout, await Promise.all([committedModel('1.0.0'), committedModel('1.1.0')]));
}

/** A serving set source a test swaps by hand, as the rollout follower does; counts how often it is read. */
export class SwappableServingSource implements ServingSetSource {
  reads = 0;

  constructor(public set: ServingSet) {}

  current(): ServingSet {
    this.reads++;
    return this.set;
  }
}
