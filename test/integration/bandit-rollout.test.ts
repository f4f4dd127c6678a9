import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { localModel, rolloutFollower, startFollowing } from '../../src/app/serving-source.js';
import { rolloutClientsOf } from '../../src/app/rollout-clients.js';
import { armWeights, type BanditRolloutDocument } from '../../src/bandit/bandit-rollout.js';
import { BanditStepper, kafkaBanditClients, type BanditTick } from '../../src/bandit/bandit-stepper.js';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/config-schema.js';
import { createKafka } from '../../src/kafka/client.js';
import type { RolloutFollower } from '../../src/model-registry/rollout-follower.js';
import { createMetricsRegistry, type Registry } from '../../src/observability/metrics-registry.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { PredictionOutcome } from '../../src/serde/avro-records.js';
import { predictionOutcomeSchema } from '../../src/serde/schema-files.js';
import { kafkajsClientSupplier } from '../../src/stream/kafkajs-client-supplier.js';
import { seededUniform, simulatedOutcomes, type SimulatedArm } from '../support/bandit-simulation.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { TopicCollector } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, registryClient, telcoEvents } from '../support/events.js';
import { pairwiseAuc } from '../unit/outcomes/joined-test-records.js';
import { sendAll } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import { topicEnv } from '../support/names.js';
import { REPO_ROOT } from '../support/paths.js';
import { stackEndpoints } from '../support/stack.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

/**
 * The bandit rollout against the real broker and registry: `rollout set --bandit` as an operator runs it, then
 * bandit steppers as `run` workers run them (each with its own rollout follower), fed PredictionOutcome records
 * on the joined topic from a seeded simulation in which 1.1.0's decisions are right more often than 1.0.0's. The
 * outcome join is not involved: the test writes what it would write.
 */

const MODELS = join(REPO_ROOT, 'models', 'churn');
const ARMS: SimulatedArm[] = [
  { version: '1.0.0', variant: 'champion', correctRate: 0.65 },
  { version: '1.1.0', variant: 'bandit', correctRate: 0.75 },
];
/** outcomes joined between two steps */
const PER_STEP = 50;
const STEPS = 25;
/** the stated number: 1.1.0 serves more than 80% of the customers from this many outcomes on */
const WITHIN_OUTCOMES = 1_000;
/** the step at which worker A stops and worker B carries on alone (both step at once just before) */
const HANDOVER = 12;
const SEED = 7;

const randomId = (): string => Math.random().toString(36).slice(2, 10);

async function cli(stream: StreamFixture, name: string, args: string[]): Promise<string> {
  const run = await stream.runCli(args, { name, timeoutMs: 90_000 });
  const output = run.output
    .split('\n')
    .filter((line) => !line.startsWith('# '))
    .join('\n')
    .trim();
  expect(run.status, output).toEqual({ code: 0, signal: null });
  return output;
}

/**
 * The JSON document `rollout show --json` printed (from its `{` line to its `}` line): the command's output as the
 * test reads it also holds its log lines (LOG_LEVEL=info).
 */
function jsonOf(output: string): unknown {
  const lines = output.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  if (start === -1 || end === -1) throw new Error(`no JSON document in:\n${output}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

/** A `run` worker's bandit part, in-process: its rollout follower and its stepper, ticked by the test. */
interface BanditWorker {
  readonly follower: RolloutFollower;
  readonly stepper: BanditStepper;
  readonly metrics: Registry;
  stop(): Promise<void>;
}

async function startBanditWorker(config: Config, name: string): Promise<BanditWorker> {
  const logger = pino({ level: 'warn', base: { worker: name } });
  const metrics = createMetricsRegistry({ processMetrics: false });
  const clients = kafkajsClientSupplier(config.kafka, logger);
  const follower = rolloutFollower({
    config,
    clients: rolloutClientsOf(clients, config.stream),
    local: await localModel(config, undefined, logger),
    logger,
    metrics,
  });
  await startFollowing(follower, clients, config);
  const stepper = new BanditStepper({
    intervalMs: config.outcomes.banditIntervalMs,
    serving: follower,
    // as src/app/scorer-app.ts wires it: kafkajs' warnings about a fenced step are not shown
    clients: kafkaBanditClients({
      kafka: createKafka(config.kafka, logger.child({}, { level: 'error' })),
      config,
      registry: registryClient(),
      logger,
    }),
    logger,
    metrics,
  });
  return {
    follower,
    stepper,
    metrics,
    stop: async () => {
      await stepper.stop();
      await follower.stop();
    },
  };
}

function testConfig(stream: StreamFixture): Config {
  const { brokers, registryUrl } = stackEndpoints();
  return loadConfig({
    env: {
      ...process.env,
      ...topicEnv(stream.names),
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPIC_PARTITIONS: '3',
      LOG_LEVEL: 'warn',
    },
  });
}

async function sendOutcomes(
  producer: Producer,
  topic: string,
  encoder: AvroEncoder<PredictionOutcome>,
  outcomes: readonly PredictionOutcome[],
): Promise<void> {
  await sendAll(
    producer,
    topic,
    outcomes.map((o) => ({ key: o.customerid, value: encoder.encode(o) })),
  );
}

/** Each worker's follower serves `revision` (or a later one). */
async function followed(workers: readonly BanditWorker[], revision: number): Promise<void> {
  await waitUntil(() => workers.every((w) => w.follower.current().revision >= revision), {
    timeoutMs: 15_000,
    intervalMs: 20,
    describe: () => `followers at ${workers.map((w) => w.follower.current().revision).join(', ')}, not ${revision}`,
  });
}

function bandit(worker: BanditWorker): BanditRolloutDocument {
  const { rollout } = worker.follower.current();
  if (rollout.bandit === undefined) throw new Error('no bandit in force');
  return {
    champion: rollout.champion.version,
    challengers: rollout.challengers.map(({ version, kind, weight }) => ({ version, kind, weight })),
    bandit: rollout.bandit,
  };
}

describe('bandit rollout on the real stack', () => {
  test(`1.1.0, right more often, serves more than 80% from ${WITHIN_OUTCOMES} outcomes on; a second worker continues the posteriors without counting twice`, async ({
    stream,
  }) => {
    const { names, admin } = stream;
    const config = testConfig(stream);
    for (const version of ['1.0.0', '1.1.0']) {
      await cli(stream, `publish-${version}`, ['model', 'publish', join(MODELS, version)]);
    }
    await cli(stream, 'set-champion', ['rollout', 'set', '--champion', '1.0.0']);

    // Outcomes joined before the bandit starts (1.0.0 right every time, 1.1.0 never): they must not count.
    await stream.createTopics({ topics: [names.joined] });
    const encoder = await AvroEncoder.create<PredictionOutcome>({
      registry: registryClient(),
      subject: `${names.joined}-value`,
      schema: predictionOutcomeSchema(),
      autoRegister: true,
    });
    const producer = await stream.producer();
    const before = simulatedOutcomes(
      [
        { version: '1.0.0', variant: 'champion', correctRate: 1 },
        { version: '1.1.0', variant: 'bandit', correctRate: 0 },
      ],
      [50, 50],
      100,
      seededUniform(1),
      -1_000,
    );
    await sendOutcomes(producer, names.joined, encoder, before);

    const set = await cli(stream, 'set-bandit', ['rollout', 'set', '--bandit', '1.0.0,1.1.0']);
    expect(set).toBe(
      `rollout revision 2 published to ${names.rollout}: champion 1.0.0 50%, bandit 1.1.0 50%; ` +
        'bandit step 0, reward correct-decision, floor 10%, ceiling 90%',
    );
    const shown = jsonOf(await cli(stream, 'show-start', ['rollout', 'show', '--json'])) as {
      bandit: { read_to: Record<string, string>; arms: unknown[]; step: number };
    };
    const ends = await admin.fetchTopicOffsets(names.joined);
    expect(shown.bandit.read_to).toEqual(Object.fromEntries(ends.map((e) => [String(e.partition), e.high])));
    expect(ends.reduce((sum, e) => sum + Number(e.high), 0)).toBe(100);
    expect(shown.bandit.arms).toEqual([
      { version: '1.0.0', weight: 50, successes: 0, failures: 0 },
      { version: '1.1.0', weight: 50, successes: 0, failures: 0 },
    ]);

    const a = await startBanditWorker(config, 'a');
    const b = await startBanditWorker(config, 'b');
    let stepping = [a, b];
    try {
      await followed(stepping, 2);
      const random = seededUniform(SEED);
      const trace: number[] = [];
      let written = 0;
      let revision = 2;
      /** steps worker B published: the ones after the handover, and the handover's if B won it */
      let steppedByB = 0;
      for (let s = 0; s < STEPS; s++) {
        const outcomes = simulatedOutcomes(ARMS, armWeights(bandit(b)), PER_STEP, random, s * PER_STEP);
        await sendOutcomes(producer, names.joined, encoder, outcomes);
        written += outcomes.length;
        let ticks: BanditTick[];
        if (s < HANDOVER) {
          ticks = [await a.stepper.tick()];
        } else if (s === HANDOVER) {
          // Both workers step at once on the same rollout: one publishes, the other skips.
          ticks = await Promise.all([a.stepper.tick(), b.stepper.tick()]);
          expect(ticks.map((t) => t.kind).sort()).toEqual(['skipped', 'stepped']);
          if (ticks[1]?.kind === 'stepped') steppedByB++;
          await a.stop();
          stepping = [b];
        } else {
          ticks = [await b.stepper.tick()];
          steppedByB++;
        }
        const stepped = ticks.find((t) => t.kind === 'stepped');
        expect(stepped, JSON.stringify(ticks)).toBeDefined();
        revision = (stepped as { revision: number }).revision;
        await followed(stepping, revision);
        trace.push(armWeights(bandit(b))[1] as number);
      }

      const last = bandit(b).bandit;
      expect(revision).toBe(2 + STEPS);
      expect(last.step).toBe(STEPS);
      // every outcome written after `rollout set` counted exactly once, none from before it
      const counted = last.posteriors.reduce((sum, p) => sum + p.successes + p.failures, 0);
      expect(counted).toBe(written);
      const endsNow = await admin.fetchTopicOffsets(names.joined);
      expect(last.read_to).toEqual(Object.fromEntries(endsNow.map((e) => [String(e.partition), e.high])));
      // the stated number: above 80% at every step from WITHIN_OUTCOMES outcomes on
      const fromThere = trace.slice(WITHIN_OUTCOMES / PER_STEP - 1);
      expect(Math.min(...fromThere), trace.join(' ')).toBeGreaterThan(80);

      const text = await b.metrics.metrics();
      expect(steppedByB).toBeGreaterThanOrEqual(STEPS - HANDOVER - 1);
      expect(metricValue(text, 'churn_bandit_steps_total')).toBe(steppedByB);
      expect(metricValue(text, 'churn_bandit_weight', { version: '1.1.0' })).toBe(trace.at(-1));

      const table = await cli(stream, 'show-end', ['rollout', 'show']);
      const posterior = last.posteriors[1] as { successes: number; failures: number };
      expect(table.split('\n')).toEqual(
        expect.arrayContaining([
          `  bandit    1.1.0  ${trace.at(-1)}%`,
          `  step      ${STEPS} (reward correct-decision, floor 10%, ceiling 90%, every 10000 ms)`,
          `  posterior 1.1.0  Beta(${1 + posterior.successes}, ${1 + posterior.failures}): ` +
            `${posterior.successes} successes, ${posterior.failures} failures`,
        ]),
      );
      // the steps replaced the rollout in force: rollback goes back to what was there before the bandit
      const rolledBack = await cli(stream, 'rollback', ['rollout', 'rollback']);
      expect(rolledBack).toBe(
        `rollout revision ${revision + 1} published to ${names.rollout}: rolled back to the rollout of revision 1: ` +
          'champion 1.0.0 100%',
      );
      await followed(stepping, revision + 1);
      expect(await b.stepper.tick()).toEqual({ kind: 'no-bandit' });
    } finally {
      for (const worker of stepping) await worker.stop();
    }
  }, 600_000);
  test('a `run` worker steps the bandit by itself every BANDIT_INTERVAL_MS', async ({ stream }) => {
    const { names } = stream;
    for (const version of ['1.0.0', '1.1.0']) {
      await cli(stream, `publish-${version}`, ['model', 'publish', join(MODELS, version)]);
    }
    const worker = stream.startWorker({ env: { BANDIT_INTERVAL_MS: '500' } });
    await worker.waitForReady();
    await cli(stream, 'set-bandit', ['rollout', 'set', '--bandit', '1.0.0,1.1.0', '--reward', 'caught-churner']);
    // the worker's outcome join made the joined topic; the test writes what the join would
    const encoder = await AvroEncoder.create<PredictionOutcome>({
      registry: registryClient(),
      subject: `${names.joined}-value`,
      schema: predictionOutcomeSchema(),
      autoRegister: true,
    });
    const outcomes = simulatedOutcomes(ARMS, [50, 50], 200, seededUniform(3));
    await sendOutcomes(await stream.producer(), names.joined, encoder, outcomes);
    const churners = outcomes.filter((o) => o.churned === true).length;
    let shown: { bandit: { step: number; arms: { successes: number; failures: number }[] } | null } = {
      bandit: null,
    };
    // a label per run: a CLI's log file is per label and appended to, and the test reads it as the output
    let shows = 0;
    await waitUntil(
      async () => {
        shown = jsonOf(await cli(stream, `show-${(shows += 1)}`, ['rollout', 'show', '--json'])) as typeof shown;
        const counted = (shown.bandit?.arms ?? []).reduce((sum, a) => sum + a.successes + a.failures, 0);
        return counted === churners;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, describe: () => `rollout show: ${JSON.stringify(shown)}` },
    );
    expect(shown.bandit?.step).toBeGreaterThanOrEqual(1);
    const { body } = await worker.get('/metrics');
    expect(metricValue(body, 'churn_bandit_steps_total')).toBeGreaterThanOrEqual(1);
  });

  test("the whole loop: the worker scores under the bandit, `simulate outcomes` says who left, its join feeds the bandit, 1.1.0 (right more often) ends above 80%, and the live realized AUC equals the joined topic's", async ({
    stream,
  }) => {
    const { names, admin } = stream;
    /** customers scored, then given an outcome each: the stated number of outcomes */
    const CUSTOMERS = 3_000;
    for (const version of ['1.0.0', '1.1.0']) {
      await cli(stream, `publish-${version}`, ['model', 'publish', join(MODELS, version)]);
    }
    await stream.createTopics({ partitions: 3 });
    const worker = stream.startWorker({ env: { BANDIT_INTERVAL_MS: '500' } });
    await worker.waitForReady();
    await cli(stream, 'set-bandit', ['rollout', 'set', '--bandit', '1.0.0,1.1.0']);
    await waitUntil(
      async () => (JSON.parse((await worker.get('/model')).body) as { rollout_revision: number }).rollout_revision >= 1,
      { timeoutMs: 15_000, describe: () => `the worker did not take the bandit up:\n${worker.tail(20)}` },
    );

    // Scored under the bandit's first weights (50/50: no outcome yet), each prediction logging its probability.
    const runId = randomId();
    const events = telcoEvents(CUSTOMERS, { runId, eventTime: Date.now() });
    const encoder = await customerEventEncoder(names.customers);
    const predictions = await stream.collectPredictions();
    await stream.sendEvents(events.map((e) => eventMessage(encoder, e)));
    const audit = await predictions.settle(
      admin,
      new Set(events.map((e) => e.event_id)),
      { groupId: names.group, topic: names.customers },
      { predictionsMs: 60_000, lagMs: 30_000 },
    );
    expect(audit.missing.length + audit.duplicated.length).toBe(0);
    const served = new Map<string, number>();
    for (const r of predictions.records)
      served.set(r.value.model_version, (served.get(r.value.model_version) ?? 0) + 1);
    expect(served.get('1.0.0')).toBeGreaterThan(CUSTOMERS / 4);
    expect(served.get('1.1.0')).toBeGreaterThan(CUSTOMERS / 4);
    for (const r of predictions.records) expect(r.value.assignment_probability).toBe(0.5);

    // What really happened: 1.1.0's own decisions (so 1.1.0 is right every time, 1.0.0 where it agrees with it).
    const simulated = await cli(stream, 'simulate', [
      'simulate',
      'outcomes',
      '--truth-model',
      join(MODELS, '1.1.0'),
      '--rule',
      'decision',
      '--seed',
      '5',
    ]);
    expect(simulated).toContain(`wrote ${CUSTOMERS} outcomes`);

    let shown: { bandit: { arms: { version: string; weight: number; successes: number; failures: number }[] } | null } =
      {
        bandit: null,
      };
    // a label per run: a CLI's log file is per label and appended to, and the test reads it as the output
    let shows = 0;
    await waitUntil(
      async () => {
        shown = jsonOf(await cli(stream, `show-${(shows += 1)}`, ['rollout', 'show', '--json'])) as typeof shown;
        const counted = (shown.bandit?.arms ?? []).reduce((sum, a) => sum + a.successes + a.failures, 0);
        return counted === CUSTOMERS;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 1_000,
        describe: () => `rollout show: ${JSON.stringify(shown)}; worker:\n${worker.tail(20)}`,
      },
    );
    const [older, newer] = shown.bandit?.arms ?? [];
    // Every joined outcome counted once, for the version that served the customer.
    expect(
      [older?.successes ?? 0, newer?.successes ?? 0].map((n, i) => n + ([older, newer][i]?.failures ?? 0)),
    ).toEqual([served.get('1.0.0'), served.get('1.1.0')]);
    expect(newer).toMatchObject({ version: '1.1.0', failures: 0 });
    expect(older?.failures).toBeGreaterThan(0);
    expect(newer?.weight).toBeGreaterThan(80);
    expect(newer?.weight).toBeLessThanOrEqual(90);

    // Realized performance of the worker's own join: GET /experiments equals an AUC computed from the joined topic.
    const decoder = new AvroDecoder<PredictionOutcome>({
      registry: registryClient(),
      readerType: predictionOutcomeSchema().type,
    });
    const joinedTopic = await TopicCollector.start(stream.kafka, names.joined, (m) => decoder.decode(m.value));
    await joinedTopic.drain(admin);
    const joined = joinedTopic.records.map((r) => r.value).filter((r) => r.kind === 'joined');
    expect(joined).toHaveLength(CUSTOMERS);
    const live = JSON.parse((await worker.get('/experiments')).body) as {
      realized: { versions: { version: string; auc: number | null; n: number }[] };
    };
    for (const version of ['1.0.0', '1.1.0']) {
      const rows = joined
        .filter((r) => r.model_version === version)
        .map((r) => ({ p: r.churn_probability as number, churned: r.churned === true }));
      const reported = live.realized.versions.find((v) => v.version === version);
      expect(reported?.n).toBe(rows.length);
      expect(Math.abs((reported?.auc ?? Number.NaN) - (pairwiseAuc(rows) ?? Number.NaN)), version).toBeLessThan(1e-9);
    }
  }, 300_000);
});
