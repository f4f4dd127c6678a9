import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafka, describeConnection, type KafkaConnectionSettings } from '../kafka/client.js';
import { awaitKafka } from '../kafka/startup-connect.js';
import { retryUntilTopicSettles } from '../kafka/topic-leaders.js';
import type { KafkaClientSupplier, StreamConsumer, StreamConsumerSettings } from './kafka-client-supplier.js';
import { onePartitionPerSend, TopicPartitionCounts } from './partitioned-sends.js';

/** How long a subscribe waits for a broker to learn of a topic created a moment ago. */
const SUBSCRIBE_TOPIC_UNKNOWN_MS = 30_000;

/** The worker's Kafka clients over kafkajs, the default: one kafkajs client (TLS, SASL from the config) serves all. */
export function kafkajsClientSupplier(settings: KafkaConnectionSettings, logger: Logger): KafkaClientSupplier {
  const log = logger.child({ component: 'kafka' });
  const kafka = createKafka(settings, log);
  return {
    description: { client: 'kafkajs', ...describeConnection(settings) },
    awaitBrokers: (budgetMs) => awaitKafka(settings, log, budgetMs),
    getAdmin: () => kafka.admin(),
    getConsumer: (consumerSettings) => kafkajsConsumer(kafka, consumerSettings),
    // One partition per produce request: kafkajs' multi-partition retries can commit records twice when a broker dies.
    getTransactionalClient: (admin) => onePartitionPerSend(kafka, new TopicPartitionCounts(admin)),
  };
}

function kafkajsConsumer(kafka: Kafka, settings: StreamConsumerSettings): StreamConsumer {
  const consumer = kafka.consumer({
    groupId: settings.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 30_000,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    ...(settings.partitionAssigners === undefined ? {} : { partitionAssigners: settings.partitionAssigners }),
  });
  return {
    connect: () => consumer.connect(),
    // Right after the topics were created, the broker kafkajs asks may not know them yet.
    subscribe: (topic) =>
      retryUntilTopicSettles(() => consumer.subscribe({ topics: [topic], fromBeginning: true }), {
        timeoutMs: SUBSCRIBE_TOPIC_UNKNOWN_MS,
      }),
    run: ({ partitionsConsumedConcurrently, eachBatch }) =>
      consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently, eachBatch }),
    disconnect: () => consumer.disconnect(),
    instrumentation: consumer,
  };
}
