import { describe, expect, it } from 'vitest';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import { challengerBucketRanges } from '../../../src/rollout/challenger-buckets.js';
import { BUCKET_COUNT, customerBucket, seedOfSalt } from '../../../src/rollout/customer-bucket.js';
import type { ChallengerDocument } from '../../../src/rollout/rollout-document.js';
import { DEFAULT_ROLLOUT_SALT, parseRollout, type Rollout } from '../../../src/rollout/rollout.js';
import { telcoCustomerId } from './rollout-test-data.js';

const CUSTOMERS = Array.from({ length: 100_000 }, (_, i) => telcoCustomerId(i));

function rolloutOf(challengers: ChallengerDocument[], salt?: string): Rollout {
  return parseRollout({ champion: '1.0.0', challengers, shadows: ['9.9.9'], ...(salt === undefined ? {} : { salt }) });
}

/** Each customer's version under the rollout. */
function versionsUnder(rollout: Rollout): string[] {
  return CUSTOMERS.map((id) => assignVariant(rollout, id).version);
}

/** How many customers move from one version to another between two rollouts: "from->to" -> count. */
function moves(before: Rollout, after: Rollout): Record<string, number> {
  const was = versionsUnder(before);
  const now = versionsUnder(after);
  const counts: Record<string, number> = {};
  was.forEach((version, i) => {
    const next = now[i] ?? '';
    if (next !== version) counts[`${version}->${next}`] = (counts[`${version}->${next}`] ?? 0) + 1;
  });
  return counts;
}

function percentOf(count: number): number {
  return (100 * count) / CUSTOMERS.length;
}

describe('customerBucket', () => {
  it('is MurmurHash3 x86_32 of the id seeded with the salt, scaled to 10,000 buckets (checkable with mmh3/sklearn)', () => {
    // Python: s = mmh3.hash('churn-scorer/rollout', 0, signed=False); mmh3.hash(id, s, signed=False) * 10000 // 2**32
    const seed = seedOfSalt(DEFAULT_ROLLOUT_SALT);
    expect(seed).toBe(0xf77dc1bd);
    expect(
      ['7590-VHVEG', '5575-GNVDE', '3668-QPYBK', '7795-CFOCW', '9237-HQITU'].map((id) => customerBucket(id, seed)),
    ).toEqual([5722, 6616, 7634, 1664, 5073]);
  });

  it('spreads 100,000 Telco-shaped ids evenly over the buckets', () => {
    expect(new Set(CUSTOMERS).size).toBe(CUSTOMERS.length);
    const seed = seedOfSalt(DEFAULT_ROLLOUT_SALT);
    const perTenth = new Array<number>(10).fill(0);
    let outside = 0;
    for (const id of CUSTOMERS) {
      const bucket = customerBucket(id, seed);
      if (!(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT)) outside += 1;
      perTenth[Math.floor(bucket / 1000)] = (perTenth[Math.floor(bucket / 1000)] ?? 0) + 1;
    }
    expect(outside).toBe(0);
    for (const count of perTenth) expect(Math.abs(percentOf(count) - 10)).toBeLessThan(1);
  });
});

describe('assignVariant', () => {
  it('gives each variant its weight within ±1% over 100,000 customers', () => {
    const rollout = rolloutOf([
      { version: '1.1.0', kind: 'canary', weight: 10 },
      { version: '2.0.0', kind: 'ab', weight: 25 },
      { version: '2.1.0', kind: 'ab', weight: 2.5 },
    ]);
    const counts = new Map<string, number>();
    for (const id of CUSTOMERS) {
      const { version, variant } = assignVariant(rollout, id);
      counts.set(`${variant} ${version}`, (counts.get(`${variant} ${version}`) ?? 0) + 1);
    }
    const shares = Object.fromEntries([...counts].map(([key, count]) => [key, percentOf(count)]));
    expect(Object.keys(shares).sort()).toEqual(['ab 2.0.0', 'ab 2.1.0', 'canary 1.1.0', 'champion 1.0.0']);
    expect(Math.abs((shares['canary 1.1.0'] ?? 0) - 10)).toBeLessThan(1);
    expect(Math.abs((shares['ab 2.0.0'] ?? 0) - 25)).toBeLessThan(1);
    expect(Math.abs((shares['ab 2.1.0'] ?? 0) - 2.5)).toBeLessThan(1);
    expect(Math.abs((shares['champion 1.0.0'] ?? 0) - 62.5)).toBeLessThan(1);
  });

  it('never serves a shadow; 0% serves nobody and 100% everybody', () => {
    const none = versionsUnder(rolloutOf([{ version: '2.0.0', kind: 'canary', weight: 0 }]));
    expect(new Set(none)).toEqual(new Set(['1.0.0']));
    const all = versionsUnder(rolloutOf([{ version: '2.0.0', kind: 'ab', weight: 100 }]));
    expect(new Set(all)).toEqual(new Set(['2.0.0']));
  });

  it('raising a canary from 10% to 20% moves about 10% of the customers into it and none out', () => {
    const before = rolloutOf([{ version: '2.0.0', kind: 'canary', weight: 10 }]);
    const after = rolloutOf([{ version: '2.0.0', kind: 'canary', weight: 20 }]);
    const moved = moves(before, after);
    expect(Object.keys(moved)).toEqual(['1.0.0->2.0.0']);
    expect(Math.abs(percentOf(moved['1.0.0->2.0.0'] ?? 0) - 10)).toBeLessThan(1);
    // and back down: only out of the canary, to the champion
    expect(Object.keys(moves(after, before))).toEqual(['2.0.0->1.0.0']);
  });

  it('with two challengers, ramping either moves customers from the champion into it only', () => {
    const canary = (weight: number): ChallengerDocument => ({ version: '1.1.0', kind: 'canary', weight });
    const ab = (weight: number): ChallengerDocument => ({ version: '2.0.0', kind: 'ab', weight });
    expect(Object.keys(moves(rolloutOf([canary(10), ab(50)]), rolloutOf([canary(20), ab(50)])))).toEqual([
      '1.0.0->1.1.0',
    ]);
    expect(Object.keys(moves(rolloutOf([ab(50), canary(10)]), rolloutOf([ab(50), canary(20)])))).toEqual([
      '1.0.0->1.1.0',
    ]);
    expect(Object.keys(moves(rolloutOf([canary(5), ab(10)]), rolloutOf([canary(5), ab(30)])))).toEqual([
      '1.0.0->2.0.0',
    ]);
  });

  it('with three challengers, ramping the first or the last moves customers from the champion into it only', () => {
    const three = (first: number, last: number): Rollout =>
      rolloutOf([
        { version: '1.1.0', kind: 'canary', weight: first },
        { version: '2.0.0', kind: 'ab', weight: 20 },
        { version: '2.1.0', kind: 'canary', weight: last },
      ]);
    expect(Object.keys(moves(three(5, 5), three(15, 5)))).toEqual(['1.0.0->1.1.0']);
    expect(Object.keys(moves(three(5, 5), three(5, 15)))).toEqual(['1.0.0->2.1.0']);
  });

  it('is sticky: the same answer on every call, for equal documents parsed apart, whatever the call order', () => {
    const document = { champion: '1.0.0', challengers: [{ version: '2.0.0', kind: 'canary', weight: 30 }] };
    const first = parseRollout(document);
    const second = parseRollout(structuredClone(document));
    const forward = versionsUnder(first);
    const backward = [...CUSTOMERS]
      .reverse()
      .map((id) => assignVariant(second, id).version)
      .reverse();
    expect(backward).toEqual(forward);
    expect(versionsUnder(first)).toEqual(forward);
  });

  it('reshuffles the customers when the salt changes', () => {
    const canary: ChallengerDocument[] = [{ version: '2.0.0', kind: 'canary', weight: 10 }];
    const a = versionsUnder(rolloutOf(canary));
    const b = versionsUnder(rolloutOf(canary, 'experiment-2'));
    const inBoth = a.filter((version, i) => version === '2.0.0' && b[i] === '2.0.0').length;
    // independent 10% draws share about 1% of the customers
    expect(percentOf(inBoth)).toBeLessThan(2);
    expect(Math.abs(percentOf(b.filter((v) => v === '2.0.0').length) - 10)).toBeLessThan(1);
  });

  it('hands out the rollout’s own assignment objects, allocating none per call', () => {
    const rollout = rolloutOf([{ version: '2.0.0', kind: 'ab', weight: 50 }]);
    const answers = new Set(CUSTOMERS.slice(0, 1000).map((id) => assignVariant(rollout, id)));
    expect(answers).toEqual(new Set([rollout.champion, rollout.challengers[0]?.assignment]));
    expect(answers.size).toBe(2);
  });
});

describe('challengerBucketRanges', () => {
  it('grows the first challenger up from bucket 0 and stacks the others down from the top', () => {
    expect(challengerBucketRanges([])).toEqual([]);
    expect(challengerBucketRanges([1000])).toEqual([{ first: 0, end: 1000 }]);
    expect(challengerBucketRanges([1000, 2500, 500])).toEqual([
      { first: 0, end: 1000 },
      { first: 7500, end: 10_000 },
      { first: 7000, end: 7500 },
    ]);
  });
});
