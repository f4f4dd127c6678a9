import { randomUUID } from 'node:crypto';
import kafkajs, { type Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import { retryUntilTopicSettles } from '../../src/kafka/topic-leaders.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { CustomerOutcome, PredictionOutcome } from '../../src/serde/avro-records.js';
import { customerOutcomeSchema, predictionOutcomeSchema } from '../../src/serde/schema-files.js';
import { TopicCollector, describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, registryClient, telcoEvents } from '../support/events.js';
import { sendAll } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import type { WorkerProcess } from '../support/processes.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const { Partitioners } = kafkajs;

const PARTITIONS = 3;
/** The attribution window W, in event time. */
const W = 10_000;
const T0 = 1_750_000_000_000;

/** The partition Kafka's default partitioner gives a key among PARTITIONS (the worker's and our producers'). */
function partitionOf(key: string): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/**
 * The generator: customers with a prediction and an outcome inside the window (joined), outcomes of customers with
 * no prediction (unmatched), predictions that never get an outcome and expire once a later "clock" outcome in their
 * partition moves the stream time past prediction_time + W (the clocks are unmatched themselves).
 */
function scenario(runId: string) {
  const joined = Array.from({ length: 60 }, (_, i) => `${runId}-join-${i}`);
  const unmatched = Array.from({ length: 25 }, (_, i) => `${runId}-none-${i}`);
  // Many, and scored first, so the joined customers' predictions are at the end of their partitions.
  const expiring = Array.from({ length: 2_400 }, (_, i) => `${runId}-exp-${i}`);
  const clocks: string[] = [];
  const covered = new Set<number>();
  for (let i = 0; covered.size < PARTITIONS; i++) {
    const id = `${runId}-clock-${i}`;
    const p = partitionOf(id);
    if (covered.has(p)) continue;
    covered.add(p);
    clocks.push(id);
  }
  return { joined, unmatched, expiring, clocks };
}

/**
 * 'sigkill': one worker joins as outcomes arrive and is SIGKILLed mid-run; another restores the state and finishes.
 * 'late-join': the predictions and every outcome are on their topics before any joiner starts (the scorer runs
 * with OUTCOME_JOIN=false and keeps running), then a `join` process, the join alone, beside it: the joiner must
 * read the predictions before the outcomes that came after them.
 */
async function joinScenario(stream: StreamFixture, mode: 'sigkill' | 'late-join'): Promise<void> {
  const { names, admin, kafka } = stream;
  await stream.createTopics({ partitions: PARTITIONS });
  await stream.createTopics({ partitions: PARTITIONS, topics: [names.outcomes] });
  const env = { OUTCOME_ATTRIBUTION_WINDOW_MS: String(W), OUTCOME_JOIN: 'true', TRANSACTION_MAX_RECORDS: '7' };
  const first = stream.startWorker({
    name: 'first',
    env: mode === 'sigkill' ? env : { ...env, OUTCOME_JOIN: 'false' },
  });
  await first.waitForReady();

  const runId = randomUUID().slice(0, 8);
  const plan = scenario(runId);
  // Predictions: one event per joined and expiring customer, at T0 + 1 s.
  const predicted = [...plan.expiring, ...plan.joined];
  const events = telcoEvents(predicted.length, { runId, eventTime: T0 + 1_000 }).map((event, i) => ({
    ...event,
    customerid: predicted[i] as string,
  }));
  const eventEncoder = await customerEventEncoder(names.customers);
  const predictions = await stream.collectPredictions();
  await stream.sendEvents(events.map((e) => eventMessage(eventEncoder, e)));
  const audit = await predictions.settle(
    admin,
    new Set(events.map((e) => e.event_id)),
    { groupId: names.group, topic: names.customers },
    { predictionsMs: 60_000, lagMs: 30_000 },
  );
  expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);

  // Outcomes: the joined and unmatched ones at T0 + 5 s (inside the window of T0 + 1 s), then the clocks at
  // T0 + 30 s, after them in every partition (one producer, in order), expiring the predictions left.
  const outcomeEncoder = await AvroEncoder.create<CustomerOutcome>({
    registry: registryClient(),
    subject: `${names.outcomes}-value`,
    schema: customerOutcomeSchema(),
    autoRegister: true,
  });
  const outcomeMessage = (customerid: string, time: number, churned: boolean): Message => ({
    key: customerid,
    value: outcomeEncoder.encode({ customerid, event_time: time, churned, offer: null, accepted: null }),
  });
  const early = [...plan.joined, ...plan.unmatched].map((id, i) => outcomeMessage(id, T0 + 5_000, i % 3 === 0));
  const late = plan.clocks.map((id) => outcomeMessage(id, T0 + 30_000, false));
  // An outcome that cannot be joined (keyed by another id than its customerid) goes to the dead letters.
  const misKeyed: Message = { ...outcomeMessage(`${runId}-odd`, T0 + 5_000, true), key: `${runId}-other` };

  const decoder = new AvroDecoder<PredictionOutcome>({
    registry: registryClient(),
    readerType: predictionOutcomeSchema().type,
  });
  const producer = await stream.producer();
  let joinedTopic: TopicCollector<PredictionOutcome>;
  let second: WorkerProcess;
  if (mode === 'sigkill') {
    joinedTopic = await TopicCollector.start(kafka, names.joined, (m) => decoder.decode(m.value));
    await sendAll(producer, names.outcomes, [...early.slice(0, 40), misKeyed], 10);
    await waitUntil(() => joinedTopic.records.length > 5, {
      timeoutMs: 60_000,
      describe: () => `${joinedTopic.records.length} joined records; worker log:\n${first.tail(30)}`,
    });
    // Mid-run: the worker dies without a word; the next one restores the join state from the changelog.
    await first.kill();
    second = stream.startWorker({ name: 'second', env });
    await sendAll(producer, names.outcomes, early.slice(40), 10);
    await sendAll(producer, names.outcomes, late, 10);
    await second.waitForReady(120_000);
  } else {
    await sendAll(producer, names.outcomes, [...early, misKeyed, ...late], 10);
    // The scorer's shared configuration says OUTCOME_JOIN=false: `join` joins all the same.
    second = stream.startWorker({ name: 'joiner', env: { ...env, OUTCOME_JOIN: 'false' }, command: 'join' });
    await second.waitForReady(120_000);
    // The joiner created the topic a moment ago: the broker may not serve its metadata yet.
    joinedTopic = await retryUntilTopicSettles(
      () => TopicCollector.start(kafka, names.joined, (m) => decoder.decode(m.value)),
      { timeoutMs: 30_000 },
    );
  }

  const want = {
    joined: plan.joined.length,
    'unmatched-outcome': plan.unmatched.length + plan.clocks.length,
    'expired-prediction': plan.expiring.length,
  };
  const total = want.joined + want['unmatched-outcome'] + want['expired-prediction'];
  const count = (kind: string) => joinedTopic.records.filter((r) => r.value.kind === kind).length;
  await waitUntil(() => joinedTopic.records.length >= total, {
    timeoutMs: 120_000,
    describe: () =>
      `joined topic: ${joinedTopic.records.length} of ${total} (joined ${count('joined')}, unmatched ` +
      `${count('unmatched-outcome')}, expired ${count('expired-prediction')}); worker log:\n${second.tail(30)}`,
  });
  // Everything is in: the join's inputs are read to their end, and so is the joined topic.
  await waitUntil(
    async () => {
      const lag = await admin.fetchOffsets({ groupId: `${names.group}.outcomes`, topics: [names.outcomes] });
      const ends = await admin.fetchTopicOffsets(names.outcomes);
      return ends.every(
        (e) =>
          BigInt(lag[0]?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1') >= BigInt(e.high) ||
          BigInt(e.high) === BigInt(e.low),
      );
    },
    { timeoutMs: 60_000, describe: () => 'the join group still has outcomes to read' },
  );
  await joinedTopic.drain(admin);

  expect(joinedTopic.decodeErrors).toEqual([]);
  expect({
    joined: count('joined'),
    'unmatched-outcome': count('unmatched-outcome'),
    'expired-prediction': count('expired-prediction'),
  }).toEqual(want);
  const identity = (r: PredictionOutcome) => `${r.kind}|${r.customerid}|${r.event_id ?? ''}|${r.variant ?? ''}`;
  const seen = joinedTopic.records.map((r) => identity(r.value));
  expect(seen.length - new Set(seen).size, 'duplicated joined records').toBe(0);

  // Which customer ended how, and the joined records' content.
  const byKind = (kind: string) =>
    new Set(joinedTopic.records.filter((r) => r.value.kind === kind).map((r) => r.value.customerid));
  expect(byKind('joined')).toEqual(new Set(plan.joined));
  expect(byKind('unmatched-outcome')).toEqual(new Set([...plan.unmatched, ...plan.clocks]));
  expect(byKind('expired-prediction')).toEqual(new Set(plan.expiring));
  for (const { value, key } of joinedTopic.records.filter((r) => r.value.kind === 'joined')) {
    expect(key).toBe(value.customerid);
    expect(value).toMatchObject({ prediction_time: T0 + 1_000, outcome_time: T0 + 5_000, variant: 'champion' });
    expect(value.correct).toBe(value.predicted_churn === value.churned);
  }

  const metrics = (await second.get('/metrics')).body;
  expect(metrics).toMatch(/^churn_outcomes_restore_seconds_count /m);
  expect(metricValue(metrics, 'churn_outcomes_pending_predictions', {})).toBe(0);
  const deadLetters = await stream.collectDeadLetters();
  await deadLetters.drain(admin);
  expect(deadLetters.records.map((r) => r.headers['churn.error.type'])).toEqual(['invalid-outcome']);
}

/**
 * Outcomes stop (or never start): stream time stands still, nothing expires by time, and the bound per task keeps
 * the state finite. Every prediction past the bound still ends in exactly one record.
 */
async function boundScenario(stream: StreamFixture): Promise<void> {
  const { names, admin, kafka } = stream;
  const BOUND = 40;
  await stream.createTopics({ partitions: PARTITIONS });
  await stream.createTopics({ partitions: PARTITIONS, topics: [names.outcomes] });
  const env = {
    OUTCOME_ATTRIBUTION_WINDOW_MS: String(W),
    OUTCOME_JOIN: 'true',
    OUTCOME_MAX_PENDING_PER_PARTITION: String(BOUND),
    TRANSACTION_MAX_RECORDS: '7',
  };
  const worker = stream.startWorker({ name: 'bounded', env });
  await worker.waitForReady();

  const runId = randomUUID().slice(0, 8);
  const customers = Array.from({ length: 300 }, (_, i) => `${runId}-c-${i}`);
  const perPartition = Array.from({ length: PARTITIONS }, (_, p) => customers.filter((id) => partitionOf(id) === p));
  const kept = perPartition.reduce((sum, ids) => sum + Math.min(ids.length, BOUND), 0);
  const evicted = customers.length - kept;
  expect(evicted).toBeGreaterThan(100);

  const events = telcoEvents(customers.length, { runId, eventTime: T0 + 1_000 }).map((event, i) => ({
    ...event,
    customerid: customers[i] as string,
  }));
  const decoder = new AvroDecoder<PredictionOutcome>({
    registry: registryClient(),
    readerType: predictionOutcomeSchema().type,
  });
  const eventEncoder = await customerEventEncoder(names.customers);
  await stream.sendEvents(events.map((e) => eventMessage(eventEncoder, e)));
  const joinedTopic = await retryUntilTopicSettles(
    () => TopicCollector.start(kafka, names.joined, (m) => decoder.decode(m.value)),
    { timeoutMs: 30_000 },
  );
  const count = (kind: string) => joinedTopic.records.filter((r) => r.value.kind === kind).length;
  await waitUntil(() => count('expired-prediction') >= evicted, {
    timeoutMs: 60_000,
    describe: () => `${count('expired-prediction')} of ${evicted} expired early; worker log:\n${worker.tail(30)}`,
  });
  const full = (await worker.get('/metrics')).body;
  expect(metricValue(full, 'churn_outcomes_pending_predictions', {})).toBe(kept);
  expect(metricValue(full, 'churn_outcomes_evicted_total', {})).toBe(evicted);
  expect(
    worker
      .log()
      .split('\n')
      .filter((l) => l.includes('join task full')).length,
  ).toBe(PARTITIONS);

  // The outcomes come after all: the customers still pending join, the evicted ones find nothing.
  const outcomeEncoder = await AvroEncoder.create<CustomerOutcome>({
    registry: registryClient(),
    subject: `${names.outcomes}-value`,
    schema: customerOutcomeSchema(),
    autoRegister: true,
  });
  const producer = await stream.producer();
  await sendAll(
    producer,
    names.outcomes,
    customers.map((customerid) => ({
      key: customerid,
      value: outcomeEncoder.encode({ customerid, event_time: T0 + 5_000, churned: true, offer: null, accepted: null }),
    })),
    10,
  );
  await waitUntil(() => joinedTopic.records.length >= 2 * customers.length - kept, {
    timeoutMs: 60_000,
    describe: () => `${joinedTopic.records.length} records on the joined topic; worker log:\n${worker.tail(30)}`,
  });
  await joinedTopic.drain(admin);
  const ids = (kind: string) =>
    new Set(joinedTopic.records.filter((r) => r.value.kind === kind).map((r) => r.value.customerid));
  expect({
    joined: count('joined'),
    unmatched: count('unmatched-outcome'),
    expired: count('expired-prediction'),
  }).toEqual({
    joined: kept,
    unmatched: evicted,
    expired: evicted,
  });
  expect(ids('unmatched-outcome')).toEqual(ids('expired-prediction'));
  expect(new Set([...ids('joined'), ...ids('expired-prediction')])).toEqual(new Set(customers));
  const after = (await worker.get('/metrics')).body;
  expect(metricValue(after, 'churn_outcomes_pending_predictions', {})).toBe(0);
}

describe('outcome join: exact counts', () => {
  test('joined, unmatched-outcome and expired-prediction equal the generator across a SIGKILL, no duplicates', async ({
    stream,
  }) => {
    await joinScenario(stream, 'sigkill');
  });

  test('a `join` process beside the scorer, started after predictions and outcomes are all on their topics, counts the same', async ({
    stream,
  }) => {
    await joinScenario(stream, 'late-join');
  });

  test('a bound per partition: without outcomes the oldest pending predictions expire early, each counted once', async ({
    stream,
  }) => {
    await boundScenario(stream);
  });
});
