/**
 * The two processes the 'peers' section compares, started the same way on a topic set: churn-scorer's worker
 * (`bin/churn-scorer run`, through worker-fleet.ts) and the Kafka Streams peer (bench/peers/kafka-streams, `java
 * -jar`). Each answers /readyz once it consumes; the bench reads what they committed from the topics themselves.
 */
import { join } from 'node:path';
import { startProcess, waitForHttp, type StartedProcess } from '../lib/children.js';
import { freePort } from '../lib/free-port.js';
import { launcherNodeFlags } from '../lib/launcher.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';
import type { TopicSet } from './bench-topics.js';
import { startFleet, stopFleet, type StackAddresses } from './worker-fleet.js';

/**
 * The peer's JVM flags unless --peer-jvm-flags says otherwise: the heap and G1 settings Kafka's own launcher
 * (kafka-run-class.sh) gives every Kafka JVM, which is what a Kafka Streams user copies; the JVM's defaults would
 * size the heap to a quarter of the machine's memory.
 */
export const PEER_JVM_FLAGS: readonly string[] = [
  '-Xmx256m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

export interface Contender {
  /** 'worker' | 'kafka-streams' */
  label: string;
  /** what the table calls it */
  name: string;
  /** the command line, for the report */
  command: string;
  start(stack: StackAddresses, topics: TopicSet): Promise<StartedProcess>;
}

/**
 * The worker's settings besides its defaults: the outcome join off. It is a consumer of its own beside the data
 * path (it reads the predictions back), the peer has nothing like it, and the bench's topic sets do not isolate
 * its topics.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = { OUTCOME_JOIN: 'false' };

/** nodeFlags: what-if flags after the launcher's own (startFleet passes those) */
export function workerContender(options: { nodeFlags: readonly string[] }): Contender {
  return {
    label: 'worker',
    name: 'churn-scorer worker (`bin/churn-scorer run`)',
    command: [
      ...Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`),
      'node',
      ...launcherNodeFlags(),
      ...options.nodeFlags,
      'bin/churn-scorer run',
    ].join(' '),
    async start(stack, topics) {
      const fleet = await startFleet(stack, topics, {
        count: 1,
        label: `peers-${topics.prefix.split('.').at(-1) ?? 'worker'}`,
        nodeFlags: options.nodeFlags,
        env: WORKER_ENV,
      });
      const [worker] = fleet;
      if (worker === undefined) throw new Error('bench peers: startFleet returned no worker (count: 1)');
      return {
        ...worker.proc,
        stop: async () => {
          await stopFleet(fleet);
          return worker.proc.exited;
        },
      };
    },
  };
}

export function kafkaStreamsContender(options: {
  jar: string;
  jvmFlags: readonly string[];
  threads: number;
}): Contender {
  return {
    label: 'kafka-streams',
    name: `Kafka Streams peer (exactly_once_v2, ${options.threads} stream thread${options.threads === 1 ? '' : 's'})`,
    command: `java ${options.jvmFlags.join(' ')} -jar bench/peers/kafka-streams/target/churn-streams-peer.jar run`,
    async start(stack, topics) {
      const port = await freePort();
      const proc = startProcess(
        `kafka-streams peer ${topics.prefix}`,
        'java',
        [...options.jvmFlags, '-jar', options.jar, 'run'],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            REPO_ROOT,
            KAFKA_BROKERS: stack.brokers,
            SCHEMA_REGISTRY_URL: stack.registryUrl,
            TOPIC_CUSTOMERS: topics.customers,
            TOPIC_PREDICTIONS: topics.predictions,
            TOPIC_DLQ: topics.deadLetter,
            APPLICATION_ID: topics.group,
            STREAM_THREADS: String(options.threads),
            PEER_PORT: String(port),
          },
          logFile: join(LOGS_DIR, `${topics.prefix}-kafka-streams.log`),
        },
      );
      try {
        await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc, 120_000);
      } catch (err) {
        await proc.stop(20_000);
        throw err;
      }
      return proc;
    },
  };
}
