import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, onTestFinished } from 'vitest';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { TopicCollector } from '../support/collectors.js';
import {
  customerEventEncoder,
  eventMessage,
  loadParityCases,
  predictionDecoder,
  type ParityCase,
} from '../support/events.js';
import { describeLag, eventProducer, groupLag, sendAll } from '../support/kafka.js';
import { REPO_ROOT } from '../support/paths.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const COMPARED = 30;
const UNKNOWN = 3;

/** sklearn's probabilities of the candidate version for the test customers (its own parity fixture). */
function candidateParity(): Map<string, number> {
  const text = readFileSync(join(REPO_ROOT, 'models', 'churn', '1.1.0', 'parity.jsonl'), 'utf8');
  const cases = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityCase);
  return new Map(cases.map((c) => [c.customerid, c.churn_probability]));
}

describe('replay --compare, worker side', () => {
  test('scores compare records of the replay topic with the champion and the candidate into the shadow topic only', async ({
    stream,
  }) => {
    const { names, kafka, admin } = stream;
    await stream.createTopics();
    // Published before the worker starts: its follower reads the models topic to its end before it is ready.
    const publish = await stream.runCli(['model', 'publish', 'models/churn/1.1.0'], {
      name: 'publish',
      timeoutMs: 90_000,
    });
    expect(publish.status, publish.output).toEqual({ code: 0, signal: null });
    const worker = stream.startWorker();
    await worker.waitForReady();

    const shadow = await TopicCollector.start<ChurnPrediction>(kafka, names.shadow, (m) =>
      predictionDecoder().decode(m.value),
    );
    const predictions = await stream.collectPredictions();
    onTestFinished(() => shadow.stop());
    const letters = await stream.collectDeadLetters();

    const compareId = randomUUID();
    const cases = loadParityCases().slice(0, COMPARED + UNKNOWN);
    const encoder = await customerEventEncoder(names.customers);
    const runId = randomUUID().slice(0, 8);
    const messages = cases.map((c, i) =>
      eventMessage(
        encoder,
        { ...c.raw, customerid: c.customerid, event_id: `${runId}-${i}`, event_time: Date.now() },
        {
          headers: {
            'churn.compare.version': i < COMPARED ? '1.1.0' : '0.0.0-never-published',
            'churn.compare.id': compareId,
          },
        },
      ),
    );
    const producer = await eventProducer(kafka);
    try {
      await sendAll(producer, names.replay, messages);
    } finally {
      await producer.disconnect();
    }

    const group = `${names.group}.replay`;
    await waitUntil(async () => (await groupLag(admin, group, names.replay)).total === 0, {
      timeoutMs: 90_000,
      describe: async () => `replay group lag not 0: ${describeLag(await groupLag(admin, group, names.replay))}`,
    });
    await waitUntil(() => shadow.records.length >= 2 * COMPARED && letters.records.length >= UNKNOWN, {
      timeoutMs: 30_000,
      describe: () => `${shadow.records.length} shadow records, ${letters.records.length} dead letters`,
    });
    await shadow.drain(admin);
    await predictions.drain(admin);

    expect(shadow.decodeErrors).toEqual([]);
    expect(shadow.records).toHaveLength(2 * COMPARED);
    // marketing's topic is untouched by a comparison
    expect(predictions.records).toEqual([]);

    const champion = new Map(cases.map((c) => [c.customerid, c.churn_probability]));
    const candidate = candidateParity();
    const problems: string[] = [];
    for (let i = 0; i < COMPARED; i++) {
      const eventId = `${runId}-${i}`;
      const both = shadow.records.filter((r) => r.value.event_id === eventId);
      const sides = both.map((r) => `${r.value.variant}:${r.value.model_version}`).sort();
      if (sides.join(',') !== 'champion:1.0.0,shadow:1.1.0') problems.push(`${eventId}: ${sides.join(',')}`);
      for (const r of both) {
        const p = r.value;
        const want = (p.variant === 'champion' ? champion : candidate).get(p.customerid);
        if (want === undefined || !(Math.abs(p.churn_probability - want) <= 1e-9)) {
          problems.push(`${eventId} ${p.variant}: p=${p.churn_probability}, sklearn ${want}`);
        }
        if (!p.replay || p.source_topic !== names.replay)
          problems.push(`${eventId}: replay=${p.replay} ${p.source_topic}`);
        if (r.key !== p.customerid) problems.push(`${eventId}: key ${r.key}`);
        const headers = r.headers;
        if (headers['churn.compare.id'] !== compareId)
          problems.push(`${eventId}: compare id ${headers['churn.compare.id']}`);
        if (headers['churn.variant'] !== p.variant || headers['churn.model.version'] !== p.model_version) {
          problems.push(`${eventId}: headers ${JSON.stringify(headers)}`);
        }
      }
    }
    expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
    // the two models really differ on these customers, so the comparison compared something
    const differing = shadow.records.filter(
      (r) => r.value.variant === 'shadow' && r.value.churn_probability !== champion.get(r.value.customerid),
    );
    expect(differing.length).toBeGreaterThan(COMPARED / 2);

    await letters.drain(admin);
    expect(letters.records.map((r) => [r.headers['churn.error.type'], r.headers['churn.compare.id']])).toEqual(
      Array(UNKNOWN).fill(['compare-model-unknown', compareId]),
    );
    const metrics = (await worker.get('/metrics')).body;
    expect(metrics).toMatch(/churn_stream_shadow_predictions_produced_total\{source="replay"\} 60\b/);
  });
});
