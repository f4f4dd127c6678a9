import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import { REPO_PATHS } from '../../src/config/repo-paths.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import type { CustomerEvent, CustomerOutcome } from '../../src/serde/avro-records.js';
import { customerOutcomeSchema } from '../../src/serde/schema-files.js';
import { TopicCollector, type CollectedRecord } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, registryClient } from '../support/events.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';

/**
 * `simulate outcomes` as a user runs it against the real broker and registry: customers in, one outcome per
 * customer out, co-partitioned, dated event time + delay, decided by the truth model, the same for the same seed.
 */

const TRUTH_DIR = join(REPO_PATHS.churnModelsDir, '1.1.0');
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

interface ParityCase {
  customerid: string;
  raw: Record<string, string | number>;
  churn_probability: number;
}

/** Test customers with sklearn's churn probability under the truth model: an oracle of its own. */
function truthCases(count: number): ParityCase[] {
  return readFileSync(join(TRUTH_DIR, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, count)
    .map((line) => JSON.parse(line) as ParityCase);
}

const threshold = (JSON.parse(readFileSync(join(TRUTH_DIR, 'model.json'), 'utf8')) as { threshold: number }).threshold;

interface Summary {
  customersTopic: string;
  outcomesTopic: string;
  partitions: number;
  createdTopic: boolean;
  events: number;
  undecodable: number;
  customersRead: number;
  customers: number;
  outcomes: number;
  churned: number;
  churnedShare: number;
  withoutOutcome: number;
  truthModel: { version: string };
}

async function simulate(stream: StreamFixture, name: string, args: string[]): Promise<Summary> {
  const run = await stream.runCli(['simulate', 'outcomes', '--json', ...args], { name, timeoutMs: 120_000 });
  expect(run.status.code, run.output).toBe(0);
  const line = run.output.split('\n').find((l) => l.startsWith('{"customersTopic"'));
  if (line === undefined) throw new Error(`no summary line in:\n${run.output}`);
  return JSON.parse(line) as Summary;
}

describe('simulate outcomes', () => {
  test('one outcome per customer, co-partitioned, event time + delay, the same for the same seed', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ topics: [names.customers], partitions: 3 });
    const cases = truthCases(200);
    const t0 = Date.UTC(2026, 9, 1);
    const encoder = await customerEventEncoder(names.customers);
    const eventOf = (c: ParityCase, id: string, time: number) =>
      ({ ...c.raw, customerid: c.customerid, event_id: id, event_time: time }) as CustomerEvent;
    const messages: Message[] = cases.map((c, i) => eventMessage(encoder, eventOf(c, `first-${i}`, t0 + i)));
    // A quarter of the customers come back an hour later: their latest event is the second.
    const again = cases.filter((_, i) => i % 4 === 0);
    messages.push(...again.map((c, i) => eventMessage(encoder, eventOf(c, `again-${i}`, t0 + HOUR_MS + i))));
    messages.push({ key: 'not-a-customer', value: Buffer.from('not avro') });
    await stream.sendEvents(messages);

    const inputs = await stream.collectInputs();
    await inputs.drain(stream.admin);
    const customerPartition = new Map<string, number>();
    const latestTime = new Map<string, number>();
    for (const [i, c] of cases.entries()) latestTime.set(c.customerid, t0 + i);
    for (const [i, c] of again.entries()) latestTime.set(c.customerid, t0 + HOUR_MS + i);
    for (const record of inputs.records) {
      if (record.key !== null && record.key !== 'not-a-customer') customerPartition.set(record.key, record.partition);
    }
    expect(new Set(customerPartition.values()).size, 'the customers are spread over the 3 partitions').toBe(3);

    const a = await simulate(stream, 'seed-7', ['--seed', '7', '--delay-ms', String(HOUR_MS)]);
    expect(a).toMatchObject({
      customersTopic: names.customers,
      outcomesTopic: names.outcomes,
      partitions: 3,
      createdTopic: true,
      events: cases.length + again.length + 1,
      undecodable: 1,
      customersRead: cases.length,
      customers: cases.length,
      outcomes: cases.length,
      withoutOutcome: 0,
      truthModel: { version: '1.1.0' },
    });
    // Bernoulli of the truth probabilities: near their mean
    const meanProbability = cases.reduce((s, c) => s + c.churn_probability, 0) / cases.length;
    expect(Math.abs(a.churnedShare - meanProbability)).toBeLessThan(5 * Math.sqrt(0.25 / cases.length));

    const b = await simulate(stream, 'seed-7-again', ['--seed', '7', '--delay-ms', String(HOUR_MS)]);
    expect(b).toMatchObject({ createdTopic: false, outcomes: cases.length, churned: a.churned });

    const c = await simulate(stream, 'decision-half', ['--seed', '7', '--rule', 'decision', '--share', '0.5']);

    const decoder = new AvroDecoder<CustomerOutcome>({
      registry: registryClient(),
      readerType: customerOutcomeSchema().type,
    });
    const outcomes = await TopicCollector.start(stream.kafka, names.outcomes, (m) => decoder.decode(m.value));
    try {
      await outcomes.drain(stream.admin);
      expect(outcomes.decodeErrors).toEqual([]);
      expect(outcomes.records).toHaveLength(2 * cases.length + c.outcomes);

      // Each run writes one outcome per customer after the previous run's: the k-th of a key is run k's.
      const byKey = new Map<string, CollectedRecord<CustomerOutcome>[]>();
      const sorted = [...outcomes.records].sort(
        (x, y) => x.partition - y.partition || Number(BigInt(x.offset) - BigInt(y.offset)),
      );
      for (const record of sorted) {
        expect(record.key).toBe(record.value.customerid);
        const list = byKey.get(record.value.customerid) ?? [];
        list.push(record);
        byKey.set(record.value.customerid, list);
      }
      expect([...byKey.keys()].sort()).toEqual(cases.map((x) => x.customerid).sort());

      let halfRun = 0;
      for (const x of cases) {
        const [first, second, third, ...more] = byKey.get(x.customerid) ?? [];
        if (first === undefined || second === undefined) throw new Error(`${x.customerid}: outcomes missing`);
        expect(more).toEqual([]);
        // co-partitioned: the partition number of the customer's events
        for (const r of [first, second, third]) {
          if (r !== undefined) expect(r.partition, x.customerid).toBe(customerPartition.get(x.customerid));
        }
        expect(first.value.event_time).toBe((latestTime.get(x.customerid) ?? NaN) + HOUR_MS);
        expect(first.value.offer).toBeNull();
        expect(first.value.accepted).toBeNull();
        // the same seed, byte for byte
        expect(second.rawValue?.equals(first.rawValue as Buffer), x.customerid).toBe(true);
        if (third !== undefined) {
          halfRun++;
          expect(third.value.event_time).toBe((latestTime.get(x.customerid) ?? NaN) + WEEK_MS);
          // rule decision: sklearn's decision at the truth model's threshold
          expect(third.value.churned, x.customerid).toBe(x.churn_probability >= threshold);
        }
      }
      expect(halfRun).toBe(c.outcomes);
      expect(c).toMatchObject({ customers: cases.length, withoutOutcome: cases.length - c.outcomes });
      expect(Math.abs(c.outcomes - cases.length / 2)).toBeLessThan(5 * Math.sqrt(cases.length / 4));
    } finally {
      await outcomes.stop();
    }
  });

  test('one summary line; a wrong partition count of the outcomes topic is refused with one line', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ topics: [names.customers], partitions: 3 });
    const encoder = await customerEventEncoder(names.customers);
    const cases = truthCases(30);
    await stream.sendEvents(
      cases.map((c, i) =>
        eventMessage(encoder, {
          ...c.raw,
          customerid: c.customerid,
          event_id: `e-${i}`,
          event_time: 1_000 + i,
        } as CustomerEvent),
      ),
    );

    const run = await stream.runCli(
      ['simulate', 'outcomes', '--limit', '20', '--flip', '0.2', '--offer', 'discount-20', '--accept-rate', '0.5'],
      { name: 'text', timeoutMs: 120_000 },
    );
    expect(run.status.code, run.output).toBe(0);
    const line = run.output.split('\n').find((l) => l.startsWith('simulate outcomes: '));
    expect(line, run.output).toMatch(
      new RegExp(
        `^simulate outcomes: read 30 customers \\(30 events\\) from ${names.customers.replace(/\./g, '\\.')}, ` +
          `the first 20 of them; wrote 20 outcomes to ${names.outcomes.replace(/\./g, '\\.')} \\(created, 3 partitions\\): ` +
          `\\d+ churned \\(\\d+\\.\\d%\\), \\d+ flipped \\(--flip 0\\.2\\), offer discount-20, \\d+ accepted; ` +
          'truth 1\\.1\\.0 by probability, seed 1, event time \\+ 7 d$',
      ),
    );

    // The joined topic's name stands in for an outcomes topic someone made with 2 partitions.
    await stream.createTopics({ topics: [names.joined], partitions: 2 });
    const refused = await stream.runCli(['simulate', 'outcomes'], {
      name: 'not-copartitioned',
      timeoutMs: 120_000,
      env: { TOPIC_OUTCOMES: names.joined },
    });
    expect(refused.status.code).toBe(1);
    const lines = refused.output.split('\n').filter((l) => l !== '' && !l.startsWith('# '));
    expect(lines).toEqual([
      `churn-scorer: topic ${names.joined} has 2 partitions and ${names.customers} has 3: a customer's outcome ` +
        'would land in another partition number than its events and the join would not find its predictions; ' +
        `recreate ${names.joined} with 3 partitions (or point TOPIC_OUTCOMES at a topic that has them)`,
    ]);
    const written = await stream.admin.fetchTopicOffsets(names.joined);
    expect(written.map((p) => p.high)).toEqual(['0', '0']);
  });
});
