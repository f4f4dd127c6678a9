import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { streamMetrics } from '../../../src/observability/stream-metrics.js';
import { LagMonitor } from '../../../src/stream/lag-monitor.js';
import { metricValue } from '../../support/metrics.js';
import { FakeGroupOffsets } from './fake-group-offsets.js';

const GROUP = 'scorer';
const TOPIC = 'customers';
const STUCK_AFTER_MS = 60_000;
const START = 1_000_000;

/** What the lag monitor reads of a consumer: its partitions and when each last committed. */
class OwnedPartitions {
  readonly progress = new Map<number, number>();
  constructor(private readonly partitions: number[]) {}
  assignedPartitions(): readonly number[] {
    return this.partitions;
  }
  lastProgressAt(partition: number): number | undefined {
    return this.progress.get(partition);
  }
}

function monitor(partitions: number[] = [0, 1, 2]) {
  const admin = new FakeGroupOffsets();
  const metrics = new Registry();
  const logs: Record<string, unknown>[] = [];
  const owned = new OwnedPartitions(partitions);
  for (const p of partitions) owned.progress.set(p, START);
  const lag = new LagMonitor({
    admin,
    metrics: streamMetrics(metrics),
    logger: pino(
      { level: 'debug' },
      { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    ),
    groups: [{ groupId: GROUP, topic: TOPIC, state: owned }],
    intervalMs: 5_000,
  });
  return { admin, metrics, logs, owned, lag };
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('consumer lag', () => {
  it('is the partition end minus the committed offset, or minus the start when nothing is committed', async () => {
    const { admin, metrics, lag } = monitor();
    admin.setEnds(TOPIC, 0, 0, 100);
    admin.setEnds(TOPIC, 1, 50, 80);
    admin.setEnds(TOPIC, 2, 10, 10);
    admin.commit(GROUP, TOPIC, 0, 60);
    await lag.poll();

    const text = await metrics.metrics();
    const lagOf = (partition: number) =>
      metricValue(text, 'churn_stream_consumer_lag', { topic: TOPIC, partition: String(partition) });
    expect([0, 1, 2].map(lagOf)).toEqual([40, 30, 0]);
  });

  it('logs a failed poll and keeps the last lag it knew', async () => {
    const { admin, logs, lag } = monitor([0]);
    admin.setEnds(TOPIC, 0, 0, 10);
    await lag.poll();
    admin.failWith = new Error('The group coordinator is not available');
    await lag.poll();
    expect(logs.filter((l) => l.msg === 'lag poll failed')).toMatchObject([{ level: 40, groupId: GROUP }]);
    vi.setSystemTime(START + STUCK_AFTER_MS + 1_000);
    expect(lag.liveness(STUCK_AFTER_MS).ok).toBe(false);
  });

  it('says nothing of a poll that fails because the monitor was stopped (the admin is closing)', async () => {
    const { admin, logs, lag } = monitor([0]);
    admin.setEnds(TOPIC, 0, 0, 10);
    lag.stop();
    admin.failWith = new Error('Closed connection');
    await lag.poll();
    expect(logs.filter((l) => l.msg === 'lag poll failed')).toEqual([]);
  });

  it('polls at once when started, then every interval, until stopped', async () => {
    const { admin, lag } = monitor();
    lag.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(admin.calls.filter((c) => c.startsWith('fetchTopicOffsets'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(admin.calls.filter((c) => c.startsWith('fetchTopicOffsets'))).toHaveLength(3);
    lag.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(admin.calls.filter((c) => c.startsWith('fetchTopicOffsets'))).toHaveLength(3);
  });
});

describe('liveness: stuck means lag and no commit for stuckAfterMs', () => {
  it('reports an owned partition with lag and no commit for longer than stuckAfterMs', async () => {
    const { admin, owned, lag } = monitor();
    for (const p of [0, 1, 2]) admin.setEnds(TOPIC, p, 0, p === 2 ? 0 : 25);
    await lag.poll();

    vi.setSystemTime(START + STUCK_AFTER_MS);
    expect(lag.liveness(STUCK_AFTER_MS)).toEqual({ ok: true, reasons: [] });

    vi.setSystemTime(START + STUCK_AFTER_MS + 1_000);
    owned.progress.set(1, START + 30_000);
    // partition 1 committed 31 s ago, partition 2 has no lag: only partition 0 is stuck
    expect(lag.liveness(STUCK_AFTER_MS)).toEqual({
      ok: false,
      reasons: ['customers[0] has lag 25 and no commit for 61 s'],
    });
  });

  it('is live with no lag however long since the last commit (an idle topic)', async () => {
    const { admin, lag } = monitor([0]);
    admin.setEnds(TOPIC, 0, 0, 7);
    admin.commit(GROUP, TOPIC, 0, 7);
    await lag.poll();
    vi.setSystemTime(START + 10 * STUCK_AFTER_MS);
    expect(lag.liveness(STUCK_AFTER_MS).ok).toBe(true);
  });

  it('ignores partitions the worker does not own, and counts a just-assigned one from now', async () => {
    const { admin, owned, lag } = monitor([0]);
    admin.setEnds(TOPIC, 0, 0, 5);
    admin.setEnds(TOPIC, 1, 0, 5);
    await lag.poll();
    owned.progress.delete(0);
    vi.setSystemTime(START + 10 * STUCK_AFTER_MS);
    expect(lag.liveness(STUCK_AFTER_MS).ok).toBe(true);
  });
});
