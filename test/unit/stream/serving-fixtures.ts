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

let cachedCandidate: Promise<ChurnModel> | undefined;

/** The second committed model version (1.1.0), a genuinely different model: the challenger and shadow of these tests. */
export function candidateModel(): Promise<ChurnModel> {
  cachedCandidate ??= loadModel(join(REPO_ROOT, 'models', 'churn', '1.1.0'));
  return cachedCandidate;
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
  };
}

/** A serving set of `rollout` (a rollout document) over `models`, each available under its own meta.version. */
export function servingSet(revision: number, rollout: unknown, models: readonly ChurnModel[]): ServingSet {
  const available = new Map<string, ServingModel>(models.map((m) => [m.meta.version, servingModel(m, false)]));
  return buildServingSet(revision, parseRollout(rollout), available);
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
