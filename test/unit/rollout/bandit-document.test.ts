import { describe, expect, it } from 'vitest';
import { banditDocumentFromFlags } from '../../../src/bandit/bandit-rollout.js';
import { parseRollout } from '../../../src/rollout/rollout.js';
import { rolloutProblems } from '../../../src/rollout/rollout-document.js';
import { RolloutError } from '../../../src/rollout/rollout-error.js';

/** The spec's example: a bandit over 1.0.0 and 1.1.0 at its start. */
function bandit(overrides: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    champion: '1.0.0',
    challengers: [{ version: '1.1.0', kind: 'bandit', weight: 50 }],
    bandit: {
      arms: ['1.0.0', '1.1.0'],
      reward: 'correct-decision',
      floor: 10,
      ceiling: 90,
      posteriors: [
        { version: '1.0.0', successes: 0, failures: 0 },
        { version: '1.1.0', successes: 0, failures: 0 },
      ],
      read_to: { '0': '0', '1': '0', '2': '0' },
      step: 0,
      ...overrides,
    },
    ...top,
  };
}

describe('a rollout with a bandit', () => {
  it('lays the arms out as champion and "bandit" challengers, each with its share as probability', () => {
    const rollout = parseRollout(bandit({}, { challengers: [{ version: '1.1.0', kind: 'bandit', weight: 62.5 }] }));
    expect(rollout.champion).toEqual({ version: '1.0.0', variant: 'champion', probability: 0.375 });
    expect(rollout.challengers.map((c) => c.assignment)).toEqual([
      { version: '1.1.0', variant: 'bandit', probability: 0.625 },
    ]);
    expect(rollout.bandit?.posteriors).toHaveLength(2);
    expect(Object.isFrozen(rollout.bandit)).toBe(true);
  });

  it.each([
    [{ arms: ['1.0.0'] }, 'bandit.arms', 'must be a list of at least two model versions, got ["1.0.0"]'],
    [{ arms: ['1.0.0', '1.0.0'] }, 'bandit.arms[1]', '"1.0.0" is already bandit.arms[0]; list a version once'],
    [
      { arms: ['1.1.0', '1.0.0'] },
      'bandit.arms[0]',
      'must be the champion ("1.0.0"): the bandit\'s first arm serves as the champion, got "1.1.0"',
    ],
    [
      {
        arms: ['1.0.0', '1.2.0'],
        posteriors: [
          { version: '1.0.0', successes: 0, failures: 0 },
          { version: '1.2.0', successes: 0, failures: 0 },
        ],
      },
      'challengers',
      'must be the bandit\'s arms after the champion, in order, each of kind "bandit": expected ["1.2.0"], got ["1.1.0"]',
    ],
    [{ reward: 'clicks' }, 'bandit.reward', 'must be one of "correct-decision", "caught-churner", got "clicks"'],
    [{ floor: 60 }, 'bandit.floor', '60% is too high for 2 arms: the floors add up to 120%, more than 100%'],
    [
      { ceiling: 40, floor: 10 },
      'bandit.ceiling',
      '40% is too low for 2 arms: the ceilings add up to 80%, less than 100%',
    ],
    [{ floor: 50, ceiling: 40 }, 'bandit.floor', 'must not be above the ceiling (40%), got 50'],
    [{ floor: 10.005 }, 'bandit.floor', 'must be in steps of 0.01 (one bucket of 10,000), got 10.005'],
    [
      { posteriors: [{ version: '1.0.0', successes: 0, failures: 0 }] },
      'bandit.posteriors',
      'must hold one posterior per arm, in arm order (2), got 1',
    ],
    [
      {
        posteriors: [
          { version: '1.0.0', successes: 0, failures: 0 },
          { version: '1.1.0', successes: -1, failures: 0 },
        ],
      },
      'bandit.posteriors[1].successes',
      'must be a count (an integer from 0), got -1',
    ],
    [
      {
        posteriors: [
          { version: '1.1.0', successes: 0, failures: 0 },
          { version: '1.1.0', successes: 0, failures: 1.5 },
        ],
      },
      'bandit.posteriors[0].version',
      'must be the version of bandit.arms[0] ("1.0.0"), got "1.1.0"',
    ],
    [{ read_to: { '0': 12 } }, 'bandit.read_to.0', 'must be an offset (an integer from 0 as a string), got 12'],
    [{ read_to: { x: '1' } }, 'bandit.read_to.x', 'is not a partition (an integer from 0)'],
    [{ step: -1 }, 'bandit.step', 'must be an integer from 0, got -1'],
    [
      { extra: 1 },
      'bandit.extra',
      'is not a rollout field (expected arms, reward, floor, ceiling, posteriors, read_to, step)',
    ],
  ])('%j: %s %s', (change, field, message) => {
    const problems = rolloutProblems(bandit(change));
    expect(problems).toContainEqual({ field, message });
    expect(() => parseRollout(bandit(change))).toThrow(RolloutError);
  });

  it('refuses a share outside [floor, ceiling], canary or ab challengers beside a bandit, and "bandit" without one', () => {
    expect(rolloutProblems(bandit({}, { challengers: [{ version: '1.1.0', kind: 'bandit', weight: 95 }] }))).toEqual([
      {
        field: 'champion',
        message: "serves 5% (what the bandit's other arms leave), outside the bandit's floor and ceiling (10% to 90%)",
      },
      { field: 'challengers[0].weight', message: "is outside the bandit's floor and ceiling (10% to 90%), got 95" },
    ]);
    expect(
      rolloutProblems(bandit({}, { challengers: [{ version: '1.1.0', kind: 'canary', weight: 50 }] })),
    ).toContainEqual({
      field: 'challengers[0].kind',
      message:
        'must be "bandit" in a rollout with a bandit (canary and ab challengers do not mix with one), got "canary"',
    });
    expect(
      rolloutProblems({ champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'bandit', weight: 5 }] }),
    ).toEqual([
      {
        field: 'challengers[0].kind',
        message: 'is "bandit", which needs the bandit section (rollout set --bandit) that names its arms',
      },
    ]);
    expect(rolloutProblems(bandit({}, { shadows: ['1.1.0'] }))).toContainEqual({
      field: 'shadows[0]',
      message: '"1.1.0" serves as challengers[0]; a shadow is a version that does not serve',
    });
  });
});

describe('rollout set --bandit', () => {
  it('starts with equal weights, posteriors at the prior, step 0, read_to as given', () => {
    expect(
      banditDocumentFromFlags({ bandit: '1.0.0,1.1.0,1.2.0', shadow: ['2.0.0'], floor: '5%' }, { '0': '7' }),
    ).toEqual({
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'bandit', weight: 33.33 },
        { version: '1.2.0', kind: 'bandit', weight: 33.33 },
      ],
      shadows: ['2.0.0'],
      bandit: {
        arms: ['1.0.0', '1.1.0', '1.2.0'],
        reward: 'correct-decision',
        floor: 5,
        ceiling: 90,
        posteriors: ['1.0.0', '1.1.0', '1.2.0'].map((version) => ({ version, successes: 0, failures: 0 })),
        read_to: { '0': '7' },
        step: 0,
      },
    });
  });

  it.each([
    [{ bandit: '1.0.0' }, '--bandit 1.0.0: must be a list of at least two model versions, got ["1.0.0"]'],
    [{ bandit: '1.0.0,1.0.0' }, '--bandit 1.0.0,1.0.0: "1.0.0" is already bandit.arms[0]; list a version once'],
    [{ bandit: '1.0.0,1.1.0', reward: 'x' }, '--reward: must be one of "correct-decision", "caught-churner", got "x"'],
    [
      { bandit: '1.0.0,1.1.0', floor: 'ten' },
      '--floor "ten": expected a percent, e.g. 10 or 10% (at most two decimals)',
    ],
    [
      { bandit: '1.0.0,1.1.0,1.2.0', ceiling: '30' },
      '--ceiling: 30% is too low for 3 arms: the ceilings add up to 90%, less than 100%',
    ],
  ])('%j: one line naming the flag', (flags, line) => {
    let thrown: unknown;
    try {
      banditDocumentFromFlags({ shadow: [], ...flags }, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RolloutError);
    expect((thrown as RolloutError).oneLine).toBe(`invalid rollout: ${line}`);
    expect((thrown as RolloutError).code).toBe('CHURN_ERR_ROLLOUT');
  });
});
