import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { defaultSchemaRegistry } from '../../app/schema-registry.js';
import type { Config } from '../../config/index.js';
import { createKafka } from '../../kafka/client.js';
import { awaitKafka } from '../../kafka/startup-connect.js';
import { createStderrLogger } from '../../observability/logger.js';
import { checkCompareModel, ReplayCompareError } from '../../replay/compare-model.js';
import { startCompareReader, type TopicStart } from '../../replay/compare-reader.js';
import { CompareTally } from '../../replay/compare-tally.js';
import { sampleRange } from '../../replay/range-sample.js';
import { copyToReplay, planRanges, type ReplayRequest, type ReplaySummary } from '../../replay/replay-copy.js';
import {
  DEFAULT_REPLAY_TRANSACTION_MS,
  defaultRescoreRate,
  estimateReplay,
  percentOff,
  type RangeSample,
  type ReplayEstimate,
} from '../../replay/replay-estimate.js';
import { parseReplayBound, totalRecords, type PartitionRange } from '../../replay/replay-range.js';
import {
  comparisonLines,
  customerFilterLine,
  estimateLines,
  progressLine,
  rangeLines,
  timingLine,
  type RescoreRateSource,
} from '../../replay/replay-report.js';
import { COMPARE_HEADERS } from '../../stream/prediction-record.js';
import { createCountProgress, type CountProgress } from '../count-progress.js';
import { configWithFlags } from '../options.js';

interface ReplayFlags {
  from: string;
  to?: string;
  customer: string[];
  compare?: string;
  dryRun?: boolean;
  timeout: number;
  expectedRate?: number;
  json?: boolean;
}

/** Long enough for a large range at the default rate; the dry run says how long one should take. */
const DEFAULT_TIMEOUT_SECONDS = 600;

/** The dead-letter reason of a compare copy whose version the worker has not verified (src/stream/rejection.ts). */
const COMPARE_MODEL_UNKNOWN = 'compare-model-unknown';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Copy a bounded range of the customers topic into the replay topic; the running worker rescores it (replay=true). ' +
        'With --compare, the champion and that version rescore it side by side into the shadow topic, and the comparison is printed',
    )
    .requiredOption(
      '--from <time|offset>',
      'start: ISO 8601 time with its zone, e.g. 2026-11-21T09:00Z (first record at or after it), or an offset in every partition',
    )
    .option('--to <time|offset>', 'end (exclusive): ISO 8601 time or offset; default: the end of the topic now')
    .option('--customer <id...>', 'only these customer ids (record keys); repeatable', [])
    .option(
      '--compare <version>',
      'rescore with the champion and this published model version into topics.shadow (not topics.predictions), wait for both, print the comparison',
    )
    .option('--dry-run', 'copy nothing: count the records in the range and say how long the run should take')
    .option(
      '--timeout <seconds>',
      'with --compare: how long to wait for the predictions once the copy is done',
      positiveNumber,
      DEFAULT_TIMEOUT_SECONDS,
    )
    .option(
      '--expected-rate <records/s>',
      `the worker's replay rescoring rate the estimate assumes (default: stream.replayMaxRecordsPerBatch per ${DEFAULT_REPLAY_TRANSACTION_MS} ms)`,
      positiveNumber,
    )
    .option('--json', 'print the result as one JSON document (one line) instead of text')
    .action(async (flags: ReplayFlags) => {
      const config = configWithFlags({});
      const logger = createStderrLogger({
        name: config.service.name,
        level: config.log.level === 'info' ? 'warn' : config.log.level,
        format: config.log.format,
      });
      const request: ReplayRequest = {
        sourceTopic: config.topics.customers,
        replayTopic: config.topics.replay,
        from: parseReplayBound(flags.from, '--from'),
        to: flags.to === undefined ? undefined : parseReplayBound(flags.to, '--to'),
        customers: flags.customer,
      };
      const kafka = createKafka(config.kafka, logger);
      await awaitKafka(config.kafka, logger, config.service.startupTimeoutMs);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await replay({ config, logger, kafka, admin, flags, request });
      } finally {
        await admin.disconnect();
      }
    });
}

interface ReplayRun {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  admin: Admin;
  flags: ReplayFlags;
  request: ReplayRequest;
}

interface Planned {
  ranges: PartitionRange[];
  rangeRecords: number;
  sample: RangeSample;
  estimate: ReplayEstimate;
  rate: { recordsPerSecond: number; source: RescoreRateSource };
}

async function replay(run: ReplayRun): Promise<void> {
  const { config, kafka, admin, flags } = run;
  // Before anything is copied: a comparison no worker would make must not leave copies behind.
  if (flags.compare !== undefined) {
    await checkCompareModel(kafka, admin, config, flags.compare);
    await requireTopics(admin, [config.topics.replay, config.topics.shadow, config.topics.deadLetter]);
  }
  const planned = await plan(run);
  if (flags.dryRun === true) {
    dryRunReport(run, planned);
    return;
  }
  if (flags.compare === undefined) await plainReplay(run, planned);
  else await compareReplay(run, planned, flags.compare);
}

/** The ranges, a sample read of them and the estimate: the same for a dry run and a real one. */
async function plan(run: ReplayRun): Promise<Planned> {
  const { config, kafka, admin, flags, request } = run;
  const ranges = await planRanges(admin, request);
  const rangeRecords = Number(totalRecords(ranges));
  const sample = await sampleRange(kafka, request.sourceTopic, ranges, {
    customers: request.customers,
    logger: run.logger,
  });
  const rate =
    flags.expectedRate === undefined
      ? {
          recordsPerSecond: defaultRescoreRate(config.stream.replayMaxRecordsPerBatch),
          source: {
            kind: 'default' as const,
            recordsPerTransaction: config.stream.replayMaxRecordsPerBatch,
            transactionMs: DEFAULT_REPLAY_TRANSACTION_MS,
          },
        }
      : { recordsPerSecond: flags.expectedRate, source: { kind: 'flag' as const } };
  const estimate = estimateReplay({
    rangeRecords,
    filtered: request.customers.length > 0,
    sample,
    rescoreRate: rate.recordsPerSecond,
    compare: flags.compare !== undefined,
  });
  return { ranges, rangeRecords, sample, estimate, rate };
}

function dryRunReport(run: ReplayRun, planned: Planned): void {
  const { flags, request } = run;
  const { ranges, rangeRecords, sample, estimate, rate } = planned;
  if (flags.json === true) {
    writeJson({
      dryRun: true,
      compare: flags.compare ?? null,
      ranges: jsonRanges(ranges),
      rangeRecords,
      copies: estimate.copies,
      copiesExact: estimate.copiesExact,
      sample,
      rescoreRate: rate.recordsPerSecond,
      estimate,
    });
    return;
  }
  const compare = flags.compare === undefined ? '' : ` --compare ${flags.compare} (published and verified)`;
  writeLines([
    `replay --dry-run${compare}: nothing copied; ${request.sourceTopic} -> ${request.replayTopic}`,
    ...rangeLines(ranges),
    ...(request.customers.length > 0 ? [customerFilterLine(estimate, sample, rangeRecords)] : []),
    ...estimateLines(estimate, sample, rate, flags.compare !== undefined),
  ]);
}

async function plainReplay(run: ReplayRun, planned: Planned): Promise<void> {
  const { config, flags, request } = run;
  const summary = await copy(run, planned, request);
  const took = summary.durationMs / 1000;
  if (flags.json === true) {
    writeJson({ ...summarized(summary), timing: timing(planned.estimate.totalSeconds, took) });
    return;
  }
  writeLines([
    `replay: copied ${summary.copied} of ${summary.scanned} records scanned from ${config.topics.customers} to ${config.topics.replay}` +
      (flags.customer.length > 0 ? ` (${summary.skippedByFilter} skipped by --customer)` : '') +
      ` in ${took.toFixed(1)} s`,
    `range: ${summary.ranges.length} partitions, ${totalRecords(summary.ranges)} records in range`,
    ...summary.ranges.map((r) => `  partition ${r.partition}: offsets [${r.start}, ${r.end})`),
    `copy: ${timingLine(planned.estimate.totalSeconds, took)}`,
  ]);
}

async function compareReplay(run: ReplayRun, planned: Planned, version: string): Promise<void> {
  const { config, kafka, admin, flags, request, logger } = run;
  await warnWithoutReplayWorker(run);
  const compareId = randomUUID();
  // The predictions of this run come after these offsets: taken before the first copy is written.
  const [shadow, deadLetter] = await Promise.all([
    topicStart(admin, config.topics.shadow),
    topicStart(admin, config.topics.deadLetter),
  ]);
  const tally = new CompareTally(planned.rangeRecords);
  const started = Date.now();
  let progress: CountProgress | undefined;
  const reading = startCompareReader({
    kafka,
    registry: defaultSchemaRegistry(config.registry).client,
    compareId,
    replayTopic: config.topics.replay,
    shadow,
    deadLetter,
    tally,
    logger,
    onProgress: () => {
      const p = tally.progress();
      progress?.update(p.paired + p.deadLettered);
    },
  });
  // The reader joins its group while the copy runs; a failed start fails the run once the copy is done.
  reading.catch(() => undefined);
  const summary = await copy(run, planned, {
    ...request,
    headers: { [COMPARE_HEADERS.version]: version, [COMPARE_HEADERS.id]: compareId },
  });
  const reader = await reading;
  let complete: boolean;
  try {
    tally.expect(summary.copied);
    progress = summary.copied > 0 ? createCountProgress('compare', summary.copied) : undefined;
    complete = await reader.complete(flags.timeout * 1000);
    progress?.stop();
  } finally {
    await reader.stop();
  }
  const took = (Date.now() - started) / 1000;
  const comparison = tally.summary();
  const state = tally.progress();
  const result = {
    compare: version,
    compareId,
    ...summarized(summary),
    progress: state,
    comparison,
    timing: {
      ...timing(planned.estimate.totalSeconds, took),
      copy: timing(planned.estimate.setupSeconds + planned.estimate.copySeconds, summary.durationMs / 1000),
    },
  };
  if (flags.json === true) writeJson(result);
  else {
    writeLines([
      `replay --compare ${version}: copied ${summary.copied} records from ${config.topics.customers} to ${config.topics.replay} ` +
        `(compare id ${compareId}); predictions read from ${config.topics.shadow}`,
      ...(complete ? [] : [`arrived so far: ${progressLine(state)}`]),
      ...comparisonLines(comparison, version),
      timingLine(planned.estimate.totalSeconds, took),
      `  of which the copy: ${timingLine(planned.estimate.setupSeconds + planned.estimate.copySeconds, summary.durationMs / 1000)}`,
    ]);
  }
  if (!complete) {
    throw new ReplayCompareError(
      `timed out after ${flags.timeout} s waiting for the worker's predictions: ${progressLine(state)}; ` +
        'check that a `run` worker is up (its replay group consumes the replay topic), or give a larger --timeout',
    );
  }
  const unknown = tally.deadLettered(COMPARE_MODEL_UNKNOWN);
  if (unknown > 0) {
    throw new ReplayCompareError(
      `the worker dead-lettered ${unknown} of ${summary.copied} copies as ${COMPARE_MODEL_UNKNOWN}: ` +
        `it has not verified model ${version}; check that it follows topic ${config.topics.models} ` +
        '(its log says why a model is refused), then replay again',
    );
  }
}

async function copy(run: ReplayRun, planned: Planned, request: ReplayRequest): Promise<ReplaySummary> {
  let progress: CountProgress | undefined;
  const summary = await copyToReplay(run.kafka, run.admin, request, {
    logger: run.logger,
    ranges: planned.ranges,
    onProgress: (p) => {
      progress ??= createCountProgress('replay', p.total);
      progress.update(p.scanned, { copied: p.copied });
    },
  });
  progress?.stop();
  return summary;
}

/** Copies wait on the replay topic while no worker consumes it; say so rather than time out in silence. */
async function warnWithoutReplayWorker(run: ReplayRun): Promise<void> {
  const group = `${run.config.stream.groupId}.replay`;
  try {
    const { groups } = await run.admin.describeGroups([group]);
    if ((groups[0]?.members.length ?? 0) === 0) {
      run.logger.warn(
        { group, topic: run.config.topics.replay },
        'no worker consumes the replay topic now (its group has no members): the comparison waits for one to start',
      );
    }
  } catch (err) {
    run.logger.debug({ err, group }, 'could not describe the replay group');
  }
}

/** The worker creates its topics when it starts; a comparison has nothing to wait for before one did. */
async function requireTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new ReplayCompareError(
      `${missing.length === 1 ? 'topic' : 'topics'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} ` +
        'not exist: start a `run` worker (it creates its topics), then replay again',
    );
  }
}

async function topicStart(admin: Admin, topic: string): Promise<TopicStart> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return { topic, offsets: offsets.map((o) => ({ partition: o.partition, offset: o.high })) };
}

function timing(expectedSeconds: number, actualSeconds: number) {
  return { expectedSeconds, actualSeconds, percentOff: percentOff(expectedSeconds, actualSeconds) };
}

function summarized(summary: ReplaySummary) {
  return {
    ranges: jsonRanges(summary.ranges),
    scanned: summary.scanned,
    copied: summary.copied,
    skippedByFilter: summary.skippedByFilter,
    copyMs: summary.durationMs,
  };
}

function jsonRanges(ranges: readonly PartitionRange[]) {
  return ranges.map((r) => ({ partition: r.partition, start: Number(r.start), end: Number(r.end) }));
}

function writeLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
