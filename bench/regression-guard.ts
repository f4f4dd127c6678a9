/**
 * The regression guard of `npm run bench` (issue 14): the run's ratios (churn-scorer against the peer measured
 * beside it in the same run, so machine speed mostly cancels out) against the ratios of the published runs
 * (bench/results/published.json lists the result files BENCHMARKS.md quotes), and any that fell by more than
 * the tolerance, printed. Absolute numbers are not compared: on a shared machine they move by 2x between runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from './report.js';
import { RESULTS_DIR } from './lib/results.js';

/** A ratio of the run: how many times the peer's figure ours is; higher is better unless said otherwise. */
export interface GuardedRatio {
  name: string;
  value: number;
}

export interface RatioComparison {
  name: string;
  published: number;
  /** the published file the ratio was read from */
  source: string;
  current: number;
  /** current / published - 1 */
  change: number;
  fell: boolean;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

/** A fall of more than this fraction is reported. */
export const REGRESSION_TOLERANCE = 0.2;

/** The ratios one report has (pure): only those whose sections ran. */
export function guardedRatios(r: Partial<BenchReport>): GuardedRatio[] {
  const out: GuardedRatio[] = [];
  const add = (name: string, value: number | null | undefined) => {
    if (value != null && Number.isFinite(value) && value > 0) out.push({ name, value });
  };
  add('scoring: single record vs sklearn', r.score?.ratios['single record, validate + score']);
  add('scoring: batch vs sklearn batch', r.score?.ratios['batch of 1409']);
  const at32 = r.http?.levels.find((l) => l.connections === 32);
  add('HTTP req/s vs FastAPI, 32 connections (autocannon)', at32?.rps_ratio);
  const wrk = r.http?.pinned?.runs.filter((run) => run.tool === 'wrk') ?? [];
  const fastapi = wrk.find((run) => run.server.startsWith('FastAPI'));
  const best = wrk
    .filter((run) => run.server.startsWith('churn-scorer'))
    .sort((a, b) => b.requests_per_second - a.requests_per_second)[0];
  if (fastapi !== undefined && best !== undefined)
    add('HTTP req/s vs FastAPI, wrk pinned, best server', ratio(best.requests_per_second, fastapi.requests_per_second));
  const eos = r.python?.find((p) => p.delivery === 'exactly-once' && p.scoring === 'single');
  if (r.stream !== undefined && eos !== undefined)
    add('stream events/s vs the Python loop, exactly-once', ratio(r.stream.events_per_second, eos.events_per_second));
  const ceiling = r.ceiling?.pipeline_ceiling_events_per_second;
  if (r.stream !== undefined && ceiling !== undefined)
    add('stream events/s vs the broker ceiling', ratio(r.stream.events_per_second, ceiling));
  if (r.features !== undefined) add('events per CPU-second, reasons + drift on vs off', 1 - r.features.target.loss);
  const workerRun = r.peers?.runs.find((run) => run.label === 'worker');
  const peerRun = r.peers?.runs.find((run) => run.label !== 'worker');
  for (const fraction of [0.25, 0.5]) {
    const ours = workerRun?.latency?.find((p) => p.fraction_of_peak === fraction)?.latency_ms.p99;
    const theirs = peerRun?.latency?.find((p) => p.fraction_of_peak === fraction)?.latency_ms.p99;
    // Lower latency is better: the peer's p99 over ours, so that a fall is a regression like every other ratio.
    if (ours !== undefined && theirs !== undefined)
      add(`end-to-end p99 at ${100 * fraction}% of own peak, Kafka Streams peer / ours`, ratio(theirs, ours));
  }
  const worker = workerRun?.drain;
  const peer = peerRun?.drain;
  if (worker !== undefined && peer !== undefined) {
    add('events/s vs the Kafka Streams peer', ratio(worker.events_per_second, peer.events_per_second));
    add(
      'events per CPU-second vs the Kafka Streams peer',
      ratio(worker.events_per_cpu_second, peer.events_per_cpu_second),
    );
  }
  return out;
}

/** Compares each ratio of the run with the published one of the same name (pure). */
export function compareRatios(
  current: readonly GuardedRatio[],
  published: ReadonlyMap<string, { value: number; source: string }>,
  tolerance = REGRESSION_TOLERANCE,
): RatioComparison[] {
  const rows: RatioComparison[] = [];
  for (const { name, value } of current) {
    const before = published.get(name);
    if (before === undefined) continue;
    const change = value / before.value - 1;
    rows.push({
      name,
      published: before.value,
      source: before.source,
      current: value,
      change,
      fell: change < -tolerance,
    });
  }
  return rows;
}

/** The published ratios: from each file bench/results/published.json lists, a later file's winning a name. */
export function publishedRatios(dir = RESULTS_DIR): Map<string, { value: number; source: string }> {
  const index = join(dir, 'published.json');
  const ratios = new Map<string, { value: number; source: string }>();
  if (!existsSync(index)) return ratios;
  const { files } = JSON.parse(readFileSync(index, 'utf8')) as { files: string[] };
  for (const file of files) {
    const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      report?: Partial<BenchReport>;
      result?: BenchReport['http'];
    };
    // bench-*.json carry a whole report; http-*.json (npm run bench:http) the HTTP section alone.
    const report: Partial<BenchReport> = body.report ?? (body.result === undefined ? {} : { http: body.result });
    for (const r of guardedRatios(report)) ratios.set(r.name, { value: r.value, source: file });
  }
  return ratios;
}

/** The guard's lines for the console and the summary. */
export function regressionLines(rows: readonly RatioComparison[]): string[] {
  if (rows.length === 0) return ['regression guard: no ratio of this run has a published counterpart'];
  const lines = rows.map(
    (r) =>
      `${r.fell ? 'FELL' : 'ok  '} ${r.name}: ${r.current.toFixed(3)} (published ${r.published.toFixed(3)} in ${r.source}; ${(100 * r.change).toFixed(1)}%)`,
  );
  const fell = rows.filter((r) => r.fell).length;
  return [
    `regression guard: ${fell === 0 ? 'no ratio fell' : `${fell} ratio(s) fell`} by more than ${100 * REGRESSION_TOLERANCE}% against the published runs`,
    ...lines,
  ];
}
