import { basename } from 'node:path';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { test as baseTest } from 'vitest';
import { PredictionCollector, TopicCollector, startDeadLetterCollector } from './collectors.js';
import { connectedAdmin, createTopics, deleteTopics, eventProducer, sendAll, testKafka } from './kafka.js';
import { allTopics, streamTopics, topicEnv, uniqueNames, type StreamNames } from './names.js';
import { endTestProcesses, runCli, startWorker, type ProcessRun, type WorkerProcess } from './processes.js';

/**
 * What a stream test works with: its own topic and group names, a Kafka client and admin, and
 * starters for the things it needs (topics, workers, CLI runs, collectors, producers). Everything it
 * starts is ended when the test ends, failed or not: processes SIGKILLed, collectors and producers
 * disconnected, the topics deleted.
 */
export interface StreamFixture {
  /** unique to this test; no topic exists until createTopics() or a worker creates them */
  readonly names: StreamNames;
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Creates the stream topics of `names` (streamTopics) (or only `topics`), waiting for their leaders. */
  createTopics(options?: { partitions?: number; topics?: readonly string[] }): Promise<void>;
  /** `churn-scorer run` on these names; `name` tells its log apart from this test's other workers. */
  startWorker(options?: {
    name?: string;
    env?: Readonly<Record<string, string>>;
    /** `run` (default), or `join`: the outcome join alone */
    command?: 'run' | 'join';
  }): WorkerProcess;
  /** A one-shot `churn-scorer <args>` on these names, run to its exit. */
  runCli(
    args: readonly string[],
    options: { name: string; env?: Readonly<Record<string, string>>; timeoutMs: number },
  ): Promise<ProcessRun>;
  /** read_committed readers of the predictions, dead-letter and customers topics, from the beginning */
  collectPredictions(): Promise<PredictionCollector>;
  collectDeadLetters(): Promise<TopicCollector<null>>;
  collectInputs(): Promise<TopicCollector<null>>;
  /** A connected upstream producer (idempotent, not transactional). */
  producer(): Promise<Producer>;
  /** Sends the messages to the customers topic with a producer of its own, then disconnects it. */
  sendEvents(messages: readonly Message[]): Promise<void>;
}

/**
 * vitest's `test` with a `stream` fixture (see StreamFixture). A test that does not name `stream`
 * in its context gets none of it.
 */
export const test = baseTest.extend('stream', async ({ task }, { onCleanup }): Promise<StreamFixture> => {
  const label = basename(task.file.name, '.test.ts');
  const names = uniqueNames(label);
  const kafka = testKafka(`test-${label}`);
  const admin = await connectedAdmin(kafka);
  const stops: (() => Promise<void>)[] = [];

  // Runs after the test and its afterEach hooks, when the test's result is known.
  onCleanup(async () => {
    await endTestProcesses(task.result?.state === 'fail');
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    await deleteTopics(admin, allTopics(names));
    await admin.disconnect();
  });

  const collector = async <T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const running = await starting;
    stops.push(() => running.stop());
    return running;
  };

  return {
    names,
    kafka,
    admin,
    createTopics: (options = {}) => createTopics(admin, options.topics ?? streamTopics(names), options.partitions ?? 3),
    startWorker: (options = {}) =>
      startWorker({
        label: `${names.suffix}-${options.name ?? 'worker'}`,
        env: { ...topicEnv(names), ...options.env },
        ...(options.command === undefined ? {} : { command: options.command }),
      }),
    runCli: (args, options) =>
      runCli(`${names.suffix}-${options.name}`, args, { ...topicEnv(names), ...options.env }, options.timeoutMs),
    collectPredictions: () => collector(PredictionCollector.start(kafka, names.predictions)),
    collectDeadLetters: () => collector(startDeadLetterCollector(kafka, names.deadLetter)),
    collectInputs: () => collector(TopicCollector.start(kafka, names.customers, () => null)),
    producer: async () => {
      const producer = await eventProducer(kafka);
      stops.push(() => producer.disconnect());
      return producer;
    },
    sendEvents: async (messages) => {
      const producer = await eventProducer(kafka);
      try {
        await sendAll(producer, names.customers, messages);
      } finally {
        await producer.disconnect();
      }
    },
  };
});
