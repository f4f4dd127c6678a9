import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect } from 'vitest';
import { TopicCollector } from '../support/collectors.js';
import { REPO_ROOT } from '../support/paths.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';

/**
 * `model publish|list` and `rollout set|show|promote|rollback` as an operator runs them, against the real
 * broker, on topics of the test's own (TOPIC_MODELS, TOPIC_ROLLOUT).
 */

const MODELS = join(REPO_ROOT, 'models', 'churn');
const scratch = mkdtempSync(join(tmpdir(), 'churn-model-registry-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A copy of a committed model directory, with `edit` applied to its model.json text. */
function modelCopy(from: string, name: string, edit: (modelJson: string) => string): string {
  const dir = join(scratch, name);
  cpSync(join(MODELS, from), dir, { recursive: true });
  const file = join(dir, 'model.json');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after, `the edit of ${name} changes model.json`).not.toBe(before);
  writeFileSync(file, after);
  return dir;
}

let runs = 0;

/** One CLI run to its exit: exit code, and its output without the log file's header lines. */
async function cli(stream: StreamFixture, args: string[], env: Record<string, string> = {}) {
  const run = await stream.runCli(args, {
    name: `cli-${++runs}-${args.slice(0, 2).join('-')}`,
    timeoutMs: 60_000,
    env,
  });
  const output = run.output
    .split('\n')
    .filter((line) => !line.startsWith('# '))
    .join('\n')
    .trim();
  return { code: run.status.code, output };
}

interface ShownRollout {
  topic: string;
  revision: number;
  rollout: unknown;
  shares: { version: string; role: string; percent?: number }[];
  history: { revision: number }[];
}

async function shown(stream: StreamFixture): Promise<ShownRollout> {
  const run = await cli(stream, ['rollout', 'show', '--json']);
  expect(run.code, run.output).toBe(0);
  return JSON.parse(run.output) as ShownRollout;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('publishing models and changing the rollout from the command line', () => {
  test('publish, set a canary and a shadow, show, promote, roll back; refuse what no worker could serve', async ({
    stream,
  }) => {
    const { names } = stream;
    const rc1 = modelCopy('1.1.0', 'rc1', (text) => text.replace('"version": "1.1.0"', '"version": "1.2.0-rc1"'));

    const published = await cli(stream, ['model', 'publish', join(MODELS, '1.0.0')]);
    expect(published.code, published.output).toBe(0);
    expect(published.output).toBe(
      `published model 1.0.0 to ${names.models} (partition 0, offset 0): ` +
        `sha256 ${sha256(join(MODELS, '1.0.0', 'model.json'))}, 100 parity examples`,
    );
    for (const dir of [join(MODELS, '1.1.0'), rc1]) {
      const run = await cli(stream, ['model', 'publish', dir]);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(/^published model (1\.1\.0|1\.2\.0-rc1) to /);
    }
    const again = await cli(stream, ['model', 'publish', join(MODELS, '1.1.0')]);
    expect(again.output).toMatch(/^model 1\.1\.0 is on .* already with sha256 [0-9a-f]{64}; nothing sent$/);
    // The same version with other content: a published version never changes.
    const reformatted = modelCopy('1.1.0', 'reformatted', (text) => `${text}\n`);
    const taken = await cli(stream, ['model', 'publish', reformatted]);
    expect(taken.code).toBe(1);
    expect(taken.output).toMatch(/^churn-scorer: model 1\.1\.0 is published on \S+ already with sha256 /);

    const listed = await cli(stream, ['model', 'list', '--json']);
    expect(listed.code, listed.output).toBe(0);
    expect(
      (JSON.parse(listed.output) as { version: string; verified: boolean }[]).map((m) => [m.version, m.verified]),
    ).toEqual([
      ['1.0.0', true],
      ['1.1.0', true],
      ['1.2.0-rc1', true],
    ]);

    const none = await cli(stream, ['rollout', 'show']);
    expect(none.output).toBe(
      `no rollout on ${names.rollout}: every worker serves its MODEL_DIR model as the champion (revision 0)`,
    );

    const set = await cli(stream, [
      'rollout',
      'set',
      '--champion',
      '1.0.0',
      '--canary',
      '1.1.0=10%',
      '--shadow',
      '1.2.0-rc1',
    ]);
    expect(set.code, set.output).toBe(0);
    expect(set.output).toBe(
      `rollout revision 1 published to ${names.rollout}: champion 1.0.0 90%, canary 1.1.0 10%, shadow 1.2.0-rc1`,
    );
    const first = await shown(stream);
    expect(first).toMatchObject({
      topic: names.rollout,
      revision: 1,
      rollout: {
        champion: '1.0.0',
        challengers: [{ version: '1.1.0', kind: 'canary', weight: 10 }],
        shadows: ['1.2.0-rc1'],
      },
      shares: [
        { version: '1.0.0', role: 'champion', percent: 90 },
        { version: '1.1.0', role: 'canary', percent: 10 },
        { version: '1.2.0-rc1', role: 'shadow' },
      ],
      history: [],
    });
    const table = await cli(stream, ['rollout', 'show']);
    expect(table.output.split('\n').slice(1, 4)).toEqual([
      '  champion  1.0.0  90%',
      '  canary    1.1.0  10%',
      '  shadow    1.2.0-rc1',
    ]);

    const promoted = await cli(stream, ['rollout', 'promote', '1.1.0']);
    expect(promoted.code, promoted.output).toBe(0);
    expect(promoted.output).toBe(
      `rollout revision 2 published to ${names.rollout}: 1.1.0 promoted to champion (was 1.0.0): ` +
        'champion 1.1.0 100%, shadow 1.2.0-rc1',
    );
    const rolledBack = await cli(stream, ['rollout', 'rollback']);
    expect(rolledBack.code, rolledBack.output).toBe(0);
    expect(rolledBack.output).toBe(
      `rollout revision 3 published to ${names.rollout}: rolled back to the rollout of revision 1: ` +
        'champion 1.0.0 90%, canary 1.1.0 10%, shadow 1.2.0-rc1',
    );
    const nothingLeft = await cli(stream, ['rollout', 'rollback']);
    expect(nothingLeft.code).toBe(1);
    expect(nothingLeft.output).toBe(
      'churn-scorer: cannot roll back: rollout revision 3 has no earlier rollout in its history; ' +
        'use `rollout set` to publish the rollout you want',
    );

    const unpublished = await cli(stream, ['rollout', 'set', '--champion', '1.0.0', '--ab', '9.9.9=50%']);
    expect(unpublished.code).toBe(1);
    expect(unpublished.output).toBe(
      `churn-scorer: rollout not published: model 9.9.9 not published on topic ${names.models} ` +
        '(publish first: churn-scorer model publish models/churn/<version>)',
    );
    const badFlag = await cli(stream, ['rollout', 'set', '--champion', '1.0.0', '--canary', '1.1.0=150%']);
    expect(badFlag.code).toBe(1);
    expect(badFlag.output).toBe('churn-scorer: invalid rollout: --canary "1.1.0=150%": 150% is more than 100%');

    // The champion may be the MODEL_DIR model's version, which every worker has without a package.
    const local = modelCopy('1.0.0', 'local', (text) => text.replace('"version": "1.0.0"', '"version": "1.0.0-local"'));
    const localChampion = await cli(stream, ['rollout', 'set', '--champion', '1.0.0-local', '--canary', '1.1.0=20%'], {
      MODEL_DIR: local,
    });
    expect(localChampion.code, localChampion.output).toBe(0);
    expect(localChampion.output).toMatch(
      /^rollout revision 4 published .*: champion 1\.0\.0-local 80%, canary 1\.1\.0 20%$/,
    );
    const localShadow = await cli(stream, ['rollout', 'set', '--champion', '1.0.0', '--shadow', '1.0.0-local'], {
      MODEL_DIR: local,
    });
    expect(localShadow.code).toBe(1);
    expect(localShadow.output).toMatch(/model 1\.0\.0-local not published on topic/);

    // What a worker reads: the records on the rollout topic, keyed by the model name, read_committed.
    const reader = await TopicCollector.start(
      stream.kafka,
      names.rollout,
      (m) =>
        JSON.parse(m.value?.toString('utf8') ?? 'null') as { format: string; revision: number; history: unknown[] },
    );
    try {
      await reader.drain(stream.admin);
      expect(reader.records.map((r) => [r.key, r.value.format, r.value.revision, r.value.history.length])).toEqual([
        ['churn', 'churn-scorer/rollout@1', 1, 0],
        ['churn', 'churn-scorer/rollout@1', 2, 1],
        ['churn', 'churn-scorer/rollout@1', 3, 0],
        ['churn', 'churn-scorer/rollout@1', 4, 1],
      ]);
    } finally {
      await reader.stop();
    }
    const described = await stream.admin.describeConfigs({
      includeSynonyms: false,
      resources: [names.models, names.rollout].map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy'],
      })),
    });
    expect(described.resources.map((r) => r.configEntries[0]?.configValue)).toEqual(['compact', 'compact']);
  });

  test('two operators at once: each command publishes a revision of its own, or fails and publishes nothing', async ({
    stream,
  }) => {
    for (const version of ['1.0.0', '1.1.0']) {
      const run = await cli(stream, ['model', 'publish', join(MODELS, version)]);
      expect(run.code, run.output).toBe(0);
    }
    const weights = ['11', '22', '33'];
    const runs = await Promise.all(
      weights.map((w) => cli(stream, ['rollout', 'set', '--champion', '1.0.0', '--canary', `1.1.0=${w}%`])),
    );
    const published = new Map<number, string>();
    for (const [i, run] of runs.entries()) {
      if (run.code === 0) {
        const match = /^rollout revision (\d+) published .* canary 1\.1\.0 (\d+)%$/.exec(run.output);
        expect(match, run.output).not.toBeNull();
        expect(match?.[2]).toBe(weights[i]);
        expect(published.has(Number(match?.[1])), `revision ${match?.[1]} published twice`).toBe(false);
        published.set(Number(match?.[1]), weights[i] as string);
      } else {
        expect(run.output).toMatch(
          /^churn-scorer: another rollout command changed the rollout on \S+ while this one ran/,
        );
      }
    }
    expect(published.size).toBeGreaterThanOrEqual(1);
    // The topic holds exactly the revisions the commands reported, 1..n, each with its command's weight.
    const reader = await TopicCollector.start(
      stream.kafka,
      stream.names.rollout,
      (m) =>
        JSON.parse(m.value?.toString('utf8') ?? 'null') as {
          revision: number;
          rollout: { challengers: { weight: number }[] };
        },
    );
    try {
      await reader.drain(stream.admin);
      expect(reader.records.map((r) => [r.value.revision, String(r.value.rollout.challengers[0]?.weight)])).toEqual(
        [...published].sort(([a], [b]) => a - b),
      );
      expect(reader.records.map((r) => r.value.revision)).toEqual(reader.records.map((_, i) => i + 1));
    } finally {
      await reader.stop();
    }
  });

  test('refuses a corrupted model directory at publish, before anything reaches Kafka', async ({ stream }) => {
    const tampered = modelCopy('1.1.0', 'tampered', (text) => {
      const first = (JSON.parse(text) as { coefficients: number[] }).coefficients[0] as number;
      return text.replace(JSON.stringify(first), JSON.stringify(first + 0.01));
    });
    const refused = await cli(stream, ['model', 'publish', tampered]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      new RegExp(
        `^churn-scorer: model 1\\.1\\.0 in ${tampered} refused \\(parity\\): parity\\[\\d+\\] \\(customerid [\\w-]+\\) ` +
          'scores 0\\.\\d+ but the package says 0\\.\\d+ \\(\\|Δ\\| .* > 1e-9\\); nothing was published$',
      ),
    );
    const truncated = modelCopy('1.0.0', 'truncated', (text) => text.slice(0, text.length / 2));
    const broken = await cli(stream, ['model', 'publish', truncated]);
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(
      /^churn-scorer: model in \S+truncated refused \(artifact\): \S+model\.json: not valid JSON/,
    );
    expect(await stream.admin.listTopics()).not.toContain(stream.names.models);
  });
});
