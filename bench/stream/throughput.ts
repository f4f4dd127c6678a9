/**
 * Peak end-to-end throughput, customers -> committed predictions, exactly-once: N events are produced into a
 * fresh topic set first, then the worker(s) start and drain them. events/s is counted between the first and the
 * last commit the workers report (churn_stream_records_consumed_total, which moves at transaction commit), so
 * start-up and group join are not timed. The Python loop is timed the same way (its own commit timeline).
 */
import { join } from 'node:path';
import { runToCompletion, sleep } from '../lib/children.js';
import { machineCpuSeconds, processCpuSeconds } from '../lib/proc-cpu.js';
import { memorySampler, memorySummary } from '../lib/proc-memory.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';
import type { TopicSet } from './bench-topics.js';
import { freshTopics, type StreamContext } from './context.js';
import { connectProducer, EventSource, preProduce } from './events.js';
import { PredictionProbe } from './prediction-probe.js';
import { consumedByAll, startFleet, stopFleet } from './worker-fleet.js';

export interface WorkerThroughput {
  label: string;
  /** the run's fresh topics (the worker's drift topic among them) */
  topics: TopicSet;
  partitions: number;
  workers: number;
  events: number;
  produce: Awaited<ReturnType<typeof preProduce>>;
  seconds_first_to_last_commit: number;
  events_per_second: number;
  completed: boolean;
  memory: ReturnType<typeof memorySummary>[];
  /** CPU cores used by each worker between the first and the last commit */
  worker_cpu_cores: number[];
  /** share of all cores busy on the machine in that window (every process, other users' too) */
  machine_cpu_busy: number;
  verified?: { predictions: number; duplicates: number; missing: number; with_reasons: number };
}

export async function workerThroughput(
  ctx: StreamContext,
  options: {
    label: string;
    partitions: number;
    workers: number;
    events: number;
    verify: boolean;
    nodeFlags?: string[];
    /** another worker program (bench/clients), see FleetOptions */
    program?: readonly string[];
    env?: Readonly<Record<string, string>>;
  },
): Promise<WorkerThroughput> {
  const topics = await freshTopics(ctx, options.label, options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  const produce = await preProduce(producer, source, topics.customers, options.events).finally(() =>
    producer.disconnect(),
  );

  const fleet = await startFleet(ctx.stack, topics, {
    count: options.workers,
    label: options.label,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
    ...(options.program ? { program: options.program } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const samplers = fleet.map((w) => memorySampler(w.proc.pid, 250));
  type Mark = { t: number; n: number; cpu: number[]; machine: { busy: number; total: number } };
  let first: Mark | undefined;
  let last: Mark | undefined;
  const timeoutMs = Math.max(120_000, options.events * 5);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const n = await consumedByAll(fleet);
      const t = Date.now();
      if (Number.isFinite(n) && n > 0) {
        const mark = () => ({
          t,
          n,
          cpu: fleet.map((w) => processCpuSeconds(w.proc.pid)),
          machine: machineCpuSeconds(),
        });
        first ??= mark();
        if (last === undefined || n > last.n) last = mark();
        if (n >= options.events) break;
      }
      await sleep(100);
    }
  } finally {
    await stopFleet(fleet);
  }
  const memory = samplers.map((s) => memorySummary(s.stop()));
  const completed = last !== undefined && last.n >= options.events;
  const seconds = first && last ? (last.t - first.t) / 1000 : NaN;
  const result: WorkerThroughput = {
    label: options.label,
    topics,
    partitions: options.partitions,
    workers: options.workers,
    events: options.events,
    produce,
    seconds_first_to_last_commit: seconds,
    events_per_second: first && last && seconds > 0 ? (last.n - first.n) / seconds : NaN,
    completed,
    memory,
    worker_cpu_cores: first && last ? last.cpu.map((c, i) => (c - (first.cpu[i] ?? NaN)) / seconds) : [],
    machine_cpu_busy:
      first && last ? (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total) : NaN,
  };
  if (options.verify) {
    const probe = await PredictionProbe.forTopics(ctx, topics, source, 'verify');
    try {
      await probe.waitFor(0, options.events, 120_000);
      await sleep(500); // let a duplicate, if any, arrive too
      result.verified = {
        predictions: probe.seen,
        duplicates: probe.duplicates,
        missing: options.events - probe.seen,
        with_reasons: probe.withReasons,
      };
    } finally {
      await probe.stop();
    }
  }
  process.stderr.write(
    `bench stream: ${options.label}: ${Math.round(result.events_per_second)} events/s over ${options.events} events ` +
      `(${options.partitions} partitions, ${options.workers} worker(s); worker CPU ${result.worker_cpu_cores.map((c) => c.toFixed(2)).join('+')} cores, machine ${Math.round(result.machine_cpu_busy * 100)}% busy)${result.verified ? `, verified ${JSON.stringify(result.verified)}` : ''}\n`,
  );
  return result;
}

export interface PythonLoopResult {
  label: string;
  delivery: 'at-least-once' | 'exactly-once';
  scoring: 'single' | 'batch';
  events: number;
  committed: number;
  seconds_first_to_last_commit: number;
  events_per_second: number;
  peak_rss_mb: number;
  command: string;
}

export async function pythonLoopThroughput(
  ctx: StreamContext,
  options: {
    label: string;
    partitions: number;
    events: number;
    delivery: PythonLoopResult['delivery'];
    scoring: PythonLoopResult['scoring'];
  },
): Promise<PythonLoopResult> {
  const topics = await freshTopics(ctx, options.label, options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  await preProduce(producer, source, topics.customers, options.events).finally(() => producer.disconnect());
  const python = join(REPO_ROOT, 'training', '.venv', 'bin', 'python');
  const args = [
    join(REPO_ROOT, 'bench', 'python', 'kafka_loop.py'),
    '--brokers',
    ctx.stack.brokers,
    '--registry',
    ctx.stack.registryUrl,
    '--topic-in',
    topics.customers,
    '--topic-out',
    topics.predictions,
    '--group',
    topics.group,
    '--count',
    String(options.events),
    '--delivery',
    options.delivery,
    '--scoring',
    options.scoring,
    '--timeout',
    String(Math.max(120, options.events / 200)),
  ];
  const out = await runToCompletion(`kafka_loop.py ${options.label}`, python, args, {
    cwd: REPO_ROOT,
    timeoutMs: (Math.max(120, options.events / 200) + 60) * 1000,
    logFile: join(LOGS_DIR, `${topics.prefix}.log`),
  });
  const parsed = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    committed: number;
    seconds_first_to_last_commit: number;
    events_per_second: number;
    peak_rss_mb: number;
  };
  process.stderr.write(`bench stream: ${options.label}: ${Math.round(parsed.events_per_second)} events/s\n`);
  return {
    label: options.label,
    delivery: options.delivery,
    scoring: options.scoring,
    events: options.events,
    committed: parsed.committed,
    seconds_first_to_last_commit: parsed.seconds_first_to_last_commit,
    events_per_second: parsed.events_per_second,
    peak_rss_mb: parsed.peak_rss_mb,
    command: `training/.venv/bin/python bench/python/kafka_loop.py --delivery ${options.delivery} --scoring ${options.scoring} --count ${options.events} ...`,
  };
}
