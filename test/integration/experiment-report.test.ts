import type { Message, Producer } from 'kafkajs';
import { describe, expect } from 'vitest';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { churnPredictionSchema } from '../../src/serde/schema-files.js';
import { TopicCollector, type CollectedRecord } from '../support/collectors.js';
import { predictionDecoder, registryClient } from '../support/events.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { seededRandom } from '../unit/rollout/rollout-test-data.js';
import { closeFigures, plainShadow, plainVariant } from '../unit/experiments/plain-comparison.js';

const CUSTOMERS = 'customers';
const THRESHOLD = 0.5;

interface Written {
  value: ChurnPrediction;
  headers: Record<string, string>;
}

/**
 * What a worker would have published over two rollout revisions, written by the test: revision 1, the
 * champion alone (100 events); revision 2, a canary taking about a fifth of the events and a shadow scoring the
 * champion's (300 events). Around them, what the report must leave out: replays (replay=true on both topics)
 * and a `replay --compare` run (churn.compare.id on the shadow topic).
 */
function publishedRecords(): { predictions: Written[]; shadows: Written[] } {
  const random = seededRandom(2025);
  const predictions: Written[] = [];
  const shadows: Written[] = [];
  const record = (
    i: number,
    fields: { variant: string; version: string; revision: number; score: number; replay?: boolean },
  ): Written => {
    const topic = fields.replay === true ? `${CUSTOMERS}.replay` : CUSTOMERS;
    return {
      value: {
        customerid: `C-${i % 150}`,
        event_id: `E-${i}`,
        churn_probability: fields.score,
        churn: fields.score >= THRESHOLD,
        threshold: THRESHOLD,
        model_name: 'churn',
        model_version: fields.version,
        replay: fields.replay ?? false,
        scored_at: Date.now(),
        source_topic: topic,
        source_partition: i % 3,
        source_offset: Math.floor(i / 3),
        warnings: [],
        variant: fields.variant,
        rollout_revision: fields.revision,
        reasons: [],
        event_time: Date.now(),
        assignment_probability: 1,
      },
      headers: {
        'churn.model.version': fields.version,
        'churn.variant': fields.variant,
        'churn.rollout.revision': String(fields.revision),
      },
    };
  };
  for (let i = 0; i < 100; i++) {
    predictions.push(record(i, { variant: 'champion', version: '1.0.0', revision: 1, score: random() }));
  }
  for (let i = 100; i < 400; i++) {
    const score = random();
    if (random() < 0.2) {
      predictions.push(record(i, { variant: 'canary', version: '1.1.0', revision: 2, score }));
      continue;
    }
    predictions.push(record(i, { variant: 'champion', version: '1.0.0', revision: 2, score }));
    const shadowScore = Math.min(1, Math.max(0, score + (random() - 0.5) * (random() < 0.1 ? 1 : 0.1)));
    shadows.push(record(i, { variant: 'shadow', version: '1.1.0', revision: 2, score: shadowScore }));
  }
  for (let i = 0; i < 30; i++) {
    predictions.push(record(i, { variant: 'champion', version: '1.0.0', revision: 2, score: random(), replay: true }));
    shadows.push(record(i, { variant: 'shadow', version: '1.1.0', revision: 2, score: random(), replay: true }));
  }
  for (let i = 30; i < 50; i++) {
    for (const [variant, version] of [
      ['champion', '1.0.0'],
      ['shadow', '1.1.0'],
    ] as const) {
      const compared = record(i, { variant, version, revision: 2, score: random(), replay: true });
      compared.headers['churn.compare.id'] = 'c0ffee00-run';
      shadows.push(compared);
    }
  }
  return { predictions, shadows };
}

async function encoderFor(topic: string): Promise<AvroEncoder<ChurnPrediction>> {
  return AvroEncoder.create<ChurnPrediction>({
    registry: registryClient(),
    subject: `${topic}-value`,
    schema: churnPredictionSchema(),
    autoRegister: true,
  });
}

/**
 * Writes the records in transactions, as the worker does, keyed by customer; then a transaction it aborts
 * (more champion predictions of revision 2), which a read_committed reader never sees.
 */
async function publish(stream: StreamFixture, records: { predictions: Written[]; shadows: Written[] }) {
  const { names, kafka } = stream;
  const encoders = { live: await encoderFor(names.predictions), shadow: await encoderFor(names.shadow) };
  const message = (encoder: AvroEncoder<ChurnPrediction>, r: Written): Message => ({
    key: r.value.customerid,
    value: encoder.encode(r.value),
    headers: r.headers,
  });
  const producer: Producer = kafka.producer({
    transactionalId: `${names.suffix}.writer`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let i = 0; i < Math.max(records.predictions.length, records.shadows.length); i += 100) {
      const transaction = await producer.transaction();
      await transaction.send({
        topic: names.predictions,
        messages: records.predictions.slice(i, i + 100).map((r) => message(encoders.live, r)),
        acks: -1,
      });
      const shadows = records.shadows.slice(i, i + 100);
      if (shadows.length > 0) {
        await transaction.send({
          topic: names.shadow,
          messages: shadows.map((r) => message(encoders.shadow, r)),
          acks: -1,
        });
      }
      await transaction.commit();
    }
    const aborted = await producer.transaction();
    const extra = records.predictions
      .filter((r) => r.value.rollout_revision === 2 && r.value.variant === 'champion' && !r.value.replay)
      .slice(0, 50);
    await aborted.send({ topic: names.predictions, messages: extra.map((r) => message(encoders.live, r)), acks: -1 });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
}

/** What a read_committed consumer of the topic sees, read by the test itself. */
async function readBack(stream: StreamFixture, topic: string): Promise<CollectedRecord<ChurnPrediction>[]> {
  const decoder = predictionDecoder();
  const collector = await TopicCollector.start(stream.kafka, topic, (m) => decoder.decode(m.value));
  try {
    await collector.drain(stream.admin);
    expect(collector.decodeErrors).toEqual([]);
    return collector.records;
  } finally {
    await collector.stop();
  }
}

interface ReportJson {
  revision: number | null;
  revisions: number[];
  variants: (Record<string, unknown> & { variant: string; version: string })[];
  shadows: (Record<string, unknown> & { version: string; champion_version: string })[];
  unmatched_shadow_predictions: number;
}

/** The JSON document `experiment report --json` printed (pretty, so it starts at a line "{"), from the run's log. */
function printedJson(output: string): ReportJson {
  const lines = output.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  expect(start, output).toBeGreaterThanOrEqual(0);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as ReportJson;
}

/** The report recomputed the plain way from what the topics hold (plain-comparison.ts: no src/rollout code). */
function offlineReport(
  live: readonly CollectedRecord<ChurnPrediction>[],
  shadow: readonly CollectedRecord<ChurnPrediction>[],
  revision: number,
) {
  const isLive = (r: CollectedRecord<ChurnPrediction>) =>
    !r.value.replay && r.headers['churn.compare.id'] === undefined;
  const counted = live.filter((r) => isLive(r) && r.value.rollout_revision === revision).map((r) => r.value);
  const byVariant = new Map<string, ChurnPrediction[]>();
  for (const p of counted) {
    const key = `${p.variant} ${p.model_version}`;
    byVariant.set(key, [...(byVariant.get(key) ?? []), p]);
  }
  const event = (p: ChurnPrediction) => `${p.source_topic}/${p.source_partition}/${p.source_offset}`;
  const champions = new Map(counted.filter((p) => p.variant === 'champion').map((p) => [event(p), p]));
  const pairs: [number, number][] = [];
  for (const r of shadow) {
    const p = r.value;
    if (!isLive(r) || p.rollout_revision !== revision) continue;
    const champion = champions.get(event(p));
    if (champion !== undefined) pairs.push([champion.churn_probability, p.churn_probability]);
  }
  return {
    variants: new Map(
      [...byVariant].map(([key, ps]) => [
        key,
        plainVariant(
          ps.map((p) => p.churn_probability),
          THRESHOLD,
        ),
      ]),
    ),
    shadow: plainShadow(pairs, THRESHOLD, THRESHOLD),
  };
}

describe('experiment report against the real stack', () => {
  test('prints the figures of an offline recomputation from the two topics, for the revision asked', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ topics: [names.predictions, names.shadow] });
    const written = publishedRecords();
    await publish(stream, written);

    const [live, shadow] = [await readBack(stream, names.predictions), await readBack(stream, names.shadow)];
    // read_committed: every committed record, none of the aborted transaction
    expect(live).toHaveLength(written.predictions.length);
    expect(shadow).toHaveLength(written.shadows.length);

    const json = await stream.runCli(['experiment', 'report', '--json'], { name: 'report-json', timeoutMs: 90_000 });
    expect(json.status, json.output).toEqual({ code: 0, signal: null });
    const report = printedJson(json.output);
    expect([report.revision, report.revisions, report.unmatched_shadow_predictions]).toEqual([2, [1, 2], 0]);

    const offline = offlineReport(live, shadow, 2);
    expect(report.variants.map((v) => `${v.variant} ${v.version}`)).toEqual(['champion 1.0.0', 'canary 1.1.0']);
    for (const v of report.variants) {
      const expected = offline.variants.get(`${v.variant} ${v.version}`);
      expect(expected, `${v.variant} ${v.version}`).toBeDefined();
      expect(closeFigures(v, { ...expected, threshold: THRESHOLD }), `${v.variant} ${v.version}`).toEqual([]);
    }
    expect(report.variants.reduce((n, v) => n + (v['count'] as number), 0)).toBe(300);
    expect(report.shadows).toHaveLength(1);
    const [comparison] = report.shadows;
    expect(comparison).toMatchObject({ version: '1.1.0', champion_version: '1.0.0', riskiest_quartile_exact: true });
    expect(closeFigures(comparison ?? {}, { ...offline.shadow })).toEqual([]);
    expect(offline.shadow.events).toBeGreaterThan(200);

    const first = await stream.runCli(['experiment', 'report', '--revision', '1', '--json'], {
      name: 'report-revision-1',
      timeoutMs: 90_000,
    });
    expect(first.status, first.output).toEqual({ code: 0, signal: null });
    const revision1 = printedJson(first.output);
    const offline1 = offlineReport(live, shadow, 1);
    expect(revision1.revision).toBe(1);
    expect(revision1.variants).toHaveLength(1);
    expect(closeFigures(revision1.variants[0] ?? {}, { ...offline1.variants.get('champion 1.0.0') })).toEqual([]);
    expect(revision1.shadows).toEqual([]);

    const table = await stream.runCli(['experiment', 'report'], { name: 'report-table', timeoutMs: 90_000 });
    expect(table.status, table.output).toEqual({ code: 0, signal: null });
    const champion = offline.variants.get('champion 1.0.0');
    expect(table.output).toContain(`experiment report: rollout revision 2 (revisions on ${names.predictions}: 1, 2)`);
    expect(table.output).toMatch(
      new RegExp(`^champion\\s+1\\.0\\.0\\s+${champion?.count}\\s+${champion?.mean_score?.toFixed(4)}\\s`, 'm'),
    );
    expect(table.output).toMatch(
      new RegExp(
        `^1\\.1\\.0\\s+1\\.0\\.0\\s+${offline.shadow.events}\\s+${((offline.shadow.agreement ?? 0) * 100).toFixed(2)}%`,
        'm',
      ),
    );

    const missing = await stream.runCli(['experiment', 'report', '--revision', '5'], {
      name: 'report-revision-5',
      timeoutMs: 90_000,
    });
    expect(missing.status).toEqual({ code: 1, signal: null });
    expect(missing.output).toMatch(
      /churn-scorer: no live prediction of rollout revision 5 on \S+; revisions there: 1, 2/,
    );
  });
});
