import { beforeAll, describe, expect, it } from 'vitest';
import { ExperimentTracker } from '../../../src/experiments/experiment-tracker.js';
import type { ScoredObservation } from '../../../src/experiments/scored-observation.js';
import type { ServingSet } from '../../../src/serving/serving-set.js';
import { seededRandom, splitAt } from '../rollout/rollout-test-data.js';
import { closeFigures, plainShadow, plainVariant } from './plain-comparison.js';
import { rolloutSet, SwappableServingSource } from '../../support/serving-sets.js';

const CANARY = { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 10 }] };
const SHADOW = { champion: '1.0.0', shadows: ['1.1.0'] };

let canary3: ServingSet;
let shadow4: ServingSet;
let canary5: ServingSet;
beforeAll(async () => {
  canary3 = await rolloutSet(3, CANARY);
  shadow4 = await rolloutSet(4, SHADOW);
  canary5 = await rolloutSet(5, { ...CANARY, challengers: [{ version: '1.1.0', kind: 'canary', weight: 20 }] });
});

/** A tracker over a source the test swaps, and a clock it sets. */
function tracker(set: ServingSet) {
  const source = new SwappableServingSource(set);
  let now = Date.parse('2025-03-01T10:00:00.000Z');
  const experiments = new ExperimentTracker({ serving: source, now: () => now });
  return {
    source,
    experiments,
    setClock: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

function liveObservations(count: number, seed: number): ScoredObservation[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    random() < 0.1
      ? { variant: 'canary' as const, version: '1.1.0', score: random(), shadowScores: [] }
      : { variant: 'champion' as const, version: '1.0.0', score: random(), shadowScores: [] },
  );
}

function shadowedObservations(count: number, seed: number): ScoredObservation[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const score = random();
    // a shadow that mostly agrees: the champion's score moved a little, sometimes a lot
    const shadow = Math.min(1, Math.max(0, score + (random() < 0.2 ? random() - 0.5 : (random() - 0.5) / 20)));
    return { variant: 'champion' as const, version: '1.0.0', score, shadowScores: [shadow] };
  });
}

describe('ExperimentTracker', () => {
  it('names the rollout in force before anything is committed, with no comparison yet', () => {
    const { experiments } = tracker(canary3);
    expect(experiments.summary()).toEqual({
      revision: 3,
      rollout: {
        champion: '1.0.0',
        challengers: [{ version: '1.1.0', kind: 'canary', weight: 10 }],
        shadows: [],
        salt: 'churn-scorer/rollout',
      },
      since: '2025-03-01T10:00:00.000Z',
      variants: [],
      shadows: [],
      previous: null,
      note: null,
    });
  });

  it('counts each committed prediction for its variant and version: the figures of the definitions', () => {
    const { experiments } = tracker(canary3);
    const observations = liveObservations(2_000, 11);
    for (const part of splitAt(observations, [130, 131, 977, 1500])) experiments.recordCommitted(canary3, part);

    const view = experiments.summary();
    expect(view.variants.map((v) => [v.variant, v.version, v.threshold])).toEqual([
      ['champion', '1.0.0', 0.5],
      ['canary', '1.1.0', 0.5],
    ]);
    for (const v of view.variants) {
      const scores = observations.filter((o) => o.variant === v.variant).map((o) => o.score);
      expect(closeFigures({ ...v }, { ...plainVariant(scores, 0.5) }), v.variant).toEqual([]);
    }
    expect(view.variants.reduce((n, v) => n + v.count, 0)).toBe(2_000);
    expect(view.shadows).toEqual([]);
  });

  it('compares a shadow with the champion on the same events: the figures of the definitions', () => {
    const { experiments } = tracker(shadow4);
    const observations = shadowedObservations(3_000, 12);
    for (const part of splitAt(observations, [1, 1000, 2999])) experiments.recordCommitted(shadow4, part);

    const [shadow] = experiments.summary().shadows;
    const pairs = observations.map((o) => [o.score, o.shadowScores[0] ?? NaN] as const);
    expect(shadow).toMatchObject({ version: '1.1.0', champion_version: '1.0.0', riskiest_quartile_exact: true });
    expect(closeFigures({ ...shadow }, { ...plainShadow(pairs, 0.5, 0.5) })).toEqual([]);
    expect(shadow?.agreement).toBeGreaterThan(0.8);
    expect(shadow?.agreement).toBeLessThan(1);
  });

  it('starts afresh on a new revision and keeps the one before, where a late commit still counts', () => {
    const { experiments, source, setClock } = tracker(canary3);
    experiments.recordCommitted(canary3, liveObservations(100, 1));
    setClock('2025-03-01T11:00:00.000Z');
    source.set = shadow4;

    let view = experiments.summary();
    expect([view.revision, view.since, view.variants, view.rollout.shadows]).toEqual([
      4,
      '2025-03-01T11:00:00.000Z',
      [],
      ['1.1.0'],
    ]);
    expect(view.previous?.revision).toBe(3);
    expect(view.previous?.variants.reduce((n, v) => n + v.count, 0)).toBe(100);

    // a transaction that began under revision 3 and commits after the swap
    experiments.recordCommitted(canary3, liveObservations(7, 2));
    experiments.recordCommitted(shadow4, shadowedObservations(20, 3));
    view = experiments.summary();
    expect(view.variants.map((v) => [v.variant, v.count])).toEqual([['champion', 20]]);
    expect(view.shadows[0]?.events).toBe(20);
    expect(view.previous?.variants.reduce((n, v) => n + v.count, 0)).toBe(107);

    // revision 5: 4 becomes the previous one, 3 is gone and its late commits are dropped
    source.set = canary5;
    experiments.recordCommitted(canary3, liveObservations(50, 4));
    view = experiments.summary();
    expect([view.revision, view.previous?.revision, view.variants]).toEqual([5, 4, []]);
    expect(view.previous?.shadows[0]?.events).toBe(20);
  });

  it('takes a newer revision from a commit before the source is read', () => {
    const { experiments } = tracker(canary3);
    experiments.recordCommitted(canary5, liveObservations(10, 5));
    const view = experiments.summary();
    expect(view.revision).toBe(5);
    expect(view.variants.reduce((n, v) => n + v.count, 0)).toBe(10);
  });

  it('refuses a transaction that does not fit its serving set, counting none of it', () => {
    const { experiments } = tracker(shadow4);
    const good = shadowedObservations(5, 6);
    const cases: [ScoredObservation, RegExp][] = [
      [{ variant: 'champion', version: '9.9.9', score: 0.3, shadowScores: [0.3] }, /version 9\.9\.9 is not in/],
      [{ variant: 'champion', version: '1.0.0', score: 1.5, shadowScores: [0.3] }, /score 1\.5 is not a probability/],
      [{ variant: 'champion', version: '1.0.0', score: 0.2, shadowScores: [] }, /0 shadow scores for 1 shadows/],
      [{ variant: 'canary', version: '1.1.0', score: 0.2, shadowScores: [] }, /0 shadow scores for 1 shadows/],
      [{ variant: 'champion', version: '1.0.0', score: 0.2, shadowScores: [-0.1] }, /not a probability/],
    ];
    for (const [bad, message] of cases) {
      expect(() => {
        experiments.recordCommitted(shadow4, [...good, bad]);
      }).toThrow(message);
    }
    expect(experiments.summary().variants).toEqual([]);
  });

  it('counts the live score of an event whose shadow could not score it (NaN), and no pair for that shadow', () => {
    const { experiments } = tracker(shadow4);
    experiments.recordCommitted(shadow4, [
      ...shadowedObservations(4, 9),
      { variant: 'champion', version: '1.0.0', score: 0.2, shadowScores: [Number.NaN] },
    ]);
    const view = experiments.summary();
    expect(view.variants.find((v) => v.variant === 'champion')?.count).toBe(5);
    expect(view.shadows[0]?.events).toBe(4);
  });

  it('answers the same view object until something changes', () => {
    const { experiments } = tracker(shadow4);
    experiments.recordCommitted(shadow4, shadowedObservations(10, 7));
    const first = experiments.summary();
    expect(experiments.summary()).toBe(first);
    experiments.recordCommitted(shadow4, shadowedObservations(1, 8));
    expect(experiments.summary()).not.toBe(first);
    expect(experiments.summary().shadows[0]?.events).toBe(11);
  });
});
