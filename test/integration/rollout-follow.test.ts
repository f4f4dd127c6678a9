import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import { buildModelPackage, sha256Hex, type ModelPackage } from '../../src/model-registry/model-package.js';
import { nextRolloutRecord, parseRolloutRecord, ROLLOUT_KEY } from '../../src/model-registry/rollout-record.js';
import { assignVariant } from '../../src/rollout/assign-variant.js';
import type { RolloutDocument } from '../../src/rollout/rollout-document.js';
import { parseRollout } from '../../src/rollout/rollout.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import type { PredictionCollector } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { metricValue } from '../support/metrics.js';
import { REPO_ROOT } from '../support/paths.js';
import { topicEnv } from '../support/names.js';
import { ManagedProcess, WORKER_TEST_ENV } from '../support/processes.js';
import { startRolloutCollector } from '../support/rollout-topic.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

/** How soon every worker must serve a rollout after it is published (the "within one second"). */
const FOLLOW_WITHIN_MS = 1_000;
/** How often the test asks each worker's side-port which revision it serves. */
const POLL_MS = 50;

const AB_50: RolloutDocument = {
  champion: '1.0.0',
  challengers: [{ version: '1.1.0', kind: 'ab', weight: 50 }],
};

async function cli(stream: StreamFixture, name: string, args: string[]): Promise<void> {
  const run = await stream.runCli(args, { name, timeoutMs: 90_000 });
  expect(run.status, run.output).toEqual({ code: 0, signal: null });
}

/** A side-port: a `run` worker, or `serve`. */
interface SidePort {
  readonly label: string;
  get(path: string): Promise<{ status: number; body: string }>;
}

/** The revision the process's follower serves, as its /metrics says (undefined when it does not answer). */
async function servedRevision(worker: SidePort): Promise<number | undefined> {
  try {
    const { status, body } = await worker.get('/metrics');
    return status === 200 ? metricValue(body, 'churn_rollout_revision') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the worker every POLL_MS; resolves with the time its first answer naming `revision` (or a later one) came
 * back: later than the swap itself, so the delay measured from it is never flattered.
 */
function whenServing(worker: SidePort, revision: number, timeoutMs: number): Promise<number> {
  return (async () => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const asked = Date.now();
      const served = (await servedRevision(worker)) ?? -1;
      if (served >= revision) return Date.now();
      await sleep(Math.max(0, POLL_MS - (Date.now() - asked)));
    }
    throw new Error(`${worker.label} did not serve rollout revision ${revision} within ${timeoutMs} ms`);
  })();
}

/** When the rollout record of `revision` was published: its timestamp on the rollout topic. */
async function publicationTime(stream: StreamFixture, revision: number): Promise<{ at: number; rollout: unknown }> {
  const rollouts = await startRolloutCollector(stream.kafka, stream.names.rollout);
  try {
    await rollouts.drain(stream.admin);
    const record = rollouts.records.find((r) => r.value?.revision === revision);
    if (record === undefined) throw new Error(`no rollout record of revision ${revision}`);
    return { at: Number(record.timestamp), rollout: record.value?.rollout };
  } finally {
    await rollouts.stop();
  }
}

/** `churn-scorer serve <args>` on the test's topics, with what its side-port answers. */
async function startServe(stream: StreamFixture, name: string, args: string[], env: Record<string, string> = {}) {
  // One process: the test times what one follower serves, through that process's /metrics and /predict.
  const process = new ManagedProcess(`${stream.names.suffix}-${name}`, ['serve', ...args], {
    ...WORKER_TEST_ENV,
    HTTP_WORKERS: '1',
    ...topicEnv(stream.names),
    ...env,
  });
  let address: string | undefined;
  await waitUntil(
    () => {
      address = /"msg":"listening on (http:\/\/[^\s"]+)"/.exec(process.log())?.[1];
      return address !== undefined || !process.running;
    },
    { timeoutMs: 90_000, intervalMs: 100, describe: () => `serve is not listening:\n${process.tail()}` },
  );
  if (address === undefined) throw new Error(`serve exited before listening:\n${process.tail()}`);
  const base = address;
  return {
    label: process.label,
    process,
    get: async (path: string) => {
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
      return { status: response.status, body: await response.text() };
    },
    post: async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

/** The worker's JSON log lines with this message. */
function logLines(worker: { log(): string }, msg: string): Record<string, unknown>[] {
  return worker
    .log()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Sends `count` events and waits for their live predictions; returns those predictions. */
async function scoreEvents(stream: StreamFixture, predictions: PredictionCollector, count: number) {
  const events = telcoEvents(count);
  const encoder = await customerEventEncoder(stream.names.customers);
  await stream.sendEvents(events.map((e) => eventMessage(encoder, e)));
  const ids = new Set(events.map((e) => e.event_id));
  await predictions.waitForAll(ids, 120_000);
  return predictions.records.map((r) => r.value).filter((p) => ids.has(p.event_id));
}

/** Every prediction was made under rollout `revision`, by the version and variant `rollout` gives its customer. */
function expectServedBy(scored: readonly ChurnPrediction[], revision: number, rollout: RolloutDocument): void {
  const parsed = parseRollout(rollout);
  for (const p of scored) {
    const { version, variant } = assignVariant(parsed, p.customerid);
    expect({ id: p.event_id, revision: p.rollout_revision, version: p.model_version, variant: p.variant }).toEqual({
      id: p.event_id,
      revision,
      version,
      variant,
    });
  }
}

/** 1.1.0's artifact published as `version` (only model.json's version string differs, so its parity holds). */
async function packageAs(version: string): Promise<ModelPackage> {
  const dir = join(REPO_ROOT, 'models', 'churn', '1.1.0');
  const [modelJson, parityJsonl] = await Promise.all([
    readFile(join(dir, 'model.json'), 'utf8'),
    readFile(join(dir, 'parity.jsonl'), 'utf8'),
  ]);
  const renamed = modelJson.replace('"version": "1.1.0"', `"version": "${version}"`);
  expect(renamed).not.toBe(modelJson);
  return buildModelPackage({ modelJson: renamed, parityJsonl }, new Date().toISOString());
}

describe('following the rollout: every worker, within a second, and never a refused model', () => {
  test('two workers in one group serve a new rollout within one second of its publication', async ({ stream }) => {
    await stream.createTopics();
    await cli(stream, 'publish-1.1.0', ['model', 'publish', 'models/churn/1.1.0']);
    const workers = [stream.startWorker({ name: 'w1' }), stream.startWorker({ name: 'w2' })];
    await Promise.all(workers.map((w) => w.waitForReady()));
    for (const worker of workers) {
      expect(await servedRevision(worker)).toBe(0);
      expect(logLines(worker, 'model verified').map((l) => l['version'])).toEqual(['1.1.0']);
    }

    const seen = workers.map((w) => whenServing(w, 1, 90_000));
    await cli(stream, 'rollout-set', ['rollout', 'set', '--champion', '1.0.0', '--ab', '1.1.0=50%']);
    const seenAt = await Promise.all(seen);

    const published = await publicationTime(stream, 1);
    expect(published.rollout).toEqual(AB_50);
    const delays = seenAt.map((at) => at - published.at);
    for (const delay of delays) expect(delay, `delays ${delays.join(', ')} ms`).toBeLessThanOrEqual(FOLLOW_WITHIN_MS);
    for (const worker of workers) {
      expect(logLines(worker, 'rollout in force')).toEqual([
        expect.objectContaining({ revision: 1, champion: '1.0.0', challengers: ['1.1.0 ab 50%'], shadows: [] }),
      ]);
    }

    // Both workers own partitions, and every event after the publication is scored by the rollout's model for it.
    const owned = workers.map((w) => w.lastAssignment(stream.names.customers) ?? []);
    expect(owned.every((partitions) => partitions.length > 0)).toBe(true);
    expect(owned.flat().sort()).toEqual([0, 1, 2]);
    const predictions = await stream.collectPredictions();
    const scored = await scoreEvents(stream, predictions, 300);
    expectServedBy(scored, 1, AB_50);
    expect(new Set(scored.map((p) => p.variant))).toEqual(new Set(['champion', 'ab']));
  });

  test('a corrupted model is refused and a rollout naming it too; the stream keeps the rollout in force', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics();
    await cli(stream, 'publish-1.1.0', ['model', 'publish', 'models/churn/1.1.0']);
    await cli(stream, 'rollout-set', ['rollout', 'set', '--champion', '1.0.0', '--ab', '1.1.0=50%']);
    const worker = stream.startWorker();
    await worker.waitForReady();
    expect(await servedRevision(worker)).toBe(1);
    const predictions = await stream.collectPredictions();
    await scoreEvents(stream, predictions, 100);

    // Written as a careless or hostile producer could: a valid checksum over a model whose scores were altered,
    // and a package whose model_json was changed after its checksum was taken.
    const good = await packageAs('1.2.0');
    const altered = good.model_json.replace(/"intercept": -?[0-9.e-]+/, '"intercept": 0.75');
    expect(altered).not.toBe(good.model_json);
    const tamperedParity: ModelPackage = { ...good, model_json: altered, sha256: sha256Hex(altered) };
    const checksummed = await packageAs('1.3.0');
    const corruptChecksum = { ...checksummed, model_json: checksummed.model_json.replace('"churn"', '"churn" ') };
    const rollouts = await startRolloutCollector(stream.kafka, names.rollout);
    await rollouts.drain(stream.admin);
    const previous = parseRolloutRecord(rollouts.records.at(-1)?.rawValue ?? null);
    await rollouts.stop();
    if (!previous.ok) throw new Error(`the rollout topic's last record does not parse: ${previous.message}`);
    const naming: RolloutDocument = { champion: '1.0.0', challengers: [{ version: '1.2.0', kind: 'ab', weight: 50 }] };
    const next = nextRolloutRecord(previous.record, naming, new Date().toISOString());
    expect(next.revision).toBe(2);

    const producer = await stream.producer();
    await producer.send({
      topic: names.models,
      acks: -1,
      messages: [
        { key: '1.2.0', value: JSON.stringify(tamperedParity) },
        { key: '1.3.0', value: JSON.stringify(corruptChecksum) },
      ],
    });
    await producer.send({
      topic: names.rollout,
      acks: -1,
      messages: [{ key: ROLLOUT_KEY, value: JSON.stringify(next) }],
    });

    await waitUntil(() => logLines(worker, 'rollout refused').length > 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe: () => `no 'rollout refused' line:\n${worker.tail()}`,
    });
    expect(logLines(worker, 'model refused')).toEqual([
      expect.objectContaining({ level: 40, version: '1.2.0', reason: 'parity' }),
      expect.objectContaining({ level: 40, version: '1.3.0', reason: 'checksum' }),
    ]);
    expect(logLines(worker, 'rollout refused')).toEqual([
      expect.objectContaining({ level: 40, revision: 2, reason: 'model-refused', inForce: 1 }),
    ]);
    const metrics = (await worker.get('/metrics')).body;
    expect(metricValue(metrics, 'churn_model_refused_total', { reason: 'parity' })).toBe(1);
    expect(metricValue(metrics, 'churn_model_refused_total', { reason: 'checksum' })).toBe(1);
    expect(metricValue(metrics, 'churn_rollout_refused_total', { reason: 'model-refused' })).toBe(1);
    expect(metricValue(metrics, 'churn_rollout_revision')).toBe(1);

    // Events sent after the refusal are scored with revision 1's models: 1.0.0 or 1.1.0 by customer, never 1.2.0.
    const scored = await scoreEvents(stream, predictions, 300);
    expectServedBy(scored, 1, AB_50);
    expect(new Set(scored.map((p) => p.model_version))).toEqual(new Set(['1.0.0', '1.1.0']));
  });

  test('`serve --follow-rollout` follows too, and /predict answers with the model the rollout gives the customer', async ({
    stream,
  }) => {
    await cli(stream, 'publish-1.1.0', ['model', 'publish', 'models/churn/1.1.0']);
    const fixed = await startServe(stream, 'serve-local', []);
    const following = await startServe(stream, 'serve-following', ['--follow-rollout']);
    expect(await servedRevision(following)).toBe(0);
    expect(logLines(following.process, 'model verified').map((l) => l['version'])).toEqual(['1.1.0']);

    const seen = whenServing(following, 1, 90_000);
    await cli(stream, 'rollout-set', ['rollout', 'set', '--champion', '1.0.0', '--ab', '1.1.0=50%']);
    const seenAt = await seen;
    expect(seenAt - (await publicationTime(stream, 1)).at).toBeLessThanOrEqual(FOLLOW_WITHIN_MS);

    const rollout = parseRollout(AB_50);
    const customers = telcoEvents(40).map(({ event_id: _id, event_time: _time, ...customer }) => customer);
    const answers = await Promise.all(customers.map((c) => following.post('/predict', c)));
    for (const [i, answer] of answers.entries()) {
      const customer = customers[i] as (typeof customers)[number];
      const { version, variant } = assignVariant(rollout, customer.customerid);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ model_version: version, variant, rollout_revision: 1 });
    }
    expect(new Set(answers.map((a) => a.body['model_version']))).toEqual(new Set(['1.0.0', '1.1.0']));
    // Without the flag (and MODEL_FOLLOW_ROLLOUT unset) `serve` keeps its local model and reads no topic.
    const local = await fixed.post('/predict', customers[0]);
    expect(local.body).toMatchObject({ model_version: '1.0.0', variant: 'champion', rollout_revision: 0 });
    expect(logLines(fixed.process, 'following the rollout topics')).toEqual([]);
  });
});
