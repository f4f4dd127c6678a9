/**
 * What issue 12's features cost the stream: section 3's measurement (one `bin/churn-scorer run` worker,
 * exactly-once, events pre-produced to a fresh topic set, events/s between the first and the last commit) with
 * the top-three reasons on every prediction (PREDICTION_REASONS) and the drift windows (DRIFT_MONITORING) on and
 * off. The variants take turns, and every other round runs them in reverse order (off, on, on, off, ...), so a
 * steady rise or fall of the machine's load weighs on every variant alike; each variant's figure is the median of
 * its runs. A first run, not counted, warms the broker up: the first runs of a bench are the slowest. Events per
 * CPU-second (events/s over the worker's CPU cores in the same window) is the figure that least depends on what
 * else the machine runs.
 */
import { fixed, int, markdownTable } from '../lib/markdown-table.js';
import { loadAverage } from '../lib/results.js';
import { maxOf, middleValue, ratio } from '../lib/stats.js';
import type { StreamContext } from './context.js';
import { workerThroughput, type WorkerThroughput } from './throughput.js';

export interface FeatureVariant {
  label: string;
  reasons: boolean;
  drift: boolean;
}

/** Every variant the section knows; `off` first, the baseline the others are compared with. */
export const FEATURE_VARIANTS: readonly FeatureVariant[] = [
  { label: 'off', reasons: false, drift: false },
  { label: 'on', reasons: true, drift: true },
  { label: 'reasons', reasons: true, drift: false },
  { label: 'drift', reasons: false, drift: true },
];

/** The limit on the loss with both features on (events per CPU-second, vs both off). */
export const MAX_LOSS = 0.15;

export interface FeatureRun {
  variant: string;
  round: number;
  /** 1-minute load average when the run started */
  load_before: number;
  events_per_second: number;
  worker_cpu_cores: number;
  events_per_cpu_second: number;
  machine_cpu_busy: number;
  rss_max_mb: number;
  /** the read_committed check after the run: one prediction per event, and how many carry reasons */
  verified: WorkerThroughput['verified'];
  /** end offsets of the run's drift topic, summed: window records plus their transactions' commit markers */
  drift_topic_offsets: number;
}

export interface FeatureVariantSummary {
  variant: string;
  reasons: boolean;
  drift: boolean;
  runs: number;
  events_per_second: number;
  events_per_cpu_second: number;
  /** the lowest and the highest run: how far runs of one variant spread on this machine */
  events_per_cpu_second_range: [number, number];
  worker_cpu_cores: number;
  /** 1 - this / off, in events/s and in events per CPU-second (negative: faster than off) */
  loss_events_per_second: number;
  loss_events_per_cpu_second: number;
}

export interface FeatureCostResult {
  events: number;
  partitions: number;
  rounds: number;
  /** the uncounted first run (both features on) */
  warmup: { events_per_second: number; worker_cpu_cores: number };
  /** the variants in the order they ran */
  order: string[];
  runs: FeatureRun[];
  variants: FeatureVariantSummary[];
  /** both on vs both off, events per CPU-second */
  target: { max_loss: number; loss: number; met: boolean };
}

/** The run order: the variants in turn, every other round reversed (off on / on off / off on ...). */
export function runOrder(
  variants: readonly FeatureVariant[],
  rounds: number,
): { variant: FeatureVariant; round: number }[] {
  const order: { variant: FeatureVariant; round: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const turn = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of turn) order.push({ variant, round });
  }
  return order;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

async function driftTopicOffsets(ctx: StreamContext, topic: string): Promise<number> {
  const existing = await ctx.admin.listTopics();
  if (!existing.includes(topic)) return 0;
  const offsets = await ctx.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

export async function featureCost(
  ctx: StreamContext,
  options: {
    events: number;
    partitions: number;
    rounds: number;
    /** labels of FEATURE_VARIANTS to run; 'off' is always among them */
    variants: readonly string[];
    nodeFlags?: string[];
  },
): Promise<FeatureCostResult> {
  const variants = FEATURE_VARIANTS.filter((v) => v.label === 'off' || options.variants.includes(v.label));
  const order = runOrder(variants, options.rounds);
  const warm = await workerThroughput(ctx, {
    label: 'features-warmup',
    partitions: options.partitions,
    workers: 1,
    events: options.events,
    verify: false,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
  });
  const runs: FeatureRun[] = [];
  for (const { variant, round } of order) {
    const load = loadAverage()[0] ?? NaN;
    const run = await workerThroughput(ctx, {
      label: `features-${variant.label}-${round}`,
      partitions: options.partitions,
      workers: 1,
      events: options.events,
      verify: true,
      ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
      env: { PREDICTION_REASONS: String(variant.reasons), DRIFT_MONITORING: String(variant.drift) },
    });
    if (!run.completed) throw new Error(`features: the ${variant.label} worker did not drain ${options.events} events`);
    const cores = sum(run.worker_cpu_cores);
    runs.push({
      variant: variant.label,
      round,
      load_before: load,
      events_per_second: run.events_per_second,
      worker_cpu_cores: cores,
      events_per_cpu_second: ratio(run.events_per_second, cores),
      machine_cpu_busy: run.machine_cpu_busy,
      rss_max_mb: maxOf(run.memory.map((m) => m.rss_max_mb)),
      verified: run.verified,
      drift_topic_offsets: await driftTopicOffsets(ctx, run.topics.drift),
    });
  }

  const of = (label: string) => runs.filter((r) => r.variant === label);
  const off = of('off');
  const offEps = middleValue(off.map((r) => r.events_per_second));
  const offPerCpu = middleValue(off.map((r) => r.events_per_cpu_second));
  const summaries = variants.map((v): FeatureVariantSummary => {
    const mine = of(v.label);
    const eps = middleValue(mine.map((r) => r.events_per_second));
    const perCpu = middleValue(mine.map((r) => r.events_per_cpu_second));
    return {
      variant: v.label,
      reasons: v.reasons,
      drift: v.drift,
      runs: mine.length,
      events_per_second: eps,
      events_per_cpu_second: perCpu,
      events_per_cpu_second_range: [
        Math.min(...mine.map((r) => r.events_per_cpu_second)),
        Math.max(...mine.map((r) => r.events_per_cpu_second)),
      ],
      worker_cpu_cores: middleValue(mine.map((r) => r.worker_cpu_cores)),
      loss_events_per_second: 1 - ratio(eps, offEps),
      loss_events_per_cpu_second: 1 - ratio(perCpu, offPerCpu),
    };
  });
  const loss = summaries.find((s) => s.variant === 'on')?.loss_events_per_cpu_second ?? NaN;
  const result: FeatureCostResult = {
    events: options.events,
    partitions: options.partitions,
    rounds: options.rounds,
    warmup: { events_per_second: warm.events_per_second, worker_cpu_cores: sum(warm.worker_cpu_cores) },
    order: order.map((o) => o.variant.label),
    runs,
    variants: summaries,
    target: { max_loss: MAX_LOSS, loss, met: loss < MAX_LOSS },
  };
  for (const s of summaries) {
    process.stderr.write(
      `bench features: ${s.variant}: median ${int(s.events_per_second)} events/s, ${int(s.events_per_cpu_second)} events per CPU-second (loss ${fixed(100 * s.loss_events_per_cpu_second)}% per CPU-second vs off)\n`,
    );
  }
  return result;
}

const pct = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(1)}%` : 'n/a');
const onOff = (b: boolean) => (b ? 'true' : 'false');

/** The markdown of the section: one row per variant (medians), then every run in the order it ran. */
export function featureCostTable(f: FeatureCostResult): string {
  const summary = markdownTable(
    [
      'variant',
      'PREDICTION_REASONS',
      'DRIFT_MONITORING',
      'runs',
      'events/s (median)',
      'loss vs off',
      'events per CPU-second (median)',
      'loss vs off',
      'runs: lowest - highest',
      'worker CPU (cores)',
    ],
    f.variants.map((s) => [
      s.variant,
      onOff(s.reasons),
      onOff(s.drift),
      String(s.runs),
      int(s.events_per_second),
      s.variant === 'off' ? '' : pct(s.loss_events_per_second),
      int(s.events_per_cpu_second),
      s.variant === 'off' ? '' : pct(s.loss_events_per_cpu_second),
      `${int(s.events_per_cpu_second_range[0])} - ${int(s.events_per_cpu_second_range[1])}`,
      fixed(s.worker_cpu_cores, 2),
    ]),
  );
  const runs = markdownTable(
    [
      '#',
      'variant',
      'load (1 min) before',
      'events/s',
      'worker CPU (cores)',
      'events per CPU-second',
      'machine CPU busy',
      'RSS MB (max)',
      'exactly-once check',
      'with reasons',
      'drift topic offsets',
    ],
    f.runs.map((r, i) => [
      String(i + 1),
      r.variant,
      fixed(r.load_before, 2),
      int(r.events_per_second),
      fixed(r.worker_cpu_cores, 2),
      int(r.events_per_cpu_second),
      `${fixed(100 * r.machine_cpu_busy, 0)}%`,
      fixed(r.rss_max_mb, 0),
      r.verified
        ? `${int(r.verified.predictions)} predictions, ${r.verified.duplicates} duplicates, ${r.verified.missing} missing`
        : 'not checked',
      r.verified ? int(r.verified.with_reasons) : 'n/a',
      int(r.drift_topic_offsets),
    ]),
  );
  const verdict = f.target.met ? '**met**' : '**not met**';
  return (
    `${summary}\n\n` +
    `Both on vs both off: ${pct(f.target.loss)} fewer events per CPU-second (target: under ${pct(f.target.max_loss)}; ${verdict}). ` +
    `${int(f.events)} events per run, ${f.partitions} partitions, one worker, exactly-once; ${f.rounds} rounds, order ${f.order.join(', ')}, ` +
    `after an uncounted warm-up run (${int(f.warmup.events_per_second)} events/s).\n\n` +
    runs
  );
}
