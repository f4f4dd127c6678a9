import type { Config } from '../config/config-schema.js';
import { listenSidePort } from '../http/listen.js';
import { buildHttpServer } from '../http/server.js';
import type { ChurnModel } from '../model/churn-model.js';
import { loadModel } from '../model/index.js';
import type { ProbeResult } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import { createMetricsRegistry, type Registry } from '../observability/metrics-registry.js';
import type { KafkaClientSupplier } from '../stream/kafka-client-supplier.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';
import { SCORER_VERSION } from '../stream/scorer-version.js';
import { startWorker, type RunningWorker } from '../stream/worker.js';

export interface ScorerAppOptions {
  /** the one validated configuration (src/config); each part is handed its slice */
  config: Config;
  /** the stream worker's Kafka clients; `run` and `demo` pass kafkajsClientSupplier */
  clients: KafkaClientSupplier;
  /** `run` and `demo` pass defaultSchemaRegistry(config.registry) */
  registry: SchemaRegistryConnection;
  /** loaded from config.model.dir when not given */
  model?: ChurnModel;
  logger: Logger;
  /** the registry /metrics exposes; a new one (with process metrics) when not given */
  metrics?: Registry;
}

/** The running service: the stream worker and its HTTP side-port. */
export interface ScorerApp {
  /** where the side-port listens, e.g. http://127.0.0.1:8080 */
  readonly address: string;
  /** what /readyz answers: not ready while starting and while stopping, then the worker's state */
  readiness(): ProbeResult;
  /** what /livez answers: fails when an owned partition is stuck */
  liveness(): ProbeResult;
  /** resolves when the worker fails for good: the process should exit */
  readonly fatal: Promise<Error>;
  /** graceful stop: the worker first (finishes the open transactions, leaves its groups), then the side-port */
  stop(): Promise<void>;
}

/**
 * The composition root of the service: builds it from the configuration and the clients it is handed. The
 * side-port listens first, so an orchestrator sees /livez and a 503 /readyz with reasons during start-up; then
 * the stream worker starts. A worker that fails to start closes the side-port again.
 */
export async function startScorerApp(options: ScorerAppOptions): Promise<ScorerApp> {
  const { config, logger } = options;
  const model = options.model ?? (await loadModel(config.model.dir));
  logger.info({ model: { name: model.meta.name, version: model.meta.version, dir: config.model.dir } }, 'model loaded');
  const metrics = options.metrics ?? createMetricsRegistry();

  let worker: RunningWorker | undefined;
  let draining = false;
  const readiness = (): ProbeResult => {
    if (draining) return { ok: false, reasons: ['shutting down'] };
    if (worker === undefined) return { ok: false, reasons: ['stream worker starting: topics, schemas, group join'] };
    return worker.readiness();
  };
  const liveness = (): ProbeResult => (worker === undefined ? { ok: true, reasons: [] } : worker.liveness());
  const sidePort = await buildHttpServer({ config, model, logger, metrics, readiness, liveness });
  const { address, host } = await listenSidePort(sidePort, config.http, logger);
  logger.info({ address, host }, `side-port listening on ${address}`);

  try {
    worker = await startWorker({
      config,
      clients: options.clients,
      registry: options.registry,
      model,
      logger,
      metrics,
      scorerVersion: SCORER_VERSION,
    });
  } catch (err) {
    await sidePort.close().catch(() => undefined);
    throw err;
  }
  const running = worker;
  let stopping: Promise<void> | undefined;
  return {
    address,
    readiness,
    liveness,
    fatal: running.fatal,
    stop: () => {
      stopping ??= (async () => {
        draining = true;
        await running.stop();
        await sidePort.close().catch((err: unknown) => {
          logger.warn({ err }, 'error while closing the side-port');
        });
      })();
      return stopping;
    },
  };
}
