import { ScorerError } from '../errors/scorer-error.js';

/**
 * Pure part of `replay`: what a --from/--to bound means and which offsets of each partition
 * it selects. A bound is either a point in time (ISO 8601 with a zone, or a date: midnight UTC; resolved with the broker's
 * time index to the first offset at or after it) or a plain offset applied to every partition.
 */
export type ReplayBound = { kind: 'time'; ms: number; text: string } | { kind: 'offset'; offset: bigint; text: string };

/** A --from/--to that is neither a time nor an offset, or a range that ends before it starts. */
export class ReplayRangeError extends ScorerError {
  static override readonly code = 'CHURN_ERR_REPLAY_RANGE';
  override readonly name = 'ReplayRangeError';
}

export function parseReplayBound(text: string, flag: '--from' | '--to'): ReplayBound {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { kind: 'offset', offset: BigInt(trimmed), text: trimmed };
  // Only full ISO dates or date-times: Date.parse accepts too much ("1", "March 7") to be a contract.
  const iso = /^\d{4}-\d{2}-\d{2}(?<time>[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(?<zone>Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    trimmed,
  );
  if (iso !== null) {
    // Date.parse reads a date-time without a zone in the host's zone: the same command would replay another range
    // on another machine.
    if (iso.groups?.['time'] !== undefined && iso.groups['zone'] === undefined) {
      throw new ReplayRangeError(
        `${flag} ${JSON.stringify(text)}: a time needs its zone, e.g. ${trimmed}Z (UTC) or ${trimmed}+01:00 ` +
          '(a date alone means midnight UTC)',
      );
    }
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return { kind: 'time', ms, text: trimmed };
  }
  throw new ReplayRangeError(
    `${flag} ${JSON.stringify(text)}: expected an ISO 8601 time (e.g. 2026-11-21T09:00:00Z) or an offset (e.g. 1500)`,
  );
}

export interface PartitionOffsets {
  partition: number;
  /** first offset still in the log */
  low: bigint;
  /** next offset to be written (end of the log) */
  high: bigint;
}

export interface PartitionRange {
  partition: number;
  /** first offset to copy (inclusive) */
  start: bigint;
  /** offset to stop before (exclusive) */
  end: bigint;
}

/**
 * Per-partition [start, end) from the bounds. `fromTimes` / `toTimes` are the broker's answers
 * for time bounds (first offset with timestamp >= t, or the log end); ranges are clamped to the
 * log so a bound outside it copies what exists. Empty ranges are kept (count 0) for the summary.
 */
export function resolveRanges(
  logs: readonly PartitionOffsets[],
  from: ReplayBound,
  to: ReplayBound | undefined,
  fromTimes: ReadonlyMap<number, bigint> | undefined,
  toTimes: ReadonlyMap<number, bigint> | undefined,
): PartitionRange[] {
  if (from.kind === 'time' && to?.kind === 'time' && to.ms < from.ms) {
    throw new ReplayRangeError(`--to ${to.text} is before --from ${from.text}`);
  }
  if (from.kind === 'offset' && to?.kind === 'offset' && to.offset < from.offset) {
    throw new ReplayRangeError(`--to ${to.text} is before --from ${from.text}`);
  }
  return logs.map((log) => {
    const start = clamp(offsetOf(from, log.partition, fromTimes, log.low), log.low, log.high);
    const end = to === undefined ? log.high : clamp(offsetOf(to, log.partition, toTimes, log.high), log.low, log.high);
    return { partition: log.partition, start, end: end < start ? start : end };
  });
}

function offsetOf(
  bound: ReplayBound,
  partition: number,
  times: ReadonlyMap<number, bigint> | undefined,
  fallback: bigint,
): bigint {
  if (bound.kind === 'offset') return bound.offset;
  return times?.get(partition) ?? fallback;
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}

export function totalRecords(ranges: readonly PartitionRange[]): bigint {
  return ranges.reduce((sum, r) => sum + (r.end - r.start), 0n);
}
