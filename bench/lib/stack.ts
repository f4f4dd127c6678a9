/**
 * Kafka + registry for the stream benchmarks: KAFKA_BROKERS/SCHEMA_REGISTRY_URL when set, else the running local
 * stack (.stack/env), else the local stack is started here and stopped again by `release()`.
 */
import { localStackRunning, readStackEnv, startLocalStack, stopLocalStack } from '../../src/cli/local-stack.js';

export interface BenchStack {
  brokers: string;
  registryUrl: string;
  startedHere: boolean;
  release(): Promise<void>;
}

export async function acquireStack(): Promise<BenchStack> {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL) {
    return {
      brokers: KAFKA_BROKERS,
      registryUrl: SCHEMA_REGISTRY_URL,
      startedHere: false,
      release: () => Promise.resolve(),
    };
  }
  if (await localStackRunning()) {
    const env = readStackEnv();
    return {
      brokers: env.KAFKA_BROKERS,
      registryUrl: env.SCHEMA_REGISTRY_URL,
      startedHere: false,
      release: () => Promise.resolve(),
    };
  }
  process.stderr.write(
    'bench: no KAFKA_BROKERS and no local stack running; starting the local stack (npm run stack:up)\n',
  );
  const env = await startLocalStack();
  return {
    brokers: env.KAFKA_BROKERS,
    registryUrl: env.SCHEMA_REGISTRY_URL,
    startedHere: true,
    release: async () => {
      process.stderr.write('bench: stopping the local stack it started\n');
      await stopLocalStack();
    },
  };
}
