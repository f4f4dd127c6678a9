import { Command } from 'commander';
import { driftTrackerOf } from '../../app/drift-monitoring.js';
import { rolloutClientsOf } from '../../app/rollout-clients.js';
import { localModel, rolloutFollower, startFollowing, type LocalModel } from '../../app/serving-source.js';
import type { Config } from '../../config/config-schema.js';
import { buildHttpServer } from '../../http/server.js';
import { listenSidePort } from '../../http/listen.js';
import type { RolloutFollower } from '../../model-registry/rollout-follower.js';
import type { ProbeCheck, ProbeResult } from '../../observability/health.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { createMetricsRegistry, type Registry } from '../../observability/metrics-registry.js';
import { fixedServingSetSource, singleModelServingSet, type ServingSetSource } from '../../serving/serving-set.js';
import { kafkajsClientSupplier } from '../../stream/kafkajs-client-supplier.js';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { onShutdownSignals } from '../shutdown-signals.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const CLOSE_DEADLINE_MS = 10_000;

interface ServeFlags extends ListenFlags {
  followRollout?: boolean;
}

export function serveCommand(): Command {
  return withListenOptions(
    new Command('serve').description(
      'Serve the HTTP side-port only (predict, probes, metrics, OpenAPI); no Kafka unless --follow-rollout',
    ),
  )
    .option(
      '--follow-rollout',
      'serve the rollout in force from the models and rollout topics, as `run` does (default: config ' +
        'model.followRollout / MODEL_FOLLOW_ROLLOUT); without it the local model (--model) serves everyone',
    )
    .action(async (flags: ServeFlags) => {
      await runServe(flags);
    });
}

async function runServe(flags: ServeFlags): Promise<void> {
  const loaded = listenConfig(flags);
  const config: Config =
    flags.followRollout === true ? { ...loaded, model: { ...loaded.model, followRollout: true } } : loaded;
  const logger = createLogger({ name: config.service.name, level: config.log.level, format: config.log.format });
  const metrics = createMetricsRegistry();
  // Loaded (and the rollout topics read) before the server exists: a bad artifact or an unreachable Kafka stops
  // start-up, and once listening the model in force is ready.
  const local = await localModel(config, undefined, logger);
  const follower = config.model.followRollout ? await followRollout(config, local, logger, metrics) : undefined;
  const serving: ServingSetSource = follower ?? fixedServingSetSource(singleModelServingSet(local.serving));

  let draining = false;
  const notDraining = (): ProbeResult =>
    draining ? { ok: false, reasons: ['shutting down'] } : { ok: true, reasons: [] };
  const readiness: ProbeCheck[] = [notDraining, ...(follower === undefined ? [] : [() => follower.readiness()])];
  // No stream here: drift is counted over what /predict answers, per model version.
  const tracker = driftTrackerOf(config, logger);
  const drift = tracker === undefined ? {} : { drift: { tracker, feed: 'predictions' as const } };
  const app = await buildHttpServer({ config, serving, logger, metrics, readiness, ...drift });

  const { address, host } = await listenSidePort(app, config.http, logger);
  logger.info({ address, host, docs: `${address}/docs` }, `listening on ${address}`);

  onShutdownSignals(async (signal) => {
    draining = true;
    logger.info({ signal }, 'shutting down: closing the HTTP server');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: CLOSE_DEADLINE_MS }, 'close deadline passed; exiting with requests in flight');
      process.exit(1);
    }, CLOSE_DEADLINE_MS);
    deadline.unref();
    try {
      await app.close();
      await follower?.stop();
      logger.info('closed');
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error while closing');
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
    }
  });
}

/** `serve --follow-rollout`: a rollout follower over kafkajs, read up to the end of both topics. */
async function followRollout(
  config: Config,
  local: LocalModel,
  logger: Logger,
  metrics: Registry,
): Promise<RolloutFollower> {
  const clients = kafkajsClientSupplier(config.kafka, logger);
  const follower = rolloutFollower({
    config,
    clients: rolloutClientsOf(clients, config.stream),
    local,
    logger,
    metrics,
  });
  await startFollowing(follower, clients, config);
  return follower;
}
