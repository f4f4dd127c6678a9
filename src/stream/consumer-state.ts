import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { findKafkaError } from '../kafka/kafkajs-errors.js';
import { startupBackoffMs } from '../kafka/startup-connect.js';
import type { ProbeResult } from '../observability/health.js';
import type { PartitionLeases } from './partition-leases.js';
import { isTransientTransactionsError } from './transactions-check.js';

/**
 * kafkajs gives up on a consumer, and does not restart it, when the group coordinator stays unreachable past its
 * retries: a broker restart that takes longer than that (seconds on a busy machine) would end the worker. These
 * crashes say "the brokers are not there yet", not "no": the worker restarts the consumer itself.
 */
const BROKER_ABSENT_NAMES = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
]);

/** Whether a consumer crash kafkajs will not restart from comes from brokers being away for a while (pure). */
export function isBrokerAbsentCrash(err: unknown): boolean {
  return isTransientTransactionsError(err) || findKafkaError(err, BROKER_ABSENT_NAMES) !== undefined;
}
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
  /** consumer restarts in a row since the last join (the backoff grows with it) */
  private restarts = 0;
  readonly fatal: Promise<Error>;

  constructor(
    private readonly options: {
      name: 'live' | 'replay';
      topic: string;
      leases: PartitionLeases;
      log: Logger;
      metrics: StreamMetrics;
      /**
       * Starts the consumer again after a crash kafkajs does not restart from because the brokers were away
       * (isBrokerAbsentCrash). Without it, every crash kafkajs does not restart from is fatal.
       */
      restart?: () => Promise<void>;
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
      this.restarts = 0;
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
      } else if (this.options.restart !== undefined && isBrokerAbsentCrash(error)) {
        this.restartLater(this.options.restart, error);
      } else {
        this.fail(error);
      }
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
  }

  private fail(error: Error): void {
    const { log, name } = this.options;
    log.error({ consumer: name, err: error }, 'consumer crashed and will not restart');
    this.resolveFatal(new Error(`${name} consumer crashed: ${error.message}`, { cause: error }));
  }

  /**
   * Restarts the consumer after a backoff; a restart that fails on absent brokers again is retried the same way.
   * Meanwhile readiness says why; liveness fails once the owned partitions have been stuck for its limit, so an
   * outage that does not end is still handed to the orchestrator.
   */
  private restartLater(restart: () => Promise<void>, error: Error): void {
    const { log, name } = this.options;
    this.restarts++;
    const inMs = startupBackoffMs(this.restarts);
    log.warn(
      { consumer: name, err: error, restarts: this.restarts, restartInMs: inMs },
      'consumer crashed while the brokers were away; restarting it',
    );
    // Unreferenced: a worker that is shutting down does not wait for it.
    void sleep(inMs, undefined, { ref: false })
      .then(restart)
      .catch((err: unknown) => {
        const failure = err instanceof Error ? err : new Error(String(err));
        if (isBrokerAbsentCrash(failure)) this.restartLater(restart, failure);
        else this.fail(failure);
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
