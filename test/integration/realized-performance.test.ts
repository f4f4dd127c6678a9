import type { Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { PredictionOutcome } from '../../src/serde/avro-records.js';
import { predictionOutcomeSchema } from '../../src/serde/schema-files.js';
import { TopicCollector, type CollectedRecord } from '../support/collectors.js';
import { registryClient } from '../support/events.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { seededRandom } from '../unit/rollout/rollout-test-data.js';

const THRESHOLD = 0.5;
const JOINED_AT = Date.parse('2026-03-01T00:00:00.000Z');

/** The served arms and the shadow, with the probability the rollout gave each served variant. */
const ARMS = [
  { version: '1.0.0', variant: 'champion', propensity: 0.7, skill: 0.35 },
  { version: '1.1.0', variant: 'ab', propensity: 0.3, skill: 0.6 },
] as const;
const SHADOW = { version: '1.2.0', variant: 'shadow', skill: 0.5 };

/**
 * What an outcome join would have written, written by the test: 300 customers, each served by one arm (drawn by its
 * propensity) and scored by the shadow, with an outcome; scores on a grid of 41 values (so ties are frequent), more
 * informative the higher the version's skill. Around them: expired predictions and unmatched outcomes.
 */
function joinedRecords(): PredictionOutcome[] {
  const random = seededRandom(1313);
  const records: PredictionOutcome[] = [];
  let written = 0;
  const base = (customerid: string): PredictionOutcome => ({
    kind: 'joined',
    customerid,
    event_id: null,
    model_version: null,
    variant: null,
    rollout_revision: 4,
    churn_probability: null,
    predicted_churn: null,
    assignment_probability: null,
    prediction_time: JOINED_AT - 86_400_000,
    outcome_time: JOINED_AT - 3_600_000,
    churned: null,
    offer: null,
    accepted: null,
    correct: null,
    joined_at: JOINED_AT + written++,
  });
  const score = (churned: boolean, skill: number) =>
    Math.round(Math.min(1, Math.max(0, (churned ? skill : -skill) * 0.5 + 0.5 + (random() - 0.5) * 0.8)) * 40) / 40;
  const joined = (
    customerid: string,
    churned: boolean,
    arm: { version: string; variant: string; skill: number },
    propensity: number,
  ) => {
    const p = score(churned, arm.skill);
    const predicted = p >= THRESHOLD;
    return {
      ...base(customerid),
      event_id: `E-${customerid}-${arm.version}`,
      model_version: arm.version,
      variant: arm.variant,
      churn_probability: p,
      predicted_churn: predicted,
      assignment_probability: propensity,
      churned,
      offer: churned ? null : 'discount-10',
      accepted: churned ? null : random() < 0.5,
      correct: predicted === churned,
    };
  };
  for (let i = 0; i < 300; i++) {
    const customerid = `C-${i}`;
    const churned = random() < 0.3;
    const arm = random() < ARMS[0].propensity ? ARMS[0] : ARMS[1];
    records.push(joined(customerid, churned, arm, arm.propensity));
    records.push(joined(customerid, churned, SHADOW, 1));
    if (i % 10 === 0) {
      records.push({
        ...base(`X-${i}`),
        kind: 'expired-prediction',
        event_id: `E-X-${i}`,
        model_version: arm.version,
        variant: arm.variant,
        churn_probability: 0.4,
        predicted_churn: false,
        assignment_probability: arm.propensity,
        outcome_time: null,
      });
    }
    if (i % 25 === 0) {
      records.push({
        ...base(`U-${i}`),
        kind: 'unmatched-outcome',
        rollout_revision: null,
        prediction_time: null,
        churned: true,
      });
    }
  }
  return records;
}

async function publish(stream: StreamFixture, records: readonly PredictionOutcome[]): Promise<void> {
  const { names, kafka } = stream;
  const encoder = await AvroEncoder.create<PredictionOutcome>({
    registry: registryClient(),
    subject: `${names.joined}-value`,
    schema: predictionOutcomeSchema(),
    autoRegister: true,
  });
  const producer = kafka.producer({
    transactionalId: `${names.suffix}.joiner`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 200) {
      const transaction = await producer.transaction();
      const messages: Message[] = records
        .slice(i, i + 200)
        .map((r) => ({ key: r.customerid, value: encoder.encode(r) }));
      await transaction.send({ topic: names.joined, messages, acks: -1 });
      await transaction.commit();
    }
  } finally {
    await producer.disconnect();
  }
}

/** What a read_committed consumer of the joined topic sees, decoded by the test. */
async function readBack(stream: StreamFixture): Promise<CollectedRecord<PredictionOutcome>[]> {
  const decoder = new AvroDecoder<PredictionOutcome>({
    registry: registryClient(),
    readerType: predictionOutcomeSchema().type,
  });
  const collector = await TopicCollector.start(stream.kafka, stream.names.joined, (m) => decoder.decode(m.value));
  try {
    await collector.drain(stream.admin);
    expect(collector.decodeErrors).toEqual([]);
    return collector.records;
  } finally {
    await collector.stop();
  }
}

/** AUC the slow, obvious way: every (churner, non-churner) pair, ties 1/2. */
function pairwiseAuc(rows: readonly PredictionOutcome[]): number {
  const positives = rows.filter((r) => r.churned === true).map((r) => r.churn_probability as number);
  const negatives = rows.filter((r) => r.churned === false).map((r) => r.churn_probability as number);
  let wins = 0;
  for (const pos of positives) for (const neg of negatives) wins += pos > neg ? 1 : pos === neg ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

interface RealizedJson {
  joined: number;
  expired_predictions: number;
  unmatched_outcomes: number;
  other: number;
  last: number | null;
  versions: {
    version: string;
    variant: string;
    n: number;
    joined: number;
    expired: number;
    auc: number | null;
    churn_rate: number | null;
    mean_correct: number | null;
  }[];
  ips: {
    reward: string;
    n: number;
    versions: { version: string; records: number; mean_reward: number | null; ips: number | null }[];
  }[];
}

function printedJson(output: string): { realized: RealizedJson | null; revision: number | null } {
  const lines = output.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  expect(start, output).toBeGreaterThanOrEqual(0);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as {
    realized: RealizedJson | null;
    revision: number | null;
  };
}

describe('experiment report: realized performance against the real stack', () => {
  test('realized AUC per version and variant and the IPS estimates equal an offline computation from the joined topic', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ topics: [names.predictions, names.shadow] });

    const before = await stream.runCli(['experiment', 'report'], { name: 'no-joined-topic', timeoutMs: 90_000 });
    expect(before.status, before.output).toEqual({ code: 0, signal: null });
    expect(before.output).toContain(`realized performance: topic ${names.joined} does not exist`);

    await stream.createTopics({ topics: [names.joined] });
    const written = joinedRecords();
    await publish(stream, written);
    const read = await readBack(stream);
    expect(read).toHaveLength(written.length);
    const topic = read.map((r) => r.value);

    const run = await stream.runCli(['experiment', 'report', '--json'], { name: 'realized-json', timeoutMs: 90_000 });
    expect(run.status, run.output).toEqual({ code: 0, signal: null });
    const { realized, revision } = printedJson(run.output);
    expect(revision).toBeNull(); // no live prediction on the (empty) predictions topic
    expect(realized).not.toBeNull();
    const count = (kind: string) => topic.filter((r) => r.kind === kind).length;
    expect(realized).toMatchObject({
      joined: count('joined'),
      expired_predictions: count('expired-prediction'),
      unmatched_outcomes: count('unmatched-outcome'),
      other: 0,
      last: null,
    });
    expect(count('expired-prediction')).toBe(30);
    expect(count('unmatched-outcome')).toBe(12);

    const groups = [...ARMS, SHADOW].map(({ version, variant }) => ({
      version,
      variant,
      rows: topic.filter((r) => r.kind === 'joined' && r.model_version === version && r.variant === variant),
    }));
    expect(realized?.versions.map((v) => `${v.version} ${v.variant}`)).toEqual(
      groups.map((g) => `${g.version} ${g.variant}`),
    );
    for (const { version, variant, rows } of groups) {
      const reported = realized?.versions.find((v) => v.version === version && v.variant === variant);
      const expired = topic.filter(
        (r) => r.kind === 'expired-prediction' && r.model_version === version && r.variant === variant,
      );
      expect(reported, `${version} ${variant}`).toMatchObject({
        n: rows.length,
        joined: rows.length,
        expired: expired.length,
      });
      expect(Math.abs((reported?.auc ?? Number.NaN) - pairwiseAuc(rows)), `${version} ${variant}`).toBeLessThan(1e-9);
      expect(reported?.mean_correct).toBeCloseTo(rows.filter((r) => r.correct === true).length / rows.length, 12);
    }
    // the versions really differ, so a mixed-up grouping could not pass
    const aucs = groups.map((g) => pairwiseAuc(g.rows));
    expect(new Set(aucs.map((a) => a.toFixed(6))).size).toBe(3);

    // IPS: V(v) = (1/n) * sum of reward * 1{version == v} / assignment_probability over the served joins
    const served = topic.filter((r) => r.kind === 'joined' && r.variant !== 'shadow');
    const rewards = {
      'correct-decision': (r: PredictionOutcome) => (r.correct === true ? 1 : 0),
      'caught-churner': (r: PredictionOutcome) => (r.churned === true ? (r.predicted_churn === true ? 1 : 0) : null),
    };
    for (const [reward, rewardOf] of Object.entries(rewards)) {
      const carrying = served.filter((r) => rewardOf(r) !== null);
      const table = realized?.ips.find((t) => t.reward === reward);
      expect(table?.n, reward).toBe(carrying.length);
      for (const arm of ARMS) {
        const ofArm = carrying.filter((r) => r.model_version === arm.version);
        const sum = ofArm.reduce((s, r) => s + (rewardOf(r) ?? 0) / (r.assignment_probability as number), 0);
        const estimate = table?.versions.find((v) => v.version === arm.version);
        expect(estimate?.records, `${reward} ${arm.version}`).toBe(ofArm.length);
        expect(
          Math.abs((estimate?.ips ?? Number.NaN) - sum / carrying.length),
          `${reward} ${arm.version}`,
        ).toBeLessThan(1e-9);
        const mean = ofArm.reduce((s, r) => s + (rewardOf(r) ?? 0), 0) / ofArm.length;
        expect(Math.abs((estimate?.mean_reward ?? Number.NaN) - mean)).toBeLessThan(1e-12);
      }
      expect(table?.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    }

    const last = await stream.runCli(['experiment', 'report', '--json', '--last', '40'], {
      name: 'realized-last',
      timeoutMs: 90_000,
    });
    expect(last.status, last.output).toEqual({ code: 0, signal: null });
    const recent = printedJson(last.output).realized;
    expect(recent?.last).toBe(40);
    for (const { version, variant, rows } of groups) {
      // joined_at grows with every record written: the last 40 by joined_at
      const window = [...rows].sort((a, b) => a.joined_at - b.joined_at).slice(-40);
      const reported = recent?.versions.find((v) => v.version === version && v.variant === variant);
      expect(reported, `${version} ${variant}`).toMatchObject({ n: 40, joined: rows.length });
      expect(Math.abs((reported?.auc ?? Number.NaN) - pairwiseAuc(window)), `${version} ${variant}`).toBeLessThan(1e-9);
    }

    const text = await stream.runCli(['experiment', 'report'], { name: 'realized-text', timeoutMs: 90_000 });
    expect(text.status, text.output).toEqual({ code: 0, signal: null });
    const champion = realized?.versions.find((v) => v.variant === 'champion');
    expect(text.output).toContain(
      `realized performance from ${names.joined}: ${count('joined')} joined, 30 expired predictions, 12 unmatched outcomes`,
    );
    expect(text.output).toMatch(
      new RegExp(`^1\\.0\\.0\\s+champion\\s+${champion?.n}\\s+\\S+%\\s+${champion?.auc?.toFixed(4)}\\s`, 'm'),
    );
    expect(text.output).toContain("inverse-propensity estimate of each served version's reward 'correct-decision'");
  });
});
