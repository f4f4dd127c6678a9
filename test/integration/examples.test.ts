import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { describe, expect } from 'vitest';
import { summarize, type ScoredCustomer } from '../../src/demo/demo-summary.js';
import { loadTelcoCustomers, TELCO_CSV } from '../../src/demo/telco-events.js';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import type { CollectedRecord } from '../support/collectors.js';
import { waitForNoLag } from '../support/kafka.js';
import type { StreamNames } from '../support/names.js';
import { runProcess, type ProcessResult } from '../support/run-process.js';
import { stackEndpoints } from '../support/stack.js';
import { test } from '../support/stream-fixture.js';

const { Partitioners } = kafkajs;

/**
 * The examples of docs/producing.md and docs/consuming.md (docs/examples/), run as their readers run them, against
 * a worker on the real stack: so they cannot rot. Python through the training env's interop group (confluent-kafka),
 * TypeScript with `node --import tsx`; each is pointed at this test's unique topics by environment variables (the
 * Python ones) or flags (the TypeScript ones).
 */

const PRODUCER_PY = 'docs/examples/producer/produce_customers.py';
const PRODUCER_TS = 'docs/examples/producer/produce-customers.ts';
const CAMPAIGN_PY = 'docs/examples/consumer/campaign_list.py';
const CAMPAIGN_TS = 'docs/examples/consumer/campaign-list.ts';
const DEAD_LETTERS_PY = 'docs/examples/consumer/dead_letters.py';
const CONVERTER_PY = 'docs/examples/telco_to_jsonl.py';
const SAMPLE = 'docs/examples/customers.sample.jsonl';

/** A line of the campaign lists both consumers print. */
interface CampaignLine {
  rank: number;
  customerid: string;
  churn_probability: number;
  churn: boolean;
  model_version: string;
  variant: string;
  event_id: string;
  event_time: number;
  partition: number;
  offset: number;
  reasons: { feature: string; value: string; contribution: number }[];
}

type Line = Record<string, unknown> & { customerid: string; event_id?: string; event_time?: number };

function connection(): Record<string, string> {
  const { brokers, registryUrl } = stackEndpoints();
  return { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl };
}

/** The Python examples read their topics from the same variables as the scorer. */
function pythonEnv(names: StreamNames): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...connection(),
    TOPIC_CUSTOMERS: names.customers,
    TOPIC_PREDICTIONS: names.predictions,
    TOPIC_DLQ: names.deadLetter,
  };
}

/** A Python example with the training project's env (confluent-kafka in its interop group), as serde.test.ts runs it. */
async function python(script: string, args: readonly string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<string> {
  const run = await runProcess(
    'bash',
    ['scripts/uv.sh', 'run', '--frozen', '--project', 'training', '--all-groups', 'python', script, ...args],
    { env, stdin, timeoutMs: 300_000 },
  );
  return succeeded(`python ${script} ${args.join(' ')}`, run);
}

/** A TypeScript example as its readers run it; the connection and topics as flags (TOPIC_* of the shell unset). */
async function node(script: string, args: readonly string[], stdin = ''): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOPIC_')));
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = connection();
  const run = await runProcess(
    process.execPath,
    ['--import', 'tsx', script, '--brokers', KAFKA_BROKERS ?? '', '--registry-url', SCHEMA_REGISTRY_URL ?? '', ...args],
    { env, stdin, timeoutMs: 120_000 },
  );
  return succeeded(`node ${script} ${args.join(' ')}`, run);
}

/** The stdout of a run that exited 0; its stderr is kept on `lastStderr` for the summary lines. */
let lastStderr = '';
function succeeded(what: string, run: ProcessResult): string {
  lastStderr = run.stderr;
  if (run.code !== 0) {
    throw new Error(`${what} exited with ${run.code ?? run.signal}:\n${run.stderr.slice(-4_000)}`);
  }
  return run.stdout;
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function toJsonLines(lines: readonly object[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

/** The rule both examples follow (docs/consuming.md): greatest event_time, then the later offset; no replays. */
function latestPerCustomer(records: readonly CollectedRecord<ChurnPrediction>[]): CollectedRecord<ChurnPrediction>[] {
  const latest = new Map<string, CollectedRecord<ChurnPrediction>>();
  for (const record of records) {
    if (record.value.replay) continue;
    const known = latest.get(record.value.customerid);
    const later =
      known === undefined ||
      record.value.event_time > known.value.event_time ||
      (record.value.event_time === known.value.event_time && BigInt(record.offset) > BigInt(known.offset));
    if (later) latest.set(record.value.customerid, record);
  }
  return [...latest.values()];
}

describe('the producer and consumer examples of docs/ against a worker', () => {
  test('Python and TypeScript producers feed the worker; both campaign lists are demo-summary.ts riskiest 25%', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const worker = stream.startWorker();
    const predictions = await stream.collectPredictions();
    const inputs = await stream.collectInputs();
    const env = pythonEnv(names);

    // The converter: every Telco row as src/demo/telco-events.ts reads it (blank TotalCharges as 0), label dropped.
    const converted = jsonLines<Line>(await python(CONVERTER_PY, [TELCO_CSV], env));
    expect(converted).toEqual(loadTelcoCustomers());
    expect(converted.filter((c) => c['totalcharges'] === 0)).toHaveLength(11);
    expect(await python(CONVERTER_PY, [TELCO_CSV, '--limit', '5'], env)).toBe(readFileSync(SAMPLE, 'utf8'));

    // The worker registers customers-value at start-up; the producers only look their schema up.
    await worker.waitForReady();

    // 1. Python: rows 0-199, as events with event ids of this run.
    const pyLines = jsonLines<Line>(
      await python(
        CONVERTER_PY,
        [TELCO_CSV, '--limit', '200', '--events', '--event-id-prefix', `${names.suffix}-py`],
        env,
      ),
    );
    await python(PRODUCER_PY, [], env, toJsonLines(pyLines));
    expect(lastStderr).toContain('sent 200 events (partition 0: ');
    const pyTime = Math.max(...pyLines.map((l) => l.event_time ?? 0));

    // 2. TypeScript: rows 200-399 as customers (the producer adds event_id and event_time); then 50 of the Python
    // customers again, at high risk: 40 newer states (they replace the Python predictions in the campaign) and 10
    // late ones observed before the Python events (later on the topic, but not the customer's latest state); and
    // one customer the input contract refuses (a dead letter, fixed and sent again below).
    const tsLines = jsonLines<Line>(await python(CONVERTER_PY, [TELCO_CSV, '--skip', '200', '--limit', '200'], env));
    const risky = {
      tenure: 1,
      contract: 'Month-to-month',
      internetservice: 'Fiber optic',
      onlinesecurity: 'No',
      techsupport: 'No',
      paymentmethod: 'Electronic check',
    };
    const again = pyLines.slice(0, 50).map((line, i) => ({
      ...line,
      ...risky,
      totalcharges: line['monthlycharges'],
      event_id: `${names.suffix}-ts-${i < 40 ? 'newer' : 'late'}-${i}`,
      event_time: i < 40 ? pyTime + 60_000 : pyTime - 60_000,
    }));
    const invalid = {
      ...(pyLines[0] as Line),
      customerid: `DLQ-${names.suffix}`,
      event_id: `${names.suffix}-bad`,
      tenure: -1,
    };
    await node(PRODUCER_TS, ['--topic', names.customers], toJsonLines([...tsLines, ...again, invalid]));
    expect(lastStderr).toContain('sent 251 events');

    await waitForNoLag(admin, names.group, names.customers, 60_000);
    await predictions.drain(admin);
    expect(predictions.records).toHaveLength(450);

    // 3. The dead letter: listed with its reason and decoded, fixed, sent again with the Python producer.
    const letters = jsonLines<Record<string, unknown>>(await python(DEAD_LETTERS_PY, [], env));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      key: invalid.customerid,
      error_type: 'invalid-customer',
      source_topic: names.customers,
      value: { customerid: invalid.customerid, event_id: invalid.event_id, tenure: -1 },
    });
    expect(letters[0]?.['error_message']).toContain('tenure');
    const fix = jsonLines<Line>(await python(DEAD_LETTERS_PY, ['--error-type', 'invalid-customer', '--values'], env));
    expect(fix).toHaveLength(1);
    await python(PRODUCER_PY, [], env, toJsonLines(fix.map((event) => ({ ...event, tenure: 1 }))));
    await waitForNoLag(admin, names.group, names.customers, 60_000);
    await predictions.drain(admin);
    await inputs.drain(admin);
    expect(predictions.records).toHaveLength(451);
    expect(predictions.records.filter((r) => r.value.event_id === invalid.event_id)).toHaveLength(1);

    // Python (murmur2_random) and kafkajs (its default partitioner) put a customer in the same partition: the one
    // Java's murmur2 gives.
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const misplaced = inputs.records.filter(
      (r) =>
        r.partition !==
        partitioner({ topic: names.customers, partitionMetadata, message: { key: r.key, value: null } }),
    );
    expect(misplaced.map((r) => `${r.key}@${r.partition}`)).toEqual([]);
    expect(inputs.records).toHaveLength(452);

    // 4. The campaign, by both consumers (topics by environment for Python, by flag for TypeScript).
    const fromPython = jsonLines<CampaignLine>(await python(CAMPAIGN_PY, [], env));
    expect(lastStderr).toContain(
      'read 451 predictions of 401 customers (0 replays left out); campaign: the riskiest 25%, 101 customers',
    );
    const fromTs = jsonLines<CampaignLine>(await node(CAMPAIGN_TS, ['--topic', names.predictions]));
    expect(lastStderr).toContain(
      'read 451 predictions of 401 customers (0 replays left out); campaign: the riskiest 25%, 101 customers',
    );
    expect(fromTs).toEqual(fromPython);

    // What demo-summary.ts computes from the predictions a test collector read (same latest rule).
    const latest = latestPerCustomer(predictions.records);
    expect(latest).toHaveLength(401);
    const scored: ScoredCustomer[] = latest.map(({ value: p }) => ({
      customerid: p.customerid,
      probability: p.churn_probability,
      churn: p.churn,
      latencyMs: 0,
      variant: p.variant,
      version: p.model_version,
      reasons: p.reasons,
    }));
    const summary = summarize(scored);
    // summarize's own order (probability, then localeCompare: the same as code points for Telco ids)
    const byRisk = [...scored].sort(
      (a, b) => b.probability - a.probability || a.customerid.localeCompare(b.customerid),
    );
    expect(fromPython).toHaveLength(summary.campaignSize);
    expect(fromPython.map((l) => [l.customerid, l.churn_probability])).toEqual(
      byRisk.slice(0, summary.campaignSize).map((s) => [s.customerid, s.probability]),
    );
    expect(fromPython.at(-1)?.churn_probability).toBe(summary.campaignCutoff);
    expect(fromPython.slice(0, 10).map((l) => l.customerid)).toEqual(summary.topTen.map((s) => s.customerid));
    expect(fromPython.map((l) => l.rank)).toEqual(fromPython.map((_, i) => i + 1));

    // "Latest" is the customer's latest observed state: the 40 newer events won, the 10 late ones did not.
    const chosen = new Map(latest.map((r) => [r.value.customerid, r.value.event_id]));
    again.forEach((event, i) => {
      expect(chosen.get(event.customerid)).toBe(i < 40 ? event.event_id : `${names.suffix}-py-${i}`);
    });
    const inCampaign = new Map(fromPython.map((l) => [l.customerid, l.event_id]));
    const newerIn = again.slice(0, 40).filter((event) => inCampaign.has(event.customerid));
    expect(newerIn.length).toBeGreaterThanOrEqual(30);
    for (const event of newerIn) expect(inCampaign.get(event.customerid)).toBe(event.event_id);
    expect(fromPython.filter((l) => l.event_id.includes('-ts-late-'))).toEqual([]);
  }, 400_000);
});
