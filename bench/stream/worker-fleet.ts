/**
 * `bin/churn-scorer run` processes on one topic set, with the metrics that tell how far they are: the sum of
 * churn_stream_records_consumed_total{source="live"} over the workers (counted at transaction commit).
 */
import { join } from 'node:path';
import { startProcess, waitForHttp, type StartedProcess } from '../lib/children.js';
import { freePort } from '../lib/free-port.js';
import { LAUNCHER, launcherNodeFlags } from '../lib/launcher.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { registerWithCompatibility } from '../../src/serde/schema-registration.js';
import { churnPredictionSchema, customerEventSchema, driftWindowSchema } from '../../src/serde/schema-files.js';
import type { TopicSet } from './bench-topics.js';

export interface StackAddresses {
  brokers: string;
  registryUrl: string;
}

export interface WorkerProcess {
  proc: StartedProcess;
  base: string;
}

export interface FleetOptions {
  count: number;
  label: string;
  /** extra node flags, e.g. --cpu-prof */
  nodeFlags?: readonly string[];
  /** script and its arguments before --host/--port; default `bin/churn-scorer run` */
  program?: readonly string[];
  /** extra environment for every worker; WORKER_NODE_ENV in it names the node binary that runs them */
  env?: Readonly<Record<string, string>>;
}

export const RUN_COMMAND: readonly string[] = [LAUNCHER, 'run'];

/**
 * The node binary to run the workers with, when not the bench's own (bench/clients/platformatic-worker.ts needs
 * Node >= 22). Given in the workers' environment because the sections hand `env` through to startFleet as it is.
 */
export const WORKER_NODE_ENV = 'BENCH_WORKER_NODE';

/**
 * Registers both subjects with their BACKWARD rule before several workers start at once, as an operator would:
 * workers that all find a fresh subject race to create its compatibility rule (Apicurio answers the losers 409,
 * which registerWithCompatibility now retries; see BENCHMARKS.md, "Found while benchmarking").
 */
async function provisionSubjects(stack: StackAddresses, topics: TopicSet): Promise<void> {
  const registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: stack.registryUrl }));
  await registerWithCompatibility(registry, `${topics.customers}-value`, customerEventSchema().text, 'BACKWARD');
  await registerWithCompatibility(registry, `${topics.predictions}-value`, churnPredictionSchema().text, 'BACKWARD');
  await registerWithCompatibility(registry, `${topics.shadow}-value`, churnPredictionSchema().text, 'BACKWARD');
  await registerWithCompatibility(registry, `${topics.drift}-value`, driftWindowSchema().text, 'BACKWARD');
}

export async function startFleet(
  stack: StackAddresses,
  topics: TopicSet,
  options: FleetOptions,
): Promise<WorkerProcess[]> {
  if (options.count > 1) await provisionSubjects(stack, topics);
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < options.count; i++) {
      const port = await freePort();
      const env = {
        ...process.env,
        KAFKA_BROKERS: stack.brokers,
        SCHEMA_REGISTRY_URL: stack.registryUrl,
        TOPIC_CUSTOMERS: topics.customers,
        TOPIC_PREDICTIONS: topics.predictions,
        TOPIC_DLQ: topics.deadLetter,
        TOPIC_REPLAY: topics.replay,
        TOPIC_PREDICTIONS_SHADOW: topics.shadow,
        TOPIC_MODELS: topics.models,
        TOPIC_ROLLOUT: topics.rollout,
        TOPIC_DRIFT: topics.drift,
        TOPIC_OUTCOMES: topics.outcomes,
        TOPIC_PREDICTIONS_OUTCOMES: topics.joined,
        TOPIC_JOIN_CHANGELOG: topics.joinChangelog,
        // The sections measure the scorer's data path; the outcome join (a second consumer of the predictions in
        // the same process) is measured on its own (BENCHMARKS.md), so it is off unless a section turns it on.
        OUTCOME_JOIN: 'false',
        CONSUMER_GROUP: topics.group,
        TOPIC_PARTITIONS: String(topics.partitions),
        KAFKA_CLIENT_ID: `${topics.prefix}.w${i}`,
        LOG_LEVEL: 'warn',
        ...options.env,
      };
      // the launcher's V8 flags for every program (also the bench/clients workers: same heap, fair comparison)
      const args = [
        ...launcherNodeFlags(),
        ...(options.nodeFlags ?? []),
        ...(options.program ?? RUN_COMMAND),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ];
      const node = options.env?.[WORKER_NODE_ENV] ?? process.execPath;
      const proc = startProcess(`worker ${options.label}#${i}`, node, args, {
        cwd: REPO_ROOT,
        env,
        logFile: join(LOGS_DIR, `${topics.prefix}-worker${i}.log`),
      });
      workers.push({ proc, base: `http://127.0.0.1:${port}` });
    }
    await Promise.all(workers.map((w) => waitForHttp(`${w.base}/readyz`, w.proc, 120_000)));
    return workers;
  } catch (err) {
    await stopFleet(workers);
    throw err;
  }
}

export async function stopFleet(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.allSettled(workers.map((w) => w.proc.stop(20_000)));
}

const CONSUMED = /^churn_stream_records_consumed_total\{source="live"\} ([0-9.e+]+)$/m;

export async function consumedBy(worker: WorkerProcess): Promise<number> {
  const res = await fetch(`${worker.base}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  return Number(CONSUMED.exec(text)?.[1] ?? 0);
}

export async function consumedByAll(workers: readonly WorkerProcess[]): Promise<number> {
  const counts = await Promise.all(workers.map((w) => consumedBy(w).catch(() => NaN)));
  return counts.reduce((a, b) => a + b, 0);
}
