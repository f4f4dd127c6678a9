import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { armWeights, banditDocumentFromFlags, type BanditRolloutDocument } from '../../../src/bandit/bandit-rollout.js';
import { BanditStepper, type BanditClients, type ReadTo } from '../../../src/bandit/bandit-stepper.js';
import { RolloutConflictError } from '../../../src/model-registry/registry-errors.js';
import type { RolloutChange, RolloutChangeResult } from '../../../src/model-registry/registry-topics.js';
import {
  nextRolloutRecord,
  promoteDocument,
  rollbackRecord,
  type RolloutRecord,
} from '../../../src/model-registry/rollout-record.js';
import { createMetricsRegistry } from '../../../src/observability/metrics-registry.js';
import { parseRollout } from '../../../src/rollout/rollout.js';
import type { PredictionOutcome } from '../../../src/serde/avro-records.js';
import { buildServingSet, servingModel, type ServingSet } from '../../../src/serving/serving-set.js';
import { seededUniform, simulatedOutcomes, type SimulatedArm } from '../../support/bandit-simulation.js';
import { metricValue } from '../../support/metrics.js';
import { committedModel } from '../../support/serving-sets.js';

const log = pino({ level: 'silent' });
const ARMS: SimulatedArm[] = [
  { version: '1.0.0', variant: 'champion', correctRate: 0.65 },
  { version: '1.1.0', variant: 'bandit', correctRate: 0.75 },
];

/** The rollout topic and the joined topic in memory, as the Kafka clients would show them. */
class FakeKafka {
  current: RolloutRecord | undefined;
  readonly published: RolloutRecord[] = [];
  /** joined topic: partition -> records in offset order */
  readonly joined = new Map<number, PredictionOutcome[]>([
    [0, []],
    [1, []],
  ]);
  reads: ReadTo[] = [];

  publish(record: RolloutRecord): void {
    this.current = record;
    this.published.push(record);
  }

  append(outcomes: readonly PredictionOutcome[]): void {
    outcomes.forEach((o, i) => this.joined.get(i % 2)?.push(o));
  }

  clients(options: { conflict?: boolean } = {}): BanditClients {
    return {
      readJoined: (from) => {
        this.reads.push(from);
        const outcomes: PredictionOutcome[] = [];
        const readTo: Record<string, string> = { ...from };
        for (const [partition, records] of this.joined) {
          outcomes.push(...records.slice(Number(from[String(partition)] ?? '0')));
          readTo[String(partition)] = String(records.length);
        }
        return Promise.resolve({ outcomes, readTo, undecodable: 0 });
      },
      changeRollout: (change: RolloutChange): Promise<RolloutChangeResult> => {
        if (options.conflict === true) return Promise.reject(new RolloutConflictError('fenced by another writer'));
        const previous = this.current;
        const record = change({ models: [], rollout: { current: previous, refused: [] } });
        if (record !== undefined) this.publish(record);
        return Promise.resolve({ published: record, previous, offset: record === undefined ? undefined : '1' });
      },
      close: () => Promise.resolve(),
    };
  }
}

async function servingSetOf(record: RolloutRecord): Promise<ServingSet> {
  const models = new Map(
    await Promise.all(
      (['1.0.0', '1.1.0'] as const).map(async (v) => [v, servingModel(await committedModel(v), false)] as const),
    ),
  );
  return buildServingSet(record.revision, parseRollout(record.rollout), models);
}

/** A rollout topic holding the champion alone (revision 1), then a bandit over 1.0.0 and 1.1.0 (revision 2). */
function banditTopic(): FakeKafka {
  const kafka = new FakeKafka();
  const before = nextRolloutRecord(undefined, { champion: '1.0.0' }, '2026-11-30T10:00:00.000Z');
  kafka.publish(before);
  const bandit = banditDocumentFromFlags({ bandit: '1.0.0,1.1.0', shadow: [] }, { '0': '0', '1': '0' });
  kafka.publish(nextRolloutRecord(before, bandit, '2026-11-30T10:01:00.000Z'));
  return kafka;
}

/** A follower that has read the rollout topic up to its end: what the stepper sees as the serving set. */
function follower(kafka: FakeKafka) {
  let set: ServingSet | undefined;
  return {
    source: { current: () => set as ServingSet },
    async catchUp() {
      set = await servingSetOf(kafka.current as RolloutRecord);
    },
  };
}

function stepper(kafka: FakeKafka, serving: { current(): ServingSet }, options: { conflict?: boolean } = {}) {
  const metrics = createMetricsRegistry({ processMetrics: false });
  const s = new BanditStepper({
    intervalMs: 10_000,
    serving,
    clients: kafka.clients(options),
    logger: log,
    metrics,
    now: () => new Date('2026-11-30T12:00:00.000Z'),
  });
  return { stepper: s, metrics };
}

describe('BanditStepper', () => {
  it('does nothing while no bandit is in force', async () => {
    const kafka = new FakeKafka();
    kafka.publish(nextRolloutRecord(undefined, { champion: '1.0.0' }, '2026-11-30T10:00:00.000Z'));
    const f = follower(kafka);
    await f.catchUp();
    const { stepper: s } = stepper(kafka, f.source);
    expect(await s.tick()).toEqual({ kind: 'no-bandit' });
    expect(kafka.reads).toEqual([]);
    expect(kafka.published).toHaveLength(1);
  });

  it('publishes nothing when the joined topic has no record past read_to', async () => {
    const kafka = banditTopic();
    const f = follower(kafka);
    await f.catchUp();
    const { stepper: s } = stepper(kafka, f.source);
    expect(await s.tick()).toEqual({ kind: 'nothing-new', revision: 2 });
    expect(kafka.published).toHaveLength(2);
  });

  it('steps from read_to: posteriors, weights, read_to and step in the next revision, the history left as it was', async () => {
    const kafka = banditTopic();
    const f = follower(kafka);
    await f.catchUp();
    const { stepper: s, metrics } = stepper(kafka, f.source);
    const random = seededUniform(11);
    let counted = 0;
    for (let i = 0; i < 20; i++) {
      const weights = armWeights(kafka.current?.rollout as BanditRolloutDocument);
      const batch = simulatedOutcomes(ARMS, weights, 50, random, i * 50);
      kafka.append(batch);
      counted += batch.length;
      const tick = await s.tick();
      expect(tick.kind).toBe('stepped');
      await f.catchUp();
    }
    const last = kafka.current as RolloutRecord;
    expect(last.revision).toBe(22);
    // every step replaced the rollout in force: the history still starts with what was there before the bandit
    expect(last.history.map((h) => h.revision)).toEqual([1]);
    expect(rollbackRecord(last, '2026-11-30T12:01:00.000Z').rollout).toEqual({ champion: '1.0.0' });
    const bandit = last.rollout.bandit;
    expect(bandit?.step).toBe(20);
    expect(bandit?.read_to).toEqual({ '0': '500', '1': '500' });
    // each record counted once, however many steps read the topic
    const total = (bandit?.posteriors ?? []).reduce((sum, p) => sum + p.successes + p.failures, 0);
    expect(total).toBe(counted);
    const text = await metrics.metrics();
    expect(metricValue(text, 'churn_bandit_steps_total')).toBe(20);
    const weights = armWeights(last.rollout as BanditRolloutDocument);
    expect(metricValue(text, 'churn_bandit_weight', { version: '1.1.0' })).toBe(weights[1]);
    expect(weights[1]).toBeGreaterThan(80);
  });

  it('skips quietly when another worker stepped first (the rollout moved on) or took the admin id (conflict)', async () => {
    const kafka = banditTopic();
    const f = follower(kafka);
    await f.catchUp();
    kafka.append(simulatedOutcomes(ARMS, [50, 50], 40, seededUniform(2)));
    const first = stepper(kafka, f.source).stepper;
    const second = stepper(kafka, f.source).stepper; // its follower has not seen the first one's step yet
    expect((await first.tick()).kind).toBe('stepped');
    expect(await second.tick()).toEqual({ kind: 'skipped', revision: 2, reason: 'moved-on' });
    expect(kafka.published.map((r) => r.revision)).toEqual([1, 2, 3]);
    kafka.append(simulatedOutcomes(ARMS, [50, 50], 10, seededUniform(3)));
    await f.catchUp();
    const fenced = stepper(kafka, f.source, { conflict: true }).stepper;
    expect(await fenced.tick()).toEqual({ kind: 'skipped', revision: 3, reason: 'conflict' });
    // the second worker, its follower caught up, continues from the first one's read_to
    expect((await second.tick()).kind).toBe('stepped');
    expect(kafka.reads.at(-1)).toEqual({ '0': '20', '1': '20' });
    const posteriors = kafka.current?.rollout.bandit?.posteriors ?? [];
    expect(posteriors.reduce((sum, p) => sum + p.successes + p.failures, 0)).toBe(50);
  });

  it('promoting an arm ends the bandit: the promoted version serves everyone', () => {
    const document = banditDocumentFromFlags({ bandit: '1.0.0,1.1.0,1.2.0', shadow: ['2.0.0'] }, {});
    expect(promoteDocument(document, '1.1.0')).toEqual({ champion: '1.1.0', shadows: ['2.0.0'] });
  });
});
