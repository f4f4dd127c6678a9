import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, ITopicConfig } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { buildModelPackage } from '../../../src/model-registry/model-package.js';
import {
  publishedModels,
  requirePublished,
  type ModelsTopicRecord,
} from '../../../src/model-registry/published-models.js';
import { ModelNotPublishedError } from '../../../src/model-registry/registry-errors.js';
import { modelTopicSpecs } from '../../../src/model-registry/registry-topic-specs.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');

function packageBytes(version: string, publishedAt = '2026-11-30T12:00:00.000Z'): Buffer {
  const dir = join(MODELS_DIR, version);
  const pkg = buildModelPackage(
    {
      modelJson: readFileSync(join(dir, 'model.json'), 'utf8'),
      parityJsonl: readFileSync(join(dir, 'parity.jsonl'), 'utf8'),
    },
    publishedAt,
    10,
  );
  return Buffer.from(JSON.stringify(pkg), 'utf8');
}

const v100 = packageBytes('1.0.0');
const v110 = packageBytes('1.1.0');

/** Records at offsets 0, 1, 2, ... in the order given. */
const records = (...entries: [key: string | null, value: Buffer | null][]): ModelsTopicRecord[] =>
  entries.map(([key, value], offset) => ({
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value,
  }));

describe('the versions of a models topic', () => {
  it('keeps the latest record of each version, drops withdrawn ones, and verifies each', () => {
    const corrupted = Buffer.from(v110.toString('utf8').replace('"sha256":"', '"sha256":"0'.padEnd(12, '0')));
    const models = publishedModels(
      records(['1.1.0', corrupted], ['1.0.0', v100], ['2.0.0', v100], ['2.0.0', null], [null, v100], ['1.1.0', v110]),
    );
    expect(models.map((m) => [m.version, m.verification.ok])).toEqual([
      ['1.0.0', true],
      ['1.1.0', true],
    ]);
    expect(models[1]?.offset).toBe('5');
    expect(models[0]?.published_at).toBe('2026-11-30T12:00:00.000Z');
  });

  it('lists a refused version with why, and what it states', () => {
    const [refused] = publishedModels(records(['1.0.0', v110]));
    expect(refused?.verification).toMatchObject({ ok: false, reason: 'key-mismatch' });
    expect(refused?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('a rollout names published versions only', () => {
  const models = publishedModels(records(['1.0.0', v100], ['1.1.0', v110], ['1.2.0', v100]));
  const options = { topic: 'models', localVersion: '0.9.0' };

  it('passes when every version is published and verifies', () => {
    const doc = { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary' as const, weight: 10 }] };
    expect(() => {
      requirePublished(doc, models, options);
    }).not.toThrow();
  });

  it('lets the champion be the local MODEL_DIR version, and only the champion', () => {
    expect(() => {
      requirePublished({ champion: '0.9.0' }, models, options);
    }).not.toThrow();
    expect(() => {
      requirePublished({ champion: '1.0.0', shadows: ['0.9.0'] }, models, options);
    }).toThrow(ModelNotPublishedError);
  });

  it('names the versions missing and the ones refused', () => {
    const doc = {
      champion: '3.0.0',
      challengers: [{ version: '1.2.0', kind: 'ab' as const, weight: 50 }],
      shadows: ['4.0.0'],
    };
    let error: unknown;
    try {
      requirePublished(doc, models, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelNotPublishedError);
    expect((error as ModelNotPublishedError).oneLine).toBe(
      'rollout not published: models 3.0.0, 4.0.0 not published on topic models (publish first: churn-scorer ' +
        'model publish models/churn/<version>); model 1.2.0 is on models but every worker refuses it ' +
        '(key-mismatch; see `model list`)',
    );
  });
});

describe('the model-registry topics', () => {
  const topics = {
    models: 'models',
    rollout: 'models.rollout',
    create: true,
    replicationFactor: 3,
    minInsyncReplicas: 2,
    retentionMs: 604_800_000,
    maxMessageBytes: 1_048_588,
  };

  it('are compacted, with one partition, and are created without a retention', async () => {
    const specs = modelTopicSpecs({ topics });
    expect(specs.map((s) => [s.name, s.partitions, s.cleanupPolicy, s.replicationFactor])).toEqual([
      ['models', 1, 'compact', 3],
      ['models.rollout', 1, 'compact', 3],
    ]);
    const created: ITopicConfig[] = [];
    const admin = {
      listTopics: () => Promise.resolve([]),
      createTopics: ({ topics: asked }: { topics: ITopicConfig[] }) => {
        created.push(...asked);
        return Promise.resolve(true);
      },
      fetchTopicMetadata: ({ topics: names }: { topics: string[] }) =>
        Promise.resolve({
          topics: names.map((name) => ({
            name,
            partitions: [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }],
          })),
        }),
    } as unknown as Admin;
    await ensureTopics(admin, specs, { create: true });
    const entries = created.map((t) => Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])));
    expect(entries).toEqual([
      { 'cleanup.policy': 'compact', 'max.message.bytes': '1048588', 'min.insync.replicas': '2' },
      { 'cleanup.policy': 'compact', 'max.message.bytes': '1048588', 'min.insync.replicas': '2' },
    ]);
  });
});
