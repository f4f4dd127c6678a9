/**
 * End-to-end latency at fixed offered rates, and worker memory through a burst. One worker on a fresh, empty topic
 * set; a rate-limited producer stamps each event with the time it is sent (event_time); a read_committed reader
 * notes when its prediction becomes visible. Latency = visible - event_time, per event.
 */
import { sleep } from '../lib/children.js';
import { memorySampler, type MemorySample } from '../lib/proc-memory.js';
import { maxOf, percentile } from '../lib/stats.js';
import { freshTopics, type StreamContext } from './context.js';
import { connectProducer, EventSource, produceAtRate } from './events.js';
import { PredictionProbe } from './prediction-probe.js';
import { startFleet, stopFleet } from './worker-fleet.js';

export interface RatePhase {
  fraction_of_peak: number;
  offered_rate: number;
  achieved_rate: number;
  events: number;
  delivered: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  rss_mb: { median: number; max: number };
}

export interface BurstResult {
  base_rate: number;
  burst_rate_offered: number;
  burst_rate_achieved: number;
  seconds: { base_before: number; burst: number; base_after: number };
  delivered: number;
  events: number;
  drain_seconds_after_burst: number;
  latency_ms_p99_during_burst_events: number;
  rss_mb: { steady_before: number; max: number; after: number; hwm: number };
  timeline: MemorySample[];
}

export interface LatencyResult {
  partitions: number;
  peak_events_per_second: number;
  phases: RatePhase[];
  burst: BurstResult;
}

const median = (xs: number[]) => percentile(xs, 50);

export async function latencyAndBurst(
  ctx: StreamContext,
  options: {
    peak: number;
    fractions: readonly number[];
    seconds: number;
    partitions: number;
    burstSeconds: number;
    nodeFlags?: string[];
  },
): Promise<LatencyResult> {
  const topics = await freshTopics(ctx, 'latency', options.partitions);
  const source = await EventSource.create(ctx.stack.registryUrl, topics.customers, topics.prefix);
  const producer = await connectProducer(ctx.kafka);
  const fleet = await startFleet(ctx.stack, topics, {
    count: 1,
    label: 'latency',
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
  });
  const [worker] = fleet;
  if (worker === undefined) throw new Error('bench latency: startFleet returned no worker (count: 1)');
  const probe = await PredictionProbe.forTopics(ctx, topics, source);
  const sampler = memorySampler(worker.proc.pid, 200);
  const drainMs = 60_000;
  try {
    // warm-up: JIT, registry lookups, transactional producers for every partition
    const warm = await produceAtRate(producer, source, topics.customers, Math.max(50, options.peak * 0.1), 2);
    await probe.waitFor(warm.firstSeq, warm.endSeq, drainMs);

    const phases: RatePhase[] = [];
    for (const fraction of options.fractions) {
      const rate = Math.round(options.peak * fraction);
      const from = sampler.samples.length;
      const sent = await produceAtRate(producer, source, topics.customers, rate, options.seconds);
      await probe.waitFor(sent.firstSeq, sent.endSeq, drainMs);
      const rss = sampler.samples.slice(from).map((s) => s.rss_mb);
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
        rss_mb: { median: median(rss), max: maxOf(rss) },
      });
      process.stderr.write(
        `bench stream: latency at ${Math.round(fraction * 100)}% of peak (${rate}/s): p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms\n`,
      );
      await sleep(1_000);
    }

    // Burst: a steady base rate, then 10x that rate, then the base rate again until the backlog is drained.
    const base = Math.max(20, Math.round(options.peak * 0.2));
    const before = await produceAtRate(producer, source, topics.customers, base, options.burstSeconds);
    const steadyIdx = sampler.samples.length;
    const burstStart = sampler.samples.length;
    const burst = await produceAtRate(producer, source, topics.customers, base * 10, options.burstSeconds / 2);
    const burstEndedAt = Date.now();
    const after = await produceAtRate(producer, source, topics.customers, base, options.burstSeconds);
    await probe.waitFor(before.firstSeq, after.endSeq, drainMs);
    const drainedAt = maxOf(probe.seenAt.slice(burst.firstSeq, burst.endSeq).filter((t) => t > 0));
    const beforeRss = sampler.samples
      .slice(0, steadyIdx)
      .slice(-Math.round((options.burstSeconds * 1000) / 200))
      .map((s) => s.rss_mb);
    const duringAndAfter = sampler.samples.slice(burstStart);
    const timeline = sampler.stop();
    const last = timeline.at(-1);
    return {
      partitions: options.partitions,
      peak_events_per_second: options.peak,
      phases,
      burst: {
        base_rate: base,
        burst_rate_offered: base * 10,
        burst_rate_achieved: burst.achieved_rate,
        seconds: {
          base_before: options.burstSeconds,
          burst: options.burstSeconds / 2,
          base_after: options.burstSeconds,
        },
        events: after.endSeq - before.firstSeq,
        delivered: probe.latencies(source, before.firstSeq, after.endSeq).length,
        drain_seconds_after_burst: (drainedAt - burstEndedAt) / 1000,
        latency_ms_p99_during_burst_events: percentile(probe.latencies(source, burst.firstSeq, burst.endSeq), 99),
        rss_mb: {
          steady_before: median(beforeRss),
          max: maxOf(duringAndAfter.map((s) => s.rss_mb)),
          after: last?.rss_mb ?? NaN,
          hwm: last?.hwm_mb ?? NaN,
        },
        timeline,
      },
    };
  } finally {
    sampler.stop();
    await probe.stop();
    await producer.disconnect().catch(() => undefined);
    await stopFleet(fleet);
  }
}
