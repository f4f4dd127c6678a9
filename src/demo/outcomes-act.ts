import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { throwawayConsumer } from '../kafka/throwaway-consumer.js';
import { simulateOutcomes, type OutcomeSimulationSummary } from '../outcomes/outcome-simulator.js';
import { realizedPerformance, type RealizedPerformance } from '../outcomes/realized-performance.js';
import type { OutcomeRule, TruthModel } from '../outcomes/simulated-outcome.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import type { PredictionOutcome } from '../serde/avro-records.js';
import { DecodeError } from '../serde/decode-error.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { predictionOutcomeSchema } from '../serde/schema-files.js';
import type { TelcoCustomer } from './telco-events.js';

/*
 * The demo's third act: outcomes for the customers it scored (`simulate outcomes`, in-process), then what the
 * worker's outcome join made of them, read back from the joined topic: the realized AUC of each model version.
 */

/** The joined topic's records of this act: those of its outcomes, by customer and outcome time (pure). */
export class ActJoins {
  readonly joined: PredictionOutcome[] = [];
  private readonly resolved = new Set<string>();
  unmatched = 0;

  /** customerid -> the event_time of the outcome this act wrote for the customer */
  constructor(private readonly outcomeTimes: ReadonlyMap<string, number>) {}

  /** Counts a record of the joined topic when it answers one of this act's outcomes; others are ignored. */
  add(record: PredictionOutcome): void {
    const time = this.outcomeTimes.get(record.customerid);
    if (time === undefined || record.outcome_time !== time) return;
    if (record.kind === 'joined') this.joined.push(record);
    else if (record.kind === 'unmatched-outcome') this.unmatched++;
    else return;
    this.resolved.add(record.customerid);
  }

  /** outcomes with at least one joined record or their unmatched-outcome record */
  get resolvedOutcomes(): number {
    return this.resolved.size;
  }

  get complete(): boolean {
    return this.resolved.size === this.outcomeTimes.size;
  }

  performance(): RealizedPerformance[] {
    return realizedPerformance(this.joined);
  }
}

export interface OutcomesActResult {
  readonly simulation: OutcomeSimulationSummary;
  readonly joins: ActJoins;
  /** every outcome was answered by the join before the timeout */
  readonly complete: boolean;
  readonly waitedMs: number;
}

export interface OutcomesActOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: SchemaRegistryClient;
  readonly config: Config;
  readonly customers: readonly TelcoCustomer[];
  readonly truth: TruthModel;
  readonly rule: OutcomeRule;
  readonly logger: Logger;
  /** how long to wait for the join to answer every outcome */
  readonly timeoutMs: number;
  /** how long to wait for its first answer: a worker without the join never gives one */
  readonly firstAnswerMs: number;
}

/**
 * Simulates outcomes for the demo's customers and waits until the worker's outcome join has answered each (a
 * joined record per version and variant, or an unmatched outcome), reading the joined topic from its end before
 * the outcomes were written. Returns what arrived, also when the join does not answer in time; undefined, with
 * nothing simulated, when the joined topic does not exist (no worker joins outcomes on these topics).
 */
export async function outcomesAct(options: OutcomesActOptions): Promise<OutcomesActResult | undefined> {
  const { kafka, admin, registry, config, logger } = options;
  const topic = config.topics.joined;
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const start = await admin.fetchTopicOffsets(topic);
  const decoder = new AvroDecoder<PredictionOutcome>({ registry, readerType: predictionOutcomeSchema().type });
  let joins: ActJoins | undefined;
  const early: PredictionOutcome[] = [];
  let answered: () => void = () => undefined;
  let first: () => void = () => undefined;
  const allAnswered = new Promise<void>((resolve) => (answered = resolve));
  const firstAnswer = new Promise<void>((resolve) => (first = resolve));
  const { consumer } = throwawayConsumer(kafka, { groupPrefix: 'churn-scorer.demo-outcomes', maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          let record: PredictionOutcome;
          try {
            record = await decoder.decode(message.value);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            logger.warn({ topic, offset: message.offset }, 'not a PredictionOutcome; skipped');
            continue;
          }
          // Records may come before the simulation has said which outcomes it wrote.
          if (joins === undefined) early.push(record);
          else count(joins, record);
        }
      },
    });
    for (const { partition, high } of start) consumer.seek({ topic, partition, offset: high });

    const customers = new Set(options.customers.map((c) => c.customerid));
    const simulation = await simulateOutcomes(
      { kafka, admin, registry, topics: config.topics, logger },
      { truth: options.truth, rule: options.rule, customers },
    );
    const started = Date.now();
    joins = new ActJoins(new Map(simulation.outcomes.map((o) => [o.customerid, o.event_time])));
    for (const record of early.splice(0)) count(joins, record);
    const complete = await settle(joins.complete ? Promise.resolve() : allAnswered, firstAnswer, options);
    return { simulation, joins, complete, waitedMs: Date.now() - started };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }

  function count(into: ActJoins, record: PredictionOutcome): void {
    const before = into.resolvedOutcomes;
    into.add(record);
    if (into.resolvedOutcomes > before) first();
    if (into.complete) answered();
  }
}

/** true once every outcome is answered; false when the first answer or the rest take too long. */
async function settle(
  allAnswered: Promise<void>,
  firstAnswer: Promise<void>,
  options: Pick<OutcomesActOptions, 'timeoutMs' | 'firstAnswerMs'>,
): Promise<boolean> {
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number) =>
    new Promise<false>((resolve) => {
      timers.push(
        setTimeout(() => {
          resolve(false);
        }, ms),
      );
    });
  try {
    const done = allAnswered.then(() => true as const);
    const started = await Promise.race([firstAnswer.then(() => true as const), done, after(options.firstAnswerMs)]);
    if (!started) return false;
    return await Promise.race([done, after(options.timeoutMs)]);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}
