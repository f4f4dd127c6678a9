/**
 * The stream's part of online drift (issue 12): each committed transaction of a live input partition counts its
 * records into that partition's drift windows (src/monitoring/drift-windows.ts), and the windows it closes are
 * sent in that same transaction, as one record each on the drift topic. So a window record is exactly-once with
 * the offsets it depends on, and a window never counts a record twice: an aborted transaction counts nothing.
 *
 * What is counted, per model version against that version's training reference:
 * - every live prediction: the validated customer and its score, under the version that served it;
 * - every shadow score: the same customer under the shadow version (its features against its own reference, its
 *   score distribution: what a data scientist about to promote it wants to see);
 * - every decoded record the serving version refused as a customer (its usable fields; the rest count as missing).
 * Replayed records are not counted (old events rescored say nothing of today's customers), nor `replay --compare`.
 * A version whose artifact has no reference is not monitored.
 */
import type { Message } from 'kafkajs';
import type { ModelReference } from '../model/model-artifact.js';
import type { DriftCounts } from '../monitoring/drift-counts.js';
import type { DriftTracker } from '../monitoring/drift-tracker.js';
import { driftWindowRecord, type DriftWindowRecord } from '../monitoring/drift-window-record.js';
import type { ClosedDriftWindow, DriftWindows } from '../monitoring/drift-windows.js';
import type { ServingSet } from '../serving/serving-set.js';
import type { PendingTransaction } from './pending-transaction.js';

export interface DriftWindowEncoder {
  encode(value: DriftWindowRecord): Buffer;
}

/** What the live pipeline needs for drift windows (none when monitoring.enabled is false). */
export interface PipelineDrift {
  tracker: DriftTracker;
  /** DriftWindow records, under the drift topic's subject */
  encoder: DriftWindowEncoder;
  /** topics.drift */
  topic: string;
}

/**
 * Stages a transaction's records in its partition's windows (they count only once `windows.commit` is called after
 * the transaction commits) and returns the window records its commit closes at `now`, to send with it.
 */
export function stageDrift(
  drift: PipelineDrift,
  windows: DriftWindows,
  done: PendingTransaction,
  source: { topic: string; partition: number; scorerVersion: string },
  now: number,
): Message[] {
  const { set } = done;
  windows.begin(
    done.records === 0
      ? { startedAt: done.startedAt }
      : { startedAt: done.startedAt, offsets: { first: BigInt(done.firstOffset), last: BigInt(done.lastOffset) } },
  );
  const observations = done.observations;
  let version: string | undefined;
  let counts: DriftCounts | undefined;
  let reference: ModelReference | undefined;
  let shadowCounts: (DriftCounts | undefined)[] | undefined;
  for (let i = 0; i < observations.length; i++) {
    const record = observations[i] as PendingTransaction['observations'][number];
    if (record.version !== version) {
      version = record.version;
      reference = set.models.get(version)?.model.meta.reference;
      counts = reference === undefined ? undefined : windows.stage(version, reference);
    }
    // The serving model coded the customer's categories under its reference: the count takes them as they are.
    if (counts !== undefined && reference !== undefined) {
      counts.addScoredCoded(record.customer, record.score, record.categoryCodes, reference);
    }
    const { shadowScores } = record;
    if (shadowScores.length === 0) continue;
    shadowCounts ??= set.shadows.map((shadow) => stagedCounts(windows, set, shadow.version));
    for (let s = 0; s < shadowScores.length; s++) {
      const score = shadowScores[s] as number;
      // NaN: the shadow could not score this event and published nothing for it.
      if (!Number.isNaN(score)) shadowCounts[s]?.addScored(record.customer, score);
    }
  }
  for (const { version: refusedBy, input } of done.unscored) stagedCounts(windows, set, refusedBy)?.addRejected(input);

  const closing = windows.closing(now);
  return closing.length === 0 ? [] : windowMessages(drift, closing, { ...source, rolloutRevision: set.revision });
}

function stagedCounts(windows: DriftWindows, set: ServingSet, version: string): DriftCounts | undefined {
  const reference = set.models.get(version)?.model.meta.reference;
  return reference === undefined ? undefined : windows.stage(version, reference);
}

function windowMessages(
  drift: PipelineDrift,
  closing: readonly ClosedDriftWindow[],
  source: { topic: string; partition: number; scorerVersion: string; rolloutRevision: number },
): Message[] {
  const { thresholds } = drift.tracker.options;
  return closing.map((closed) => ({
    key: closed.version,
    value: drift.encoder.encode(driftWindowRecord(closed, source, thresholds)),
  }));
}
