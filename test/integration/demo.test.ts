import { describe, expect } from 'vitest';
import { predictionOutcomeSchema } from '../../src/serde/schema-files.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import type { PredictionOutcome } from '../../src/serde/avro-records.js';
import { PredictionCollector, TopicCollector } from '../support/collectors.js';
import { registryClient } from '../support/events.js';
import { rocAuc } from '../unit/model/roc-auc.js';
import { latestRevision, rolloutsByRevision, startRolloutCollector } from '../support/rollout-topic.js';
import { topicEnv } from '../support/names.js';
import { ManagedProcess } from '../support/processes.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

/**
 * `churn-scorer demo` as a user runs it (on the test's own topics): the campaign run, then the second act on
 * the same worker (publish 1.0.0 and 1.1.0, 1.1.0 as a shadow, then as a 10% canary, then the champion alone),
 * then the third act (simulated outcomes joined by the worker, realized AUC per version), twice, as a user reruns it.
 */

/** Issue 11: HTTP and the stream agree on the variant of 1,000 customers (the side-port's batch limit). */
const COUNT = 1_000;

const joinedDecoder = new AvroDecoder<PredictionOutcome>({
  registry: registryClient(),
  readerType: predictionOutcomeSchema().type,
});

async function demo(stream: StreamFixture, run: number): Promise<string> {
  const result = await stream.runCli(['demo', '--count', String(COUNT), '--timeout', '120'], {
    name: `demo-${run}`,
    timeoutMs: 170_000,
  });
  const output = result.output
    .split('\n')
    .filter((line) => !line.startsWith('# '))
    .join('\n');
  expect(result.status.code, output).toBe(0);
  return output;
}

/** The count of a split line, e.g. "    canary 1.1.0     31 customers    10.33%". */
function customersOf(output: string, variant: string): number {
  const match = new RegExp(`^ +${variant} 1\\.[01]\\.0 +(\\d+) customers +[\\d.]+%$`, 'm').exec(output);
  expect(match, `a split line for ${variant} in:\n${output}`).not.toBeNull();
  return Number(match?.[1]);
}

describe('demo', () => {
  test('scores the customers, then ships 1.1.0 as a shadow and a canary on the same worker; a rerun works', async ({
    stream,
  }) => {
    const { names } = stream;
    const first = await demo(stream, 1);

    expect(first).toContain(
      `predictions received    ${COUNT} from '${names.predictions}' (read_committed; 0 missing, 0 duplicates)`,
    );
    // The campaign's top ten, each with its three largest reasons (feature=value and its log-odds contribution).
    const topTen = first.split('\n').filter((line) => /^ +\d+\. \S+ {2}0\.\d{4} {2}/.test(line));
    expect(topTen, first).toHaveLength(10);
    for (const line of topTen) {
      expect(line, line).toMatch(/ {2}\S+=\S+ [+-]\d+\.\d{2}, \S+=\S+ [+-]\d+\.\d{2}, \S+=\S+ [+-]\d+\.\d{2}$/);
    }
    expect(first).toMatch(new RegExp(`model 1\\.0\\.0: published to '${names.models}' \\(sha256 [0-9a-f]{12}…`));
    expect(first).toMatch(new RegExp(`model 1\\.1\\.0: published to '${names.models}' \\(sha256 [0-9a-f]{12}…`));
    expect(first).toContain(`rollout revision 1 published to '${names.rollout}': champion 1.0.0 100%, shadow 1.1.0 (`);
    expect(first).toContain(
      `${COUNT} live predictions to '${names.predictions}' (1.0.0 for everyone), ` +
        `${COUNT} shadow predictions to '${names.shadow}' only`,
    );
    // The shadow table: 1.1.0 against 1.0.0 on every event, with the figures defined.
    expect(first).toMatch(
      new RegExp(`^ +1\\.1\\.0 +1\\.0\\.0 +${COUNT} +\\d+\\.\\d+% +0\\.\\d{4} +0\\.\\d{4} +[01]\\.\\d{4}$`, 'm'),
    );
    expect(first).toContain(
      `rollout revision 2 published to '${names.rollout}': champion 1.0.0 90%, canary 1.1.0 10% (`,
    );
    const canary = customersOf(first, 'canary');
    expect(customersOf(first, 'champion') + canary).toBe(COUNT);
    // 10% of 1,000 customers by their hash: about a hundred, not none and not most.
    expect(canary).toBeGreaterThan(60);
    expect(canary).toBeLessThan(140);
    expect(first).toContain(`the variant the stream used for ${COUNT} of ${COUNT} customers`);
    expect(first).toContain(`rollout revision 3 published to '${names.rollout}': champion 1.0.0 100% (`);

    // What the topics hold: shadows only on the shadow topic; the rollout back to the champion alone.
    const predictions = await PredictionCollector.start(stream.kafka, names.predictions);
    const shadows = await PredictionCollector.start(stream.kafka, names.shadow);
    const rollouts = await startRolloutCollector(stream.kafka, names.rollout);
    try {
      await Promise.all([predictions.drain(stream.admin), shadows.drain(stream.admin), rollouts.drain(stream.admin)]);
      expect(predictions.records).toHaveLength(3 * COUNT);
      expect(predictions.records.filter((r) => r.value.variant === 'shadow')).toHaveLength(0);
      expect(predictions.records.filter((r) => r.value.variant === 'canary')).toHaveLength(canary);
      expect(shadows.records).toHaveLength(COUNT);
      expect(shadows.records.every((r) => r.value.variant === 'shadow' && r.value.model_version === '1.1.0')).toBe(
        true,
      );
      expect(latestRevision(rollouts.records)).toBe(3);
      expect(rolloutsByRevision(rollouts.records, '1.0.0').get(3)).toEqual({ champion: '1.0.0' });
    } finally {
      await Promise.all([predictions.stop(), shadows.stop(), rollouts.stop()]);
    }

    // The third act: an outcome per customer, each answered by the worker's join with a joined record per version
    // and variant that scored the customer (champion and shadow for everyone, canary for the canary's customers).
    expect(first).toMatch(
      new RegExp(`wrote ${COUNT} outcomes to ${names.outcomes.replace(/\./g, '\\.')}( \\(created, 3 partitions\\))?: `),
    );
    expect(first).toContain(`the worker's outcome join answered ${COUNT} of ${COUNT} outcomes in `);
    expect(first).toContain(`: ${2 * COUNT + canary} joined predictions (`);
    // Each printed AUC is the Mann-Whitney AUC of that version and variant's joined records on the topic.
    const joined = await TopicCollector.start(stream.kafka, names.joined, (m) => joinedDecoder.decode(m.value));
    try {
      await joined.drain(stream.admin);
      const rows: [string, string, number][] = [
        ['1.0.0', 'champion', COUNT],
        ['1.1.0', 'canary', canary],
        ['1.1.0', 'shadow', COUNT],
      ];
      for (const [version, variant, n] of rows) {
        const of = joined.records
          .map((r) => r.value)
          .filter((r) => r.kind === 'joined' && r.model_version === version && r.variant === variant);
        expect(of, `${version} ${variant}`).toHaveLength(n);
        const auc = rocAuc(
          of.map((r) => (r.churned === true ? 1 : 0)),
          of.map((r) => r.churn_probability ?? NaN),
        );
        expect(first).toMatch(
          new RegExp(`^ +${version.replace(/\./g, '\\.')} +${variant} +${n} +\\d+\\.\\d% +${auc.toFixed(4)} `, 'm'),
        );
      }
    } finally {
      await joined.stop();
    }

    // A rerun: the versions are on the topic already (nothing sent), the revisions go on from 3.
    const second = await demo(stream, 2);
    expect(second).toContain(`model 1.0.0: on '${names.models}' already (sha256 `);
    expect(second).toContain(`model 1.1.0: on '${names.models}' already (sha256 `);
    expect(second).toContain(`rollout revision 4 published to '${names.rollout}': champion 1.0.0 100%, shadow 1.1.0 (`);
    expect(second).toContain(`rollout revision 6 published to '${names.rollout}': champion 1.0.0 100% (`);
    // The same customers land in the canary again: the assignment is by customer.
    expect(customersOf(second, 'canary')).toBe(canary);
    expect(second).toContain(`the worker's outcome join answered ${COUNT} of ${COUNT} outcomes in `);
  });

  test('Ctrl-C stops what it started: the worker leaves, the process exits 130 with one line', async ({ stream }) => {
    const demo = new ManagedProcess(
      `${stream.names.suffix}-demo-interrupted`,
      ['demo', '--no-rollout', '--no-outcomes'],
      {
        ...topicEnv(stream.names),
        LOG_LEVEL: 'info',
      },
    );
    try {
      await waitUntil(() => demo.log().includes('demo: producing'), {
        timeoutMs: 90_000,
        describe: () => `no producing line yet:\n${demo.tail()}`,
      });
      demo.signal('SIGINT');
      expect(await demo.waitForExit(60_000)).toEqual({ code: 130, signal: null });
      expect(demo.log()).toContain('demo: SIGINT: stopping what it started');
    } finally {
      if (demo.running) await demo.kill();
    }
  });
});
