import { describe, expect, it } from 'vitest';
import { decodeChangelogRecord, encodeChangelogUpdate } from '../../../src/outcomes/join-changelog.js';
import { messageBytes } from '../../../src/stream/output-size.js';
import { JoinState, type ChangelogUpdate, type PendingPrediction } from '../../../src/outcomes/join-state.js';
import type { CustomerOutcome, PredictionOutcome } from '../../../src/serde/avro-records.js';

const W = 1_000;
const NOW = 99;

function prediction(event_id: string, time: number, over: Partial<PendingPrediction> = {}): PendingPrediction {
  return {
    event_id,
    model_version: '1.0.0',
    variant: 'champion',
    rollout_revision: 1,
    churn_probability: 0.7,
    predicted_churn: true,
    assignment_probability: 1,
    prediction_time: time,
    ...over,
  };
}

function outcome(customerid: string, time: number, churned = true): CustomerOutcome {
  return { customerid, event_time: time, churned, offer: 'discount-20', accepted: false };
}

/** Stages `steps`, expires what is due, commits; returns the records. */
function run(state: JoinState, steps: ((s: ReturnType<JoinState['begin']>) => PredictionOutcome[])[]) {
  const staged = state.begin(NOW);
  const records = steps.flatMap((step) => [...step(staged), ...staged.expireDue()]);
  staged.commit();
  return records;
}

const brief = (r: PredictionOutcome) => `${r.kind}:${r.customerid}:${r.event_id ?? '-'}:${r.variant ?? '-'}`;

describe('JoinState: the join rules of issue 13', () => {
  it('keeps a prediction pending until an outcome; predictions never move the stream time', () => {
    const state = new JoinState(W);
    const records = run(state, [(s) => s.applyPrediction('a', prediction('e1', 5_000))]);
    expect(records).toEqual([]);
    expect(state.pendingOf('a')).toEqual([prediction('e1', 5_000)]);
    expect(state.streamTime).toBeNull();
    expect(state.pendingCount).toBe(1);
  });

  it('ignores a repeat of a pending prediction (same event_id, version and variant)', () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('e1', 5_000)),
      (s) => s.applyPrediction('a', prediction('e1', 5_000)),
      (s) => s.applyPrediction('a', prediction('e1', 5_000, { variant: 'shadow', model_version: '1.1.0' })),
    ]);
    expect(state.pendingOf('a').map((p) => p.variant)).toEqual(['champion', 'shadow']);
  });

  it('joins the latest prediction per version and variant in [t - W, t]; the others expire; later ones stay', () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('old', 3_000)), // before the window
      (s) => s.applyPrediction('a', prediction('early', 4_200)), // in the window, superseded
      (s) => s.applyPrediction('a', prediction('late', 4_800, { predicted_churn: false })),
      (s) => s.applyPrediction('a', prediction('shadow', 4_300, { variant: 'shadow', model_version: '1.1.0' })),
      (s) => s.applyPrediction('a', prediction('after', 5_500)), // after the outcome
    ]);
    const records = run(state, [(s) => s.applyOutcome(outcome('a', 5_000, true))]);
    expect(records.map(brief).sort()).toEqual(
      [
        'expired-prediction:a:old:champion',
        'expired-prediction:a:early:champion',
        'joined:a:late:champion',
        'joined:a:shadow:shadow',
      ].sort(),
    );
    const late = records.find((r) => r.event_id === 'late');
    expect(late).toMatchObject({
      kind: 'joined',
      prediction_time: 4_800,
      outcome_time: 5_000,
      churned: true,
      predicted_churn: false,
      correct: false,
      offer: 'discount-20',
      accepted: false,
      joined_at: NOW,
    });
    expect(records.find((r) => r.event_id === 'shadow')?.correct).toBe(true);
    const expired = records.find((r) => r.event_id === 'old');
    expect(expired).toMatchObject({ outcome_time: null, churned: null, correct: null });
    expect(state.pendingOf('a').map((p) => p.event_id)).toEqual(['after']);
    expect(state.streamTime).toBe(5_000);
  });

  it('joins the one read last among predictions of the same time', () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('first', 4_500)),
      (s) => s.applyPrediction('a', prediction('second', 4_500)),
    ]);
    const records = run(state, [(s) => s.applyOutcome(outcome('a', 5_000))]);
    expect(records.map(brief)).toEqual(['expired-prediction:a:first:champion', 'joined:a:second:champion']);
  });

  it('counts an outcome without a prediction in its window as unmatched, with the outcome fields', () => {
    const state = new JoinState(W);
    run(state, [(s) => s.applyPrediction('a', prediction('after', 6_000))]);
    const records = run(state, [
      (s) => s.applyOutcome(outcome('a', 5_000, false)),
      (s) => s.applyOutcome(outcome('b', 5_000)),
    ]);
    expect(records.map(brief)).toEqual(['unmatched-outcome:a:-:-', 'unmatched-outcome:b:-:-']);
    expect(records[0]).toMatchObject({ outcome_time: 5_000, churned: false, model_version: null, correct: null });
    expect(state.pendingOf('a').map((p) => p.event_id)).toEqual(['after']);
  });

  it("expires any customer's prediction older than stream time - W once an outcome moves the stream time", () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('a1', 1_000)),
      (s) => s.applyPrediction('b', prediction('b1', 2_000)),
      (s) => s.applyPrediction('c', prediction('c1', 2_500)),
    ]);
    // stream time 3_200: horizon 2_200 expires a1 and b1 (< 2_200), not c1.
    const records = run(state, [(s) => s.applyOutcome(outcome('z', 3_200))]);
    expect(records.map(brief)).toEqual([
      'unmatched-outcome:z:-:-',
      'expired-prediction:a:a1:champion',
      'expired-prediction:b:b1:champion',
    ]);
    expect(state.pendingCount).toBe(1);
    // An older outcome does not move the stream time back.
    run(state, [(s) => s.applyOutcome(outcome('y', 100))]);
    expect(state.streamTime).toBe(3_200);
  });

  it('expires a prediction at once when it is older than the horizon already', () => {
    const state = new JoinState(W);
    run(state, [(s) => s.applyOutcome(outcome('z', 10_000))]);
    const records = run(state, [
      (s) => s.applyPrediction('a', prediction('stale', 8_999)),
      (s) => s.applyPrediction('a', prediction('edge', 9_000)),
    ]);
    expect(records.map(brief)).toEqual(['expired-prediction:a:stale:champion']);
    expect(state.pendingOf('a').map((p) => p.event_id)).toEqual(['edge']);
  });

  it('at its bound, expires the oldest by time then customer id, however the inputs fall into transactions', () => {
    const inputs = [
      (s: ReturnType<JoinState['begin']>) => s.applyPrediction('z', prediction('z1', 1_000)),
      (s: ReturnType<JoinState['begin']>) => s.applyPrediction('a', prediction('a1', 1_000)),
      (s: ReturnType<JoinState['begin']>) => s.applyPrediction('m', prediction('m1', 1_000)),
    ];
    const together = new JoinState(W, 2);
    const one = run(together, inputs);
    const apart = new JoinState(W, 2);
    const split = [...run(apart, inputs.slice(0, 1)), ...run(apart, inputs.slice(1))];
    expect(one.map(brief)).toEqual(['expired-prediction:a:a1:champion']);
    expect(split.map(brief)).toEqual(one.map(brief));
    expect(apart.snapshot()).toEqual(together.snapshot());
  });

  it('expires in bounded steps, oldest first', () => {
    const state = new JoinState(W);
    run(
      state,
      Array.from({ length: 5 }, (_, i) => (s) => s.applyPrediction(`c${i}`, prediction(`e${i}`, 100 * (5 - i)))),
    );
    const staged = state.begin(NOW);
    staged.applyOutcome(outcome('z', 50_000));
    expect(staged.hasDue()).toBe(true);
    expect(staged.expireDue(2).map((r) => r.event_id)).toEqual(['e4', 'e3']);
    expect(staged.expireDue(2).map((r) => r.event_id)).toEqual(['e2', 'e1']);
    expect(staged.expireDue(2).map((r) => r.event_id)).toEqual(['e0']);
    expect(staged.hasDue()).toBe(false);
    staged.commit();
    expect(state.pendingCount).toBe(0);
  });

  it('leaves the state as it was when a staged transaction is discarded', () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('a1', 1_000)),
      (s) => s.applyPrediction('b', prediction('b1', 4_000)),
    ]);
    const before = state.snapshot();
    const staged = state.begin(NOW);
    staged.applyPrediction('c', prediction('c1', 4_500));
    staged.applyOutcome(outcome('b', 4_100));
    expect(staged.expireDue().map(brief)).toEqual(['expired-prediction:a:a1:champion']);
    staged.discard();
    expect(state.snapshot()).toEqual(before);
    // The expiry queue was given back what the discarded transaction took from it.
    const records = run(state, [(s) => s.applyOutcome(outcome('z', 2_500))]);
    expect(records.map(brief)).toEqual(['unmatched-outcome:z:-:-', 'expired-prediction:a:a1:champion']);
  });

  it('writes a put per prediction it leaves pending and a tombstone per committed one it resolves, and the stream time', () => {
    const state = new JoinState(W);
    run(state, [(s) => s.applyPrediction('a', prediction('a1', 1_000))]);
    const staged = state.begin(NOW);
    staged.applyPrediction('b', prediction('b1', 1_500));
    staged.applyPrediction('b', prediction('b2', 1_600));
    staged.applyPrediction('c', prediction('c1', 1_100));
    staged.applyOutcome(outcome('a', 1_200));
    staged.applyOutcome(outcome('c', 1_200)); // c1 came and went in this transaction: no trace
    const resolvedA1 = {
      kind: 'resolved',
      customerid: 'a',
      model_version: '1.0.0',
      variant: 'champion',
      event_id: 'a1',
    };
    expect(staged.changelog()).toEqual([
      { kind: 'pending', customerid: 'b', prediction: prediction('b1', 1_500) },
      { kind: 'pending', customerid: 'b', prediction: prediction('b2', 1_600) },
      resolvedA1,
      { kind: 'stream-time', streamTime: 1_200 },
    ]);
    const bytes = staged
      .changelog()
      .map((u) => messageBytes(encodeChangelogUpdate(u)))
      .reduce((a, b) => a + b, 0);
    expect(staged.changelogBytes).toBe(bytes);
    staged.commit();
  });

  it('writes a prediction read again after it was resolved as a new arrival (tombstone, then put)', () => {
    const state = new JoinState(W);
    run(state, [
      (s) => s.applyPrediction('a', prediction('e1', 1_000)),
      (s) => s.applyPrediction('a', prediction('e2', 1_500)),
    ]);
    const changelog: { key: Buffer; value: Buffer | null }[] = [];
    const staged = state.begin(NOW);
    staged.applyOutcome(outcome('a', 1_100)); // e1 joins, e2 stays
    staged.applyPrediction('a', prediction('e1', 1_050)); // read again: pending, after e2
    for (const update of staged.changelog()) changelog.push(encodeChangelogUpdate(update));
    staged.commit();
    expect(state.pendingOf('a').map((p) => p.event_id)).toEqual(['e2', 'e1']);
    const entries = changelog.filter((r) => r.key.toString('utf8') !== 't');
    expect(entries.map((r) => r.value === null)).toEqual([true, false]);
    expect(entries[0]?.key.equals(entries[1]?.key as Buffer)).toBe(true);
    // Restored over the first transaction's puts, e1's new put makes it the later arrival.
    const restored = new JoinState(W);
    for (const p of [prediction('e1', 1_000), prediction('e2', 1_500)]) {
      restored.applyChangelog({ kind: 'pending', customerid: 'a', prediction: p });
    }
    for (const r of changelog) restored.applyChangelog(decodeChangelogRecord(r.key, r.value));
    restored.restored();
    expect(restored.snapshot()).toEqual(state.snapshot());
  });

  it('keeps each changelog record the size of one prediction, however many the customer has pending', () => {
    const state = new JoinState(W);
    const perTransaction: number[][] = [];
    const id = (i: number) => `ev-${String(i).padStart(4, '0')}`;
    for (let i = 0; i < 500; i++) {
      const staged = state.begin(NOW);
      staged.applyPrediction('a', prediction(id(i), 2_000 + i));
      perTransaction.push(staged.changelog().map((u) => messageBytes(encodeChangelogUpdate(u))));
      staged.commit();
    }
    expect(state.pendingOf('a')).toHaveLength(500);
    // One record per change, all the same size: the 1st prediction's and the 500th's.
    expect(perTransaction.every((sizes) => sizes.length === 1)).toBe(true);
    expect(new Set(perTransaction.map((sizes) => sizes[0])).size).toBe(1);
    const one = perTransaction[0]?.[0] as number;
    expect(one).toBeLessThan(400);
    // The outcome resolves all 500 with one tombstone each (plus the stream time), not a rewrite of the list.
    const staged = state.begin(NOW);
    staged.applyOutcome(outcome('a', 2_600));
    const updates = staged.changelog();
    expect(updates.filter((u) => u.kind === 'resolved')).toHaveLength(500);
    const sizes = updates.filter((u) => u.kind === 'resolved').map((u) => messageBytes(encodeChangelogUpdate(u)));
    expect(Math.max(...sizes)).toBeLessThan(one);
    staged.commit();
    expect(state.pendingCount).toBe(0);
  });
});

/** A tiny seeded generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Input = { kind: 'prediction'; customerid: string; p: PendingPrediction } | { kind: 'outcome'; o: CustomerOutcome };

function generate(seed: number, count: number): Input[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const customers = Array.from({ length: 12 }, (_, i) => `cust-${i}`);
  const inputs: Input[] = [];
  let clock = 10_000;
  for (let i = 0; i < count; i++) {
    clock += Math.floor(next() * 200);
    if (next() < 0.7) {
      const time = clock - Math.floor(next() * 1_500);
      const p = prediction(`ev-${i % 50}`, time, {
        model_version: pick(['1.0.0', '1.1.0']),
        variant: pick(['champion', 'canary', 'shadow']),
        predicted_churn: next() < 0.5,
        churn_probability: next(),
      });
      inputs.push({ kind: 'prediction', customerid: pick(customers), p });
    } else {
      inputs.push({ kind: 'outcome', o: outcome(pick(customers), clock - Math.floor(next() * 800), next() < 0.4) });
    }
  }
  return inputs;
}

/** The spec read literally: scan everything, every time (the oracle the state is checked against). */
class NaiveJoin {
  pending: { customerid: string; p: PendingPrediction }[] = [];
  streamTime: number | null = null;
  /** predictions taken in (not repeats of a pending one) */
  taken = 0;
  /** predictions expired early because maxPending were pending */
  evicted = 0;

  constructor(private readonly maxPending = Number.POSITIVE_INFINITY) {}

  apply(input: Input): string[] {
    const out: string[] = [];
    const horizon = () => (this.streamTime === null ? null : this.streamTime - W);
    if (input.kind === 'prediction') {
      const { customerid, p } = input;
      const repeat = this.pending.some(
        (q) =>
          q.customerid === customerid &&
          q.p.event_id === p.event_id &&
          q.p.model_version === p.model_version &&
          q.p.variant === p.variant,
      );
      if (repeat) return out;
      this.taken++;
      const h = horizon();
      if (h !== null && p.prediction_time < h) return [`expired-prediction:${customerid}:${p.event_id}:${p.variant}`];
      if (this.pending.length >= this.maxPending) {
        // The oldest by prediction time, then customer id, then arrival; the new one only when strictly older.
        const oldest = this.pending.reduce((a, b) =>
          b.p.prediction_time < a.p.prediction_time ||
          (b.p.prediction_time === a.p.prediction_time && b.customerid < a.customerid)
            ? b
            : a,
        );
        this.evicted++;
        if (p.prediction_time < oldest.p.prediction_time) {
          return [`expired-prediction:${customerid}:${p.event_id}:${p.variant}`];
        }
        this.pending = this.pending.filter((q) => q !== oldest);
        out.push(`expired-prediction:${oldest.customerid}:${oldest.p.event_id}:${oldest.p.variant}`);
      }
      this.pending.push({ customerid, p });
      return out;
    }
    const { customerid, event_time: t } = input.o;
    const mine = this.pending.filter((q) => q.customerid === customerid && q.p.prediction_time <= t);
    const joined = new Set<PendingPrediction>();
    for (const q of mine) {
      if (q.p.prediction_time < t - W) continue;
      const group = mine.filter(
        (r) => r.p.model_version === q.p.model_version && r.p.variant === q.p.variant && r.p.prediction_time >= t - W,
      );
      const latest = Math.max(...group.map((r) => r.p.prediction_time));
      // the latest; among equal times the one read last (the last in arrival order)
      joined.add(group.filter((r) => r.p.prediction_time === latest).at(-1)?.p as PendingPrediction);
    }
    for (const q of mine)
      out.push(`${joined.has(q.p) ? 'joined' : 'expired-prediction'}:${customerid}:${q.p.event_id}:${q.p.variant}`);
    if (joined.size === 0) out.push(`unmatched-outcome:${customerid}:-:-`);
    this.pending = this.pending.filter((q) => !mine.includes(q));
    if (this.streamTime === null || t > this.streamTime) this.streamTime = t;
    const h = horizon() as number;
    for (const q of this.pending.filter((r) => r.p.prediction_time < h)) {
      out.push(`expired-prediction:${q.customerid}:${q.p.event_id}:${q.p.variant}`);
    }
    this.pending = this.pending.filter((r) => r.p.prediction_time >= h);
    return out;
  }
}

function applyTo(staged: ReturnType<JoinState['begin']>, input: Input): PredictionOutcome[] {
  return input.kind === 'prediction' ? staged.applyPrediction(input.customerid, input.p) : staged.applyOutcome(input.o);
}

describe('JoinState over a random sequence (seeded)', () => {
  const cases = [1, 2, 3, 42, 2026].flatMap((seed) => [
    { seed, maxPending: Number.POSITIVE_INFINITY },
    { seed, maxPending: 5 },
  ]);
  for (const { seed, maxPending } of cases) {
    const bound = Number.isFinite(maxPending) ? `, at most ${maxPending} pending` : '';
    it(`seed ${seed}${bound}: equals the literal spec per transaction, and a restore from the changelog equals the live state`, () => {
      const inputs = generate(seed, 600);
      const next = random(seed * 7 + 1);
      const state = new JoinState(W, maxPending);
      const oracle = new NaiveJoin(maxPending);
      let evicted = 0;
      const changelog: { key: Buffer; value: Buffer | null }[] = [];
      const committed: PredictionOutcome[] = [];
      let i = 0;
      while (i < inputs.length) {
        // A transaction of 1..8 inputs, expiries at most 3 per step; one in five is aborted and then retried.
        const slice = inputs.slice(i, i + 1 + Math.floor(next() * 8));
        const staged = state.begin(NOW);
        const records: PredictionOutcome[] = [];
        for (const input of slice) {
          while (staged.hasDue()) records.push(...staged.expireDue(3));
          records.push(...applyTo(staged, input));
        }
        while (staged.hasDue()) records.push(...staged.expireDue(3));
        if (next() < 0.2) {
          staged.discard();
          continue;
        }
        for (const update of staged.changelog()) changelog.push(encodeChangelogUpdate(update));
        evicted += staged.evicted;
        staged.commit();
        expect(state.pendingCount).toBeLessThanOrEqual(maxPending);
        committed.push(...records);
        const want = slice.flatMap((input) => oracle.apply(input));
        expect(records.map(brief).sort()).toEqual(want.sort());
        i += slice.length;
      }
      const kinds = (k: string) => committed.filter((r) => r.kind === k).length;
      expect(kinds('joined')).toBeGreaterThan(0);
      expect(kinds('unmatched-outcome')).toBeGreaterThan(0);
      expect(kinds('expired-prediction')).toBeGreaterThan(0);
      // Every prediction taken in is joined, expired or still pending.
      expect(kinds('joined') + kinds('expired-prediction') + state.pendingCount).toBe(oracle.taken);
      expect(evicted).toBe(oracle.evicted);
      if (Number.isFinite(maxPending)) expect(evicted).toBeGreaterThan(0);

      // Restore: the changelog, read back in order into a new state, is the live state.
      const restored = new JoinState(W, maxPending);
      for (const record of changelog) restored.applyChangelog(decodeChangelogRecord(record.key, record.value));
      restored.restored();
      expect(restored.snapshot()).toEqual(state.snapshot());
      expect(restored.pendingCount).toBe(state.pendingCount);
      // ... and so is one from the compacted changelog (each key's latest record, at its offset; no tombstones).
      const latest = new Map<string, number>();
      changelog.forEach((record, offset) => latest.set(record.key.toString('hex'), offset));
      const compacted = new JoinState(W, maxPending);
      changelog.forEach((record, offset) => {
        if (record.value === null || latest.get(record.key.toString('hex')) !== offset) return;
        compacted.applyChangelog(decodeChangelogRecord(record.key, record.value));
      });
      compacted.restored();
      expect(compacted.snapshot()).toEqual(state.snapshot());
      // ... and goes on exactly as the live one does (its expiry queue is rebuilt).
      const more = generate(seed + 1000, 200).map((x) =>
        x.kind === 'outcome' ? { ...x, o: { ...x.o, event_time: x.o.event_time + 60_000 } } : x,
      );
      const live = state.begin(NOW);
      const again = restored.begin(NOW);
      const a = more.flatMap((x) => [...applyTo(live, x), ...live.expireDue()]);
      const b = more.flatMap((x) => [...applyTo(again, x), ...again.expireDue()]);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  }
});

describe('the counting invariant', () => {
  it('every outcome ends in >= 1 joined record or exactly one unmatched-outcome, never both', () => {
    const inputs = generate(7, 800);
    const state = new JoinState(W);
    const oracle = new NaiveJoin();
    let resolved = 0;
    let outcomes = 0;
    for (const input of inputs) {
      oracle.apply(input);
      const staged = state.begin(NOW);
      const own = applyTo(staged, input);
      const expired = staged.expireDue();
      staged.commit();
      resolved += [...own, ...expired].filter((r) => r.kind !== 'unmatched-outcome').length;
      if (input.kind !== 'outcome') continue;
      outcomes++;
      const joined = own.filter((r) => r.kind === 'joined').length;
      const unmatched = own.filter((r) => r.kind === 'unmatched-outcome').length;
      expect(joined > 0 ? unmatched : unmatched - 1, brief(own[0] as PredictionOutcome)).toBe(0);
    }
    expect(outcomes).toBeGreaterThan(100);
    expect(resolved + state.pendingCount).toBe(oracle.taken);
  });
});

describe('ChangelogUpdate through the codec', () => {
  it('round-trips what the state writes', () => {
    const updates: ChangelogUpdate[] = [
      { kind: 'pending', customerid: 'a', prediction: prediction('e1', 1) },
      { kind: 'resolved', customerid: 'a', model_version: '1.0.0', variant: 'champion', event_id: 'e1' },
      { kind: 'stream-time', streamTime: 5 },
    ];
    for (const u of updates) {
      const { key, value } = encodeChangelogUpdate(u);
      expect(decodeChangelogRecord(key, value)).toEqual(u);
    }
  });
});
