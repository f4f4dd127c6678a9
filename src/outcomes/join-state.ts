import type {
  ChurnPrediction,
  CustomerOutcome,
  PredictionOutcome,
  PredictionOutcomeKind,
} from '../serde/avro-records.js';
import { ExpiryQueue, expiresBefore, type ExpiryEntry } from './expiry-queue.js';
import {
  changelogUpdateBytes,
  type ChangelogUpdate,
  type PendingKey,
  type PendingPrediction,
} from './join-changelog.js';

/**
 * The state of one join task (partition p of the predictions, shadow and outcomes topics) and the reducer that
 * moves it (pure): predictions wait per customer for an outcome; an outcome joins, per model version and variant,
 * the latest of its customer's predictions within the attribution window; predictions whose window closes with no
 * outcome expire. The rules are issue 13's shared spec (docs in ./README.md); every prediction ends in exactly one
 * 'joined' or 'expired-prediction' record and every outcome in >= 1 'joined' or one 'unmatched-outcome'.
 *
 * Staged, then committed: `begin()` opens a StagedJoin that reads through to the committed state and keeps its
 * own changes; the shell writes what it returns (records and changelog updates) in one Kafka transaction and calls
 * `commit()` once the broker has acknowledged it, or `discard()` when it aborted. The committed state so only ever
 * holds what a committed transaction's changelog says, which is what a restore rebuilds.
 */

export type { ChangelogUpdate, PendingKey, PendingPrediction } from './join-changelog.js';

/** The pending prediction of a ChurnPrediction record. */
export function pendingOf(prediction: ChurnPrediction): PendingPrediction {
  return {
    event_id: prediction.event_id,
    model_version: prediction.model_version,
    variant: prediction.variant,
    rollout_revision: prediction.rollout_revision,
    churn_probability: prediction.churn_probability,
    predicted_churn: prediction.churn,
    assignment_probability: prediction.assignment_probability,
    prediction_time: prediction.event_time,
  };
}

/**
 * One input's (or one expiry's) effect on a staged join, worked out but not yet taken, so the shell can see what
 * it would add to the transaction before it decides whether the transaction can take it.
 */
export interface JoinStep {
  /** the records it makes */
  readonly records: readonly PredictionOutcome[];
  /** what it changes in the transaction's changelog bytes (negative: it drops a put of this same transaction) */
  readonly changelogBytes: number;
  /** takes it into the staged join (only while nothing else was taken since it was planned); returns `records` */
  apply(): PredictionOutcome[];
}

/** What a restore or a test compares: the committed state as plain data, customers in key order. */
export interface JoinSnapshot {
  readonly streamTime: number | null;
  readonly pending: Readonly<Record<string, readonly PendingPrediction[]>>;
}

const NONE: readonly PendingPrediction[] = Object.freeze([]);

/** Dead queue entries tolerated before the queue is rebuilt: beyond twice the live ones plus this slack. */
const QUEUE_SLACK = 1024;

export class JoinState {
  private readonly pending = new Map<string, readonly PendingPrediction[]>();
  private readonly queue = new ExpiryQueue<PendingPrediction>();
  private committedStreamTime: number | null = null;
  private count = 0;
  private open: StagedJoin | undefined;
  /** a restore's lists while it reads the changelog: per customer, entry key -> prediction, in arrival order */
  private restoring: Map<string, Map<string, PendingPrediction>> | undefined;

  /**
   * @param windowMs the attribution window W (outcomes.attributionWindowMs)
   * @param maxPending the most predictions the task keeps pending (outcomes.maxPendingPerPartition): the stream
   *   time moves with outcomes only, so without outcomes nothing would ever expire; past this bound the oldest
   *   pending prediction expires early, counted as any expiry, so memory and the changelog stay bounded.
   */
  constructor(
    readonly windowMs: number,
    readonly maxPending = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
    if (!(maxPending >= 1)) throw new RangeError(`maxPending must be >= 1, got ${maxPending}`);
  }

  /** The largest outcome event_time committed so far; null before the first outcome. */
  get streamTime(): number | null {
    return this.committedStreamTime;
  }

  /** Predictions waiting for an outcome (committed). */
  get pendingCount(): number {
    return this.count;
  }

  /** Customers with at least one pending prediction (committed). */
  get customerCount(): number {
    return this.pending.size;
  }

  pendingOf(customerid: string): readonly PendingPrediction[] {
    return this.pending.get(customerid) ?? NONE;
  }

  /** Whether a transaction's changes are open on it (begun, neither committed nor discarded). */
  get staging(): boolean {
    return this.open !== undefined;
  }

  /** Opens the next transaction's changes; one at a time. `now` is the joined_at of the records it makes. */
  begin(now: number): StagedJoin {
    if (this.open !== undefined) throw new Error('a staged join is already open on this state');
    this.open = new StagedJoin(this, now);
    return this.open;
  }

  /** The committed state as plain data (after `restored()` when restoring). */
  snapshot(): JoinSnapshot {
    const pending: Record<string, readonly PendingPrediction[]> = {};
    for (const key of [...this.pending.keys()].sort()) pending[key] = [...(this.pending.get(key) ?? NONE)];
    return { streamTime: this.committedStreamTime, pending };
  }

  /**
   * Applies one changelog record's update as read from the topic (a restore reads partition p from its beginning,
   * in offset order): a put appends the prediction to its customer's list, or moves it to the end when its key is
   * already there (a later put is a later arrival: what compaction keeps of a key is its latest put, at its
   * offset); a tombstone removes it. Call `restored()` once the end is reached: the lists and the expiry queue are
   * built then.
   */
  applyChangelog(update: ChangelogUpdate): void {
    if (this.open !== undefined) throw new Error('cannot restore while a staged join is open');
    if (update.kind === 'stream-time') {
      this.committedStreamTime = update.streamTime;
      return;
    }
    // Insertion-ordered maps: delete + set moves a key to the end, so each record costs O(1).
    this.restoring ??= new Map(
      [...this.pending].map(([customerid, list]) => [customerid, new Map(list.map((p) => [entryKey(p), p]))]),
    );
    const entries = this.restoring.get(update.customerid);
    if (update.kind === 'resolved') {
      entries?.delete(entryKey(update));
      if (entries?.size === 0) this.restoring.delete(update.customerid);
      return;
    }
    const key = entryKey(update.prediction);
    if (entries === undefined) {
      this.restoring.set(update.customerid, new Map([[key, update.prediction]]));
      return;
    }
    entries.delete(key);
    entries.set(key, update.prediction);
  }

  /** After the changelog updates of a restore: the pending lists and the expiry queue are built from them. */
  restored(): void {
    if (this.restoring !== undefined) {
      this.pending.clear();
      this.count = 0;
      for (const [customerid, entries] of this.restoring) this.setPending(customerid, [...entries.values()]);
      this.restoring = undefined;
    }
    this.rebuildQueue();
  }

  // ---- used by StagedJoin ----

  /** @internal */
  committedList(customerid: string): readonly PendingPrediction[] {
    return this.pending.get(customerid) ?? NONE;
  }

  /** @internal */
  committedQueue(): ExpiryQueue<PendingPrediction> {
    return this.queue;
  }

  /** @internal */
  settle(
    staged: StagedJoin,
    changes: ReadonlyMap<string, readonly PendingPrediction[]>,
    streamTime: number | null,
    added: readonly ExpiryEntry<PendingPrediction>[],
  ): void {
    if (this.open !== staged) throw new Error('this staged join is not the open one');
    this.open = undefined;
    for (const [customerid, list] of changes) this.setPending(customerid, list);
    this.committedStreamTime = streamTime;
    for (const entry of added) this.queue.push(entry);
    if (this.queue.size > 2 * this.count + QUEUE_SLACK) this.rebuildQueue();
  }

  /** @internal */
  abandon(staged: StagedJoin, popped: readonly ExpiryEntry<PendingPrediction>[]): void {
    if (this.open !== staged) throw new Error('this staged join is not the open one');
    this.open = undefined;
    for (const entry of popped) this.queue.push(entry);
  }

  private setPending(customerid: string, list: readonly PendingPrediction[]): void {
    this.count += list.length - (this.pending.get(customerid)?.length ?? 0);
    if (list.length === 0) this.pending.delete(customerid);
    else this.pending.set(customerid, list);
  }

  private rebuildQueue(): void {
    this.queue.clear();
    for (const [customerid, list] of this.pending) {
      for (const item of list) this.queue.push({ time: item.prediction_time, customerid, item });
    }
  }
}

/**
 * The changes of one transaction over the committed state: reads go through to it, writes stay here until
 * commit(). The committed expiry queue is read destructively (an entry popped here is given back by discard()).
 *
 * Each input is planned (`planPrediction`, `planOutcome`, `planExpiry`: a JoinStep with its records and changelog
 * bytes) and then applied; `applyPrediction`, `applyOutcome` and `expireDue` do both at once. The staged join keeps
 * the byte count of the changelog it will write (`changelogBytes`), so the shell can cut a transaction before its
 * outputs outgrow the budget.
 */
export class StagedJoin {
  private readonly lists = new Map<string, PendingPrediction[]>();
  private readonly added = new ExpiryQueue<PendingPrediction>();
  private readonly addedEntries: ExpiryEntry<PendingPrediction>[] = [];
  /** the predictions this transaction made pending (fresh objects: never one of the committed lists') */
  private readonly addedItems = new Set<PendingPrediction>();
  private readonly popped: ExpiryEntry<PendingPrediction>[] = [];
  private streamTime: number | null;
  /** pending predictions this transaction added minus those it resolved */
  private pendingDelta = 0;
  private evictedCount = 0;
  /** the bytes of the changelog's puts and tombstones so far (the stream time's record apart) */
  private entryBytes = 0;
  /** bumped by every change, so a step planned before it is refused */
  private changes = 0;
  private done = false;

  constructor(
    private readonly state: JoinState,
    private readonly now: number,
  ) {
    this.streamTime = state.streamTime;
  }

  /** The stream time as this transaction has moved it. */
  get currentStreamTime(): number | null {
    return this.streamTime;
  }

  /** The most bytes the records of `changelog()` add to a record batch, as things stand. */
  get changelogBytes(): number {
    return this.entryBytes + this.streamTimeBytes(this.streamTime);
  }

  /** Pending predictions of the task as this transaction leaves them. */
  get pendingCount(): number {
    return this.state.pendingCount + this.pendingDelta;
  }

  /** Predictions this transaction expired before their window closed, to keep the task within maxPending. */
  get evicted(): number {
    return this.evictedCount;
  }

  /** A customer's pending predictions as this transaction sees them (arrival order). */
  pendingOf(customerid: string): readonly PendingPrediction[] {
    return this.lists.get(customerid) ?? this.state.committedList(customerid);
  }

  /**
   * A prediction read from predictions or predictions.shadow: pending for its customer (a repeat of a pending
   * prediction, same event_id, model_version and variant, is ignored), or expired at once when it is already
   * older than the window behind the stream time. With the task at maxPending, the oldest pending prediction (this
   * one, if it is the oldest) expires to make room. Returns the records it makes (none, or an expiry).
   */
  applyPrediction(customerid: string, prediction: PendingPrediction): PredictionOutcome[] {
    return this.planPrediction(customerid, prediction).apply();
  }

  planPrediction(customerid: string, prediction: PendingPrediction): JoinStep {
    this.checkOpen();
    const list = this.pendingOf(customerid);
    const repeat = list.some(
      (p) =>
        p.event_id === prediction.event_id &&
        p.model_version === prediction.model_version &&
        p.variant === prediction.variant,
    );
    if (repeat) return this.step([], 0, () => undefined);
    const horizon = this.horizon();
    if (horizon !== null && prediction.prediction_time < horizon) {
      return this.step([this.predictionRecord('expired-prediction', customerid, prediction)], 0, () => undefined);
    }
    const full = this.pendingCount >= this.state.maxPending;
    const oldest = full ? this.nextLive(Number.POSITIVE_INFINITY) : undefined;
    if (full && (oldest === undefined || prediction.prediction_time < oldest.time)) {
      return this.step([this.predictionRecord('expired-prediction', customerid, prediction)], 0, () => {
        this.evictedCount++;
      });
    }
    // A copy: the changelog tells what this transaction added by identity, even when handed a committed object.
    const item = { ...prediction };
    const add = () => {
      this.writable(customerid).push(item);
      this.addedItems.add(item);
      this.pendingDelta++;
      const entry = { time: item.prediction_time, customerid, item };
      this.added.push(entry);
      this.addedEntries.push(entry);
    };
    const bytes = changelogUpdateBytes({ kind: 'pending', customerid, prediction: item });
    if (oldest === undefined) return this.step([], bytes, add);
    const evicted = this.expiryOf(oldest);
    return this.step(evicted.records, bytes + evicted.changelogBytes, () => {
      evicted.take();
      this.evictedCount++;
      add();
    });
  }

  /**
   * An outcome read from the outcomes topic: joins, per (model_version, variant), the customer's latest pending
   * prediction with prediction_time in [t - W, t] (equal times: the one read last); resolves every other pending
   * prediction of the customer at or before t as expired; makes one 'unmatched-outcome' record when nothing
   * joined; then moves the stream time to max(stream time, t). The predictions of other customers this expires
   * are left to expireDue(), which the caller runs next (bounded per transaction).
   */
  applyOutcome(outcome: CustomerOutcome): PredictionOutcome[] {
    return this.planOutcome(outcome).apply();
  }

  planOutcome(outcome: CustomerOutcome): JoinStep {
    this.checkOpen();
    const { customerid, event_time: t } = outcome;
    const list = this.pendingOf(customerid);
    const from = t - this.state.windowMs;
    // The index of the prediction that joins for each (version, variant): the latest in the window, ties to the later read.
    const chosen = new Map<string, number>();
    list.forEach((p, i) => {
      if (p.prediction_time > t || p.prediction_time < from) return;
      const key = `${p.model_version}\u0000${p.variant}`;
      const best = chosen.get(key);
      if (best === undefined || (list[best] as PendingPrediction).prediction_time <= p.prediction_time) {
        chosen.set(key, i);
      }
    });
    const joining = new Set(chosen.values());
    const records: PredictionOutcome[] = [];
    const remaining: PendingPrediction[] = [];
    let bytes = 0;
    list.forEach((p, i) => {
      if (p.prediction_time > t) {
        remaining.push(p);
        return;
      }
      records.push(
        joining.has(i)
          ? this.joinedRecord(customerid, p, outcome)
          : this.predictionRecord('expired-prediction', customerid, p),
      );
      bytes += this.resolvedBytes(customerid, p);
    });
    if (joining.size === 0) records.push(this.unmatchedRecord(outcome));
    const streamTime = this.streamTime === null || t > this.streamTime ? t : this.streamTime;
    const timeBytes = this.streamTimeBytes(streamTime) - this.streamTimeBytes(this.streamTime);
    const take = () => {
      if (remaining.length !== list.length) {
        for (const p of list) if (p.prediction_time <= t) this.addedItems.delete(p);
        this.pendingDelta -= list.length - remaining.length;
        this.lists.set(customerid, remaining);
      }
      this.streamTime = streamTime;
    };
    return this.step(records, bytes, take, timeBytes);
  }

  /** Whether a pending prediction is older than the window behind the stream time (expireDue has work). */
  hasDue(): boolean {
    return this.nextDue() !== undefined;
  }

  /** The expiry of the oldest pending prediction (any customer) older than stream time - W; undefined: none due. */
  planExpiry(): JoinStep | undefined {
    this.checkOpen();
    const entry = this.nextDue();
    if (entry === undefined) return undefined;
    const expiry = this.expiryOf(entry);
    return this.step(expiry.records, expiry.changelogBytes, expiry.take);
  }

  /**
   * Expires, oldest first, up to `limit` pending predictions (any customer) with prediction_time < stream time - W.
   * Bounded so that one outcome moving the stream time far ahead cannot make a transaction too large: the caller
   * commits and goes on expiring in the next transaction before it reads the next record.
   */
  expireDue(limit = Number.POSITIVE_INFINITY): PredictionOutcome[] {
    const records: PredictionOutcome[] = [];
    while (records.length < limit) {
      const step = this.planExpiry();
      if (step === undefined) break;
      records.push(...step.apply());
    }
    return records;
  }

  /**
   * The changelog updates of this transaction: per changed customer, a tombstone for each committed prediction
   * it resolved, then a put for each prediction it made pending and left pending, in arrival order (a prediction
   * both added and resolved here leaves no trace); the stream time when it moved.
   */
  changelog(): ChangelogUpdate[] {
    const updates: ChangelogUpdate[] = [];
    for (const [customerid, list] of this.lists) {
      const committed = this.state.committedList(customerid);
      if (list === committed) continue;
      const kept = new Set(list);
      for (const p of committed) if (!kept.has(p)) updates.push(resolvedUpdate(customerid, p));
      for (const p of list) if (this.addedItems.has(p)) updates.push({ kind: 'pending', customerid, prediction: p });
    }
    if (this.streamTime !== this.state.streamTime) updates.push({ kind: 'stream-time', streamTime: this.streamTime });
    return updates;
  }

  /** The transaction committed: its changes become the state. */
  commit(): void {
    this.checkOpen();
    this.done = true;
    this.state.settle(this, this.lists, this.streamTime, this.addedEntries);
  }

  /** The transaction aborted (or was never sent): the state is as before begin(). */
  discard(): void {
    if (this.done) return;
    this.done = true;
    this.state.abandon(this, this.popped);
  }

  /** @param bytes what it changes in the bytes of puts and tombstones; @param timeBytes in the stream time's record */
  private step(records: PredictionOutcome[], bytes: number, take: () => void, timeBytes = 0): JoinStep {
    const at = this.changes;
    return {
      records,
      changelogBytes: bytes + timeBytes,
      apply: () => {
        this.checkOpen();
        if (this.changes !== at) throw new Error('this join step was planned before another change to its staged join');
        this.changes++;
        take();
        this.entryBytes += bytes;
        return records;
      },
    };
  }

  /** What resolving a pending prediction does to the changelog: drops this transaction's put, or adds a tombstone. */
  private resolvedBytes(customerid: string, p: PendingPrediction): number {
    return this.addedItems.has(p)
      ? -changelogUpdateBytes({ kind: 'pending', customerid, prediction: p })
      : changelogUpdateBytes(resolvedUpdate(customerid, p));
  }

  /** The stream time's record, when the transaction's stream time differs from the committed one. */
  private streamTimeBytes(streamTime: number | null): number {
    return streamTime === this.state.streamTime ? 0 : changelogUpdateBytes({ kind: 'stream-time', streamTime });
  }

  private horizon(): number | null {
    return this.streamTime === null ? null : this.streamTime - this.state.windowMs;
  }

  /** A pending prediction's expiry: its record, its changelog bytes, and how to take it out of the state. */
  private expiryOf(entry: ExpiryEntry<PendingPrediction>): {
    records: PredictionOutcome[];
    changelogBytes: number;
    take: () => void;
  } {
    const { customerid, item } = entry;
    return {
      records: [this.predictionRecord('expired-prediction', customerid, item)],
      changelogBytes: this.resolvedBytes(customerid, item),
      take: () => {
        this.take(entry);
        const list = this.writable(customerid);
        list.splice(list.indexOf(item), 1);
        this.addedItems.delete(item);
        this.pendingDelta--;
      },
    };
  }

  /** The oldest live queue entry that is due; undefined when none is due. */
  private nextDue(): ExpiryEntry<PendingPrediction> | undefined {
    const horizon = this.horizon();
    return horizon === null ? undefined : this.nextLive(horizon);
  }

  /** The oldest live queue entry older than `before`, dropping dead ones on the way. */
  private nextLive(before: number): ExpiryEntry<PendingPrediction> | undefined {
    const committed = this.state.committedQueue();
    for (;;) {
      const a = committed.peek();
      const b = this.added.peek();
      // The committed queue's entry first on an exact tie: it arrived before this transaction's.
      const top = a === undefined ? b : b === undefined || expiresBefore(a, b) ? a : b;
      if (top === undefined || top.time >= before) return undefined;
      if (this.pendingOf(top.customerid).includes(top.item)) return top;
      this.take(top);
    }
  }

  /** Removes the entry from whichever queue holds it at the top. */
  private take(entry: ExpiryEntry<PendingPrediction>): void {
    const committed = this.state.committedQueue();
    if (committed.peek() === entry) this.popped.push(committed.pop() as ExpiryEntry<PendingPrediction>);
    else this.added.pop();
  }

  /** The customer's staged list, copied from the committed one on first write. */
  private writable(customerid: string): PendingPrediction[] {
    let list = this.lists.get(customerid);
    if (list === undefined || list === this.state.committedList(customerid)) {
      list = [...this.state.committedList(customerid)];
      this.lists.set(customerid, list);
    }
    return list;
  }

  private checkOpen(): void {
    if (this.done) throw new Error('this staged join is committed or discarded');
  }

  private joinedRecord(customerid: string, p: PendingPrediction, o: CustomerOutcome): PredictionOutcome {
    return {
      ...this.predictionRecord('joined', customerid, p),
      outcome_time: o.event_time,
      churned: o.churned,
      offer: o.offer,
      accepted: o.accepted,
      correct: p.predicted_churn === o.churned,
    };
  }

  private predictionRecord(kind: PredictionOutcomeKind, customerid: string, p: PendingPrediction): PredictionOutcome {
    return {
      kind,
      customerid,
      ...p,
      outcome_time: null,
      churned: null,
      offer: null,
      accepted: null,
      correct: null,
      joined_at: this.now,
    };
  }

  private unmatchedRecord(o: CustomerOutcome): PredictionOutcome {
    return {
      kind: 'unmatched-outcome',
      customerid: o.customerid,
      event_id: null,
      model_version: null,
      variant: null,
      rollout_revision: null,
      churn_probability: null,
      predicted_churn: null,
      assignment_probability: null,
      prediction_time: null,
      outcome_time: o.event_time,
      churned: o.churned,
      offer: o.offer,
      accepted: o.accepted,
      correct: null,
      joined_at: this.now,
    };
  }
}

function resolvedUpdate(customerid: string, p: PendingPrediction): ChangelogUpdate {
  return { kind: 'resolved', customerid, model_version: p.model_version, variant: p.variant, event_id: p.event_id };
}

/** A prediction's key within its customer's entries (unambiguous whatever the fields hold). */
function entryKey(k: Pick<PendingKey, 'model_version' | 'variant' | 'event_id'>): string {
  return JSON.stringify([k.model_version, k.variant, k.event_id]);
}
