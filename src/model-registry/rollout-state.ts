import { parseRollout, type Rollout } from '../rollout/rollout.js';
import { buildServingSet, servingModel, type ServingModel, type ServingSet } from '../serving/serving-set.js';
import { verifyModelPackage, type ModelRefusalReason } from './model-package.js';
import {
  parseRolloutRecord,
  ROLLOUT_KEY,
  type RolloutRecord,
  type RolloutRecordRefusalReason,
} from './rollout-record.js';

/** A record of one of the two followed topics as read (value null: a tombstone). */
export interface FollowedRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
}

/**
 * Why a rollout record was refused: the record itself (`not-json`, `format`, `rollout`: the document is invalid),
 * its key is not the rollout key (`key`), or it names a model version whose package was refused (`model-refused`).
 */
export type RolloutRefusalReason = RolloutRecordRefusalReason | 'key' | 'model-refused';

/** Every rollout refusal reason (for metric labels known up front). */
export const ROLLOUT_REFUSAL_REASONS: readonly RolloutRefusalReason[] = [
  'not-json',
  'format',
  'rollout',
  'key',
  'model-refused',
];

/** A model version a rollout may name: verified from the models topic, or the local model (MODEL_DIR). */
export interface AvailableModel {
  readonly version: string;
  readonly serving: ServingModel;
  /** sha256 of the package's model_json; undefined for a local model whose text was not hashed */
  readonly sha256: string | undefined;
  readonly source: 'topic' | 'local';
}

export interface ModelRefusal {
  readonly reason: ModelRefusalReason;
  readonly message: string;
}

/** A valid rollout waiting for model versions not published yet; the set in force stays until they arrive. */
export interface PendingRollout {
  readonly revision: number;
  readonly rollout: Rollout;
  readonly waitingFor: readonly string[];
}

/** What the follower knows after the records it has read. Immutable: every step returns a new state. */
export interface RolloutState {
  readonly strictCategories: boolean;
  readonly local: AvailableModel;
  /** the versions a new rollout may name: the models topic's verified packages, and the local model */
  readonly verified: ReadonlyMap<string, AvailableModel>;
  /** versions whose latest package was refused, with why */
  readonly refused: ReadonlyMap<string, ModelRefusal>;
  /** the last rollout record read that parsed, whatever became of it */
  readonly latest: RolloutRecord | undefined;
  readonly pending: PendingRollout | undefined;
  /** what the stream and the side-port serve */
  readonly inForce: ServingSet;
}

/** What a record did, for the follower's log lines and metrics. */
export type RolloutEvent =
  | { readonly kind: 'model-verified'; readonly version: string; readonly sha256: string; readonly replaced: boolean }
  /** the same package again (a re-read, a republish): the loaded model is kept */
  | { readonly kind: 'model-unchanged'; readonly version: string; readonly sha256: string }
  | {
      readonly kind: 'model-refused';
      readonly version: string | undefined;
      readonly reason: ModelRefusalReason;
      readonly message: string;
      /** the set in force serves the version's earlier package until a rollout stops naming it */
      readonly stillInUse: boolean;
    }
  | { readonly kind: 'model-withdrawn'; readonly version: string; readonly stillInUse: boolean }
  | { readonly kind: 'rollout-applied'; readonly set: ServingSet }
  /** the rollout in force read again (a follower restarted): nothing changes */
  | { readonly kind: 'rollout-unchanged'; readonly revision: number }
  | { readonly kind: 'rollout-waiting'; readonly revision: number; readonly waitingFor: readonly string[] }
  | {
      readonly kind: 'rollout-refused';
      readonly revision: number | undefined;
      readonly reason: RolloutRefusalReason;
      readonly message: string;
    }
  /** the rollout record was deleted (tombstone): the local model serves everyone again, as revision 0 */
  | { readonly kind: 'rollout-withdrawn' };

export interface RolloutStep {
  readonly state: RolloutState;
  readonly events: readonly RolloutEvent[];
}

/**
 * The state before any record is read: the local model (MODEL_DIR) is the champion of revision 0 and the only
 * version available. `localSha256` (of its model.json text) lets a package of the same version with the same text
 * keep the loaded model.
 */
export function initialRolloutState(
  local: ServingModel,
  options: { strictCategories: boolean; localSha256?: string },
): RolloutState {
  const version = local.model.meta.version;
  const localModel: AvailableModel = { version, serving: local, sha256: options.localSha256, source: 'local' };
  const verified = new Map([[version, localModel]]);
  return {
    strictCategories: options.strictCategories,
    local: localModel,
    verified,
    refused: new Map(),
    latest: undefined,
    pending: undefined,
    inForce: buildServingSet(0, localRollout(localModel), servingModels(verified)),
  };
}

/**
 * A record of the models topic (key: the version; a null value withdraws it). A package is verified once
 * (model-package.ts) and then available to rollouts; it may complete the pending rollout, or, refused, refuse it.
 * The set in force changes only when a rollout applies: a version withdrawn or replaced under it keeps serving
 * with the package that was loaded until a rollout stops naming it.
 */
export function applyModelRecord(state: RolloutState, record: FollowedRecord): RolloutStep {
  if (record.value === null) return withdrawModel(state, record.key);
  const checked = verifyModelPackage(record.key, record.value);
  if (checked.ok) {
    const existing = state.verified.get(checked.version);
    if (existing?.sha256 === checked.sha256) {
      return { state, events: [{ kind: 'model-unchanged', version: checked.version, sha256: checked.sha256 }] };
    }
    const verified = new Map(state.verified);
    verified.set(checked.version, {
      version: checked.version,
      serving: servingModel(checked.model, state.strictCategories),
      sha256: checked.sha256,
      source: 'topic',
    });
    const refused = new Map(state.refused);
    refused.delete(checked.version);
    const event: RolloutEvent = {
      kind: 'model-verified',
      version: checked.version,
      sha256: checked.sha256,
      replaced: existing !== undefined,
    };
    return afterModelsChanged({ ...state, verified, refused }, [event]);
  }
  const version = record.key ?? checked.version;
  const refusedEvent = (stillInUse: boolean): RolloutEvent => ({
    kind: 'model-refused',
    version,
    reason: checked.reason,
    message: checked.message,
    stillInUse,
  });
  if (version === undefined) return { state, events: [refusedEvent(false)] };
  const refused = new Map(state.refused);
  refused.set(version, { reason: checked.reason, message: checked.message });
  // The topic's latest package of a version is what the version is (after compaction it is the only one), so a
  // refused package takes the version's earlier one out of what rollouts may name; the local model stays.
  const verified = withoutTopicPackage(state, version);
  return afterModelsChanged({ ...state, verified, refused }, [refusedEvent(servedButGone(state, verified, version))]);
}

/**
 * A record of the rollout topic (key: the model name, ROLLOUT_KEY). A valid record whose every version is
 * available becomes the set in force; one naming versions not published yet waits for them; an invalid one, or
 * one naming a refused version, is refused and the set in force stays. A tombstone gives the local model back
 * everyone (revision 0). The last record read wins: every follower reads the same single-partition order.
 */
export function applyRolloutRecord(state: RolloutState, record: FollowedRecord): RolloutStep {
  if (record.key !== ROLLOUT_KEY) {
    const message = `rollout record key ${JSON.stringify(record.key)} is not "${ROLLOUT_KEY}"`;
    return { state, events: [{ kind: 'rollout-refused', revision: undefined, reason: 'key', message }] };
  }
  if (record.value === null) {
    const set = buildServingSet(0, localRollout(state.local), servingModels(state.verified));
    return {
      state: { ...state, latest: undefined, pending: undefined, inForce: set },
      events: [{ kind: 'rollout-withdrawn' }, { kind: 'rollout-applied', set }],
    };
  }
  const parsed = parseRolloutRecord(record.value);
  if (!parsed.ok) {
    return {
      state,
      events: [{ kind: 'rollout-refused', revision: undefined, reason: parsed.reason, message: parsed.message }],
    };
  }
  const { revision } = parsed.record;
  const { inForce } = state;
  if (inForce.revision === revision && sameRollout(inForce.rollout, parsed.rollout)) {
    return {
      state: { ...state, latest: parsed.record, pending: undefined },
      events: [{ kind: 'rollout-unchanged', revision }],
    };
  }
  return settle({ ...state, latest: parsed.record }, { revision, rollout: parsed.rollout, waitingFor: [] }, []);
}

/** Every version a rollout names: champion, challengers, shadows. */
export function namedVersions(rollout: Rollout): string[] {
  return [rollout.champion.version, ...rollout.challengers.map((c) => c.version), ...rollout.shadows];
}

function withdrawModel(state: RolloutState, key: string | null): RolloutStep {
  if (key === null) return { state, events: [] };
  const refused = new Map(state.refused);
  refused.delete(key);
  const verified = withoutTopicPackage(state, key);
  const event: RolloutEvent = {
    kind: 'model-withdrawn',
    version: key,
    stillInUse: servedButGone(state, verified, key),
  };
  return afterModelsChanged({ ...state, verified, refused }, [event]);
}

/** The set in force serves `version` with a model that is no longer what the version stands for. */
function servedButGone(state: RolloutState, verified: ReadonlyMap<string, AvailableModel>, version: string): boolean {
  const served = state.inForce.models.get(version);
  return served !== undefined && verified.get(version)?.serving !== served;
}

/** The verified versions without the topic's package of `version` (the local model of that version stays). */
function withoutTopicPackage(state: RolloutState, version: string): ReadonlyMap<string, AvailableModel> {
  if (state.verified.get(version)?.source !== 'topic') return state.verified;
  const verified = new Map(state.verified);
  if (version === state.local.version) verified.set(version, state.local);
  else verified.delete(version);
  return verified;
}

/** After the available versions changed: the pending rollout may now apply or be refused; `available` follows. */
function afterModelsChanged(state: RolloutState, events: RolloutEvent[]): RolloutStep {
  if (state.pending !== undefined) return settle(state, state.pending, events);
  return { state: { ...state, inForce: withAvailable(state) }, events };
}

/** Applies, refuses or keeps waiting for a rollout, by what the state has verified and refused. */
function settle(state: RolloutState, candidate: PendingRollout, events: RolloutEvent[]): RolloutStep {
  const { revision, rollout } = candidate;
  const missing = namedVersions(rollout).filter((version) => !state.verified.has(version));
  if (missing.length === 0) {
    const set = buildServingSet(revision, rollout, servingModels(state.verified));
    return {
      state: { ...state, pending: undefined, inForce: set },
      events: [...events, { kind: 'rollout-applied', set }],
    };
  }
  const refusedVersions = missing.filter((version) => state.refused.has(version));
  if (refusedVersions.length > 0) {
    const message = `rollout revision ${revision} names refused model versions: ${refusedVersions
      .map((version) => `${version} (${state.refused.get(version)?.reason ?? 'refused'})`)
      .join(', ')}`;
    return {
      state: { ...state, pending: undefined, inForce: withAvailable(state) },
      events: [...events, { kind: 'rollout-refused', revision, reason: 'model-refused', message }],
    };
  }
  const unchanged =
    state.pending?.revision === revision && sameVersions(state.pending.waitingFor, missing) && events.length === 0;
  const pending: PendingRollout = { revision, rollout, waitingFor: missing };
  return {
    state: { ...state, pending, inForce: withAvailable(state) },
    events: unchanged ? events : [...events, { kind: 'rollout-waiting', revision, waitingFor: missing }],
  };
}

/**
 * The set in force with `available` brought up to date (`replay --compare` may name any verified version). The
 * versions it serves keep the models they were built with, even when withdrawn or replaced since.
 */
function withAvailable(state: RolloutState): ServingSet {
  const { inForce } = state;
  const models = servingModels(state.verified);
  for (const [version, serving] of inForce.models) models.set(version, serving);
  if (sameModels(models, inForce.available)) return inForce;
  return buildServingSet(inForce.revision, inForce.rollout, models);
}

function servingModels(verified: ReadonlyMap<string, AvailableModel>): Map<string, ServingModel> {
  return new Map([...verified].map(([version, model]) => [version, model.serving]));
}

function localRollout(local: AvailableModel): Rollout {
  return parseRollout({ champion: local.version });
}

function sameModels(a: ReadonlyMap<string, ServingModel>, b: ReadonlyMap<string, ServingModel>): boolean {
  return a.size === b.size && [...a].every(([version, serving]) => b.get(version) === serving);
}

function sameVersions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((version, i) => version === b[i]);
}

function sameRollout(a: Rollout, b: Rollout): boolean {
  return (
    a.salt === b.salt &&
    a.champion.version === b.champion.version &&
    sameVersions(a.shadows, b.shadows) &&
    a.challengers.length === b.challengers.length &&
    a.challengers.every((c, i) => {
      const other = b.challengers[i];
      return other !== undefined && c.version === other.version && c.kind === other.kind && c.weight === other.weight;
    })
  );
}
