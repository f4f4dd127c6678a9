import { createRequire } from 'node:module';
import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsumerState } from '../../../src/stream/consumer-state.js';
import { PartitionLeases } from '../../../src/stream/partition-leases.js';
import { streamMetrics } from '../../../src/observability/stream-metrics.js';
import { metricValue } from '../../support/metrics.js';
import { waitUntil } from '../../support/wait.js';
import { FakeGroupOffsets } from './fake-group-offsets.js';
import { FakeTransactionalClient } from './fake-transactional-client.js';

const TOPIC = 'customers';

/** A consumer that only registers handlers, so the test can play kafkajs' events. */
function scriptedConsumer() {
  const handlers = new Map<string, (event: unknown) => void>();
  const events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', STOP: 'consumer.stop' };
  const consumer = {
    events,
    on: (name: string, handler: (event: unknown) => void) => {
      handlers.set(name, handler);
      return () => undefined;
    },
  } as unknown as Consumer;
  const join = (partitions: number[]) =>
    handlers.get(events.GROUP_JOIN)?.({ payload: { memberAssignment: { [TOPIC]: partitions }, memberId: 'm-1' } });
  const crash = (error: Error, restart: boolean) => handlers.get(events.CRASH)?.({ payload: { error, restart } });
  const stop = () => handlers.get(events.STOP)?.({});
  return { consumer, join, crash, stop };
}

/** Leases whose acquire fails `failures` times for one partition (a coordinator on a dead broker), then works. */
function flakyLeases(failingPartition: number, failures: number) {
  const ready = new Set<number>();
  let failed = 0;
  const leases = {
    retainOnly: () => Promise.resolve(),
    acquire: async (_topic: string, partition: number) => {
      await Promise.resolve();
      if (partition === failingPartition && failed < failures) {
        failed++;
        throw new Error(`cannot take partition ${TOPIC}[${partition}]: Connection error: connect ECONNREFUSED`);
      }
      ready.add(partition);
    },
    isReady: (_topic: string, partition: number) => ready.has(partition),
  } as unknown as PartitionLeases;
  return { leases, attempts: () => failed };
}

describe('consumer readiness after a join', () => {
  it('takes a lease that failed at the join again by itself, without waiting for a batch on that partition', async () => {
    const { leases, attempts } = flakyLeases(1, 2);
    const state = new ConsumerState({
      name: 'live',
      topic: TOPIC,
      leases,
      log: pino({ level: 'silent' }),
      metrics: streamMetrics(new Registry()),
    });
    const { consumer, join } = scriptedConsumer();
    state.attach(consumer);
    join([0, 1, 2]);
    expect(state.readiness().ok).toBe(false);
    // Two failed attempts cost 250 + 500 ms of back-off.
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 5_000,
      intervalMs: 20,
      describe: () => `still not ready: ${state.readiness().reasons.join('; ')}`,
    });
    expect(attempts()).toBe(2);
  });
});

describe('consumer state: what readiness and liveness read', () => {
  function stateOverFakeLeases(restart?: () => Promise<void>) {
    const client = new FakeTransactionalClient();
    const metrics = new Registry();
    const leases = new PartitionLeases(client, new FakeGroupOffsets(), {
      consumerGroupId: 'scorer',
      transactionalIdPrefix: 'scorer',
      transactionTimeoutMs: 60_000,
      logger: pino({ level: 'silent' }),
    });
    const state = new ConsumerState({
      name: 'live',
      topic: TOPIC,
      leases,
      log: pino({ level: 'silent' }),
      metrics: streamMetrics(metrics),
      ...(restart === undefined ? {} : { restart }),
    });
    const scripted = scriptedConsumer();
    state.attach(scripted.consumer);
    return { client, leases, metrics, state, ...scripted };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is not ready before the first join', () => {
    const { state } = stateOverFakeLeases();
    expect(state.readiness()).toEqual({ ok: false, reasons: ['live consumer has not joined its group yet'] });
  });

  it('is ready once joined and every assigned partition has its producer; until then it names the partitions', async () => {
    const { client, state, join } = stateOverFakeLeases();
    let answer: () => void = () => undefined;
    client.holding.set('abort', new Promise<void>((resolve) => (answer = resolve)));
    join([0, 2]);
    expect(state.readiness()).toEqual({
      ok: false,
      reasons: ['live producers not ready for customers partitions 0,2'],
    });
    answer();
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
    expect(state.readiness()).toEqual({ ok: true, reasons: [] });
  });

  it('on a rebalance: keeps the progress of partitions still owned, forgets the lost ones, gives their leases up', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const { client, metrics, state, join } = stateOverFakeLeases();
    join([0, 1, 2]);
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
    vi.setSystemTime(1_005_000);
    state.progressed(1, 10);

    vi.setSystemTime(1_009_000);
    join([3, 1]);
    expect(state.assignedPartitions()).toEqual([1, 3]);
    expect([0, 1, 2, 3].map((p) => state.lastProgressAt(p))).toEqual([undefined, 1_005_000, undefined, 1_009_000]);
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
    const open = client.producers.filter((p) => !p.disconnected).map((p) => p.transactionalId);
    expect(open.sort()).toEqual(['scorer-customers-1', 'scorer-customers-3']);
    const text = await metrics.metrics();
    expect(metricValue(text, 'churn_stream_rebalances_total', { consumer: 'live' })).toBe(2);
    expect(metricValue(text, 'churn_stream_assigned_partitions', { consumer: 'live' })).toBe(2);
  });

  it('a crash kafkajs restarts from: not ready, saying why, and not fatal; the next join clears it', async () => {
    const { state, join, crash } = stateOverFakeLeases();
    join([0]);
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
    crash(new Error('The coordinator is loading'), true);
    expect(state.readiness()).toEqual({ ok: false, reasons: ['live consumer crashed: The coordinator is loading'] });
    expect(await Promise.race([state.fatal, Promise.resolve('not fatal')])).toBe('not fatal');
    join([0]);
    expect(state.readiness().ok).toBe(true);
  });

  it('a crash kafkajs does not restart from is fatal: the worker must exit, saying which consumer and why', async () => {
    const { state, join, crash } = stateOverFakeLeases();
    join([0]);
    const cause = new Error('not authorized to access group');
    crash(cause, false);
    const fatal = await state.fatal;
    expect(fatal.message).toBe('live consumer crashed: not authorized to access group');
    expect(fatal.cause).toBe(cause);
    expect(state.readiness().reasons).toEqual(['live consumer crashed: not authorized to access group']);
  });

  it('a crash on absent brokers kafkajs does not restart from: the worker restarts the consumer, not fatal', async () => {
    const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');
    let restarts = 0;
    const { state, join, crash } = stateOverFakeLeases(() => {
      restarts++;
      // the first restart meets the brokers still away; the second one works
      return restarts === 1
        ? Promise.reject(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))
        : Promise.resolve();
    });
    join([0]);
    // what kafkajs 2.2.4 ends a consumer with when the group coordinator stays unreachable past its retries
    // (kafkajs' type declarations omit these constructors' arguments; the classes take them)
    const NotFound = kafkajs.KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
    const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    const notFound = new NotFound('Failed to find group coordinator');
    const coordinatorGone = new NonRetriable(notFound, { cause: notFound });
    crash(coordinatorGone, false);
    expect(state.readiness().ok).toBe(false);
    await waitUntil(() => restarts === 2, { timeoutMs: 5_000, intervalMs: 10, describe: () => `${restarts} restarts` });
    expect(await Promise.race([state.fatal, Promise.resolve('not fatal')])).toBe('not fatal');
    join([0]);
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
  });

  it('a crash kafkajs does not restart from that is not about absent brokers stays fatal with a restart hook', async () => {
    let restarts = 0;
    const { state, join, crash } = stateOverFakeLeases(() => {
      restarts++;
      return Promise.resolve();
    });
    join([0]);
    crash(new Error('not authorized to access group'), false);
    const fatal = await state.fatal;
    expect(fatal.message).toBe('live consumer crashed: not authorized to access group');
    expect(restarts).toBe(0);
  });

  it('is not ready after the consumer stops', async () => {
    const { state, join, stop } = stateOverFakeLeases();
    join([0]);
    await waitUntil(() => state.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => state.readiness().reasons.join('; '),
    });
    stop();
    expect(state.readiness()).toEqual({ ok: false, reasons: ['live consumer has not joined its group yet'] });
  });
});
