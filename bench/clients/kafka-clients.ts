/** The Kafka clients the 'clients' section runs the worker's data path over. */
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/results.js';
import { RUN_COMMAND } from '../stream/worker-fleet.js';

export interface KafkaClientUnderTest {
  label: string;
  /** what the report calls it */
  client: string;
  worker: { program: readonly string[]; env?: Readonly<Record<string, string>> };
}

export const KAFKA_CLIENTS: readonly KafkaClientUnderTest[] = [
  { label: 'client-kafkajs', client: 'kafkajs (bin/churn-scorer run, the default)', worker: { program: RUN_COMMAND } },
  {
    label: 'client-confluent',
    client: '@confluentinc/kafka-javascript (librdkafka), bench/clients/confluent-worker.ts',
    worker: { program: ['--import', 'tsx', join(REPO_ROOT, 'bench', 'clients', 'confluent-worker.ts')] },
  },
];
