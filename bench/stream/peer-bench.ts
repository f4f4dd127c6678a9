/**
 * The 'peers' section (issue 14): churn-scorer's worker beside the peer a Kafka user would pick, a Kafka Streams
 * application with the model embedded (bench/peers/kafka-streams). Each, on its own fresh topic set of the stream
 * section's partitions: (1) drains the same number of pre-produced events, timed by a read_committed reader
 * counting visible predictions (events/s between the first and the last it sees), with the process's own CPU and
 * RSS from /proc, then the exactly-once audit and the parity of every probability with the TypeScript model;
 * (2) on a fresh, empty topic set, end-to-end latency at fractions of its own peak (latency.ts's machinery: a
 * rate-limited producer stamping event_time, a read_committed reader noting when each prediction is visible).
 */
import type { StartedProcess } from '../lib/children.js';
import { sleep } from '../lib/children.js';
import { fixed, int, markdownTable, times } from '../lib/markdown-table.js';
import { machineCpuSeconds, processCpuSeconds } from '../lib/proc-cpu.js';
import { memorySampler, type MemorySample } from '../lib/proc-memory.js';
import { maxOf, percentile, ratio } from '../lib/stats.js';
import { freshTopics, type StreamContext } from './context.js';
import { connectProducer, EventSource, preProduce, produceAtRate } from './events.js';
import { auditPredictions, ExpectedScores, VisibleCounter, type AuditResult } from './peer-audit.js';
import type { Contender } from './peer-process.js';
import { PredictionProbe } from './prediction-probe.js';

/** Fractions of each contender's own peak at which latency is measured. */
export const PEER_LATENCY_FRACTIONS: readonly number[] = [0.1, 0.25, 0.5, 0.9];

export interface PeerDrain {
  events: number;
  produce: Awaited<ReturnType<typeof preProduce>>;
  seconds_first_to_last: number;
  events_per_second: number;
  completed: boolean;
  /** the process's CPU cores (utime + stime from /proc) between the first and the last visible prediction */
  cpu_cores: number;
  events_per_cpu_second: number;
  /** share of all the machine's cores busy in that window (every process, other users' too) */
  machine_cpu_busy: number;
  rss_mb: { median: number; max: number; hwm: number };
  audit: AuditResult;
}

export interface PeerLatencyPhase {
  fraction_of_peak: number;
  offered_rate: number;
  achieved_rate: number;
  events: number;
  delivered: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  cpu_cores: number;
  rss_mb: { median: number; max: number };
}

export interface PeerRun {
  label: string;
  name: string;
  command: string;
  drain?: PeerDrain;
  latency?: PeerLatencyPhase[];
  /** measurements that failed once and were run again: the first error */
  retried?: Record<string, string>;
  /** measurements that failed twice */
  errors?: Record<string, string>;
}

export interface PeersResult {
  partitions: number;
  events: number;
  phase_seconds: number;
  runs: PeerRun[];
}

/** Throws from check() once the process has exited: a measurement does not wait out its deadline on a dead one. */
function exitWatch(proc: StartedProcess) {
  let code: number | string | undefined;
  void proc.exited.then((c) => (code = c));
  return {
    check(): void {
      if (code !== undefined) throw new Error(`${proc.name} exited (${code}) during the measurement`);
    },
  };
}

const say = (line: string) => process.stderr.write(`bench peers: ${line}\n`);
const rssOf = (samples: readonly MemorySample[]) => samples.map((s) => s.rss_mb);

async function drain(
  ctx: StreamContext,
  contender: Contender,
  expected: ExpectedScores,
  options: { events: number; partitions: number },
): Promise<PeerDrain> {
  const topics = await freshTopics(ctx, `peer-${contender.label}`, options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  const produce = await preProduce(producer, source, topics.customers, options.events).finally(() =>
    producer.disconnect(),
  );
  const counter = await VisibleCounter.start(ctx.kafka, topics.predictions, `${topics.group}.count`);
  type Mark = { t: number; n: number; cpu: number; machine: { busy: number; total: number } };
  let first: Mark | undefined;
  let last: Mark | undefined;
  let samples: MemorySample[] | undefined;
  try {
    const proc: StartedProcess = await contender.start(ctx.stack, topics);
    const sampler = memorySampler(proc.pid, 250);
    const deadline = Date.now() + Math.max(120_000, options.events * 5);
    const exited = exitWatch(proc);
    try {
      while (Date.now() < deadline) {
        exited.check();
        const n = counter.count;
        if (n > 0) {
          const mark = (): Mark => ({
            t: Date.now(),
            n,
            cpu: processCpuSeconds(proc.pid),
            machine: machineCpuSeconds(),
          });
          first ??= mark();
          if (last === undefined || n > last.n) last = mark();
          if (n >= options.events) break;
        }
        await sleep(100);
      }
    } finally {
      samples = sampler.stop();
      await proc.stop(20_000);
    }
  } finally {
    await counter.stop();
  }
  const audit = await auditPredictions(
    ctx.kafka,
    ctx.stack.registryUrl,
    topics.predictions,
    source,
    expected,
    options.events,
    120_000,
  );
  const seconds = first && last ? (last.t - first.t) / 1000 : NaN;
  const cpu = first && last ? last.cpu - first.cpu : NaN;
  const rss = rssOf(samples);
  const result: PeerDrain = {
    events: options.events,
    produce,
    seconds_first_to_last: seconds,
    events_per_second: first && last && seconds > 0 ? (last.n - first.n) / seconds : NaN,
    completed: last !== undefined && last.n >= options.events,
    cpu_cores: cpu / seconds,
    events_per_cpu_second: first && last && cpu > 0 ? (last.n - first.n) / cpu : NaN,
    machine_cpu_busy:
      first && last ? (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total) : NaN,
    rss_mb: { median: percentile(rss, 50), max: maxOf(rss), hwm: samples.at(-1)?.hwm_mb ?? NaN },
    audit,
  };
  say(
    `${contender.label}: ${Math.round(result.events_per_second)} events/s, ${fixed(result.cpu_cores, 2)} cores, ` +
      `${Math.round(result.events_per_cpu_second)} events per CPU-second; audit ${JSON.stringify(audit)}`,
  );
  return result;
}

async function latency(
  ctx: StreamContext,
  contender: Contender,
  options: { peak: number; fractions: readonly number[]; seconds: number; partitions: number },
): Promise<PeerLatencyPhase[]> {
  const topics = await freshTopics(ctx, `peer-${contender.label}-latency`, options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  let proc: StartedProcess | undefined;
  let probe: PredictionProbe | undefined;
  try {
    proc = await contender.start(ctx.stack, topics);
    const pid = proc.pid;
    probe = await PredictionProbe.forTopics(ctx, topics, source);
    const sampler = memorySampler(pid, 200);
    const drainMs = 60_000;
    const exited = exitWatch(proc);
    try {
      // warm-up, as latency.ts: JIT, registry lookups, a transactional producer per partition
      const warm = await produceAtRate(producer, source, topics.customers, Math.max(50, options.peak * 0.1), 2);
      await probe.waitFor(warm.firstSeq, warm.endSeq, drainMs);
      const phases: PeerLatencyPhase[] = [];
      for (const fraction of options.fractions) {
        const rate = Math.round(options.peak * fraction);
        const from = sampler.samples.length;
        const cpuBefore = processCpuSeconds(pid);
        const started = Date.now();
        const sent = await produceAtRate(producer, source, topics.customers, rate, options.seconds);
        await probe.waitFor(sent.firstSeq, sent.endSeq, drainMs);
        exited.check();
        const cpu = (processCpuSeconds(pid) - cpuBefore) / ((Date.now() - started) / 1000);
        const rss = rssOf(sampler.samples.slice(from));
        const lat = probe.latencies(source, sent.firstSeq, sent.endSeq);
        phases.push({
          fraction_of_peak: fraction,
          offered_rate: rate,
          achieved_rate: sent.achieved_rate,
          events: sent.endSeq - sent.firstSeq,
          delivered: lat.length,
          latency_ms: {
            p50: percentile(lat, 50),
            p90: percentile(lat, 90),
            p99: percentile(lat, 99),
            max: percentile(lat, 100),
          },
          cpu_cores: cpu,
          rss_mb: { median: percentile(rss, 50), max: maxOf(rss) },
        });
        say(
          `${contender.label}: latency at ${Math.round(fraction * 100)}% of its peak (${rate}/s): p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms, max ${percentile(lat, 100)} ms`,
        );
        await sleep(1_000);
      }
      return phases;
    } finally {
      sampler.stop();
    }
  } finally {
    await probe?.stop();
    await producer.disconnect().catch(() => undefined);
    await proc?.stop(20_000);
  }
}

/**
 * Runs both measurements for each contender. A measurement that fails (on a shared machine the broker or the
 * registry may be restarted under it) is run once more on fresh topics and the first error is kept in `retried`;
 * a second failure is recorded on that contender's run and the next measurement goes on.
 */
export async function peersBench(
  ctx: StreamContext,
  contenders: readonly Contender[],
  options: { events: number; partitions: number; fractions: readonly number[]; seconds: number },
): Promise<PeersResult> {
  const expected = await ExpectedScores.load();
  const runs: PeerRun[] = contenders.map((c) => ({ label: c.label, name: c.name, command: c.command }));
  async function attempt<T>(run: PeerRun, what: string, measure: () => Promise<T>): Promise<T | undefined> {
    for (let tries = 1; ; tries++) {
      try {
        return await measure();
      } catch (err) {
        const message = (err as Error).message;
        say(`${run.label} ${what} failed (try ${tries}): ${(err as Error).stack ?? String(err)}`);
        if (tries >= 2) {
          (run.errors ??= {})[what] = message;
          return undefined;
        }
        (run.retried ??= {})[what] = message;
        await sleep(5_000);
      }
    }
  }
  // Both drains first, then both latency series: the two contenders see the machine in the same order of tasks.
  for (const [i, contender] of contenders.entries()) {
    const run = runs[i] as PeerRun;
    run.drain = await attempt(run, 'drain', () => drain(ctx, contender, expected, options));
  }
  for (const [i, contender] of contenders.entries()) {
    const run = runs[i] as PeerRun;
    const peak = run.drain?.events_per_second;
    if (peak === undefined || !Number.isFinite(peak)) continue;
    run.latency = await attempt(run, 'latency', () => latency(ctx, contender, { ...options, peak }));
  }
  return { partitions: options.partitions, events: options.events, phase_seconds: options.seconds, runs };
}

/** One table, the contenders side by side; the last column is the worker's figure over the peer's. */
export function peersTable(r: PeersResult): string {
  const [ours, peer] = r.runs;
  const cell = (run: PeerRun | undefined, f: (x: PeerRun) => string) => (run ? f(run) : 'n/a');
  const rows: string[][] = [];
  const row = (metric: string, f: (x: PeerRun) => string, ratioOf?: (x: PeerRun) => number) =>
    rows.push([
      metric,
      cell(ours, f),
      cell(peer, f),
      ratioOf && ours && peer ? times(ratio(ratioOf(ours), ratioOf(peer)), 2) : '',
    ]);
  const d = (x: PeerRun) => x.drain;
  row(
    `events/s, draining ${int(r.events)} pre-produced events`,
    (x) => int(d(x)?.events_per_second ?? NaN),
    (x) => d(x)?.events_per_second ?? NaN,
  );
  row('process CPU while draining (cores)', (x) => fixed(d(x)?.cpu_cores ?? NaN, 2));
  row(
    'events per CPU-second',
    (x) => int(d(x)?.events_per_cpu_second ?? NaN),
    (x) => d(x)?.events_per_cpu_second ?? NaN,
  );
  row('RSS MB while draining, median / max', (x) =>
    d(x) ? `${fixed(d(x)?.rss_mb.median ?? NaN, 0)} / ${fixed(d(x)?.rss_mb.max ?? NaN, 0)}` : 'n/a',
  );
  row('machine CPU busy while draining (every process)', (x) => `${fixed(100 * (d(x)?.machine_cpu_busy ?? NaN), 0)}%`);
  row('exactly-once audit (read_committed): predictions / duplicates / missing', (x) => {
    const a = d(x)?.audit;
    return a ? `${int(a.predictions)} / ${a.duplicates} / ${a.missing}` : 'n/a';
  });
  row('max \\|p - TypeScript model\\| over every prediction; reasons differing', (x) => {
    const a = d(x)?.audit;
    return a ? `${a.max_abs_diff_vs_typescript.toExponential(1)}; ${a.reasons_mismatches}` : 'n/a';
  });
  for (const [i, fraction] of PEER_LATENCY_FRACTIONS.entries()) {
    const phase = (x: PeerRun) => x.latency?.find((p) => p.fraction_of_peak === fraction) ?? x.latency?.[i];
    const pct = `${Math.round(fraction * 100)}%`;
    row(`${pct} of own peak: offered / achieved events/s`, (x) => {
      const p = phase(x);
      return p ? `${int(p.offered_rate)} / ${int(p.achieved_rate)}` : 'n/a';
    });
    row(
      `${pct} of own peak: end-to-end p50 / p99 / max ms`,
      (x) => {
        const p = phase(x);
        return p
          ? `${fixed(p.latency_ms.p50, 0)} / ${fixed(p.latency_ms.p99, 0)} / ${fixed(p.latency_ms.max, 0)}`
          : 'n/a';
      },
      (x) => phase(x)?.latency_ms.p99 ?? NaN,
    );
    row(`${pct} of own peak: process CPU (cores); RSS MB median / max`, (x) => {
      const p = phase(x);
      return p ? `${fixed(p.cpu_cores, 2)}; ${fixed(p.rss_mb.median, 0)} / ${fixed(p.rss_mb.max, 0)}` : 'n/a';
    });
  }
  let out = markdownTable(['', ours?.name ?? 'worker', peer?.name ?? 'peer', 'worker / peer'], rows);
  out += `\n\n${r.partitions} partitions, a fresh topic set per contender and measurement. events/s: between the first and the last prediction a read_committed reader sees. Latency: prediction visible to a read_committed reader - event_time, ${r.phase_seconds} s per rate. The ratio of p99 rows is the worker's p99 over the peer's (lower is better for the worker).`;
  for (const run of r.runs) out += `\n- ${run.name}: \`${run.command}\``;
  for (const run of r.runs)
    for (const [what, message] of Object.entries(run.errors ?? {}))
      out += `\n- **${run.label} ${what} failed**: ${message.replace(/\|/g, '/')}`;
  for (const run of r.runs)
    for (const [what, message] of Object.entries(run.retried ?? {}))
      out += `\n- ${run.label} ${what} was run again after: ${message.replace(/\|/g, '/')}`;
  return out;
}
