import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChurnPrediction, CustomerEvent } from '../../src/serde/index.js';
import { PredictionCollector, describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { useProcessCleanup } from '../support/hooks.js';
import { connectedAdmin, createTopics, deleteTopics, describeLag, eventProducer, groupLag, sendAll, testKafka } from '../support/kafka.js';
import { allTopics, topicEnv, uniqueNames, type StreamNames } from '../support/names.js';
import { runCli, startWorker } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';

const HOUR = 3_600_000;
let kafka: Kafka;
let admin: Admin;
const created: StreamNames[] = [];

/**
 * Events in three windows an hour apart, in time order: A = [t0, t0+300 s), B = [t1, t2) with
 * one event exactly at t1 and one at t2 - 1 ms, C = [t2, ...) with one event exactly at t2.
 */
function windowedEvents(): { events: CustomerEvent[]; window: Map<string, 'A' | 'B' | 'C'>; t1: number; t2: number } {
  const t0 = Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;
  const t1 = t0 + HOUR;
  const t2 = t0 + 2 * HOUR;
  const base = telcoEvents(1000);
  const times: number[] = [];
  for (let i = 0; i < 300; i++) times.push(t0 + i * 1000);
  times.push(t1);
  for (let i = 1; i < 399; i++) times.push(t1 + i * 5000);
  times.push(t2 - 1);
  times.push(t2);
  for (let i = 1; i < 300; i++) times.push(t2 + i * 1000);
  const window = new Map<string, 'A' | 'B' | 'C'>();
  const events = base.map((e, i) => {
    const time = times[i]!;
    const event = { ...e, event_time: time };
    window.set(event.event_id, time < t1 ? 'A' : time < t2 ? 'B' : 'C');
    return event;
  });
  return { events, window, t1, t2 };
}

async function setUp(label: string) {
  const names = uniqueNames(label);
  created.push(names);
  await createTopics(admin, allTopics(names), 3);
  const { events, window, t1, t2 } = windowedEvents();
  const worker = startWorker({ label: `${names.suffix}-worker`, env: topicEnv(names) });
  const predictions = await PredictionCollector.start(kafka, names.predictions);
  await worker.waitForReady();
  const encoder = await customerEventEncoder(names.customers);
  const producer = await eventProducer(kafka);
  await sendAll(producer, names.customers, events.map((e) => eventMessage(encoder, e, { timestamp: e.event_time })));
  await producer.disconnect();
  // Live scoring first, so every replay=true prediction below comes from the replay.
  const all = new Set(events.map((e) => e.event_id));
  await predictions.waitForAll(all, 120_000, (p) => !p.replay);
  return { names, events, window, t1, t2, worker, predictions, all };
}

async function replayDone(names: StreamNames, predictions: PredictionCollector): Promise<void> {
  const group = `${names.group}.replay`;
  await waitUntil(async () => (await groupLag(admin, group, names.replay)).total === 0, {
    timeoutMs: 60_000,
    describe: async () => `replay group lag not 0: ${describeLag(await groupLag(admin, group, names.replay))}`,
  });
  await predictions.drain(admin);
}

const isReplay = (p: ChurnPrediction) => p.replay;
const isLive = (p: ChurnPrediction) => !p.replay;

describe('stream replay', () => {
  useProcessCleanup();

  beforeAll(async () => {
    kafka = testKafka('test-stream-replay');
    admin = await connectedAdmin(kafka);
  });

  afterAll(async () => {
    for (const names of created) await deleteTopics(admin, allTopics(names));
    await admin.disconnect();
  });

  it('rescores exactly the events whose timestamps fall in [--from, --to), once each, with replay=true', async () => {
    const { names, events, window, t1, t2, predictions, all } = await setUp('replay');
    try {
      const inB = new Set(events.filter((e) => window.get(e.event_id) === 'B').map((e) => e.event_id));
      expect(inB.size).toBe(400);
      const cli = await runCli(
        `${names.suffix}-replay-cli`,
        ['replay', '--from', new Date(t1).toISOString(), '--to', new Date(t2).toISOString()],
        topicEnv(names),
        90_000,
      );
      expect(cli.status, cli.output).toEqual({ code: 0, signal: null });
      expect(cli.output).toMatch(/copied 400 of 400 records/);

      await predictions.waitForAll(inB, 120_000, isReplay);
      await replayDone(names, predictions);
      const replayed = predictions.audit(inB, isReplay);
      expect(replayed.missing.length + replayed.duplicated.length + replayed.unexpected.length, describeAudit(replayed)).toBe(0);
      const wrongSource = predictions.records.filter((r) => r.value.replay && r.value.source_topic !== names.replay);
      expect(wrongSource.length, 'replay predictions must name the replay topic as their source').toBe(0);
      const live = predictions.audit(all, isLive);
      expect(live.missing.length + live.duplicated.length + live.unexpected.length, `live: ${describeAudit(live)}`).toBe(0);
    } finally {
      await predictions.stop();
    }
  });

  it('--customer limits the replay to those customers (inside the time range only)', async () => {
    const { names, events, window, t1, t2, predictions } = await setUp('replay-customer');
    try {
      const fromB = events.filter((e) => window.get(e.event_id) === 'B').slice(10, 13);
      const fromA = events.find((e) => window.get(e.event_id) === 'A')!;
      const customers = [...fromB.map((e) => e.customerid), fromA.customerid];
      const cli = await runCli(
        `${names.suffix}-replay-cli`,
        ['replay', '--from', new Date(t1).toISOString(), '--to', new Date(t2).toISOString(), ...customers.flatMap((c) => ['--customer', c])],
        topicEnv(names),
        90_000,
      );
      expect(cli.status, cli.output).toEqual({ code: 0, signal: null });
      expect(cli.output).toMatch(/copied 3 of 400 records/);

      const wanted = new Set(fromB.map((e) => e.event_id));
      await predictions.waitForAll(wanted, 120_000, isReplay);
      await replayDone(names, predictions);
      const replayed = predictions.audit(wanted, isReplay);
      expect(replayed.missing.length + replayed.duplicated.length + replayed.unexpected.length, describeAudit(replayed)).toBe(0);
    } finally {
      await predictions.stop();
    }
  });
});
