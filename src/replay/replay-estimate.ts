/**
 * How long a replay should take (pure), from a stated model that `--dry-run` prints and the real run checks:
 *
 *   total = setup + max(copy, rescore)          (--compare: the CLI waits for the rescoring)
 *   total = setup + copy                        (plain replay: the CLI only copies)
 *
 * - setup: joining a consumer group, as long as the sample reader's join took (the copy's reader and the
 *   comparison's reader join side by side).
 * - copy: reading every record of the range (the --customer filter is applied after reading) and writing the
 *   kept ones, both at the rate the sample was read. A dry run can measure reading but not writing without
 *   writing; an acks=all write of a record costs at least what reading it does, so it is counted at that rate.
 * - rescore: the copies at the worker's replay rate. The worker rescores the replay topic in transactions of
 *   stream.replayMaxRecordsPerBatch records, one partition at a time, after live batches; its rate is not visible
 *   from the CLI, so it is `--expected-rate`, by default replayMaxRecordsPerBatch records per
 *   DEFAULT_REPLAY_TRANSACTION_MS. The copy and the rescoring overlap (the worker reads copies as they land), so
 *   the longer of the two counts.
 */

/**
 * Expected duration of one replay transaction of the worker (begin, produce, send offsets, commit: three round
 * trips to the transaction coordinator and the partition leaders, plus the live-first gate's wait) when little
 * live traffic competes. Chosen from `replay --compare` runs of a few tens of thousands of records on the
 * single-broker local stack (README, "Replay"); the real run prints estimate against actual, so a cluster that is
 * faster or slower shows at once and `--expected-rate` corrects it.
 */
export const DEFAULT_REPLAY_TRANSACTION_MS = 50;

/** What reading a sample of the range measured. */
export interface RangeSample {
  /** records read */
  readonly records: number;
  /** of them, records the --customer filter keeps (all of them without a filter) */
  readonly matched: number;
  /** connect to the first fetched records: the consumer group join */
  readonly joinMs: number;
  /** the first fetched records to the last one read */
  readonly readMs: number;
  /** true when the sample is the whole range */
  readonly wholeRange: boolean;
}

export interface ReplayEstimateInput {
  /** records in the range (what the copy reads) */
  readonly rangeRecords: number;
  /** a --customer filter is given */
  readonly filtered: boolean;
  readonly sample: RangeSample;
  /** records per second the worker rescores the replay topic */
  readonly rescoreRate: number;
  /** --compare: the run waits for the rescoring */
  readonly compare: boolean;
}

export interface ReplayEstimate {
  /** records expected to be copied: the range, or (with --customer) its share the sample matched */
  readonly copies: number;
  /** true when `copies` is exact: no filter, or a filter and a sample that read the whole range */
  readonly copiesExact: boolean;
  /** records per second read in the sample (null: nothing to read) */
  readonly readRate: number | null;
  readonly setupSeconds: number;
  readonly copySeconds: number;
  readonly rescoreSeconds: number;
  /** what the run is expected to take, by the model above */
  readonly totalSeconds: number;
}

/** The rescoring rate (records/s) of the default: replayMaxRecordsPerBatch records per DEFAULT_REPLAY_TRANSACTION_MS. */
export function defaultRescoreRate(replayMaxRecordsPerBatch: number): number {
  return (replayMaxRecordsPerBatch * 1000) / DEFAULT_REPLAY_TRANSACTION_MS;
}

// A sample that read in less than a millisecond measures nothing; count it as one.
const MIN_READ_MS = 1;

export function estimateReplay(input: ReplayEstimateInput): ReplayEstimate {
  const { rangeRecords, sample, filtered } = input;
  if (!(input.rescoreRate > 0)) throw new RangeError(`the rescoring rate must be positive, got ${input.rescoreRate}`);
  if (rangeRecords === 0) {
    return {
      copies: 0,
      copiesExact: true,
      readRate: null,
      setupSeconds: 0,
      copySeconds: 0,
      rescoreSeconds: 0,
      totalSeconds: 0,
    };
  }
  const copiesExact = !filtered || sample.wholeRange;
  const copies = !filtered
    ? rangeRecords
    : sample.wholeRange
      ? sample.matched
      : sample.records === 0
        ? rangeRecords
        : Math.round((rangeRecords * sample.matched) / sample.records);
  const readRate = sample.records === 0 ? null : (sample.records * 1000) / Math.max(sample.readMs, MIN_READ_MS);
  const setupSeconds = sample.joinMs / 1000;
  const copySeconds = readRate === null ? 0 : (rangeRecords + copies) / readRate;
  const rescoreSeconds = copies / input.rescoreRate;
  const totalSeconds = setupSeconds + (input.compare ? Math.max(copySeconds, rescoreSeconds) : copySeconds);
  return { copies, copiesExact, readRate, setupSeconds, copySeconds, rescoreSeconds, totalSeconds };
}

/** How far the actual duration is from the expected one, in percent of the expected (positive: slower). */
export function percentOff(expectedSeconds: number, actualSeconds: number): number | null {
  if (expectedSeconds <= 0) return null;
  return ((actualSeconds - expectedSeconds) / expectedSeconds) * 100;
}
