import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { startupBackoffMs } from '../kafka/startup-connect.js';
import type { ProbeResult } from '../observability/health.js';
import type { PartitionLeases } from './partition-leases.js';
import type { StreamMetrics } from '../observability/stream-metrics.js';

/**
 * What one consumer group member knows about itself, from kafkajs' instrumentation events:
 * whether it has joined, what it owns, when each owned partition last made progress, and
 * whether it crashed for good. Readiness and liveness are read from here.
 */
export class ConsumerState {
  private joined = false;
  private crashed: string | undefined;
  private assignment: number[] = [];
  private readonly lastProgress = new Map<number, number>();
  private resolveFatal: (err: Error) => void = () => undefined;
  readonly fatal: Promise<Error>;

  constructor(
    private readonly options: {
      name: 'live' | 'replay';
      topic: string;
      leases: PartitionLeases;
      log: Logger;
      metrics: StreamMetrics;
    },
  ) {
    this.fatal = new Promise<Error>((resolve) => {
      this.resolveFatal = resolve;
    });
  }

  get name(): string {
    return this.options.name;
  }

  get topic(): string {
    return this.options.topic;
  }

  assignedPartitions(): readonly number[] {
    return this.assignment;
  }

  lastProgressAt(partition: number): number | undefined {
    return this.lastProgress.get(partition);
  }

  progressed(partition: number, _records: number): void {
    this.lastProgress.set(partition, Date.now());
  }

  attach(consumer: Consumer): void {
    const { log, metrics, name, topic, leases } = this.options;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = event.payload.memberAssignment[topic] ?? [];
      this.assignment = [...assigned].sort((a, b) => a - b);
      this.joined = true;
      this.crashed = undefined;
      metrics.rebalances.inc({ consumer: name });
      metrics.assignedPartitions.set({ consumer: name }, this.assignment.length);
      const now = Date.now();
      for (const p of [...this.lastProgress.keys()]) if (!this.assignment.includes(p)) this.lastProgress.delete(p);
      for (const p of this.assignment) if (!this.lastProgress.has(p)) this.lastProgress.set(p, now);
      log.info(
        { consumer: name, topic, partitions: this.assignment, memberId: event.payload.memberId },
        'joined consumer group',
      );
      // Take the leases of what we own now (fencing earlier owners early) and drop the rest.
      void this.takeLeases(leases, topic);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.joined = false;
      this.crashed = error.message;
      if (restart) {
        log.warn({ consumer: name, err: error }, 'consumer crashed; kafkajs restarts it');
      } else {
        log.error({ consumer: name, err: error }, 'consumer crashed and will not restart');
        this.resolveFatal(new Error(`${name} consumer crashed: ${error.message}`, { cause: error }));
      }
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
  }

  readiness(): ProbeResult {
    const { name } = this.options;
    if (this.crashed !== undefined) return { ok: false, reasons: [`${name} consumer crashed: ${this.crashed}`] };
    if (!this.joined) return { ok: false, reasons: [`${name} consumer has not joined its group yet`] };
    const { leases, topic } = this.options;
    const missing = this.assignment.filter((p) => !leases.isReady(topic, p));
    if (missing.length > 0) {
      return { ok: false, reasons: [`${name} producers not ready for ${topic} partitions ${missing.join(',')}`] };
    }
    return { ok: true, reasons: [] };
  }

  /**
   * Takes the leases of what this join assigned, trying again until they are all taken (or a newer join or a
   * stop takes over). Not only on the next batch: a partition without traffic has none, and readiness waits
   * for its lease. A lease fails for a while when its transaction coordinator is on a broker that just died,
   * or when a broker has not yet learnt of a topic created a moment ago.
   */
  private async takeLeases(leases: PartitionLeases, topic: string): Promise<void> {
    const mine = this.assignment;
    const current = () => this.joined && this.assignment === mine;
    for (let attempt = 1; current(); attempt++) {
      try {
        await leases.retainOnly(new Map([[topic, mine]]));
        await Promise.all(mine.map((p) => leases.acquire(topic, p)));
        return;
      } catch (err) {
        const nextAttemptInMs = startupBackoffMs(attempt);
        this.options.log.warn(
          { err, consumer: this.options.name, attempt, nextAttemptInMs },
          'could not take partition leases yet; trying again',
        );
        // Unreferenced: a worker that is shutting down does not wait for it.
        await sleep(nextAttemptInMs, undefined, { ref: false });
      }
    }
  }
}
