import type {
  FollowedBatch,
  ReadPosition,
  RolloutClients,
  RolloutConsumer,
} from '../model-registry/rollout-follower.js';
import type { KafkaClientSupplier } from '../stream/kafka-client-supplier.js';

/** Bytes fetched per partition at most: a model package (model.json and its parity examples) fits several times. */
const ROLLOUT_FETCH_BYTES = 4 * 1024 * 1024;

/**
 * The rollout follower's clients over the service's own Kafka client supplier: its consumers already are what the
 * follower needs (read_committed, earliest start for a new group, no commits; kafkajs' waits at most 100 ms for
 * new records, so a publication is seen well within a second), and the worker's admin has every call it makes.
 */
export function rolloutClientsOf(
  clients: Pick<KafkaClientSupplier, 'getAdmin' | 'getConsumer'>,
  settings: { sessionTimeoutMs: number },
): RolloutClients {
  return {
    getAdmin: () => clients.getAdmin(),
    getConsumer: (groupId): RolloutConsumer => {
      const consumer = clients.getConsumer({
        groupId,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        maxBytesPerPartition: ROLLOUT_FETCH_BYTES,
      });
      const events = consumer.instrumentation;
      return {
        connect: () => consumer.connect(),
        subscribe: (topic) => consumer.subscribe(topic),
        run: (eachBatch) =>
          consumer.run({
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, resolveOffset }) => {
              const followed: FollowedBatch = {
                topic: batch.topic,
                partition: batch.partition,
                messages: batch.messages.map(({ offset, key, value }) => ({ offset, key: key ?? null, value })),
                lastOffset: batch.lastOffset(),
              };
              await eachBatch(followed);
              // The stream's consumers resolve nothing by themselves: without this, the batch is fetched again.
              const last = batch.messages.at(-1);
              if (last !== undefined) resolveOffset(last.offset);
            },
          }),
        disconnect: () => consumer.disconnect(),
        ...(events === undefined
          ? {}
          : {
              onCrash: (listener: (error: Error) => void) => {
                events.on(events.events.CRASH, (event) => {
                  if (!event.payload.restart) listener(event.payload.error);
                });
              },
              // kafkajs hands no batch of transaction markers only to eachBatch, but reports it here.
              onProgress: (listener: (position: ReadPosition) => void) => {
                events.on(events.events.END_BATCH_PROCESS, ({ payload }) => {
                  listener({ topic: payload.topic, partition: payload.partition, lastOffset: payload.lastOffset });
                });
              },
            }),
      };
    },
  };
}
