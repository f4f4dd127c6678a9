/**
 * Latency from a cold start: what an operator sees after a restart or a deploy. A worker is started on a fresh
 * topic set and, the moment its /readyz answers 200, a rate-limited producer offers a fixed rate (no warm-up of
 * ours first, unlike the `latency` section); a read_committed reader notes when each prediction becomes visible.
 * Reported per second since ready: p50/p99/max of the events sent in that second, and when the p99 settled (the
 * first second from which every later second's p99 stays under the bound).
 */
import { sleep } from '../lib/children.js';
import { memorySampler } from '../lib/proc-memory.js';
import { maxOf, percentile } from '../lib/stats.js';
import { freshTopics, type StreamContext } from './context.js';
import { connectProducer, EventSource, produceAtRate } from './events.js';
import { PredictionProbe } from './prediction-probe.js';
import { startFleet, stopFleet } from './worker-fleet.js';

export interface ColdStartSecond {
  second: number;
  events: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface ColdStartResult {
  /** which configuration of `run` (the default, or one thing changed) */
  variant: string;
  /** the environment the variant sets beyond the bench's */
  env: Record<string, string>;
  offered_rate: number;
  seconds: number;
  partitions: number;
  /** process start -> /readyz 200 */
  ready_after_ms: number;
  delivered: number;
  events: number;
  per_second: ColdStartSecond[];
  first_5s: { p50_ms: number; p99_ms: number; max_ms: number };
  after_10s: { p50_ms: number; p99_ms: number; max_ms: number };
  /** the bound the settle time is judged by */
  settle_bound_ms: number;
  /** seconds after ready from which every second's p99 stays <= settle_bound_ms; null: never within the run */
  settled_after_s: number | null;
  rss_mb_max: number;
}

export async function coldStart(
  ctx: StreamContext,
  options: {
    variant: string;
    /** names the variant's fresh topic set (each variant has its own) */
    label: string;
    env: Record<string, string>;
    rate: number;
    seconds: number;
    partitions: number;
    settleBoundMs: number;
    nodeFlags?: string[];
  },
): Promise<ColdStartResult> {
  const topics = await freshTopics(ctx, options.label, options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  const probe = await PredictionProbe.forTopics(ctx, topics, source);
  const started = Date.now();
  const fleet = await startFleet(ctx.stack, topics, {
    count: 1,
    label: options.label,
    env: { ...options.env, LOG_LEVEL: process.env['BENCH_WORKER_LOG_LEVEL'] ?? 'warn' },
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
  });
  const readyAfter = Date.now() - started;
  const [worker] = fleet;
  if (worker === undefined) throw new Error('bench coldstart: startFleet returned no worker (count: 1)');
  const sampler = memorySampler(worker.proc.pid, 200);
  try {
    const sent = await produceAtRate(producer, source, topics.customers, options.rate, options.seconds);
    await probe.waitFor(sent.firstSeq, sent.endSeq, 60_000);
    const t0 = source.sentAt[sent.firstSeq] ?? Date.now();
    const bySecond: number[][] = [];
    for (let seq = sent.firstSeq; seq < sent.endSeq; seq++) {
      const at = source.sentAt[seq] ?? 0;
      const seen = probe.seenAt[seq] ?? 0;
      if (seen === 0) continue;
      const s = Math.floor((at - t0) / 1000);
      (bySecond[s] ??= []).push(seen - at);
    }
    const perSecond: ColdStartSecond[] = bySecond.map((lat, second) => ({
      second,
      events: lat.length,
      p50_ms: percentile(lat, 50),
      p99_ms: percentile(lat, 99),
      max_ms: maxOf(lat),
    }));
    const window = (from: number, to: number) => {
      const lat = bySecond.slice(from, to).flat();
      return { p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), max_ms: maxOf(lat) };
    };
    let settled: number | null = null;
    for (let s = perSecond.length - 1; s >= 0; s--) {
      if ((perSecond[s]?.p99_ms ?? Infinity) > options.settleBoundMs) break;
      settled = s;
    }
    const delivered = perSecond.reduce((n, s) => n + s.events, 0);
    const result: ColdStartResult = {
      variant: options.variant,
      env: options.env,
      offered_rate: options.rate,
      seconds: options.seconds,
      partitions: options.partitions,
      ready_after_ms: readyAfter,
      delivered,
      events: sent.endSeq - sent.firstSeq,
      per_second: perSecond,
      first_5s: window(0, 5),
      after_10s: window(10, perSecond.length),
      settle_bound_ms: options.settleBoundMs,
      settled_after_s: settled,
      rss_mb_max: maxOf(sampler.samples.map((s) => s.rss_mb)),
    };
    process.stderr.write(
      `bench coldstart (${options.variant}): ${options.rate}/s from /readyz: first 5 s p99 ${result.first_5s.p99_ms} ms, after 10 s p99 ` +
        `${result.after_10s.p99_ms} ms, settled (p99 <= ${options.settleBoundMs} ms) after ${settled ?? 'never'} s\n`,
    );
    await sleep(500);
    return result;
  } finally {
    sampler.stop();
    await probe.stop();
    await producer.disconnect().catch(() => undefined);
    await stopFleet(fleet);
  }
}
