import { describe, expect, it } from 'vitest';
import { ScorerError } from '../../../src/errors/scorer-error.js';
import { DEFAULT_ROLLOUT_SALT, parseRollout } from '../../../src/rollout/rollout.js';
import { rolloutProblems } from '../../../src/rollout/rollout-document.js';
import { RolloutError, type RolloutProblem } from '../../../src/rollout/rollout-error.js';

function problemsOf(input: unknown): RolloutProblem[] {
  const problems = rolloutProblems(input);
  expect(() => parseRollout(input)).toThrow(RolloutError);
  return problems;
}

const CHAMPION = { champion: '1.0.0' };

describe('parseRollout: a valid document', () => {
  it('lays the challengers out on the buckets, with the defaults for what it leaves out', () => {
    const rollout = parseRollout({
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'canary', weight: 5 },
        { version: '2.0.0', kind: 'ab', weight: 25 },
        { version: '2.1.0', kind: 'ab', weight: 0.5 },
      ],
      shadows: ['3.0.0-rc1'],
    });
    expect(rollout.salt).toBe(DEFAULT_ROLLOUT_SALT);
    // the champion serves what the challengers leave: 100 - 5 - 25 - 0.5 percent
    expect(rollout.champion).toEqual({ version: '1.0.0', variant: 'champion', probability: 0.695 });
    expect(
      rollout.challengers.map(({ version, kind, weight, first, end, assignment }) => ({
        version,
        kind,
        weight,
        first,
        end,
        assignment,
      })),
    ).toEqual([
      {
        version: '1.1.0',
        kind: 'canary',
        weight: 5,
        first: 0,
        end: 500,
        assignment: { version: '1.1.0', variant: 'canary', probability: 0.05 },
      },
      {
        version: '2.0.0',
        kind: 'ab',
        weight: 25,
        first: 7500,
        end: 10_000,
        assignment: { version: '2.0.0', variant: 'ab', probability: 0.25 },
      },
      {
        version: '2.1.0',
        kind: 'ab',
        weight: 0.5,
        first: 7450,
        end: 7500,
        assignment: { version: '2.1.0', variant: 'ab', probability: 0.005 },
      },
    ]);
    expect(rollout.shadows).toEqual(['3.0.0-rc1']);
  });

  it('takes a champion alone, weights that add up to exactly 100 in 0.01 steps, and its own salt', () => {
    expect(parseRollout(CHAMPION)).toMatchObject({ challengers: [], shadows: [] });
    const thirds = parseRollout({
      champion: '1.0.0',
      salt: 'experiment-7',
      challengers: [
        { version: 'a', kind: 'ab', weight: 33.33 },
        { version: 'b', kind: 'ab', weight: 33.33 },
        { version: 'c', kind: 'ab', weight: 33.34 },
      ],
    });
    expect(thirds.salt).toBe('experiment-7');
    expect(thirds.challengers.map((c) => [c.first, c.end])).toEqual([
      [0, 3333],
      [6667, 10_000],
      [3333, 6667],
    ]);
  });

  it('is frozen: the assignments it hands out are shared, so nobody may change them', () => {
    const rollout = parseRollout({ ...CHAMPION, challengers: [{ version: '2', kind: 'canary', weight: 1 }] });
    expect(Object.isFrozen(rollout)).toBe(true);
    expect(Object.isFrozen(rollout.champion)).toBe(true);
    expect(Object.isFrozen(rollout.challengers)).toBe(true);
    expect(Object.isFrozen(rollout.challengers[0]?.assignment)).toBe(true);
    expect(Object.isFrozen(rollout.shadows)).toBe(true);
  });
});

describe('parseRollout: an invalid document names each bad field', () => {
  it.each([
    [null, '(rollout)', 'must be an object, got null'],
    [[], '(rollout)', 'must be an object, got []'],
    ['1.0.0', '(rollout)', 'must be an object, got "1.0.0"'],
    [{}, 'champion', 'must be a model version (a non-empty string), got nothing'],
    [{ champion: '' }, 'champion', 'must be a model version (a non-empty string), got ""'],
    [{ champion: 2 }, 'champion', 'must be a model version (a non-empty string), got 2'],
    [{ champion: ' 1.0.0' }, 'champion', 'must not start or end with spaces, got " 1.0.0"'],
    [
      { ...CHAMPION, challenger: [] },
      'challenger',
      'is not a rollout field (expected champion, challengers, shadows, salt, bandit)',
    ],
    [{ ...CHAMPION, salt: '' }, 'salt', 'must be a non-empty string, got ""'],
    [
      { ...CHAMPION, challengers: { version: '2' } },
      'challengers',
      'must be a list of challengers, got {"version":"2"}',
    ],
    [
      { ...CHAMPION, challengers: ['2.0.0'] },
      'challengers[0]',
      'must be an object {version, kind, weight}, got "2.0.0"',
    ],
    [{ ...CHAMPION, shadows: '2.0.0' }, 'shadows', 'must be a list of model versions, got "2.0.0"'],
    [{ ...CHAMPION, shadows: [null] }, 'shadows[0]', 'must be a model version (a non-empty string), got null'],
  ])('%j: %s %s', (input, field, message) => {
    expect(problemsOf(input)).toEqual([{ field, message }]);
  });

  it.each([
    [{ kind: 'blue' }, 'kind', 'must be one of "canary", "ab", got "blue"'],
    [{ kind: undefined }, 'kind', 'must be one of "canary", "ab", got nothing'],
    [{ weight: -1 }, 'weight', 'must be a percent from 0 to 100, got -1'],
    [{ weight: 100.01 }, 'weight', 'must be a percent from 0 to 100, got 100.01'],
    [{ weight: Number.NaN }, 'weight', 'must be a percent from 0 to 100, got NaN'],
    [{ weight: '10' }, 'weight', 'must be a percent from 0 to 100, got "10"'],
    [{ weight: 12.345 }, 'weight', 'must be in steps of 0.01 (one bucket of 10,000), got 12.345'],
    [{ version: '' }, 'version', 'must be a model version (a non-empty string), got ""'],
    [{ share: 10 }, 'share', 'is not a rollout field (expected version, kind, weight)'],
  ])('a challenger with %j: challengers[1].%s %s', (change, key, message) => {
    const challengers = [
      { version: '1.1.0', kind: 'canary', weight: 5 },
      { version: '2.0.0', kind: 'ab', weight: 10, ...change },
    ];
    expect(problemsOf({ ...CHAMPION, challengers })).toEqual([{ field: `challengers[1].${key}`, message }]);
  });

  it('refuses challengers that take more than 100% together', () => {
    const challengers = [
      { version: '2', kind: 'ab', weight: 60 },
      { version: '3', kind: 'canary', weight: 40.01 },
    ];
    expect(problemsOf({ ...CHAMPION, challengers })).toEqual([
      { field: 'challengers', message: 'weights add up to 100.01%; the challengers together take at most 100%' },
    ]);
  });

  it('refuses a version that serves twice: the champion as a challenger, a challenger listed twice', () => {
    const challengers = [
      { version: '1.0.0', kind: 'canary', weight: 5 },
      { version: '2.0.0', kind: 'ab', weight: 10 },
      { version: '2.0.0', kind: 'canary', weight: 1 },
    ];
    expect(problemsOf({ ...CHAMPION, challengers })).toEqual([
      { field: 'challengers[0].version', message: '"1.0.0" is already the champion; list a version once' },
      { field: 'challengers[2].version', message: '"2.0.0" is already challengers[1]; list a version once' },
    ]);
  });

  it('refuses a shadow that serves (the champion or a challenger) or is listed twice', () => {
    const input = {
      ...CHAMPION,
      challengers: [{ version: '2.0.0', kind: 'canary', weight: 5 }],
      shadows: ['1.0.0', '2.0.0', '3.0.0', '3.0.0'],
    };
    expect(problemsOf(input)).toEqual([
      { field: 'shadows[0]', message: '"1.0.0" serves as the champion; a shadow is a version that does not serve' },
      { field: 'shadows[1]', message: '"2.0.0" serves as challengers[0]; a shadow is a version that does not serve' },
      { field: 'shadows[3]', message: '"3.0.0" is already shadows[2]; list a version once' },
    ]);
  });

  it('lists every problem in one RolloutError, a one-line operator error with its code', () => {
    const input = {
      champion: '',
      challengers: [{ version: '2', kind: 'blue', weight: 120 }],
      shadows: [''],
      extra: true,
    };
    let thrown: unknown;
    try {
      parseRollout(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RolloutError);
    expect(thrown).toBeInstanceOf(ScorerError);
    const error = thrown as RolloutError;
    expect(error.problems.map((p) => p.field)).toEqual([
      'extra',
      'champion',
      'challengers[0].kind',
      'challengers[0].weight',
      'shadows[0]',
    ]);
    expect(error).toMatchObject({ code: 'CHURN_ERR_ROLLOUT', expected: true, retriable: false, exitCode: 1 });
    expect(error.message.split('\n')).toHaveLength(6);
    expect(error.message).toContain('  - challengers[0].weight: must be a percent from 0 to 100, got 120');
    expect(error.oneLine).toBe(
      'invalid rollout: extra: is not a rollout field (expected champion, challengers, shadows, salt, bandit); ' +
        'champion: must be a model version (a non-empty string), got ""; ' +
        'challengers[0].kind: must be one of "canary", "ab", got "blue"; ' +
        'challengers[0].weight: must be a percent from 0 to 100, got 120; ' +
        'shadows[0]: must be a model version (a non-empty string), got ""',
    );
  });

  it('quotes a long value cut short', () => {
    expect(problemsOf({ champion: ['x'.repeat(100)] })).toEqual([
      {
        field: 'champion',
        message: `must be a model version (a non-empty string), got ["${'x'.repeat(38)}… (104 chars)`,
      },
    ]);
  });
});
