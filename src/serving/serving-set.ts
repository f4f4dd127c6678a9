import { createValidationRules, type ValidationRules } from '../contract/validation-rules.js';
import type { ChurnModel } from '../model/churn-model.js';
import { assignVariant } from '../rollout/assign-variant.js';
import { parseRollout, type Rollout, type VariantAssignment } from '../rollout/rollout.js';

/** A model version ready to score: the model and the validation rules of its categories. */
export interface ServingModel {
  readonly model: ChurnModel;
  readonly rules: ValidationRules;
}

/** A shadow version: scored on the side of every event the champion serves, never served. */
export interface ServingShadow {
  readonly version: string;
  readonly serving: ServingModel;
}

/**
 * The rollout in force with every model it names, verified and loaded: what the data path captures when it opens
 * a transaction (so a rollout change takes effect between transactions) and what the side-port reads per request.
 * Immutable; a new rollout is a new ServingSet.
 */
export interface ServingSet {
  /**
   * Revision of the rollout record on the rollout topic (it carries its own, counting up from 1); 0 when no
   * rollout is published and the local model (MODEL_DIR / --model) serves everyone as the champion.
   */
  readonly revision: number;
  readonly rollout: Rollout;
  /** Every version the rollout names (champion, challengers, shadows). */
  readonly models: ReadonlyMap<string, ServingModel>;
  /** rollout.shadows with their models, in the rollout's order. */
  readonly shadows: readonly ServingShadow[];
  /** Every verified version known when the set was built, named by the rollout or not (`replay --compare`). */
  readonly available: ReadonlyMap<string, ServingModel>;
}

/** Where the stream and the side-port read the serving set in force; the rollout follower swaps it atomically. */
export interface ServingSetSource {
  current(): ServingSet;
}

/** A served customer: the model that scores them and as what (champion, canary, ab). */
export interface ServedBy {
  readonly assignment: VariantAssignment;
  readonly serving: ServingModel;
}

/** A model with its validation rules (built once per model version, never per record). */
export function servingModel(model: ChurnModel, strictCategories: boolean): ServingModel {
  return { model, rules: createValidationRules({ categories: model.meta.categories, strictCategories }) };
}

/**
 * Builds a serving set (pure) from the rollout and every verified version available. Throws an Error naming the
 * versions the rollout names but `models` lacks: the caller keeps the previous set in force.
 */
export function buildServingSet(
  revision: number,
  rollout: Rollout,
  models: ReadonlyMap<string, ServingModel>,
): ServingSet {
  const named = [rollout.champion.version, ...rollout.challengers.map((c) => c.version), ...rollout.shadows];
  const missing = named.filter((version) => !models.has(version));
  if (missing.length > 0) {
    throw new Error(`rollout revision ${revision} names model versions not available: ${missing.join(', ')}`);
  }
  const own = new Map<string, ServingModel>();
  for (const version of named) own.set(version, models.get(version) as ServingModel);
  return Object.freeze({
    revision,
    rollout,
    models: own,
    available: models,
    shadows: Object.freeze(
      rollout.shadows.map((version) => Object.freeze({ version, serving: own.get(version) as ServingModel })),
    ),
  });
}

/** The serving set of one local model (revision 0): the champion, no challengers, no shadows. */
export function singleModelServingSet(serving: ServingModel): ServingSet {
  const version = serving.model.meta.version;
  return buildServingSet(0, parseRollout({ champion: version }), new Map([[version, serving]]));
}

/** A source that never changes (`serve` without --follow-rollout, `score`, tests). */
export function fixedServingSetSource(set: ServingSet): ServingSetSource {
  return { current: () => set };
}

/**
 * The model that serves a customer in `set` (pure, per record): the variant by the customer's bucket
 * (src/rollout/assign-variant.ts), so the stream and HTTP /predict agree for the same customer and rollout.
 */
export function servedBy(set: ServingSet, customerId: string): ServedBy {
  const assignment = assignVariant(set.rollout, customerId);
  return { assignment, serving: set.models.get(assignment.version) as ServingModel };
}
