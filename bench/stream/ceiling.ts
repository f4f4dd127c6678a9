/** Section 3b: the broker's ceiling for our record size, on the same broker, with Kafka's own tools. */
import { freshTopics, type StreamContext } from './context.js';
import {
  consumerPerformance,
  kafkaToolsClasspath,
  producerPerformance,
  type ConsumerPerfResult,
  type ProducerPerfResult,
} from './kafka-perf-tools.js';

export interface CeilingResult {
  record_size: number;
  records: number;
  partitions: number;
  producer: ProducerPerfResult;
  producer_transactional: ProducerPerfResult;
  consumer: ConsumerPerfResult;
  /** a consume -> produce pipeline cannot beat the slower of the two */
  pipeline_ceiling_events_per_second: number;
}

export async function brokerCeiling(
  ctx: StreamContext,
  options: { recordSize: number; records: number; partitions: number },
): Promise<CeilingResult> {
  const classpath = await kafkaToolsClasspath();
  const topics = await freshTopics(ctx, 'ceiling', options.partitions);
  const common = { brokers: ctx.stack.brokers, records: options.records, recordSize: options.recordSize };
  const producer = await producerPerformance(classpath, {
    ...common,
    topic: topics.customers,
    label: `${topics.prefix}-producer`,
  });
  const producerTxn = await producerPerformance(classpath, {
    ...common,
    topic: topics.predictions,
    transactionalId: `${topics.group}.perf`,
    label: `${topics.prefix}-producer-transactional`,
  });
  const consumer = await consumerPerformance(classpath, {
    brokers: ctx.stack.brokers,
    topic: topics.customers,
    records: options.records,
    group: `${topics.group}.perf`,
    label: `${topics.prefix}-consumer`,
  });
  process.stderr.write(
    `bench stream: broker ceiling: produce ${Math.round(producer.records_per_second)}/s (transactional ${Math.round(producerTxn.records_per_second)}/s), consume ${Math.round(consumer.records_per_second)}/s\n`,
  );
  return {
    ...options,
    record_size: options.recordSize,
    producer,
    producer_transactional: producerTxn,
    consumer,
    pipeline_ceiling_events_per_second: Math.min(producerTxn.records_per_second, consumer.records_per_second),
  };
}
