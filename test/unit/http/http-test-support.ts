import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { findRepoRoot, loadConfig, type Config } from '../../../src/config/index.js';
import { buildHttpServer, type HttpServerOptions } from '../../../src/http/server.js';
import { loadModel, type ChurnModel } from '../../../src/model/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetricsRegistry } from '../../../src/observability/metrics-registry.js';
import {
  fixedServingSetSource,
  servingModel,
  singleModelServingSet,
  type ServingSetSource,
} from '../../../src/serving/serving-set.js';

export const REPO_ROOT = findRepoRoot();
export const MODEL_DIR = join(REPO_ROOT, 'models', 'churn', '1.0.0');

export interface NotesExample {
  name: string;
  customer: Record<string, unknown>;
  churn_probability: number;
  churn: boolean;
}

/** The course notes' two customers with sklearn's probabilities (models/churn/1.0.0/examples.json). */
export function notesExamples(): NotesExample[] {
  return (JSON.parse(readFileSync(join(MODEL_DIR, 'examples.json'), 'utf8')) as { examples: NotesExample[] }).examples;
}

export interface ParityRow {
  customerid: string;
  raw: Record<string, unknown>;
  features: Record<string, unknown>;
  churn: 0 | 1;
  churn_probability: number;
}

/** The first `count` test customers with sklearn's predict_proba (models/churn/1.0.0/parity.jsonl). */
export function parityRows(count: number): ParityRow[] {
  return readFileSync(join(MODEL_DIR, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, count)
    .map((line) => JSON.parse(line) as ParityRow);
}

/** Defaults from config/default.json only (the test's environment must not change the outcome). */
export function testConfig(
  overrides: { http?: Partial<Config['http']>; model?: Partial<Config['model']> } = {},
): Config {
  const base = loadConfig({ env: {} });
  return { ...base, http: { ...base.http, ...overrides.http }, model: { ...base.model, ...overrides.model } };
}

let cachedModel: Promise<ChurnModel> | undefined;
export function realModel(): Promise<ChurnModel> {
  cachedModel ??= loadModel(MODEL_DIR);
  return cachedModel;
}

/** What `serve` hands the side-port: the one local model as the champion of revision 0. */
export async function localServing(config: Config = testConfig()): Promise<ServingSetSource> {
  return fixedServingSetSource(singleModelServingSet(servingModel(await realModel(), config.model.strictCategories)));
}

export interface TestServer {
  app: FastifyInstance;
  registry: Registry;
}

/**
 * The real side-port on the real artifact (the local model as champion unless `serving` is given), silent
 * logs, a fresh metrics registry per server.
 */
export async function buildTestServer(
  options: { config?: Config } & Partial<
    Pick<HttpServerOptions, 'readiness' | 'liveness' | 'serving' | 'experiments' | 'realized' | 'drift'>
  > = {},
): Promise<TestServer> {
  const registry = createMetricsRegistry({ processMetrics: true });
  const config = options.config ?? testConfig();
  const app = await buildHttpServer({
    config,
    serving: options.serving ?? (await localServing(config)),
    logger: createLogger({ name: 'test', level: 'silent' }),
    metrics: registry,
    ...(options.experiments === undefined ? {} : { experiments: options.experiments }),
    ...(options.realized === undefined ? {} : { realized: options.realized }),
    ...(options.drift === undefined ? {} : { drift: options.drift }),
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
    ...(options.liveness === undefined ? {} : { liveness: options.liveness }),
  });
  return { app, registry };
}

export interface ErrorBodyShape {
  error: string;
  message: string;
  fields: { field: string; message: string }[];
}
