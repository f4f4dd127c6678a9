import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { TopicReadTimeoutError } from '../../../src/kafka/read-to-end.js';
import { MissingTopicsError } from '../../../src/kafka/topics.js';
import type { ModelPackage } from '../../../src/model-registry/model-package.js';
import { RolloutFollower } from '../../../src/model-registry/rollout-follower.js';
import { ROLLOUT_KEY } from '../../../src/model-registry/rollout-record.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetricsRegistry, type Registry } from '../../../src/observability/metrics-registry.js';
import type { ServingModel } from '../../../src/serving/serving-set.js';
import { metricValue } from '../../support/metrics.js';
import { REPO_ROOT } from '../../support/paths.js';
import { waitUntil } from '../../support/wait.js';
import { committedModels, rolloutRecordText } from './committed-models.js';
import { FakeRolloutClients } from './fake-rollout-clients.js';

const MODELS = 'models';
const ROLLOUT = 'models.rollout';

let local: ServingModel;
let pkg: (version: string) => ModelPackage;

beforeAll(async () => {
  ({ local, pkg } = await committedModels());
});

const packageText = (version: string, change: (p: ModelPackage) => ModelPackage = (p) => p): string =>
  JSON.stringify(change(pkg(version)));

/** 1.1.0 with model_json altered after its checksum was taken. */
const corrupted = (p: ModelPackage): ModelPackage => ({
  ...p,
  model_json: p.model_json.replace('"churn"', '"churn" '),
});

function followerConfig(create = true): Config {
  return loadConfig({ env: {}, repoRoot: REPO_ROOT, cwd: REPO_ROOT, args: { topics: { create } } });
}

function capturedLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: 'rollout-follower-test',
    level: 'info',
    format: 'json',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines, withMessage: (msg: string) => lines.filter((l) => l['msg'] === msg) };
}

const followers: RolloutFollower[] = [];
afterEach(async () => {
  await Promise.all(followers.splice(0).map((f) => f.stop()));
});

function follower(clients: FakeRolloutClients, options: { create?: boolean; metrics?: Registry } = {}) {
  const logs = capturedLogs();
  const metrics = options.metrics ?? createMetricsRegistry({ processMetrics: false });
  const f = new RolloutFollower({
    config: followerConfig(options.create ?? true),
    clients,
    local,
    logger: logs.logger,
    metrics,
    restartBackoffMs: 10,
  });
  followers.push(f);
  return { follower: f, logs, metrics };
}

describe('RolloutFollower over an in-process fake of its Kafka port', () => {
  it('creates the two compacted topics, and is ready at once when they are empty: the local model serves', async () => {
    const clients = new FakeRolloutClients([]);
    const { follower: f, metrics } = follower(clients);
    expect(f.readiness().ok).toBe(false);

    await f.start(1_000);
    expect(clients.created.map((t) => t.topic)).toEqual([MODELS, ROLLOUT]);
    expect(
      clients.created.every((t) => t.configEntries?.some((e) => e.name === 'cleanup.policy' && e.value === 'compact')),
    ).toBe(true);
    expect(f.readiness()).toEqual({ ok: true, reasons: [] });
    expect(f.current().revision).toBe(0);
    expect(f.current().rollout.champion.version).toBe('1.0.0');
    const text = await metrics.metrics();
    expect(metricValue(text, 'churn_rollout_revision')).toBe(0);
    expect(metricValue(text, 'churn_rollout_share', { version: '1.0.0', variant: 'champion' })).toBe(100);
    expect(clients.consumers[0]?.groupId).toMatch(/^churn-scorer\.rollout\..+-\d+-[0-9a-f]{8}$/);
  });

  it('refuses to start when a topic is missing and may not be created', async () => {
    const clients = new FakeRolloutClients([MODELS]);
    const { follower: f } = follower(clients, { create: false });
    await expect(f.start(1_000)).rejects.toThrow(MissingTopicsError);
    expect(f.readiness()).toEqual({ ok: false, reasons: ['rollout follower stopped'] });
  });

  it('is not ready, and start() waits, until both topics are read up to their end offsets as of start', async () => {
    const clients = new FakeRolloutClients([MODELS, ROLLOUT]);
    clients.append(MODELS, '1.1.0', packageText('1.1.0'));
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.1.0' }));
    clients.hold();
    const { follower: f } = follower(clients);

    let started = false;
    const starting = f.start(5_000).then(() => {
      started = true;
    });
    await waitUntil(() => clients.calls.includes('consumer.run'), {
      timeoutMs: 1_000,
      intervalMs: 5,
      describe: () => clients.calls.join(' | '),
    });
    expect(started).toBe(false);
    expect(f.readiness()).toEqual({
      ok: false,
      reasons: ['rollout follower reading models and models.rollout up to their end offsets'],
    });
    expect(f.current().revision).toBe(0);

    clients.release();
    await starting;
    expect(f.readiness().ok).toBe(true);
    expect(f.current().revision).toBe(1);
    expect(f.current().rollout.champion.version).toBe('1.1.0');
  });

  it('counts a transaction marker at the end of a topic as read (`rollout set` writes in transactions)', async () => {
    // The marker comes in a fetch of its own, which the consumer hands to no batch handler.
    const clients = new FakeRolloutClients([MODELS, ROLLOUT], { batchSize: 1 });
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.0.0' }));
    clients.appendMarker(ROLLOUT);
    const { follower: f } = follower(clients);
    await f.start(2_000);
    expect(f.current().revision).toBe(1);

    // A client that cannot tell of batches of markers only never sees the topic's end offset reached.
    const blind = new FakeRolloutClients([MODELS, ROLLOUT], { batchSize: 1, reportsProgress: false });
    blind.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.0.0' }));
    blind.appendMarker(ROLLOUT);
    await expect(follower(blind).follower.start(300)).rejects.toThrow(TopicReadTimeoutError);
  });

  it('applies a rollout read before the models topic against every package of it (a refused one fixed later)', async () => {
    // The rollout topic comes first; the models topic holds a corrupted 1.1.0 and then a good one.
    const clients = new FakeRolloutClients([MODELS, ROLLOUT], { deliveryOrder: [ROLLOUT, MODELS] });
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.0.0', shadows: ['1.1.0'] }));
    clients.append(MODELS, '1.1.0', packageText('1.1.0', corrupted));
    clients.append(MODELS, '1.1.0', packageText('1.1.0'));
    const { follower: f, logs } = follower(clients);

    await f.start(5_000);
    expect(f.current().revision).toBe(1);
    expect(f.current().shadows.map((s) => s.version)).toEqual(['1.1.0']);
    expect(logs.withMessage('model refused')).toHaveLength(1);
    expect(logs.withMessage('rollout refused')).toHaveLength(0);
  });

  it('swaps the set when a rollout is published, with a log line and the gauges', async () => {
    const clients = new FakeRolloutClients([MODELS, ROLLOUT]);
    const { follower: f, logs, metrics } = follower(clients);
    await f.start(1_000);
    const before = f.current();

    clients.append(MODELS, '1.1.0', packageText('1.1.0'));
    clients.append(
      ROLLOUT,
      ROLLOUT_KEY,
      rolloutRecordText(3, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 12.5 }] }),
    );
    await waitUntil(() => f.current().revision === 3, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => `revision ${f.current().revision}`,
    });

    expect(before.revision).toBe(0);
    expect(logs.withMessage('model verified')).toEqual([
      expect.objectContaining({ version: '1.1.0', replaced: false }),
    ]);
    expect(logs.withMessage('rollout in force')).toEqual([
      expect.objectContaining({ revision: 3, champion: '1.0.0', challengers: ['1.1.0 canary 12.5%'], shadows: [] }),
    ]);
    const text = await metrics.metrics();
    expect(metricValue(text, 'churn_rollout_revision')).toBe(3);
    expect(metricValue(text, 'churn_rollout_share', { version: '1.0.0', variant: 'champion' })).toBe(87.5);
    expect(metricValue(text, 'churn_rollout_share', { version: '1.1.0', variant: 'canary' })).toBe(12.5);
  });

  it('refuses a corrupted package and a rollout naming it, counts both, and keeps the set in force', async () => {
    const clients = new FakeRolloutClients([MODELS, ROLLOUT]);
    const { follower: f, logs, metrics } = follower(clients);
    await f.start(1_000);

    clients.append(MODELS, '1.1.0', packageText('1.1.0', corrupted));
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.1.0' }));
    await waitUntil(() => logs.withMessage('rollout refused').length > 0, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => JSON.stringify(logs.lines),
    });

    expect(f.current().revision).toBe(0);
    expect(logs.withMessage('model refused')).toEqual([
      expect.objectContaining({ level: 40, version: '1.1.0', reason: 'checksum' }),
    ]);
    expect(logs.withMessage('rollout refused')).toEqual([
      expect.objectContaining({ level: 40, revision: 1, reason: 'model-refused', inForce: 0 }),
    ]);
    const text = await metrics.metrics();
    expect(metricValue(text, 'churn_model_refused_total', { reason: 'checksum' })).toBe(1);
    expect(metricValue(text, 'churn_model_refused_total', { reason: 'parity' })).toBe(0);
    expect(metricValue(text, 'churn_rollout_refused_total', { reason: 'model-refused' })).toBe(1);
    expect(metricValue(text, 'churn_rollout_revision')).toBe(0);
  });

  it('fails start() with the topics it could not read when the consumer gets nothing in time', async () => {
    const clients = new FakeRolloutClients([MODELS, ROLLOUT]);
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.0.0' }));
    clients.hold();
    const { follower: f } = follower(clients);

    const failure = await f.start(200).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TopicReadTimeoutError);
    expect((failure as Error).message).toContain('still behind: models.rollout:0 (end offset 1)');
    expect(clients.calls).toContain('consumer.disconnect');
  });

  it('restarts a crashed consumer, not ready meanwhile, without applying the records it read before again', async () => {
    const clients = new FakeRolloutClients([MODELS, ROLLOUT]);
    clients.append(MODELS, '1.1.0', packageText('1.1.0'));
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(1, { champion: '1.0.0' }));
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(2, { champion: '1.1.0' }));
    const { follower: f, logs } = follower(clients);
    await f.start(1_000);
    expect(f.current().revision).toBe(2);

    clients.hold();
    clients.crash(0, new Error('the coordinator is not available'));
    expect(f.readiness()).toEqual({
      ok: false,
      reasons: ['rollout follower restarting after a consumer crash: the coordinator is not available'],
    });
    await waitUntil(() => clients.consumers.length === 2 && f.readiness().ok, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => JSON.stringify(f.readiness()),
    });
    const revisions: number[] = [];
    const watch = setInterval(() => revisions.push(f.current().revision), 1);
    clients.release();
    clients.append(ROLLOUT, ROLLOUT_KEY, rolloutRecordText(3, { champion: '1.0.0' }));
    await waitUntil(() => f.current().revision === 3, {
      timeoutMs: 2_000,
      intervalMs: 5,
      describe: () => `revision ${f.current().revision}`,
    });
    clearInterval(watch);
    // Re-reading from the beginning never put revision 1 back in force.
    expect(revisions.every((r) => r === 2 || r === 3)).toBe(true);
    expect(logs.withMessage('rollout in force').map((l) => l['revision'])).toEqual([1, 2, 3]);
    expect(logs.withMessage('model verified')).toHaveLength(1);
  });
});
