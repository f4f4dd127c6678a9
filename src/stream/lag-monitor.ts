import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { ProbeResult } from '../observability/health.js';
import type { ConsumerState } from './consumer-state.js';
import type { StreamMetrics } from '../observability/stream-metrics.js';

interface WatchedGroup {
  groupId: string;
  topic: string;
  state: Pick<ConsumerState, 'assignedPartitions' | 'lastProgressAt'>;
}

/**
 * Polls committed offsets against partition ends, publishes the lag, and keeps the last
 * lag per partition for the liveness probe: a worker is stuck when a partition it owns has
 * lag and has not committed anything for `stuckAfterMs`.
 */
export class LagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastLag = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly options: {
      admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;
      metrics: StreamMetrics;
      logger: Logger;
      groups: readonly WatchedGroup[];
      intervalMs: number;
    },
  ) {}

  start(): void {
    const tick = (): void => {
      // poll() never rejects: a failed poll is logged and the next one tries again.
      void this.poll().then(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async poll(): Promise<void> {
    for (const group of this.options.groups) {
      try {
        const [ends, committed] = await Promise.all([
          this.options.admin.fetchTopicOffsets(group.topic),
          this.options.admin.fetchOffsets({ groupId: group.groupId, topics: [group.topic] }),
        ]);
        const committedByPartition = new Map<number, bigint>();
        for (const p of committed[0]?.partitions ?? []) committedByPartition.set(p.partition, BigInt(p.offset));
        for (const end of ends) {
          const high = BigInt(end.high);
          const low = BigInt(end.low);
          const done = committedByPartition.get(end.partition) ?? -1n;
          const lag = Number(high - (done < 0n ? low : done));
          this.lastLag.set(`${group.topic}:${end.partition}`, lag);
          this.options.metrics.lag.set({ topic: group.topic, partition: String(end.partition) }, lag);
        }
      } catch (err) {
        // Stopped while this poll was in flight: the admin is being disconnected, which is what failed it.
        if (this.stopped) return;
        this.options.logger.warn({ err, groupId: group.groupId }, 'lag poll failed');
      }
    }
  }

  liveness(stuckAfterMs: number): ProbeResult {
    const now = Date.now();
    const reasons: string[] = [];
    for (const group of this.options.groups) {
      for (const partition of group.state.assignedPartitions()) {
        const lag = this.lastLag.get(`${group.topic}:${partition}`) ?? 0;
        const last = group.state.lastProgressAt(partition) ?? now;
        if (lag > 0 && now - last > stuckAfterMs) {
          reasons.push(
            `${group.topic}[${partition}] has lag ${lag} and no commit for ${Math.round((now - last) / 1000)} s`,
          );
        }
      }
    }
    return { ok: reasons.length === 0, reasons };
  }
}
