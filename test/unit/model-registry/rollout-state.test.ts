import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, type ModelPackage } from '../../../src/model-registry/model-package.js';
import { ROLLOUT_KEY } from '../../../src/model-registry/rollout-record.js';
import {
  applyModelRecord,
  applyRolloutRecord,
  initialRolloutState,
  type FollowedRecord,
  type RolloutEvent,
  type RolloutState,
  type RolloutStep,
} from '../../../src/model-registry/rollout-state.js';
import type { RolloutDocument } from '../../../src/rollout/rollout-document.js';
import { servedBy, type ServingModel } from '../../../src/serving/serving-set.js';
import { committedModels, rolloutRecordText } from './committed-models.js';

let local: ServingModel;
let localText: string;
let pkg: (version: string) => ModelPackage;

beforeAll(async () => {
  ({ local, localText, pkg } = await committedModels());
});

const modelRecord = (p: ModelPackage, key: string | null = p.version): FollowedRecord => ({
  key,
  value: Buffer.from(JSON.stringify(p)),
});

const rolloutRecord = (
  revision: number,
  rollout: RolloutDocument,
  key: string | null = ROLLOUT_KEY,
): FollowedRecord => ({ key, value: Buffer.from(rolloutRecordText(revision, rollout)) });

/** 1.1.0's package with its intercept changed and the checksum recomputed: a valid artifact that scores otherwise. */
function tamperedParity(): ModelPackage {
  const original = pkg('1.1.0');
  const model_json = original.model_json.replace(/"intercept": -?[0-9.e-]+/, '"intercept": 0.5');
  expect(model_json).not.toBe(original.model_json);
  return { ...original, model_json, sha256: sha256Hex(model_json) };
}

/** Applies the records in order, returning the last state and every event. */
function fold(state: RolloutState, steps: ((s: RolloutState) => RolloutStep)[]): RolloutStep {
  let current = state;
  const events: RolloutEvent[] = [];
  for (const step of steps) {
    const next = step(current);
    current = next.state;
    events.push(...next.events);
  }
  return { state: current, events };
}

const model = (record: FollowedRecord) => (s: RolloutState) => applyModelRecord(s, record);
const rollout = (record: FollowedRecord) => (s: RolloutState) => applyRolloutRecord(s, record);
const kinds = (events: readonly RolloutEvent[]) => events.map((e) => e.kind);
const start = () => initialRolloutState(local, { strictCategories: false, localSha256: sha256Hex(localText) });

describe('rollout state: the models and rollout records, folded into the set in force', () => {
  it('starts with the local model as the champion of revision 0, the only version available', () => {
    const { inForce } = start();
    expect(inForce.revision).toBe(0);
    expect(inForce.rollout.champion.version).toBe('1.0.0');
    expect([...inForce.available.keys()]).toEqual(['1.0.0']);
    expect(servedBy(inForce, 'any-customer').serving).toBe(local);
  });

  it('verifies a published version, makes it available, and applies a rollout naming it', () => {
    const { state, events } = fold(start(), [
      model(modelRecord(pkg('1.1.0'))),
      rollout(rolloutRecord(1, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 10 }] })),
    ]);
    expect(kinds(events)).toEqual(['model-verified', 'rollout-applied']);
    expect(events[0]).toMatchObject({ version: '1.1.0', sha256: pkg('1.1.0').sha256, replaced: false });
    const set = state.inForce;
    expect(set.revision).toBe(1);
    expect([...set.models.keys()].sort()).toEqual(['1.0.0', '1.1.0']);
    expect(set.models.get('1.1.0')?.model.meta.version).toBe('1.1.0');
    // About a tenth of the customers get the canary, the rest the champion, each scored by its own model.
    const served = Array.from({ length: 2000 }, (_, i) => servedBy(set, `customer-${i}`));
    const canary = served.filter((s) => s.assignment.variant === 'canary');
    expect(canary.length).toBeGreaterThan(140);
    expect(canary.length).toBeLessThan(260);
    expect(canary.every((s) => s.serving.model.meta.version === '1.1.0')).toBe(true);
    expect(served.filter((s) => s.assignment.variant === 'champion').every((s) => s.serving === local)).toBe(true);
  });

  it('lets a rollout naming a version not yet published wait, and applies it when the version is verified', () => {
    const waiting = fold(start(), [rollout(rolloutRecord(1, { champion: '1.0.0', shadows: ['1.1.0'] }))]);
    expect(waiting.events).toEqual([{ kind: 'rollout-waiting', revision: 1, waitingFor: ['1.1.0'] }]);
    expect(waiting.state.inForce.revision).toBe(0);
    expect(waiting.state.pending?.revision).toBe(1);

    const arrived = applyModelRecord(waiting.state, modelRecord(pkg('1.1.0')));
    expect(kinds(arrived.events)).toEqual(['model-verified', 'rollout-applied']);
    expect(arrived.state.inForce.revision).toBe(1);
    expect(arrived.state.inForce.shadows.map((s) => s.version)).toEqual(['1.1.0']);
    expect(arrived.state.pending).toBeUndefined();
  });

  it('refuses a package whose model_json does not match its checksum, and a rollout naming it; the set stays', () => {
    const corrupted = { ...pkg('1.1.0'), model_json: pkg('1.1.0').model_json.replace('"1.1.0"', '"1.1.0" ') };
    const before = fold(start(), [
      model(modelRecord(pkg('1.0.0'))),
      rollout(rolloutRecord(1, { champion: '1.0.0' })),
    ]).state;
    const { state, events } = fold(before, [
      model(modelRecord(corrupted)),
      rollout(rolloutRecord(2, { champion: '1.1.0' })),
    ]);
    expect(events).toEqual([
      expect.objectContaining({ kind: 'model-refused', version: '1.1.0', reason: 'checksum', stillInUse: false }),
      expect.objectContaining({ kind: 'rollout-refused', revision: 2, reason: 'model-refused' }),
    ]);
    expect((events[1] as { message: string }).message).toContain('1.1.0 (checksum)');
    expect(state.inForce).toBe(before.inForce);
    expect(state.refused.get('1.1.0')?.reason).toBe('checksum');
    expect(state.verified.has('1.1.0')).toBe(false);
  });

  it('refuses a package whose parity examples its model does not reproduce', () => {
    const { events, state } = applyModelRecord(start(), modelRecord(tamperedParity()));
    expect(events).toEqual([expect.objectContaining({ kind: 'model-refused', version: '1.1.0', reason: 'parity' })]);
    expect(state.verified.has('1.1.0')).toBe(false);
  });

  it('refuses the pending rollout when a version it waits for arrives refused', () => {
    const { state, events } = fold(start(), [
      rollout(rolloutRecord(1, { champion: '1.1.0' })),
      model(modelRecord(tamperedParity())),
    ]);
    expect(kinds(events)).toEqual(['rollout-waiting', 'model-refused', 'rollout-refused']);
    expect(state.pending).toBeUndefined();
    expect(state.inForce.revision).toBe(0);
  });

  it('keeps the loaded model when the same package is read again (no rebuild)', () => {
    const first = fold(start(), [
      model(modelRecord(pkg('1.1.0'))),
      rollout(rolloutRecord(1, { champion: '1.1.0' })),
    ]).state;
    const again = applyModelRecord(first, modelRecord(pkg('1.1.0')));
    expect(again.events).toEqual([{ kind: 'model-unchanged', version: '1.1.0', sha256: pkg('1.1.0').sha256 }]);
    expect(again.state).toBe(first);
    // The local model's own text published keeps the local model loaded too.
    const localAgain = applyModelRecord(start(), modelRecord(pkg('1.0.0')));
    expect(kinds(localAgain.events)).toEqual(['model-unchanged']);
    expect(localAgain.state.inForce.models.get('1.0.0')).toBe(local);
  });

  it('reads the rollout in force again without change (a restarted follower)', () => {
    const first = fold(start(), [model(modelRecord(pkg('1.1.0'))), rollout(rolloutRecord(1, { champion: '1.1.0' }))]);
    const again = applyRolloutRecord(first.state, rolloutRecord(1, { champion: '1.1.0' }));
    expect(again.events).toEqual([{ kind: 'rollout-unchanged', revision: 1 }]);
    expect(again.state.inForce).toBe(first.state.inForce);
  });

  it('keeps serving a withdrawn version until a rollout stops naming it; a new rollout naming it waits', () => {
    const inUse = fold(start(), [
      model(modelRecord(pkg('1.1.0'))),
      rollout(rolloutRecord(1, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'ab', weight: 50 }] })),
    ]).state;
    const withdrawn = applyModelRecord(inUse, { key: '1.1.0', value: null });
    expect(withdrawn.events).toEqual([{ kind: 'model-withdrawn', version: '1.1.0', stillInUse: true }]);
    expect(withdrawn.state.inForce.revision).toBe(1);
    expect(withdrawn.state.inForce.models.get('1.1.0')).toBe(inUse.inForce.models.get('1.1.0'));
    expect(withdrawn.state.verified.has('1.1.0')).toBe(false);

    const renamed = applyRolloutRecord(
      withdrawn.state,
      rolloutRecord(2, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'ab', weight: 20 }] }),
    );
    expect(renamed.events).toEqual([{ kind: 'rollout-waiting', revision: 2, waitingFor: ['1.1.0'] }]);
    expect(renamed.state.inForce.revision).toBe(1);

    const dropped = applyRolloutRecord(renamed.state, rolloutRecord(3, { champion: '1.0.0' }));
    expect(kinds(dropped.events)).toEqual(['rollout-applied']);
    expect([...dropped.state.inForce.available.keys()]).toEqual(['1.0.0']);
    expect(dropped.state.pending).toBeUndefined();
  });

  it('makes a newly verified version available to `replay --compare` without changing the rollout in force', () => {
    const { state } = applyModelRecord(start(), modelRecord(pkg('1.1.0')));
    expect(state.inForce.revision).toBe(0);
    expect(state.inForce.available.get('1.1.0')?.model.meta.version).toBe('1.1.0');
    expect([...state.inForce.models.keys()]).toEqual(['1.0.0']);
  });

  it.each([
    ['not-json', { key: ROLLOUT_KEY, value: Buffer.from('{oops') }],
    ['format', { key: ROLLOUT_KEY, value: Buffer.from(JSON.stringify({ format: 'x', revision: 1 })) }],
    [
      'rollout',
      rolloutRecord(2, {
        champion: '1.0.0',
        challengers: [
          { version: '1.1.0', kind: 'canary', weight: 60 },
          { version: '1.2.0', kind: 'ab', weight: 60 },
        ],
      }),
    ],
    ['key', rolloutRecord(2, { champion: '1.0.0' }, 'upsell')],
  ] as const)('refuses a rollout record (%s) and keeps the set in force', (reason, record) => {
    const before = fold(start(), [
      model(modelRecord(pkg('1.1.0'))),
      rollout(rolloutRecord(1, { champion: '1.1.0' })),
    ]).state;
    const { state, events } = applyRolloutRecord(before, record);
    expect(events).toEqual([expect.objectContaining({ kind: 'rollout-refused', reason })]);
    expect(state.inForce).toBe(before.inForce);
  });

  it('gives everyone back to the local model when the rollout record is deleted', () => {
    const before = fold(start(), [
      model(modelRecord(pkg('1.1.0'))),
      rollout(rolloutRecord(4, { champion: '1.1.0' })),
    ]).state;
    const { state, events } = applyRolloutRecord(before, { key: ROLLOUT_KEY, value: null });
    expect(kinds(events)).toEqual(['rollout-withdrawn', 'rollout-applied']);
    expect(state.inForce.revision).toBe(0);
    expect(state.inForce.models.get('1.0.0')).toBe(local);
    expect(state.inForce.available.has('1.1.0')).toBe(true);
  });

  it('refuses a package published under a key that is not its version', () => {
    const { events, state } = applyModelRecord(start(), modelRecord(pkg('1.1.0'), '1.2.0'));
    expect(events).toEqual([
      expect.objectContaining({ kind: 'model-refused', version: '1.2.0', reason: 'key-mismatch' }),
    ]);
    expect(state.refused.has('1.2.0')).toBe(true);
    expect(state.verified.has('1.1.0')).toBe(false);
  });
});
