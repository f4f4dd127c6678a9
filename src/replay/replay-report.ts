import type { CompareProgress, ComparedSide, ReplayComparison } from './compare-tally.js';
import { percentOff, type RangeSample, type ReplayEstimate } from './replay-estimate.js';
import type { PartitionRange } from './replay-range.js';

/**
 * What `replay` prints (pure): the range, the estimate and its model, the comparison of `--compare`, and how
 * close the estimate was. Figures to 4 decimals (the JSON output has them whole).
 */

/** How the expected rescoring rate was chosen, for the estimate's explanation. */
export type RescoreRateSource =
  { kind: 'default'; recordsPerTransaction: number; transactionMs: number } | { kind: 'flag' };

export function rangeLines(ranges: readonly PartitionRange[]): string[] {
  const total = ranges.reduce((sum, r) => sum + (r.end - r.start), 0n);
  return [
    `range: ${ranges.length} partitions, ${total} records`,
    ...ranges.map((r) => `  partition ${r.partition}: offsets [${r.start}, ${r.end}), ${r.end - r.start} records`),
  ];
}

/** The --customer count: exact when the sample read the whole range, otherwise the range is an upper bound. */
export function customerFilterLine(estimate: ReplayEstimate, sample: RangeSample, rangeRecords: number): string {
  if (estimate.copiesExact) {
    return `--customer: ${estimate.copies} of the ${rangeRecords} records match (exact: the whole range was read)`;
  }
  return (
    `--customer: at most ${rangeRecords} records (the range; the filter is applied while copying); ` +
    `${sample.matched} of ${sample.records} sampled records match, so about ${estimate.copies}`
  );
}

export function estimateLines(
  estimate: ReplayEstimate,
  sample: RangeSample,
  rate: { recordsPerSecond: number; source: RescoreRateSource },
  compare: boolean,
): string[] {
  const rescore = `rescoring ${seconds(estimate.rescoreSeconds)}`;
  const sum = compare
    ? `setup ${seconds(estimate.setupSeconds)} + max(copy ${seconds(estimate.copySeconds)}, ${rescore})`
    : `setup ${seconds(estimate.setupSeconds)} + copy ${seconds(estimate.copySeconds)}`;
  const rateWhy =
    rate.source.kind === 'flag'
      ? '--expected-rate'
      : `default: ${rate.source.recordsPerTransaction} records per replay transaction ` +
        `(stream.replayMaxRecordsPerBatch) in ${rate.source.transactionMs} ms each; --expected-rate sets it`;
  const lines = [
    `expected ~${seconds(estimate.totalSeconds)} = ${sum}`,
    `  setup: joining a consumer group, as long as the sample reader's join took`,
    estimate.readRate === null
      ? '  copy: nothing to read'
      : `  copy: reads the range and writes the copies, each at the rate a sample of ${sample.records} records ` +
        `was read (${Math.round(estimate.readRate)} records/s)`,
    `  rescoring: ${estimate.copies} copies at ${round(rate.recordsPerSecond)} records/s (${rateWhy})` +
      (compare ? '' : '; the worker does it after this command ends'),
  ];
  return lines;
}

/** "expected ~X s, took Y s (Z% off)". */
export function timingLine(expectedSeconds: number, actualSeconds: number): string {
  const off = percentOff(expectedSeconds, actualSeconds);
  const how =
    off === null
      ? 'no estimate'
      : `${Math.abs(off).toFixed(0)}% off${Math.abs(off) < 0.5 ? '' : off > 0 ? ', slower' : ', faster'}`;
  return `expected ~${seconds(expectedSeconds)}, took ${seconds(actualSeconds)} (${how})`;
}

export function comparisonLines(comparison: ReplayComparison, compareVersion: string): string[] {
  const { champion, candidate } = comparison;
  const header = [`champion ${versionsOf(champion)}`, `candidate ${compareVersion}`];
  const width = Math.max(12, ...header.map((h) => h.length));
  const row = (label: string, a: string, b: string) =>
    `  ${label.padEnd(26)}${a.padStart(width)}  ${b.padStart(width)}`;
  const one = (label: string, value: string) => `  ${label.padEnd(26)}${value}`;
  const lines = [
    `compared on ${comparison.events} events`,
    row('', header[0] ?? '', header[1] ?? ''),
    row('mean score', fixed(champion.meanScore), fixed(candidate.meanScore)),
    row('churn rate', fixed(champion.churnRate), fixed(candidate.churnRate)),
    row('churned', String(champion.churned), String(candidate.churned)),
    row('threshold', fixed(champion.threshold), fixed(candidate.threshold)),
    one('agreement', fixed(comparison.agreement)),
    one('mean |dp|', fixed(comparison.meanAbsDelta)),
    one('PSI', fixed(comparison.psi)),
    one(
      'riskiest-quarter Jaccard',
      fixed(comparison.riskiestQuartileJaccard) +
        (comparison.riskiestQuartileExact ? '' : ` (over a sample of ${comparison.riskiestQuartileEvents} events)`),
    ),
    one(
      'decision changes',
      `${comparison.toChurn.events} no churn -> churn (${comparison.toChurn.customers} customers), ` +
        `${comparison.toNoChurn.events} churn -> no churn (${comparison.toNoChurn.customers} customers)`,
    ),
  ];
  const dead = Object.entries(comparison.deadLettered);
  if (dead.length > 0) {
    lines.push(
      one(
        'dead-lettered',
        `${dead.reduce((n, [, count]) => n + count, 0)} copies (${dead.map(([r, n]) => `${r}: ${n}`).join(', ')})`,
      ),
    );
  }
  if (comparison.duplicates > 0) {
    lines.push(
      one('duplicates', `${comparison.duplicates} records more than one per copy and model (not exactly once)`),
    );
  }
  if (comparison.thresholdsMixed) {
    lines.push('  note: the champion changed threshold during the run; rates and agreement are at the first one');
  }
  return lines;
}

export function progressLine(progress: CompareProgress): string {
  return (
    `${progress.paired} of ${progress.expected ?? '?'} copies have both predictions, ` +
    `${progress.deadLettered} dead-lettered, ${progress.championOnly} only the champion's, ` +
    `${progress.candidateOnly} only the candidate's`
  );
}

function versionsOf(side: ComparedSide): string {
  const versions = Object.keys(side.versions);
  return versions.length === 0 ? '?' : versions.join('+');
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function seconds(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toString()} s`;
}

function round(value: number): string {
  return value >= 100 ? Math.round(value).toString() : value.toPrecision(3);
}
