import { describe, expect, it } from 'vitest';
import { RolloutChangeError } from '../../../src/model-registry/registry-errors.js';
import {
  documentFromFlags,
  keepingChallengerOrder,
  nextRolloutRecord,
  parseRolloutRecord,
  promoteDocument,
  rollbackRecord,
  ROLLOUT_HISTORY_LIMIT,
  ROLLOUT_RECORD_FORMAT,
  sameRollout,
  type RolloutRecord,
} from '../../../src/model-registry/rollout-record.js';
import { rolloutOneLine, rolloutShares } from '../../../src/model-registry/rollout-summary.js';
import type { RolloutDocument } from '../../../src/rollout/rollout-document.js';
import { RolloutError } from '../../../src/rollout/rollout-error.js';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import { parseRollout } from '../../../src/rollout/rollout.js';
import { telcoCustomerId } from '../rollout/rollout-test-data.js';

const T1 = '2026-11-30T10:00:00.000Z';
const T2 = '2026-11-30T11:00:00.000Z';
const T3 = '2026-11-30T12:00:00.000Z';

const champion100: RolloutDocument = { champion: '1.0.0' };
const canary10: RolloutDocument = {
  champion: '1.0.0',
  challengers: [{ version: '1.1.0', kind: 'canary', weight: 10 }],
  shadows: ['1.2.0'],
};

const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** The error `run` throws, checked to be an instance of `type`. */
function thrown<E extends Error>(run: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected a ${type.name}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}

describe('publishing rollout records', () => {
  it('starts at revision 1 with no history, then puts the previous rollout first in the history', () => {
    const first = nextRolloutRecord(undefined, champion100, T1);
    expect(first).toEqual({
      format: ROLLOUT_RECORD_FORMAT,
      revision: 1,
      published_at: T1,
      rollout: champion100,
      history: [],
    });
    const second = nextRolloutRecord(first, canary10, T2);
    expect(second).toEqual({
      format: ROLLOUT_RECORD_FORMAT,
      revision: 2,
      published_at: T2,
      rollout: canary10,
      history: [{ revision: 1, published_at: T1, rollout: champion100 }],
    });
  });

  it(`keeps the newest ${ROLLOUT_HISTORY_LIMIT} rollouts in the history`, () => {
    let record: RolloutRecord | undefined;
    for (let i = 0; i < 30; i++) record = nextRolloutRecord(record, { champion: `1.0.${i}` }, T1);
    const last = record as RolloutRecord;
    expect(last.revision).toBe(30);
    expect(last.history.map((h) => h.revision)).toEqual(Array.from({ length: 20 }, (_, i) => 29 - i));
  });

  it('never publishes an invalid rollout', () => {
    const invalid = { champion: '1.0.0', challengers: [{ version: '1.0.0', kind: 'canary', weight: 10 }] } as const;
    expect(thrown(() => nextRolloutRecord(undefined, invalid, T1), RolloutError).code).toBe('CHURN_ERR_ROLLOUT');
  });

  it('reads back what it writes, with the rollout laid out', () => {
    const record = nextRolloutRecord(nextRolloutRecord(undefined, champion100, T1), canary10, T2);
    const parsed = parseRolloutRecord(bytes(record));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.record).toEqual(record);
    expect(parsed.rollout.challengers[0]).toMatchObject({ version: '1.1.0', kind: 'canary', weight: 10 });
    expect(parsed.rollout.shadows).toEqual(['1.2.0']);
  });

  it('ignores envelope keys it does not know (a later writer may add some)', () => {
    const record = { ...nextRolloutRecord(undefined, champion100, T1), author: 'ops' };
    expect(parseRolloutRecord(bytes(record)).ok).toBe(true);
  });
});

describe('reading rollout records that workers refuse', () => {
  const good = nextRolloutRecord(nextRolloutRecord(undefined, champion100, T1), canary10, T2);

  it.each([
    ['a tombstone', null, 'not-json', /tombstone/],
    ['not JSON', Buffer.from('{"format":'), 'not-json', /not JSON/],
    ['another format', bytes({ ...good, format: 'churn-scorer/rollout@2' }), 'format', /field format/],
    ['revision 0', bytes({ ...good, revision: 0 }), 'format', /field revision must be an integer >= 1, got 0/],
    ['a bad time', bytes({ ...good, published_at: 'yesterday' }), 'format', /field published_at/],
    ['no history', bytes({ ...good, history: undefined }), 'format', /field history must be a list/],
    [
      'a history newer than the record',
      bytes({ ...good, history: [{ ...good.history[0], revision: 2 }] }),
      'format',
      /field history\[0\]\.revision must be an integer from 1 to 1, got 2/,
    ],
  ] as const)('refuses %s', (_, value, reason, message) => {
    const parsed = parseRolloutRecord(value);
    expect(parsed).toMatchObject({ ok: false, reason });
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('refuses an invalid rollout with every problem of the RolloutError', () => {
    const rollout = {
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'canary', weight: 60 },
        { version: '1.2.0', kind: 'ab', weight: 50 },
      ],
      shadows: ['1.0.0'],
    };
    const parsed = parseRolloutRecord(bytes({ ...good, rollout }));
    expect(parsed).toMatchObject({ ok: false, reason: 'rollout' });
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/^revision 2: invalid rollout: /);
    expect(parsed.message).toContain('challengers: weights add up to 110%');
    expect(parsed.message).toContain('shadows[0]: "1.0.0" serves as the champion');
  });
});

describe('rolling back', () => {
  it('publishes the previous rollout as a new revision; a second rollback goes one step further back', () => {
    const r1 = nextRolloutRecord(undefined, champion100, T1);
    const r2 = nextRolloutRecord(r1, canary10, T2);
    const r3 = nextRolloutRecord(r2, { champion: '1.1.0' }, T3);
    const r4 = rollbackRecord(r3, T3);
    expect(r4).toEqual({
      format: ROLLOUT_RECORD_FORMAT,
      revision: 4,
      published_at: T3,
      rollout: canary10,
      history: [{ revision: 1, published_at: T1, rollout: champion100 }],
    });
    const r5 = rollbackRecord(r4, T3);
    expect(r5.revision).toBe(5);
    expect(r5.rollout).toEqual(champion100);
    expect(r5.history).toEqual([]);
  });

  it('says so when there is nothing to roll back to', () => {
    const error = thrown(() => rollbackRecord(nextRolloutRecord(undefined, champion100, T1), T2), RolloutChangeError);
    expect(error.code).toBe('CHURN_ERR_ROLLOUT_CHANGE');
    expect(error.message).toMatch(/cannot roll back: rollout revision 1 has no earlier rollout/);
  });
});

describe('promoting', () => {
  const rollout: RolloutDocument = {
    champion: '1.0.0',
    challengers: [
      { version: '1.1.0', kind: 'canary', weight: 10 },
      { version: '1.2.0', kind: 'ab', weight: 40 },
    ],
    shadows: ['1.3.0'],
    salt: 'experiment-7',
  };

  it('makes a challenger the champion, drops the old champion, keeps the others and the salt', () => {
    expect(promoteDocument(rollout, '1.1.0')).toEqual({
      champion: '1.1.0',
      challengers: [{ version: '1.2.0', kind: 'ab', weight: 40 }],
      shadows: ['1.3.0'],
      salt: 'experiment-7',
    });
  });

  it('makes a shadow the champion', () => {
    expect(promoteDocument(rollout, '1.3.0')).toEqual({
      champion: '1.3.0',
      challengers: rollout.challengers,
      salt: 'experiment-7',
    });
  });

  it('refuses the champion itself and a version not in the rollout, listing what is', () => {
    expect(thrown(() => promoteDocument(rollout, '1.0.0'), RolloutChangeError).message).toBe(
      'cannot promote 1.0.0: it is the champion already',
    );
    const error = thrown(() => promoteDocument(rollout, '2.0.0'), RolloutChangeError);
    expect(error.message).toBe(
      'cannot promote 2.0.0: it is not in the rollout in force (champion 1.0.0; 1.1.0 (canary), 1.2.0 (ab), 1.3.0 (shadow))',
    );
  });
});

describe('rollout set flags', () => {
  const none = { canary: [], ab: [], shadow: [] };

  it('reads VERSION=PERCENT with or without %, canaries first, and the shadows and salt', () => {
    expect(
      documentFromFlags({
        champion: '1.0.0',
        canary: ['1.1.0=10%'],
        ab: ['1.2.0=12.5', '1.3.0=0.01%'],
        shadow: ['1.4.0'],
        salt: 's',
      }),
    ).toEqual({
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'canary', weight: 10 },
        { version: '1.2.0', kind: 'ab', weight: 12.5 },
        { version: '1.3.0', kind: 'ab', weight: 0.01 },
      ],
      shadows: ['1.4.0'],
      salt: 's',
    });
    expect(documentFromFlags({ champion: '1.0.0', ...none })).toEqual({ champion: '1.0.0' });
  });

  it('names the flag of every value it cannot read', () => {
    const error = thrown(
      () =>
        documentFromFlags({
          champion: '1.0.0',
          canary: ['1.1.0', '1.1.0=ten%'],
          ab: ['=5%', '1.2.0=100.5', '1.3.0=1.001'],
          shadow: [],
        }),
      RolloutError,
    );
    expect(error.problems.map((p) => p.field)).toEqual([
      '--canary "1.1.0"',
      '--canary "1.1.0=ten%"',
      '--ab "=5%"',
      '--ab "1.2.0=100.5"',
      '--ab "1.3.0=1.001"',
    ]);
    expect(error.oneLine).toContain('--canary "1.1.0": expected VERSION=PERCENT, e.g. 1.1.0=10%');
    expect(error.oneLine).toContain('--ab "=5%": names no model version');
    expect(error.oneLine).toContain('--ab "1.2.0=100.5": 100.5% is more than 100%');
  });

  it('names the flags of a rollout that breaks the rules between versions', () => {
    const error = thrown(
      () => documentFromFlags({ champion: '1.0.0', canary: ['1.1.0=60%'], ab: ['1.2.0=50%'], shadow: ['1.1.0'] }),
      RolloutError,
    );
    expect(error.problems).toEqual([
      { field: '--canary/--ab', message: expect.stringMatching(/weights add up to 110%/) as unknown },
      { field: '--shadow 1.1.0', message: expect.stringMatching(/serves as/) as unknown },
    ]);
    const twice = thrown(
      () => documentFromFlags({ champion: '1.0.0', canary: ['1.0.0=5%'], ab: [], shadow: [] }),
      RolloutError,
    );
    expect(twice.problems[0]?.field).toBe('--canary 1.0.0=5% (version)');
  });
});

describe('rollout set keeps running challengers where they are', () => {
  const flags = (canary: string[], ab: string[]) => ({ champion: '1.0.0', canary, ab, shadow: [] });
  const ids = Array.from({ length: 100_000 }, (_, i) => telcoCustomerId(i));

  it('adding a canary beside a running A/B takes champion customers only, none of the A/B arm', () => {
    const ab = keepingChallengerOrder(documentFromFlags(flags([], ['1.1.0=50%'])), { champion: '1.0.0' });
    // The flags name canaries first: without the kept order, 2.0.0 would take 1.1.0's buckets.
    const both = keepingChallengerOrder(documentFromFlags(flags(['2.0.0=5%'], ['1.1.0=50%'])), ab);
    expect(both.challengers?.map((c) => c.version)).toEqual(['1.1.0', '2.0.0']);
    const before = parseRollout(ab);
    const after = parseRollout(both);
    const moves = new Map<string, number>();
    for (const id of ids) {
      const from = assignVariant(before, id).version;
      const to = assignVariant(after, id).version;
      if (from !== to) moves.set(`${from}->${to}`, (moves.get(`${from}->${to}`) ?? 0) + 1);
    }
    expect([...moves.keys()]).toEqual(['1.0.0->2.0.0']);
    expect(Math.abs((moves.get('1.0.0->2.0.0') ?? 0) / ids.length - 0.05)).toBeLessThan(0.01);
  });

  it('keeps the order of the challengers in force, appends new ones in the order given, drops the removed', () => {
    const current: RolloutDocument = {
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'ab', weight: 20 },
        { version: '1.2.0', kind: 'canary', weight: 5 },
      ],
    };
    const next = documentFromFlags(flags(['1.2.0=10%', '3.0.0=1%'], ['2.0.0=10%']));
    expect(keepingChallengerOrder(next, current).challengers?.map((c) => c.version)).toEqual([
      '1.2.0',
      '3.0.0',
      '2.0.0',
    ]);
    const withAb = documentFromFlags(flags(['1.2.0=10%'], ['1.1.0=20%']));
    expect(keepingChallengerOrder(withAb, current).challengers?.map((c) => c.version)).toEqual(['1.1.0', '1.2.0']);
    expect(keepingChallengerOrder(withAb, undefined)).toEqual(withAb);
  });
});

describe('describing a rollout', () => {
  it('gives the champion what the challengers leave, counted in buckets', () => {
    const doc: RolloutDocument = {
      champion: '1.0.0',
      challengers: [
        { version: '1.1.0', kind: 'canary', weight: 33.33 },
        { version: '1.2.0', kind: 'ab', weight: 33.33 },
      ],
      shadows: ['1.3.0'],
    };
    expect(rolloutShares(doc)).toEqual([
      { version: '1.0.0', role: 'champion', percent: 33.34 },
      { version: '1.1.0', role: 'canary', percent: 33.33 },
      { version: '1.2.0', role: 'ab', percent: 33.33 },
      { version: '1.3.0', role: 'shadow', percent: undefined },
    ]);
    expect(rolloutOneLine(doc)).toBe('champion 1.0.0 33.34%, canary 1.1.0 33.33%, ab 1.2.0 33.33%, shadow 1.3.0');
  });

  it('tells equal rollouts apart from changed ones', () => {
    expect(sameRollout(canary10, { ...canary10, challengers: [...(canary10.challengers ?? [])] })).toBe(true);
    expect(sameRollout({ champion: '1.0.0', challengers: [], shadows: [] }, champion100)).toBe(true);
    expect(sameRollout(canary10, { ...canary10, shadows: [] })).toBe(false);
    expect(sameRollout(canary10, { ...canary10, salt: 'other' })).toBe(false);
  });
});
