import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';

/** A consumer in a group of its own, and the outcome of the read it is made for. */
export interface ThrowawayConsumer {
  readonly consumer: Consumer;
  /**
   * Settles once the reader calls finish() or fail(); rejects, too, when the consumer crashes and kafkajs does not
   * restart it.
   */
  readonly done: Promise<void>;
  readonly finish: () => void;
  readonly fail: (err: unknown) => void;
}

/**
 * A consumer for a one-off read (a replay copy or its sample, a comparison, a report, the registry topics): it reads
 * as the topics' own consumers do (read_committed), never creates a topic, and joins a group of its own (a new id
 * per call) in which nothing commits, so no other reader's position moves. The caller connects, runs, seeks and
 * disconnects it, and awaits `done`.
 */
export function throwawayConsumer(
  kafka: Kafka,
  options: {
    /** the group id before its random suffix, naming what reads (churn-scorer.replay-copy, ...) */
    readonly groupPrefix: string;
    /** how long the broker may hold a fetch that has nothing to return */
    readonly maxWaitTimeInMs: number;
  },
): ThrowawayConsumer {
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.maxWaitTimeInMs,
  });
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A failure may come before the caller awaits `done`: it must not count as an unhandled rejection meanwhile.
  done.catch(() => undefined);
  const fail = (err: unknown): void => settle?.reject(err);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  return { consumer, done, finish: () => settle?.resolve(), fail };
}
