import { describe, expect } from 'vitest';
import type { ChurnPrediction, CustomerEvent } from '../../src/serde/avro-records.js';
import { describeAudit, type PredictionCollector } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { describeLag, groupLag } from '../support/kafka.js';
import { must } from '../support/must.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const HOUR = 3_600_000;

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
    const time = must(times[i], `an event time for event ${i}`);
    const event = { ...e, event_time: time };
    window.set(event.event_id, time < t1 ? 'A' : time < t2 ? 'B' : 'C');
    return event;
  });
  return { events, window, t1, t2 };
}

/** The stream's topics, a worker, the windowed events sent and live-scored, and a reader of the predictions. */
async function setUp(stream: StreamFixture) {
  const { names } = stream;
  await stream.createTopics();
  const { events, window, t1, t2 } = windowedEvents();
  const worker = stream.startWorker();
  const predictions = await stream.collectPredictions();
  await worker.waitForReady();
  const encoder = await customerEventEncoder(names.customers);
  await stream.sendEvents(events.map((e) => eventMessage(encoder, e, { timestamp: e.event_time })));
  // Live scoring first, so every replay=true prediction below comes from the replay.
  const all = new Set(events.map((e) => e.event_id));
  await predictions.waitForAll(all, 120_000, (p) => !p.replay);
  return { names, events, window, t1, t2, predictions, all };
}

async function replayDone({ names, admin }: StreamFixture, predictions: PredictionCollector): Promise<void> {
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
  test('rescores exactly the events whose timestamps fall in [--from, --to), once each, with replay=true', async ({
    stream,
  }) => {
    const { names, events, window, t1, t2, predictions, all } = await setUp(stream);
    const inB = new Set(events.filter((e) => window.get(e.event_id) === 'B').map((e) => e.event_id));
    expect(inB.size).toBe(400);
    const cli = await stream.runCli(
      ['replay', '--from', new Date(t1).toISOString(), '--to', new Date(t2).toISOString()],
      {
        name: 'replay-cli',
        timeoutMs: 90_000,
      },
    );
    expect(cli.status, cli.output).toEqual({ code: 0, signal: null });
    expect(cli.output).toMatch(/copied 400 of 400 records/);

    await predictions.waitForAll(inB, 120_000, isReplay);
    await replayDone(stream, predictions);
    const replayed = predictions.audit(inB, isReplay);
    expect(
      replayed.missing.length + replayed.duplicated.length + replayed.unexpected.length,
      describeAudit(replayed),
    ).toBe(0);
    const wrongSource = predictions.records.filter((r) => r.value.replay && r.value.source_topic !== names.replay);
    expect(wrongSource.length, 'replay predictions must name the replay topic as their source').toBe(0);
    const live = predictions.audit(all, isLive);
    expect(live.missing.length + live.duplicated.length + live.unexpected.length, `live: ${describeAudit(live)}`).toBe(
      0,
    );
  });

  test('--customer limits the replay to those customers (inside the time range only)', async ({ stream }) => {
    const { events, window, t1, t2, predictions } = await setUp(stream);
    const fromB = events.filter((e) => window.get(e.event_id) === 'B').slice(10, 13);
    const fromA = must(
      events.find((e) => window.get(e.event_id) === 'A'),
      'an event of window A',
    );
    const customers = [...fromB.map((e) => e.customerid), fromA.customerid];
    const cli = await stream.runCli(
      [
        'replay',
        '--from',
        new Date(t1).toISOString(),
        '--to',
        new Date(t2).toISOString(),
        ...customers.flatMap((c) => ['--customer', c]),
      ],
      { name: 'replay-cli', timeoutMs: 90_000 },
    );
    expect(cli.status, cli.output).toEqual({ code: 0, signal: null });
    expect(cli.output).toMatch(/copied 3 of 400 records/);

    const wanted = new Set(fromB.map((e) => e.event_id));
    await predictions.waitForAll(wanted, 120_000, isReplay);
    await replayDone(stream, predictions);
    const replayed = predictions.audit(wanted, isReplay);
    expect(
      replayed.missing.length + replayed.duplicated.length + replayed.unexpected.length,
      describeAudit(replayed),
    ).toBe(0);
  });
});
