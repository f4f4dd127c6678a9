import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { joinMetrics } from '../../../src/observability/join-metrics.js';
import { JoinBatchHandler, type RecordDecoder } from '../../../src/outcomes/join-batch-handler.js';
import { JoinTasks } from '../../../src/outcomes/join-tasks.js';
import type { OutcomeJoinerConfig } from '../../../src/outcomes/outcome-joiner.js';
import type { ChurnPrediction, CustomerOutcome, PredictionOutcome } from '../../../src/serde/avro-records.js';
import type { BatchPayload } from '../../../src/stream/pipeline.js';
import { FakeGroupOffsets } from '../stream/fake-group-offsets.js';
import { FakeTransactionalClient } from '../stream/fake-transactional-client.js';

const topics = {
  predictions: 'predictions',
  shadow: 'predictions.shadow',
  outcomes: 'customers.outcomes',
  joined: 'predictions.outcomes',
  joinChangelog: 'predictions.outcomes.changelog',
  deadLetter: 'customers.dlq',
  create: false,
  partitions: 1,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  retentionMs: 86_400_000,
  maxMessageBytes: 1_048_576,
};
const config: OutcomeJoinerConfig = {
  topics,
  stream: { groupId: 'scorer', transactionMaxRecords: 500, transactionMaxBytes: 1_000_000, sessionTimeoutMs: 30_000 },
  outcomes: { attributionWindowMs: 30 * 86_400_000, maxPendingPerPartition: 100 },
  service: { startupTimeoutMs: 10_000 },
};
const groupId = 'scorer.outcomes';

/** JSON stands in for Avro: the handler only sees the codec ports. */
const json = <T>(): RecordDecoder<T> => ({
  decode: (bytes) => Promise.resolve(JSON.parse((bytes ?? Buffer.alloc(0)).toString('utf8')) as T),
});

function prediction(customerid: string, offset: number): ChurnPrediction {
  return {
    customerid,
    event_id: `E-${customerid}`,
    churn_probability: 0.8,
    churn: true,
    threshold: 0.5,
    model_name: 'churn',
    model_version: '1.0.0',
    replay: false,
    scored_at: 1_000,
    source_topic: 'customers',
    source_partition: 0,
    source_offset: offset,
    warnings: [],
    variant: 'champion',
    rollout_revision: 1,
    reasons: [],
    event_time: 1_000,
    assignment_probability: 1,
  };
}

function outcomeOf(customerid: string, churned: boolean): CustomerOutcome {
  return { customerid, event_time: 2_000, churned, offer: null, accepted: null };
}

function message(key: string, value: object, offset: number): KafkaMessage {
  return {
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  };
}

function batchOf(topic: string, messages: KafkaMessage[]): BatchPayload & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    resolved,
    batch: { topic, partition: 0, messages, lastOffset: () => messages[messages.length - 1]?.offset ?? '-1' },
    resolveOffset: (offset) => {
      resolved.push(offset);
    },
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    isStale: () => false,
  };
}

function setup(maxPending = config.outcomes.maxPendingPerPartition) {
  const producers = new FakeTransactionalClient();
  const admin = new FakeGroupOffsets();
  admin.setEnds(topics.joinChangelog, 0, 0, 0);
  const lines: { msg: string; partition?: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as never) });
  const registry = new Registry();
  const metrics = joinMetrics(registry);
  const tasks = new JoinTasks({
    clients: {
      getConsumer: () => {
        throw new Error('an empty changelog needs no restore consumer');
      },
    },
    producers,
    admin,
    groupId,
    inputTopics: [topics.predictions, topics.shadow, topics.outcomes],
    changelogTopic: topics.joinChangelog,
    windowMs: config.outcomes.attributionWindowMs,
    maxPending,
    sessionTimeoutMs: 30_000,
    transactionTimeoutMs: 60_000,
    metrics,
    logger: log,
    now: () => 5_000,
  });
  const handler = new JoinBatchHandler({
    config,
    groupId,
    tasks,
    admin,
    predictionDecoder: json<ChurnPrediction>(),
    outcomeDecoder: json<CustomerOutcome>(),
    encoder: { encode: (record: PredictionOutcome) => Buffer.from(JSON.stringify(record)) },
    metrics,
    log,
    scorerVersion: 'test',
    now: () => 5_000,
  });
  return { producers, admin, tasks, handler, lines, registry };
}

const predictions = [message('C-1', prediction('C-1', 0), 0), message('C-2', prediction('C-2', 1), 1)];

describe('JoinBatchHandler', () => {
  it('commits the predictions it read as pending state, with the offset, in one transaction', async () => {
    const { producers, handler } = setup();
    const payload = batchOf(topics.predictions, predictions);
    await handler.eachBatch(payload);

    const [txn, ...more] = producers.committed().filter((t) => t.offsetCommits.length > 0);
    expect(more).toEqual([]);
    expect(txn?.counts.get(topics.joinChangelog)).toBe(2);
    expect(txn?.offsetCommits).toEqual(['predictions[0]@2']);
    expect(payload.resolved).toContain('1');
  });

  it('retries a batch whose commit failed from a clean state, and the outcome then joins', async () => {
    const { producers, admin, handler } = setup();
    producers.failing.set('commit', new Error('broker went away'));
    await expect(handler.eachBatch(batchOf(topics.predictions, predictions))).rejects.toMatchObject({
      retriable: true,
    });
    producers.failing.delete('commit');

    // kafkajs fetches the batch again from the committed offset: the same records, the task taken again.
    await handler.eachBatch(batchOf(topics.predictions, predictions));
    const withOffsets = producers.committed().filter((t) => t.offsetCommits.length > 0);
    expect(withOffsets.map((t) => t.offsetCommits)).toEqual([['predictions[0]@2']]);
    expect(withOffsets[0]?.counts.get(topics.joinChangelog)).toBe(2);

    admin.setEnds(topics.predictions, 0, 0, 2);
    admin.setEnds(topics.shadow, 0, 0, 0);
    const outcome = outcomeOf('C-1', true);
    await handler.eachBatch(batchOf(topics.outcomes, [message('C-1', outcome, 0)]));
    const joined = producers.committedTo(topics.joined).map((m) => JSON.parse(String(m.value)) as PredictionOutcome);
    expect(joined).toMatchObject([{ kind: 'joined', customerid: 'C-1', churned: true, correct: true }]);
  });

  it('holds an outcome back until the task has read the predictions already on the topics (the outcome gate)', async () => {
    const { producers, admin, handler } = setup();
    admin.setEnds(topics.predictions, 0, 0, 2);
    admin.setEnds(topics.shadow, 0, 0, 0);
    const outcome = outcomeOf('C-2', false);
    let paused = 0;
    const early = {
      ...batchOf(topics.outcomes, [message('C-2', outcome, 0)]),
      pause: () => {
        paused++;
        return () => undefined;
      },
    };
    await handler.eachBatch(early);
    expect(paused).toBe(1);
    expect(early.resolved).toEqual([]);
    expect(producers.committedTo(topics.joined)).toEqual([]);

    await handler.eachBatch(batchOf(topics.predictions, predictions));
    await handler.eachBatch(batchOf(topics.outcomes, [message('C-2', outcome, 0)]));
    const joined = producers.committedTo(topics.joined).map((m) => JSON.parse(String(m.value)) as PredictionOutcome);
    // Without the gate it would have been an 'unmatched-outcome': its prediction was on the topic, not yet read.
    expect(joined).toMatchObject([{ kind: 'joined', customerid: 'C-2', churned: false, correct: false }]);
  });

  it('keeps a task within its bound: the oldest pending prediction expires early, counted and logged once', async () => {
    const { producers, handler, lines, registry, tasks } = setup(2);
    const older = { ...prediction('C-0', 0), event_time: 500 };
    const records = [message('C-0', older, 0), ...predictions.map((m, i) => ({ ...m, offset: String(i + 1) }))];
    await handler.eachBatch(batchOf(topics.predictions, records));
    const more = [message('C-3', prediction('C-3', 3), 3)];
    await handler.eachBatch(batchOf(topics.predictions, more));

    const joined = producers.committedTo(topics.joined).map((m) => JSON.parse(String(m.value)) as PredictionOutcome);
    // C-0's prediction is the oldest; then C-1's (equal times: the lower customer id).
    expect(joined.map((r) => `${r.kind}:${r.customerid}`)).toEqual([
      'expired-prediction:C-0',
      'expired-prediction:C-1',
    ]);
    expect(tasks.pendingPredictions()).toBe(2);
    const evicted = await registry.getSingleMetric('churn_outcomes_evicted_total')?.get();
    expect(evicted?.values[0]?.value).toBe(2);
    const full = lines.filter((l) => l.msg.startsWith('join task full'));
    expect(full).toMatchObject([{ partition: 0 }]);
    expect(full[0]?.msg).toContain('OUTCOME_MAX_PENDING_PER_PARTITION');
  });
});
