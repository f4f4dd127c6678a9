import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildModelPackage } from '../../../src/model-registry/model-package.js';
import { publishedModels } from '../../../src/model-registry/published-models.js';
import { publishedCompareModel, ReplayCompareError } from '../../../src/replay/compare-model.js';

const DIR = 'models/churn/1.1.0';

function packageBytes(edit: (pkg: Record<string, unknown>) => void = () => undefined): Buffer {
  const pkg = buildModelPackage(
    {
      modelJson: readFileSync(`${DIR}/model.json`, 'utf8'),
      parityJsonl: readFileSync(`${DIR}/parity.jsonl`, 'utf8'),
      dir: DIR,
    },
    '2026-01-01T00:00:00Z',
  ) as unknown as Record<string, unknown>;
  edit(pkg);
  return Buffer.from(JSON.stringify(pkg));
}

/** The models topic as read: records of (key, value) in offset order. */
function topic(...records: [string, Buffer | null][]) {
  return publishedModels(records.map(([key, value], i) => ({ offset: String(i), key: Buffer.from(key), value })));
}

describe('publishedCompareModel', () => {
  it('returns the verified model of the version the topic holds last', () => {
    const verified = publishedCompareModel(topic(['1.1.0', packageBytes()]), '1.1.0', 'models');
    expect(verified.version).toBe('1.1.0');
    expect(verified.model.meta.version).toBe('1.1.0');
  });

  it('refuses a version that is not published, naming what is and how to publish', () => {
    const models = topic(['1.1.0', packageBytes()]);
    expect(() => publishedCompareModel(models, '9.9.9', 'models')).toThrow(ReplayCompareError);
    expect(() => publishedCompareModel(models, '9.9.9', 'models')).toThrow(
      /model 9.9.9 is not published on topic models \(published: 1.1.0\); publish it first: churn-scorer model publish models\/churn\/9.9.9/,
    );
  });

  it('refuses a withdrawn version (tombstone after the package)', () => {
    const models = topic(['1.1.0', packageBytes()], ['1.1.0', null]);
    expect(() => publishedCompareModel(models, '1.1.0', 'models')).toThrow(/model 1.1.0 is not published/);
  });

  it('refuses a package that fails verification, saying why', () => {
    const altered = packageBytes((pkg) => {
      pkg['model_json'] = `${String(pkg['model_json'])} `;
    });
    expect(() => publishedCompareModel(topic(['1.1.0', altered]), '1.1.0', 'models')).toThrow(
      /model 1.1.0 on topic models is refused \(checksum: /,
    );
  });
});
